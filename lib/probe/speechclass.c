/* Result classes and fault verdicts of the speech probes: see
 * vstress/probe/speechclass.h. */
#include "vstress/probe/speechclass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/standin/worldfaults.h"

static const char *const class_names[VS_SPEECH_NCLASS] = {
	"ok", "auth", "rate_limit", "quota", "server_error", "bad_request", "timeout", "malformed", "closed_early",
	"connect"};

const struct vs_speech_pass vs_speech_clean = {"clean", "", "", 0};
const struct vs_speech_pass vs_speech_faulted = {"faults", "faults.", "_faults", 1};

const char *vs_speech_class_name(int cls)
{
	return cls >= 0 && cls < VS_SPEECH_NCLASS ? class_names[cls] : "unknown";
}

int vs_speech_class_of_status(int s)
{
	if (s == 401 || s == 403)
		return VS_SPEECH_AUTH;
	if (s == 402)
		return VS_SPEECH_QUOTA;
	if (s == 429)
		return VS_SPEECH_RATE_LIMIT;
	if (s >= 500)
		return VS_SPEECH_SERVER_ERROR;
	if (s >= 400)
		return VS_SPEECH_BAD_REQUEST;
	return VS_SPEECH_MALFORMED;
}

void vs_speech_class_list(char *buf, size_t len, const long *cls, int from)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int k = from; k < VS_SPEECH_NCLASS; k++)
		if (cls[k] && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s %ld", o ? ", " : "", vs_speech_class_name(k), cls[k]);
}

const char *vs_speech_pass_name(char *buf, size_t len, const struct vs_speech_pass *ps, const char *name, int metric)
{
	if (metric)
		snprintf(buf, len, "%s%s", name, ps->sfx);
	else
		snprintf(buf, len, "%s%s", ps->pfx, name);
	return buf;
}

int vs_speech_fault_class(const json_t *f, int close_1011_server)
{
	const char *k = json_string_value(json_object_get(f, "kind"));
	if (!k)
		return -1;
	if (!strcmp(k, "error")) {
		json_t *st = json_object_get(f, "status");
		return vs_speech_class_of_status(st ? (int)json_integer_value(st) : 500);
	}
	if (!strcmp(k, "stall"))
		return VS_SPEECH_TIMEOUT;
	if (!strcmp(k, "close")) {
		json_t *cc = json_object_get(f, "close_code");
		int code = cc ? (int)json_integer_value(cc) : 1011;
		return close_1011_server && code == 1011 ? VS_SPEECH_SERVER_ERROR : VS_SPEECH_CLOSED_EARLY;
	}
	if (!strcmp(k, "reset") || !strcmp(k, "cut"))
		return VS_SPEECH_CLOSED_EARLY;
	if (!strcmp(k, "malformed"))
		return VS_SPEECH_MALFORMED;
	if (!strcmp(k, "refuse"))
		return VS_SPEECH_CONNECT;
	if (!strcmp(k, "latency") || !strcmp(k, "trickle"))
		return VS_SPEECH_OK;
	return -1;
}

int vs_speech_faults_valid(const struct vs_host *h, vs_ctx *c, const char *faults, const char *control,
			   const char *target, int close_1011_server)
{
	if (!faults || !*faults)
		return VS_OK;
	char **items = NULL, err[256];
	size_t nf = vs_split_list(faults, &items);
	for (size_t i = 0; i < nf; i++) {
		json_t *f = vs_wfault_parse(items[i], target, err, sizeof err);
		int cls = f ? vs_speech_fault_class(f, close_1011_server) : -1;
		if (cls < 0) {
			if (f)
				h->reason(c, "faults: '%s': unknown kind", items[i]);
			else
				h->reason(c, "faults: %s", err);
			json_decref(f);
			free(items);
			return VS_ECONFIG;
		}
		json_decref(f);
	}
	free(items);
	if (!control || !*control) {
		h->reason(c, "faults need the world's control API (control / VSTRESS_WORLD_CONTROL): hermetic only");
		return VS_ECONFIG;
	}
	return VS_OK;
}

void vs_speech_fault_checks(const struct vs_host *h, vs_ctx *c, const char *specs, const char *target,
			    int close_1011_server, const long *cls, long ran, long planned)
{
	char **items = NULL, classes[300], missing[200] = "", err[200];
	size_t nf = vs_split_list(specs, &items), mo = 0;
	int want[32];
	long counted = 0;
	for (int k = 0; k < VS_SPEECH_NCLASS; k++)
		counted += cls[k];
	vs_speech_class_list(classes, sizeof classes, cls, 0);
	if (nf > 32)
		nf = 32;
	for (size_t i = 0; i < nf; i++) {
		json_t *f = vs_wfault_parse(items[i], target, err, sizeof err);
		want[i] = f ? vs_speech_fault_class(f, close_1011_server) : -1;
		json_decref(f);
		if ((want[i] < 0 || !cls[want[i]]) && mo < sizeof missing)
			mo += (size_t)snprintf(missing + mo, sizeof missing - mo, "%s%s", mo ? ", " : "",
					       vs_speech_class_name(want[i]));
	}
	h->check(c, "faults.classified", counted == ran && ran == planned && !mo ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "%ld/%ld requests classified (%s) under %zu world fault(s); the probe did not crash%s%s%s", counted,
		 planned, classes, nf, ran < planned ? "; stopped early" : "",
		 mo ? "; no request in the injected class(es) " : "", missing);
	for (size_t i = 0; i < nf; i++) {
		char name[64];
		snprintf(name, sizeof name, "faults.fault_%zu_%s", i + 1, vs_speech_class_name(want[i]));
		h->check(c, name, want[i] >= 0 && cls[want[i]] ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "%ld/%ld requests %s under fault %s", want[i] >= 0 ? cls[want[i]] : 0, ran,
			 vs_speech_class_name(want[i]), items[i]);
	}
	free(items);
}

int vs_speech_faulted_pass(const struct vs_host *h, vs_ctx *c, const char *target, const char *what, long long n,
			   long long conc, long long timeout_ms,
			   long (*run)(const struct vs_host *h, vs_ctx *c, void *state), void *state, long *ran)
{
	const char *faults = h->opt(c, "faults"), *control = h->opt(c, "control");
	json_t *ids = NULL;
	char err[300];

	if (vs_wfaults_install(control, target, faults, &ids, err, sizeof err)) {
		h->reason(c, "faults: %s", err);
		return VS_FAIL;
	}
	h->attach(c, "faults", json_pack("{s:s,s:O}", "specs", faults, "ids", ids));
	h->log(c, VS_LOG_INFO, "faulted pass: %lld %s, %lld at once, request_timeout %lld ms, faults %s", n, what, conc,
	       timeout_ms, faults);
	*ran = run(h, c, state);
	vs_wfaults_remove(control, ids);
	return *ran < 0 ? VS_ERROR : VS_OK;
}

int vs_speech_key_url(const struct vs_host *h, vs_ctx *c, const char *key_env, const char **key, const char **url)
{
	*key = h->opt(c, "api_key");
	*url = h->opt(c, "url");
	if (!*key || !**key) {
		h->reason(c, "%s not set", key_env);
		return VS_SKIP;
	}
	if (!*url || !**url) {
		h->reason(c, "url is empty");
		return VS_ECONFIG;
	}
	return VS_OK;
}

int vs_speech_fault_opts(const struct vs_host *h, vs_ctx *c, long long *n, long long *conc, long long *timeout_ms)
{
	if (h->opt_int(c, "fault_requests", n) < 0 || h->opt_int(c, "fault_concurrency", conc) < 0 ||
	    h->opt_ms(c, "fault_request_timeout", timeout_ms) < 0)
		return VS_ECONFIG;
	return VS_OK;
}
