/* Internals shared by telnyx_call.c (vs_tcall_run, the Call Control
 * path), texml_call.c (the TeXML path), telnyx_call_io.c (what both use)
 * and telnyx_call_result.c. */
#ifndef VSTRESS_TELNYX_CALL_INT_H
#define VSTRESS_TELNYX_CALL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/call.h"
#include "vstress/caller/telnyx_call.h"
#include "vstress/crypto/ed25519.h"
#include "vstress/telnyx/telnyx_event.h"

struct tc {
	const struct vs_tcall_cfg *cfg;
	struct vs_tcall_result *out;
	struct vs_telnyx_call call;
	struct vs_ed25519_key key;
	int have_key;
	uint64_t rng;
	uint64_t t_sent_ns; /* call.initiated (or the first TeXML fetch) sent */
	char *esc_id;       /* url-escaped call_control_id */
	long long last_seq;
	double world_off_ms; /* our ms since t_sent = world time_ms + off */
	int have_off;
	int seen_until;      /* cfg->until_action was observed */
	long long cmd_since; /* stand-in command seq before this call (a reused call_control_id) */
	uint64_t speak_end_ns; /* a call.speak.ended is due then (0: none pending) */
	/* NULL: webhook events are sent at once (tc_send_event, blocking);
	 * else handed to this (callflow.c queues them in order) */
	void (*emit)(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source);
};
/* An event through t->emit (1) or sent at once (0). */
int tc_emit(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source);
/* What a Call Control command the world recorded means for the call
 * (answer, hangup, transfer, speak, cfg->until_action). */
void tc_on_command(struct tc *t, json_t *data);
/* The key (GOOD, STALE: the run's; FORGED: another); 0 or -1 with err. */
int tc_load_key(struct tc *t, char *err, size_t errlen);
/* A result before its call: zero, and -1 for the times not seen yet. */
void tc_result_init(struct vs_tcall_result *out);
/* The config's required fields; 0 or -1 with err. */
int tc_check_cfg(const struct vs_tcall_cfg *cfg, char *err, size_t errlen);
/* call.initiated was answered with XML under call_control: what the TeXML
 * parser makes of it, into out->texml. */
void tc_judge_texml(struct vs_tcall_result *out, const char *body, size_t len);
/* Send the call.speak.ended that is due (0 = none or sent); else the ms until it is. */
int tc_speak_due(struct tc *t);

struct post_out {
	int status;        /* 0: no complete answer */
	double ms;
	char *body;        /* up to cap - 1 bytes of the body (NULL: not kept) */
	size_t cap, blen;
	char *problem;     /* what was wrong (NULL: not wanted) */
	size_t plen;
};

/* One signed request, for a blocking perform (tc_http) or a curl multi
 * handle (lib/caller/callflow.c): init, run x->easy, end with its
 * CURLcode (fills *o as tc_http does and frees the handle); drop frees an
 * easy handle that did not run. */
struct tc_wbuf {
	char *p;
	size_t n, cap;
	int over; /* the body was longer than cap - 1: reading stopped */
};
struct tc_sockwatch {
	int fd;
	long long bytes_in; /* -1: unknown */
};
struct tc_xfer {
	void *easy; /* CURL * */
	void *hdr;  /* struct curl_slist * */
	char cerr[256]; /* CURL_ERROR_SIZE */
	char dummy[1];
	struct tc_wbuf b;
	struct tc_sockwatch w;
	long tmo;
	uint64_t t0;
	struct post_out *o;
};
int tc_xfer_init(struct tc *t, struct tc_xfer *x, const char *method, const char *url, const char *ctype,
		 const char *body, struct post_out *o);
void tc_xfer_end(struct tc_xfer *x, int curlcode);
void tc_xfer_drop(struct tc_xfer *x);

/* Deep copy of a media result into dst (cleared first); 0 or -1. */
int tc_copy_media(struct vs_call_result *dst, const struct vs_call_result *src);
void tc_sleep_ms(int ms);
uint64_t tc_mono_ns(void);
double tc_since_ms(uint64_t t0);
/* One request to url signed as cfg->signature says; body NULL for GET. */
int tc_http(struct tc *t, const char *method, const char *url, const char *ctype, const char *body,
	    struct post_out *o);
/* Where the world's logs stand before the call (a reused call_control_id
 * is not this call); 0, or -1 when the world does not answer. */
int tc_baseline(struct tc *t);
/* The same in parts: its two URLs, and what each answer sets (0, or -1
 * for an answer that is not JSON). */
void tc_baseline_urls(const struct tc *t, char *events, char *cmds, size_t len);
int tc_baseline_events(struct tc *t, const char *resp);
int tc_baseline_commands(struct tc *t, const char *resp);
/* tc_collect in parts: its URL and what its answer adds. */
void tc_collect_url(const struct tc *t, char *url, size_t len);
void tc_collect_parse(struct tc *t, const char *resp);
/* Sends one Call Control webhook event for the call; 0 or -1. */
int tc_send_event(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source);
/* Long-polls the world for this call's commands (action NULL: any). */
int tc_poll_commands(struct tc *t, const char *action, int wait_ms);
/* Every command the agent sent the world for this call into out->commands. */
void tc_collect(struct tc *t);
/* The media leg on out->stream_url (mapped through public_url into
 * out->stream_url_local), until the script ends, the agent closes or hangs
 * up; custom_params: start.custom_parameters JSON or NULL. */
void tc_run_media(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script,
		  const char *custom_params);
/* tc_run_media in parts: start (NULL with out->error when it could not;
 * on_end as vs_call_params.on_end), the leg's time limit, and finish (the
 * result into out->media, the call freed; hung: the agent's hangup or
 * transfer stopped it). */
struct vs_call *tc_media_start(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script,
			       const char *custom_params, void (*on_end)(void *), void *arg);
int tc_media_ms(const struct tc *t, const struct vs_call_script *script);
void tc_media_finish(struct tc *t, struct vs_call *c, int hung, int media_ms);
/* stream_url with cfg->tel.public_url replaced by cfg->tel.local_url into out. */
void tc_map_stream_url(const struct vs_tcall_cfg *cfg, const char *url, char *out, size_t len);
/* application/x-www-form-urlencoded from npairs name/value pairs (NULL
 * values skipped); malloc'd or NULL. */
char *tc_form_encode(const char *const *kv, size_t npairs);
/* ref resolved against base (absolute, "/path", or relative). */
void tc_resolve_url(const char *base, const char *ref, char *out, size_t len);
/* The TeXML path (texml_call.c): doc/len is the XML call.initiated was
 * answered with (auto), or NULL to fetch the TeXML URL first. */
void tc_texml_run(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script, const char *doc,
		  size_t len);

#endif
