/* One whole simulated Telnyx call against a target, as Telnyx and a caller
 * would make it:
 *
 *   1. POST a signed call.initiated webhook to the target (telnyx-signature-
 *      ed25519 over "timestamp|body", the run's key from
 *      VSTRESS_TELNYX_SIGNING_SEED), time its answer (Telnyx allows 2 s);
 *   2. wait, through the world's control API (long-poll on
 *      /_vstress/events?topic=telnyx.command&call_control_id=...&action=answer),
 *      for the target's Call Control `answer` (or streaming_start) and its
 *      stream_url;
 *   3. POST call.answered (and streaming.started), then play the caller
 *      script on the media WebSocket with the call engine (include/vstress/
 *      util/call.h), measuring the agent from the audio;
 *   4. at the end POST streaming.stopped and call.hangup (hangup_source
 *      caller or callee as the media leg says), and collect every Call
 *      Control command the target sent for this call
 *      (GET /_vstress/telnyx/commands?call_control_id=...).
 *
 * Blocking; thread-safe; run many at once from several threads with one
 * shared engine, or many on one thread with vstress/caller/callflow.h
 * (vs_tcall_run is one call on a flow of its own).  Everything is on
 * loopback in the hermetic profile.
 *
 * Test tenants: vs_tenant_create/remove provision a routed number with its
 * fallback number in the target's database through SQL templates from the
 * manifest (the schema is the target's, not ours), and remove exactly what
 * they created. */
#ifndef VSTRESS_UTIL_TELNYX_CALL_H
#define VSTRESS_UTIL_TELNYX_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/call.h"

typedef struct json_t json_t;

/* How the agent answers a call ([target] telephony). */
enum vs_telephony {
	VS_TEL_AUTO = 0,     /* call.initiated first; an answer in XML switches the call to TeXML */
	VS_TEL_CALL_CONTROL, /* signed JSON webhooks; the agent answers through Call Control */
	VS_TEL_TEXML,        /* the TeXML URL is fetched as Telnyx does and its verbs followed */
};
/* "auto", "call_control", "texml" -> 0 with *out, or -1. */
int vs_telephony_parse(const char *s, enum vs_telephony *out);
const char *vs_telephony_name(enum vs_telephony t);

/* The TeXML side of a call (lib/caller/texml_call.c). */
struct vs_tcall_texml {
	enum vs_telephony telephony;
	const char *texml_url;  /* where TeXML is fetched (NULL or "": webhook_url) */
	int texml_get;          /* GET with a query string (default: POST form-encoded) */
	const char *public_url; /* a stream URL starting with this (wss://abc.ngrok.io) ... */
	const char *local_url;  /* ... is connected with this prefix instead (ws://127.0.0.1:PORT) */
	int max_redirects;      /* <Redirect>s followed per call; 0 = 10 */
	int max_ms;             /* the whole TeXML call; 0 = answer + media timeouts + 10 s */
};

enum vs_tcall_signature {
	VS_SIG_GOOD = 0, /* signed as Telnyx signs */
	VS_SIG_FORGED,   /* signed with another key */
	VS_SIG_STALE,    /* good signature, timestamp 10 minutes old */
	VS_SIG_NONE,     /* no signature headers */
};

struct vs_tcall_cfg {
	const char *webhook_url;      /* e.g. <target>/api/telnyx/webhook (required) */
	const char *control_url;      /* the world's control API (required to observe commands) */
	const char *signing_seed_b64; /* the run's Ed25519 seed (required for VS_SIG_GOOD/STALE) */
	const char *from, *to;        /* E.164 numbers; to = the routed (or unknown) number */
	const char *connection_id;    /* NULL: generated */
	int webhook_timeout_ms;       /* one webhook POST; 0 = 5000 (Telnyx gives up after 2000) */
	int answer_timeout_ms;        /* call.initiated -> answer observed; 0 = 5000 */
	int media_timeout_ms;         /* whole media leg; 0 = script's max_duration + 5 s */
	uint64_t seed;                /* ids and timestamps: same seed, same call */
	enum vs_tcall_signature signature;
	int replay_initiated;         /* send call.initiated twice with the same event id */
	int no_media;                 /* stop after the answer (webhook tests) */
	/* appended */
	const char *until_action;     /* no_media: after the answer, wait for this command ("hangup"), */
	int until_ms;                 /*   at most this long (0 = 8000) */
	int settle_ms;                /* wait this long before our call.hangup and collecting the commands (late ones: a replay's second answer) */
	int hangup_grace_ms;          /* after the agent's `hangup` (or `transfer`): Telnyx closes the stream; we wait this long
				       * for the media leg to end, then stop it (0 = 1500) */
	/* appended */
	struct vs_tcall_texml tel;    /* telephony, TeXML URL, public_url mapping (zero: auto, as before) */
	/* appended */
	int keep_heard_ms;            /* > 0: the media leg keeps what the caller heard (media.heard) */
};

struct vs_tcall_result {
	char call_control_id[128];
	int webhook_status;      /* HTTP status of call.initiated (0: no answer) */
	double webhook_ms;       /* its response time */
	char webhook_body[512];  /* first bytes of its body */
	int replay_status;       /* status of the replayed call.initiated (replay_initiated) */
	int answered;            /* an answer (or streaming_start) command was observed */
	double answer_ms;        /* call.initiated sent -> answer observed */
	char stream_url[512];    /* from the answer command */
	int media_started;       /* the media WebSocket connected */
	struct vs_call_result media; /* the media leg (valid when media_started) */
	json_t *commands;        /* every Call Control command for this call: [{action, at_ms, body}] */
	char error[256];         /* why the call could not be completed, "" when it was */
	/* appended */
	int agent_hangup;        /* the target sent `hangup` during the call */
	char hangup_source[16];  /* what our call.hangup said: "caller", "callee" ("" none sent) */
	int media_stopped;       /* we ended the media leg after the agent's hangup, as Telnyx does
				  * (stop, close); media.* measured up to then, hangup_by = agent */
	/* appended */
	char webhook_problem[300]; /* what was wrong with call.initiated's answer, "" if nothing: held
				    * open, trickled, a redirect (quoting Location), a body over
				    * VS_TCALL_BODY_MAX */
	char texml[400];         /* the webhook answered with XML: the TeXML parse result */
	/* appended */
	char telephony[16];        /* the path this call took: "call_control" or "texml" */
	char stream_url_local[512]; /* where the media leg connected: stream_url mapped through public_url */
	char texml_problem[400];   /* TeXML path: what was wrong (fetch, XML, no stream, unknown verb,
				    * redirect loop), quoting the agent; "" if nothing */
	int stream_line;           /* TeXML path: the line of the <Stream> that was opened */
	json_t *texml_log;         /* TeXML path: fetches, verbs and callbacks in order [{what, at_ms, ...}] */
	/* appended: Call Control effects played back (call.speak.*, the stream ending on transfer) */
	int speaks;                /* speak commands answered with call.speak.started/ended */
	double speak_ended_ms;     /* call.initiated sent -> our last call.speak.ended (-1: none) */
	double agent_hangup_ms;    /* call.initiated sent -> the agent's hangup observed (-1: none) */
	int agent_transfer;        /* the target sent `transfer`: the caller left for the new leg */
};

#define VS_TCALL_BODY_MAX (1u << 20) /* the most of a webhook answer read */

/* Run one call; fills out (clear it with vs_tcall_result_clear).  0 when the
 * call ran its course (check out->* for what happened), -1 with out->error
 * for a harness-side failure (bad config, world unreachable). */
int vs_tcall_run(struct vs_call_engine *eng, const struct vs_call_script *script, const struct vs_tcall_cfg *cfg,
		 struct vs_tcall_result *out);
void vs_tcall_result_clear(struct vs_tcall_result *r);
/* New reference: the result as JSON (units in key names). */
json_t *vs_tcall_result_json(const struct vs_tcall_result *r);
/* Number of commands with this action ("speak", "transfer", "hangup", ...);
 * if body_out is non-NULL, the first such command's body (borrowed). */
int vs_tcall_count_action(const struct vs_tcall_result *r, const char *action, const json_t **body_out);

/* --- test tenants ---------------------------------------------------------- */

struct vs_tenant_cfg {
	const char *db_url;       /* the target's database */
	const char *create_sql;   /* template; {number} {fallback} {name} {marker}; returns one row: the key */
	const char *remove_sql;   /* template; {key} {number} {marker} */
	const char *number;       /* the routed number to create */
	const char *fallback;     /* its fallback transfer number */
	const char *name;         /* tenant name (contains the marker) */
};

struct vs_tenant {
	char key[64];    /* what create_sql returned */
	char marker[96]; /* vstress-<run>-<n>: marks everything we created */
	int created;
};

/* 0, or -1 with err (password never in it). */
int vs_tenant_create(const struct vs_tenant_cfg *cfg, struct vs_tenant *t, char *err, size_t errlen);
/* Removes exactly what create made; 0 or -1 with err.  No-op when !created. */
int vs_tenant_remove(const struct vs_tenant_cfg *cfg, struct vs_tenant *t, char *err, size_t errlen);

#endif
