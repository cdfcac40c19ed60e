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
