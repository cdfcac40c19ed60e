/* Blocking HTTP request with libcurl: see vstress/net/httpc.h. */
#include "vstress/net/httpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct buf {
	char *p;
	size_t n, max;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t n = sz * nm;
	if (b->n + n > b->max)
		return 0;
	char *np = realloc(b->p, b->n + n + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, d, n);
	b->p = np;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static int request(const char *method, const char *url, const char *body, int timeout_ms, size_t max, long *status,
		   char **resp, size_t *resp_len, char *err, size_t errlen)
{
	struct buf b = {.max = max};
	struct curl_slist *hdr = NULL;
	CURL *c = curl_easy_init();
	int rc = -1;
	*status = 0;
	if (resp)
		*resp = NULL;
	if (!c) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto out;
	}
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	/* The world's control API wants the run's token (VSTRESS_WORLD_TOKEN,
	 * which vstress gives its plugins and never the target). */
	const char *tok = getenv("VSTRESS_WORLD_TOKEN");
	if (tok && *tok && strstr(url, "/_vstress")) {
		char *line = malloc(strlen(tok) + 32);
		if (line) {
			snprintf(line, strlen(tok) + 32, "Authorization: Bearer %s", tok);
			hdr = curl_slist_append(hdr, line);
			free(line);
		}
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (resp_len)
		*resp_len = b.n;
	if (resp) {
		*resp = b.p;
		b.p = NULL;
	}
	rc = 0;
out:
	free(b.p);
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}

int vs_httpc(const char *method, const char *url, const char *body, int timeout_ms, long *status, char **resp,
	     char *err, size_t errlen)
{
	return request(method, url, body, timeout_ms, 4u << 20 /* a control answer is small */, status, resp, NULL,
		       err, errlen);
}

int vs_httpc_get_bytes(const char *url, int timeout_ms, size_t max, long *status, char **resp, size_t *len, char *err,
		       size_t errlen)
{
	return request("GET", url, NULL, timeout_ms, max, status, resp, len, err, errlen);
}
