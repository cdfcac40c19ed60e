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
};
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
