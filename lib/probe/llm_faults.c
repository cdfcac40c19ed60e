/* LLM probe: world faults for the probe's duration (hermetic only),
 * through the world's control API (docs/world.md "Faults").
 *
 *   faults = error:500:0.3, stall::0.2, malformed:2:1, latency:800, error:529:1:3
 *            kind:arg:rate[:after_messages]; arg: error -> status,
 *            latency -> ms, malformed/close/reset -> after_messages,
 *            trickle -> interval_ms; rate defaults to 1
 *   faults = [{"kind":"error","status":503,"rate":0.5}]   (JSON, target added) */
#include "vstress/probe/llm_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expect_of(const json_t *f)
{
	const char *k = json_string_value(json_object_get(f, "kind"));
	json_int_t after = json_integer_value(json_object_get(f, "after_messages"));
	if (!k)
		return -1;
	if (!strcmp(k, "error")) {
		json_t *st = json_object_get(f, "status");
		long s = st ? (long)json_integer_value(st) : 500;
		int cls = llm_class_of_status(s);
		/* Anthropic's in-stream error at after_messages uses the same type */
		return cls;
	}
	if (!strcmp(k, "stall"))
		return LLM_TIMEOUT;
	if (!strcmp(k, "malformed"))
		return LLM_MALFORMED;
	if (!strcmp(k, "close") || !strcmp(k, "reset"))
		return after > 0 || !json_object_get(f, "after_messages") ? LLM_MALFORMED : LLM_NETWORK;
	if (!strcmp(k, "refuse") || !strcmp(k, "cut"))
		return LLM_NETWORK;
	if (!strcmp(k, "latency") || !strcmp(k, "trickle"))
		return LLM_OK;
	return -1;
}

static json_t *parse_compact(const char *item, char *err, size_t errlen)
{
	char buf[128], *f[4] = {0};
	size_t nf = 0;
	snprintf(buf, sizeof(buf), "%s", item);
	for (char *s = buf, *colon; s && nf < 4; s = colon) {
		colon = strchr(s, ':');
		if (colon)
			*colon++ = '\0';
		f[nf++] = s;
	}
	const char *kind = f[0], *arg = nf > 1 ? f[1] : "", *rate = nf > 2 ? f[2] : "", *after = nf > 3 ? f[3] : "";
	json_t *j = json_pack("{s:s}", "kind", kind);
	char *end;
	if (*rate) {
		double r = strtod(rate, &end);
		if (*end || r < 0 || r > 1) {
			snprintf(err, errlen, "fault '%s': rate '%s' is not a number in 0..1", item, rate);
			goto bad;
		}
		json_object_set_new(j, "rate", json_real(r));
	}
	if (*arg) {
		long v = strtol(arg, &end, 10);
		if (*end || v < 0) {
			snprintf(err, errlen, "fault '%s': '%s' is not a whole number", item, arg);
			goto bad;
		}
		const char *key = !strcmp(kind, "error")     ? "status"
				  : !strcmp(kind, "latency") ? "ms"
				  : !strcmp(kind, "trickle") ? "interval_ms"
							     : "after_messages";
		json_object_set_new(j, key, json_integer(v));
	}
	if (*after) {
		long v = strtol(after, &end, 10);
		if (*end || v < 0) {
			snprintf(err, errlen, "fault '%s': after_messages '%s' is not a whole number", item, after);
			goto bad;
		}
		json_object_set_new(j, "after_messages", json_integer(v));
	}
	return j;
bad:
	json_decref(j);
	return NULL;
}

int llm_faults_parse(struct llm_probe *p, json_t **out, char *err, size_t errlen)
{
	json_t *arr = NULL;
	const char *s = p->faults;
	*out = NULL;
	p->nfault = 0;
	if (!s || !*s)
		return 0;
	while (*s == ' ')
		s++;
	if (*s == '[' || *s == '{') {
		json_error_t je;
		json_t *j = json_loads(s, 0, &je);
		if (!j) {
			snprintf(err, errlen, "faults: invalid JSON at column %d: %s", je.column, je.text);
			return -1;
		}
		if (json_is_object(j)) {
			arr = json_array();
			json_array_append_new(arr, j);
		} else {
			arr = j;
		}
	} else {
		char *copy = strdup(s), *save = NULL;
		arr = json_array();
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			size_t n = strlen(t);
			while (n && t[n - 1] == ' ')
				t[--n] = '\0';
			if (!*t)
				continue;
			json_t *f = parse_compact(t, err, errlen);
			if (!f) {
				free(copy);
				json_decref(arr);
				return -1;
			}
			json_array_append_new(arr, f);
		}
		free(copy);
	}
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		int cls = json_is_object(f) ? expect_of(f) : -1;
		if (cls < 0) {
			snprintf(err, errlen, "faults: item %zu has no known kind", i + 1);
			json_decref(arr);
			return -1;
		}
		if (!json_object_get(f, "target"))
			json_object_set_new(f, "target", json_string(p->w->standin));
		if (p->nfault < sizeof(p->fault) / sizeof(p->fault[0])) {
			struct llm_fault *lf = &p->fault[p->nfault++];
			char *d = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
			snprintf(lf->label, sizeof(lf->label), "%s", d ? d : "?");
			free(d);
			lf->expect = cls;
		}
	}
	*out = arr;
	return 0;
}

static size_t sink(char *ptr, size_t size, size_t nmemb, void *arg)
{
	char **b = arg;
	size_t n = size * nmemb, have = *b ? strlen(*b) : 0;
	if (have + n > 65536)
		return 0;
	char *nb = realloc(*b, have + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + have, ptr, n);
	nb[have + n] = '\0';
	*b = nb;
	return n;
}

static int control(struct llm_probe *p, const char *method, const char *path, const char *body, long *status,
		   char **resp)
{
	char url[1024];
	CURL *e = curl_easy_init();
	struct curl_slist *hd = NULL;
	int rc = -1;
	*status = 0;
	*resp = NULL;
	if (!e)
		return -1;
	snprintf(url, sizeof(url), "%s%s", p->control_url, path);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hd);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
	if (curl_easy_perform(e) == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		rc = 0;
	}
	curl_slist_free_all(hd);
	curl_easy_cleanup(e);
	return rc;
}

int llm_faults_install(struct llm_probe *p, json_t *faults, char *err, size_t errlen)
{
	char *body = json_dumps(faults, JSON_COMPACT), *resp = NULL;
	long st = 0;
	int rc = -1;
	if (!body)
		return -1;
	if (control(p, "POST", "/_vstress/faults", body, &st, &resp) < 0 || st != 201) {
		snprintf(err, errlen, "world control %s: POST /_vstress/faults answered %ld: %.200s", p->control_url, st,
			 resp ? resp : "(no answer)");
		goto out;
	}
	json_t *j = json_loads(resp, 0, NULL);
	json_t *ids = json_object_get(j, "ids");
	p->fault_ids = json_is_array(ids) ? json_incref(ids) : json_array();
	json_decref(j);
	rc = 0;
out:
	free(body);
	free(resp);
	return rc;
}

void llm_faults_remove(struct llm_probe *p)
{
	size_t i;
	json_t *id;
	if (!p->fault_ids)
		return;
	json_array_foreach(p->fault_ids, i, id)
	{
		char path[128], *resp = NULL;
		long st;
		if (json_is_integer(id))
			snprintf(path, sizeof(path), "/_vstress/faults/%lld", (long long)json_integer_value(id));
		else
			snprintf(path, sizeof(path), "/_vstress/faults/%s", json_string_value(id) ? json_string_value(id) : "");
		if (control(p, "DELETE", path, NULL, &st, &resp) < 0 || st != 200)
			p->h->log(p->c, VS_LOG_WARN, "could not remove world fault %s (HTTP %ld)", path, st);
		free(resp);
	}
	json_decref(p->fault_ids);
	p->fault_ids = NULL;
}
