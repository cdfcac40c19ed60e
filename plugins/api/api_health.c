/* api plugin: GET health_path, its status and its body (Phase 3.1). */
#include "api.h"

#include <stdio.h>
#include <string.h>

void api_health(struct api *a)
{
	const struct vs_host *h = a->h;
	struct api_resp r = {0};
	char what[512], snip[200], msg[512];
	json_t *want = NULL, *got = NULL;
	json_error_t jerr;

	if (api_request(a, API_HEALTH, "GET", a->health_path, NULL, NULL, &r)) {
		/* no answer at all: the other phases have nothing to talk to */
		a->down = 1;
		snprintf(a->down_why, sizeof(a->down_why), "%s", api_resp_what(&r, "GET", a->health_path, what, sizeof(what)));
		h->check(a->c, "health.status", VS_CHECK_FAIL, "%s", a->down_why);
		h->check(a->c, "health.body", VS_CHECK_SKIP, "no response");
		h->reason(a->c, "target not answering: %s", a->down_why);
		goto out;
	}
	json_object_set_new(a->data, "health", json_pack("{s:I,s:f}", "status", (json_int_t)r.status, "ms", r.ms));
	h->check(a->c, "health.status", r.status == a->health_status ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "GET %s: %ld (expected %lld) in %.1f ms", a->health_path, r.status, a->health_status, r.ms);
	if (!*a->health_body) {
		h->check(a->c, "health.body", VS_CHECK_SKIP, "health_body is empty: not checked");
		goto out;
	}
	want = json_loads(a->health_body, JSON_DECODE_ANY, &jerr);
	if (!want) {
		h->check(a->c, "health.body", VS_CHECK_FAIL, "[api] health_body is not JSON: %s", jerr.text);
		goto out;
	}
	got = json_loadb(r.body, r.len, JSON_DECODE_ANY, &jerr);
	if (!got) {
		h->check(a->c, "health.body", VS_CHECK_FAIL, "GET %s: body is not JSON (%s): %s", a->health_path, jerr.text,
			 api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	if (api_json_subset(want, got, "", msg, sizeof(msg)))
		h->check(a->c, "health.body", VS_CHECK_FAIL, "GET %s: body %s: %s", a->health_path,
			 api_json_short(got, snip, sizeof(snip)), msg);
	else
		h->check(a->c, "health.body", VS_CHECK_PASS, "GET %s: body %s matches %s", a->health_path,
			 api_json_short(got, snip, sizeof(snip)), a->health_body);
out:
	json_decref(want);
	json_decref(got);
	api_resp_free(&r);
}
