/* api plugin: fetch the OpenAPI document and call every GET endpoint that
 * needs no parameter; each is its own check ("endpoint.<path>"). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int excluded(const struct api *a, const char *path)
{
	for (size_t i = 0; i < a->nexclude; i++) {
		const char *x = a->exclude[i];
		size_t n = strlen(x);
		if (n && x[n - 1] == '*' ? strncmp(path, x, n - 1) == 0 : strcmp(path, x) == 0)
			return 1;
	}
	return 0;
}

static int has_required(json_t *params)
{
	size_t i;
	json_t *p;

	json_array_foreach(params, i, p)
		if (json_is_true(json_object_get(p, "required")))
			return 1;
	return 0;
}

static void call_endpoint(struct api *a, const char *path, json_t *list)
{
	struct api_resp r = {0};
	char name[300], what[512], snip[160];
	const char *tok = api_fresh_token(a);

	snprintf(name, sizeof(name), "endpoint.%s", path);
	if (api_request(a, API_ENDPOINT, "GET", path, tok, NULL, &r)) {
		a->h->check(a->c, name, VS_CHECK_FAIL, "%s", api_resp_what(&r, "GET", path, what, sizeof(what)));
	} else if (api_status_class(r.status) == 2) {
		a->h->check(a->c, name, VS_CHECK_PASS, "GET %s: %ld in %.1f ms (%zu bytes)", path, r.status, r.ms, r.len);
	} else {
		a->h->check(a->c, name, VS_CHECK_FAIL, "GET %s%s: %ld (expected 2xx): %s", path, tok ? "" : " (no token)",
			    r.status, api_snippet(&r, snip, sizeof(snip)));
	}
	json_array_append_new(list, json_pack("{s:s,s:I,s:f}", "path", path, "status", (json_int_t)r.status, "ms", r.ms));
	api_resp_free(&r);
}

void api_openapi(struct api *a)
{
	struct api_resp r = {0};
	char what[512], snip[200];
	json_t *doc = NULL, *paths, *item, *called = json_array(), *skipped = json_array();
	json_error_t jerr;
	const char *path;
	size_t ncalled = 0;

	if (!*a->openapi_path) {
		a->h->check(a->c, "openapi", VS_CHECK_SKIP, "openapi_path is empty");
		goto out;
	}
	if (api_request(a, API_ENDPOINT, "GET", a->openapi_path, NULL, NULL, &r)) {
		a->h->check(a->c, "openapi", VS_CHECK_FAIL, "%s", api_resp_what(&r, "GET", a->openapi_path, what, sizeof(what)));
		goto out;
	}
	if (r.status == 404) {
		a->h->check(a->c, "openapi", VS_CHECK_SKIP, "GET %s: 404: no OpenAPI document served", a->openapi_path);
		goto out;
	}
	if (api_status_class(r.status) != 2) {
		a->h->check(a->c, "openapi", VS_CHECK_FAIL, "GET %s: %ld: %s", a->openapi_path, r.status,
			    api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	doc = json_loadb(r.body, r.len, 0, &jerr);
	if (!doc) {
		a->h->check(a->c, "openapi", VS_CHECK_FAIL, "GET %s: not JSON (%s): %s", a->openapi_path, jerr.text,
			    api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	paths = json_object_get(doc, "paths");
	if (!json_is_object(paths)) {
		a->h->check(a->c, "openapi", VS_CHECK_FAIL, "GET %s: no \"paths\" object in the document", a->openapi_path);
		goto out;
	}
	json_object_foreach(paths, path, item) {
		json_t *get = json_object_get(item, "get");
		const char *why = NULL;

		if (!json_is_object(get))
			continue;
		if (path[0] != '/')
			why = "not a path";
		else if (strchr(path, '{'))
			why = "path parameter";
		else if (has_required(json_object_get(item, "parameters")) || has_required(json_object_get(get, "parameters")))
			why = "required parameter";
		else if (excluded(a, path))
			why = "excluded";
		if (why) {
			json_array_append_new(skipped, json_pack("{s:s,s:s}", "path", path, "why", why));
			if (!strcmp(why, "excluded")) {
				char name[300];
				snprintf(name, sizeof(name), "endpoint.%s", path);
				a->h->check(a->c, name, VS_CHECK_SKIP, "excluded by [api] exclude");
			}
			continue;
		}
		if (a->h->should_stop(a->c))
			break;
		call_endpoint(a, path, called);
		ncalled++;
	}
	a->h->check(a->c, "openapi", VS_CHECK_PASS, "GET %s: %zu parameterless GET endpoints called, %zu not called",
		    a->openapi_path, ncalled, json_array_size(skipped));
out:
	json_object_set_new(a->data, "endpoints", json_pack("{s:o,s:o}", "called", called, "not_called", skipped));
	json_decref(doc);
	api_resp_free(&r);
}
