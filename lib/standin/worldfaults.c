/* World faults from keyed specs, the one client of the world's faults:
 * see vstress/standin/worldfaults.h. */
#include "vstress/standin/worldfaults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/net/httpc.h"

size_t vs_split_list(const char *list, char ***items)
{
	size_t n = 0, len = list ? strlen(list) : 0, cap = 1;
	*items = NULL;
	for (size_t i = 0; i < len; i++)
		cap += list[i] == ',';
	char **v = malloc(cap * sizeof *v + len + 1);
	if (!v)
		return 0;
	char *s = (char *)(v + cap);
	memcpy(s, list ? list : "", len + 1);
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		char *e = t + strlen(t);
		while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*t)
			v[n++] = t;
	}
	*items = v;
	return n;
}

int vs_list_has(const char *list, const char *item)
{
	char **items = NULL;
	size_t n = vs_split_list(list, &items);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		found |= !strcmp(items[i], item);
	free(items);
	return found;
}

static const char *const kinds[] = {"latency", "error",   "stall",  "close", "reset",
				    "malformed", "trickle", "refuse", "cut"};
/* Parameters that are whole numbers (the durations may carry a unit). */
static const char *const whole[] = {"status", "after_messages", "after_bytes", "close_code", "max_hits",
				    "chunk_bytes"};

/* A whole number that fits a JSON integer (no cast of a huge double). */
static int is_whole(double d)
{
	return d > -1e15 && d < 1e15 && d == (double)(long long)d;
}

static int listed(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return 1;
	return 0;
}

json_t *vs_wfault_parse(const char *spec, const char *target, char *err, size_t errlen)
{
	char buf[512], *save = NULL;
	json_t *f = NULL;
	if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) {
		snprintf(err, errlen, "fault '%.40s...': too long", spec);
		return NULL;
	}
	char *kind = strtok_r(buf, ":", &save);
	if (!kind || !*kind) {
		snprintf(err, errlen, "fault '%s': no kind", spec);
		return NULL;
	}
	if (!listed(kind, kinds, sizeof kinds / sizeof *kinds)) {
		snprintf(err, errlen,
			 "fault '%s': unknown kind '%s' (latency, error, stall, close, reset, malformed, trickle, refuse, cut)",
			 spec, kind);
		return NULL;
	}
	f = json_pack("{s:s,s:s}", "target", target, "kind", kind);
	for (char *kv = strtok_r(NULL, ":", &save); kv && f; kv = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			snprintf(err, errlen, "fault '%s': '%s' is not param=value (e.g. %s:status=500:rate=0.1)", spec, kv,
				 kind);
			json_decref(f);
			return NULL;
		}
		*eq = '\0';
		char *end;
		double d = strtod(eq + 1, &end);
		int num = !*end && end != eq + 1;
		if (!strcmp(kv, "rate") && (!num || d < 0 || d > 1)) {
			snprintf(err, errlen, "fault '%s': rate '%s' is not a number in 0..1", spec, eq + 1);
			json_decref(f);
			return NULL;
		}
		if (listed(kv, whole, sizeof whole / sizeof *whole) && (!num || d < 0 || !is_whole(d))) {
			snprintf(err, errlen, "fault '%s': %s '%s' is not a whole number", spec, kv, eq + 1);
			json_decref(f);
			return NULL;
		}
		json_t *v = !num ? json_string(eq + 1) : is_whole(d) ? json_integer((json_int_t)d) : json_real(d);
		json_object_set_new(f, kv, v);
	}
	if (!f)
		snprintf(err, errlen, "out of memory");
	return f;
}

json_t *vs_wfaults_parse(const char *specs, const char *target, char *err, size_t errlen)
{
	char **items = NULL;
	size_t n = vs_split_list(specs, &items);
	json_t *arr = json_array();
	for (size_t i = 0; i < n && arr; i++) {
		json_t *f = vs_wfault_parse(items[i], target, err, errlen);
		if (!f) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_array_append_new(arr, f);
	}
	free(items);
	return arr;
}

int vs_wfaults_post(const char *control, json_t *faults, json_t **ids, char *err, size_t errlen)
{
	char url[512], *resp = NULL, *body = NULL;
	json_t *r = NULL;
	long st;
	int rc = -1;
	*ids = NULL;
	if (!control || !*control) {
		snprintf(err, errlen, "faults need the world's control API (VSTRESS_WORLD_CONTROL unset)");
		return -1;
	}
	snprintf(url, sizeof url, "%s/_vstress/faults", control);
	body = json_dumps(faults, JSON_COMPACT);
	if (!body || vs_httpc("POST", url, body, 5000, &st, &resp, err, errlen))
		goto out;
	r = resp ? json_loads(resp, 0, NULL) : NULL;
	if (st != 201 || !json_is_array(json_object_get(r, "ids"))) {
		snprintf(err, errlen, "POST %s: HTTP %ld %.160s", url, st, resp ? resp : "");
		goto out;
	}
	*ids = json_incref(json_object_get(r, "ids"));
	rc = 0;
out:
	json_decref(r);
	free(body);
	free(resp);
	return rc;
}

int vs_wfaults_install(const char *control, const char *target, const char *specs, json_t **ids, char *err,
		       size_t errlen)
{
	json_t *arr = vs_wfaults_parse(specs, target, err, errlen);
	int rc;
	*ids = NULL;
	if (!arr)
		return -1;
	rc = vs_wfaults_post(control, arr, ids, err, errlen);
	json_decref(arr);
	return rc;
}

int vs_wfaults_remove(const char *control, json_t *ids)
{
	size_t i;
	json_t *id;
	int left = 0;
	json_array_foreach(ids, i, id)
	{
		char url[512], err[256], idbuf[64];
		long st;
		if (json_is_integer(id))
			snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(id));
		else
			snprintf(idbuf, sizeof idbuf, "%s", json_string_value(id) ? json_string_value(id) : "");
		snprintf(url, sizeof url, "%s/_vstress/faults/%s", control, idbuf);
		if (vs_httpc("DELETE", url, NULL, 3000, &st, NULL, err, sizeof err) || st != 200)
			left++;
	}
	json_decref(ids);
	return left;
}
