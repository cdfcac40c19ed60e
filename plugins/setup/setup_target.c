/* setup plugin: the target answers GET base_url + health_path with 2xx. */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
	size_t *total = arg;
	(void)p;
	*total += size * nmemb;
	return *total > (1u << 20) ? 0 : size * nmemb; /* more than 1 MiB: stop reading */
}

void setup_target(struct setup *s)
{
	char *base = setup_opt(s, "base_url"), *path = setup_opt(s, "health_path"), *url = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long long tmo = 5000;
	long code = 0;
	size_t total = 0;
	CURL *e = NULL;
	CURLcode rc;
	uint64_t t0;
	double ms;

	if (!base || !*base) {
		s->h->check(s->c, "target.health", VS_CHECK_SKIP,
			    "no target URL (VSTRESS_TARGET_URL unset, [setup] base_url): target checks will skip");
		goto out;
	}
	while (strlen(base) && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	if (asprintf(&url, "%s%s", base, path ? path : "") < 0) {
		url = NULL;
		goto out;
	}
	if (s->h->opt_ms(s->c, "request_timeout", &tmo) < 0)
		tmo = 5000;
	if (tmo > s->h->remaining_ms(s->c) - 200)
		tmo = s->h->remaining_ms(s->c) - 200;
	if (tmo < 1) {
		s->h->check(s->c, "target.health", VS_CHECK_SKIP, "no time left before the deadline");
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(e = curl_easy_init())) {
		s->h->check(s->c, "target.health", VS_CHECK_FAIL, "libcurl initialisation failed");
		goto out;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)tmo);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &total);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	t0 = s->h->now_ns();
	rc = curl_easy_perform(e);
	ms = (double)(s->h->now_ns() - t0) / 1e6;
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && total > (1u << 20))) {
		s->h->check(s->c, "target.health", VS_CHECK_FAIL, "GET %s: %s", url,
			    *errbuf ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	s->h->check(s->c, "target.health", code >= 200 && code < 300 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "GET %s: %ld in %.1f ms", url, code, ms);
	json_object_set_new(s->data, "target", json_pack("{s:s,s:I,s:f}", "url", url, "status", (json_int_t)code, "ms", ms));
out:
	if (e) {
		curl_easy_cleanup(e);
		curl_global_cleanup();
	}
	free(url);
	free(base);
	free(path);
}
