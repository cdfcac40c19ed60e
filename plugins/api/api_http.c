/* api plugin: one paced HTTP request with libcurl (a reused easy handle,
 * keep-alive), body capped at max_body, timeouts from the deadline. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static const char *const class_names[API_NCLASS] = {"latency_health", "latency_auth", "latency_endpoint",
						    "latency_ratelimit"};

int api_http_init(struct api *a)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	a->curl = curl_easy_init();
	if (!a->curl)
		return -1;
	for (int i = 0; i < API_NCLASS; i++) {
		a->metric[i] = a->h->metric(a->c, class_names[i], "us");
		if (a->metric[i] < 0)
			return -1;
	}
	a->pacer = a->h->pacer_new(a->c, a->pace, 0);
	return a->pacer ? 0 : -1;
}

void api_http_free(struct api *a)
{
	if (a->curl) {
		curl_easy_cleanup(a->curl);
		a->curl = NULL;
		curl_global_cleanup();
	}
	if (a->pacer) {
		a->h->pacer_free(a->pacer);
		a->pacer = NULL;
	}
}

void api_resp_free(struct api_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

long long api_timeout_ms(struct api *a)
{
	long long t = a->req_timeout_ms;
	int64_t left = a->h->remaining_ms(a->c) - 200;

	if (left < t)
		t = left;
	return t;
}

int api_status_class(long status)
{
	return (int)(status / 100);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct api_sink *s = arg;
	size_t n = size * nmemb;

	if (s->r->len + n > s->max) {
		s->r->too_big = 1;
		return 0; /* abort: CURLE_WRITE_ERROR */
	}
	if (s->r->len + n + 1 > s->cap) {
		size_t cap = (s->r->len + n + 1) * 2;
		char *b;
		if (cap > s->max + 1)
			cap = s->max + 1;
		b = realloc(s->r->body, cap);
		if (!b)
			return 0;
		s->r->body = b;
		s->cap = cap;
	}
	memcpy(s->r->body + s->r->len, p, n);
	s->r->len += n;
	s->r->body[s->r->len] = '\0';
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct api_resp *r = arg;
	size_t n = size * nmemb, k = 12;

	if (n > k && strncasecmp(p, "retry-after:", k) == 0) {
		const char *v = p + k;
		size_t vl = n - k;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl >= sizeof(r->retry_after))
			vl = sizeof(r->retry_after) - 1;
		memcpy(r->retry_after, v, vl);
		r->retry_after[vl] = '\0';
		r->has_retry_after = 1;
	}
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		r->has_retry_after = 0; /* a new response (after 1xx): forget the last one */
	return n;
}

int api_prepare(struct api *a, void *easy, const char *method, const char *url, const char *token, const char *body,
		struct api_resp *r, struct api_sink *sinkp, struct curl_slist **hdrs)
{
	CURL *e = easy;
	char auth[4096];
	long long t = api_timeout_ms(a);

	if (t < 1) {
		snprintf(r->err, sizeof(r->err), "no time left before the deadline");
		return -1;
	}
	*hdrs = NULL;
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		*hdrs = curl_slist_append(*hdrs, auth);
	}
	if (body)
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(t < 5000 ? t : 5000));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vstress-api/" API_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sinkp);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
	}
	return 0;
}

void api_transfer_error(struct api *a, int code, const char *errbuf, struct api_resp *r)
{
	if (r->too_big)
		snprintf(r->err, sizeof(r->err), "response body larger than %lld bytes (max_body)", a->max_body);
	else if (code == CURLE_OPERATION_TIMEDOUT)
		snprintf(r->err, sizeof(r->err), "timed out after %.0f ms", r->ms);
	else
		snprintf(r->err, sizeof(r->err), "%s", errbuf && *errbuf ? errbuf : curl_easy_strerror((CURLcode)code));
}

int api_request(struct api *a, enum api_class cls, const char *method, const char *path, const char *token,
		const char *body, struct api_resp *r)
{
	CURL *e = a->curl;
	struct curl_slist *hdrs = NULL;
	struct api_sink s = {.r = r, .max = (size_t)a->max_body};
	char *url = NULL, errbuf[CURL_ERROR_SIZE] = "";
	uint64_t intended, start, end;
	CURLcode code;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	intended = a->h->pacer_wait(a->pacer);
	if (!intended) {
		snprintf(r->err, sizeof(r->err), "stopped before the request (deadline)");
		return -1;
	}
	if (asprintf(&url, "%s%s", a->base, path) < 0) {
		url = NULL;
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	curl_easy_reset(e);
	if (api_prepare(a, e, method, url, token, body, r, &s, &hdrs))
		goto out;
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	start = a->h->now_ns();
	code = curl_easy_perform(e);
	end = a->h->now_ns();
	r->ms = (double)(end - start) / 1e6;
	a->h->count(a->c, "requests", 1);
	if (code != CURLE_OK) {
		api_transfer_error(a, (int)code, errbuf, r);
		a->h->count(a->c, "transport_errors", 1);
		r->status = 0;
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	a->h->record_latency(a->c, a->metric[cls], intended, start, end);
	{
		char key[32];
		snprintf(key, sizeof(key), "http_%dxx", api_status_class(r->status));
		a->h->count(a->c, key, 1);
	}
	if (!r->body) {
		r->body = strdup("");
		if (!r->body)
			goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

const char *api_resp_what(const struct api_resp *r, const char *method, const char *path, char *buf, size_t len)
{
	if (r->err[0])
		snprintf(buf, len, "%s %s: %s", method, path, r->err);
	else
		snprintf(buf, len, "%s %s: %ld", method, path, r->status);
	return buf;
}

const char *api_snippet(const struct api_resp *r, char *buf, size_t len)
{
	size_t o = 0, max = len > 4 ? len - 4 : 0;

	if (!len)
		return buf;
	for (size_t i = 0; r->body && i < r->len && o < max; i++) {
		unsigned char ch = (unsigned char)r->body[i];
		buf[o++] = (char)(isprint(ch) ? ch : '.');
	}
	if (r->body && r->len > o && len > 4) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int api_sleep_ms(struct api *a, long long ms)
{
	uint64_t until = a->h->now_ns() + (uint64_t)(ms > 0 ? ms : 0) * 1000000ull;

	while (a->h->now_ns() < until) {
		uint64_t left = until - a->h->now_ns();
		struct timespec ts = {0, 0};
		if (a->h->should_stop(a->c))
			return -1;
		if (left > 50000000ull)
			left = 50000000ull;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
	return a->h->should_stop(a->c) ? -1 : 0;
}
