/* What the speech probes (TTS: ttsprobe.h, STT: sttprobe.h) share: the
 * result class of one request or stream, the world-fault verdicts of the
 * faulted pass, and the naming of a pass's checks and metrics. */
#ifndef VSTRESS_PROBE_SPEECHCLASS_H
#define VSTRESS_PROBE_SPEECHCLASS_H

#include <stddef.h>

#include <jansson.h>

#include "vstress/plugin.h"

enum vs_speech_class {
	VS_SPEECH_OK = 0,
	VS_SPEECH_AUTH,         /* 401/403, invalid key */
	VS_SPEECH_RATE_LIMIT,   /* 429, concurrency limits */
	VS_SPEECH_QUOTA,        /* 402, credits or quota exhausted */
	VS_SPEECH_SERVER_ERROR, /* 5xx, 1011 */
	VS_SPEECH_BAD_REQUEST,  /* 400/422: the probe's request was refused */
	VS_SPEECH_TIMEOUT,      /* no answer within request_timeout */
	VS_SPEECH_MALFORMED,    /* unparseable or schema-violating reply */
	VS_SPEECH_CLOSED_EARLY, /* closed (or reset) before the end of the audio */
	VS_SPEECH_CONNECT,      /* no connection (refused, DNS, TLS) */
	VS_SPEECH_NCLASS
};

const char *vs_speech_class_name(int cls);
/* Class of an HTTP status (handshake) or provider status_code. */
int vs_speech_class_of_status(int status);
/* "auth 2, timeout 1": the classes from `from` on with a count, into buf. */
void vs_speech_class_list(char *buf, size_t len, const long *cls, int from);

/* The result class a world fault (a vs_wfault_parse object) should
 * produce: a handshake error its status's class, stall timeout, close and
 * reset closed_early (close_1011_server: a close with code 1011, the
 * default, is server_error, as Deepgram's NET-0001), malformed malformed,
 * refuse connect, latency and trickle ok; -1 for an unknown kind. */
int vs_speech_fault_class(const json_t *fault, int close_1011_server);
/* Setup's first options: api_key (unset: VS_SKIP, "<key_env> not set")
 * and url (empty: VS_ECONFIG); VS_OK with both. */
int vs_speech_key_url(const struct vs_host *h, vs_ctx *c, const char *key_env, const char **key, const char **url);
/* The faulted pass's size, concurrency and timeout (fault_requests,
 * fault_concurrency, fault_request_timeout) over the clean pass's, which
 * *n, *conc and *timeout_ms hold on entry; VS_OK, or VS_ECONFIG when one
 * is malformed (the host's reason). */
int vs_speech_fault_opts(const struct vs_host *h, vs_ctx *c, long long *n, long long *conc, long long *timeout_ms);
/* Setup's check of the faults option: each spec parses and has a class,
 * and the world's control API is known.  VS_OK, or VS_ECONFIG with the
 * reason set. */
int vs_speech_faults_valid(const struct vs_host *h, vs_ctx *c, const char *faults, const char *control,
			   const char *target, int close_1011_server);
/* The faulted pass's verdicts: faults.classified (every planned request
 * ran and was classified, and each fault's class was counted at least
 * once) and faults.fault_<n>_<class> per fault.  cls: counts per class
 * over `ran` requests of `planned`. */
void vs_speech_fault_checks(const struct vs_host *h, vs_ctx *c, const char *specs, const char *target,
			    int close_1011_server, const long *cls, long ran, long planned);

/* The faulted pass of a speech probe, after its clean one: the faults
 * option's specs installed for target through the world's control API
 * (the control option) and attached as data.faults, the pass announced (n
 * `what`, conc at once, timeout_ms), run (the probe's own dispatch: how
 * many ran, or -1 with the reason set), the faults removed whatever it
 * returned.  VS_OK with *ran (the probe then reports the pass); VS_FAIL
 * with the reason when the faults cannot be installed; VS_ERROR when run
 * failed. */
int vs_speech_faulted_pass(const struct vs_host *h, vs_ctx *c, const char *target, const char *what, long long n,
			   long long conc, long long timeout_ms,
			   long (*run)(const struct vs_host *h, vs_ctx *c, void *state), void *state, long *ran);

/* One pass of a probe: the clean one, or the faulted one (checks and
 * counters prefixed "faults.", metrics and data suffixed "_faults"). */
struct vs_speech_pass {
	const char *name, *pfx, *sfx;
	int faulted;
};
extern const struct vs_speech_pass vs_speech_clean, vs_speech_faulted;
/* name as a check or counter (metric 0) or a metric or datum (metric 1) of pass ps, in buf. */
const char *vs_speech_pass_name(char *buf, size_t len, const struct vs_speech_pass *ps, const char *name, int metric);

#endif
