/* World faults from compact specs: see vstress/standin/worldfaults.h. */
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
	f = json_pack("{s:s,s:s}", "target", target, "kind", kind);
	for (char *kv = strtok_r(NULL, ":", &save); kv && f; kv = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			snprintf(err, errlen, "fault '%s': '%s' is not param=value", spec, kv);
			json_decref(f);
			return NULL;
		}
		*eq = '\0';
		char *end;
		double d = strtod(eq + 1, &end);
		json_t *v = *end || end == eq + 1 ? json_string(eq + 1)
			    : d == (double)(long long)d ? json_integer((json_int_t)d) : json_real(d);
		json_object_set_new(f, kv, v);
	}
	if (!f)
		snprintf(err, errlen, "out of memory");
	return f;
}

int vs_wfaults_install(const char *control, const char *target, const char *specs, json_t **ids, char *err,
		       size_t errlen)
{
	char **items = NULL, url[512], *resp = NULL, *body = NULL;
	json_t *arr = json_array(), *r = NULL;
	size_t n = vs_split_list(specs, &items);
	int rc = -1;
	*ids = NULL;
	if (!control || !*control) {
		snprintf(err, errlen, "faults need the world's control API (VSTRESS_WORLD_CONTROL unset)");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *f = vs_wfault_parse(items[i], target, err, errlen);
		if (!f)
			goto out;
		json_array_append_new(arr, f);
	}
	snprintf(url, sizeof url, "%s/_vstress/faults", control);
	body = json_dumps(arr, JSON_COMPACT);
	long st;
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
	json_decref(arr);
	free(body);
	free(resp);
	free(items);
	return rc;
}

void vs_wfaults_remove(const char *control, json_t *ids)
{
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		char url[512], err[256], idbuf[64];
		long st;
		if (json_is_integer(id))
			snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(id));
		else
			snprintf(idbuf, sizeof idbuf, "%s", json_string_value(id) ? json_string_value(id) : "");
		snprintf(url, sizeof url, "%s/_vstress/faults/%s", control, idbuf);
		vs_httpc("DELETE", url, NULL, 3000, &st, NULL, err, sizeof err);
	}
	json_decref(ids);
}
