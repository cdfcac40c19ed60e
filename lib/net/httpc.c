/* Blocking HTTP request with libcurl: see vstress/net/httpc.h. */
#include "vstress/net/httpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct vs_httpc_req *b = arg;
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

/* The handle of one request (as vs_httpc describes); 0 or -1 with err. */
static int req_init(struct vs_httpc_req *r, const char *method, const char *url, const char *body, int timeout_ms,
		    size_t max, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	CURL *c;

	memset(r, 0, sizeof(*r));
	r->max = max;
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->url, sizeof(r->url), "%s", url);
	if (!(c = curl_easy_init())) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
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
	r->easy = c;
	r->hdr = hdr;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (body) {
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
	}
	return 0;
}

static int req_end(struct vs_httpc_req *r, CURLcode cc, long *status, char **resp, size_t *resp_len, char *err,
		   size_t errlen)
{
	int rc = -1;

	*status = 0;
	if (resp)
		*resp = NULL;
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", r->method, r->url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, status);
	if (resp_len)
		*resp_len = r->n;
	if (resp) {
		*resp = r->p;
		r->p = NULL;
	}
	rc = 0;
out:
	free(r->p);
	r->p = NULL;
	curl_slist_free_all(r->hdr);
	r->hdr = NULL;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	r->easy = NULL;
	return rc;
}

static int request(const char *method, const char *url, const char *body, int timeout_ms, size_t max, long *status,
		   char **resp, size_t *resp_len, char *err, size_t errlen)
{
	struct vs_httpc_req r;

	*status = 0;
	if (resp)
		*resp = NULL;
	if (req_init(&r, method, url, body, timeout_ms, max, err, errlen) != 0)
		return -1;
	return req_end(&r, curl_easy_perform(r.easy), status, resp, resp_len, err, errlen);
}

int vs_httpc_req_init(struct vs_httpc_req *r, const char *method, const char *url, const char *body, int timeout_ms,
		      char *err, size_t errlen)
{
	return req_init(r, method, url, body, timeout_ms, 4u << 20, err, errlen);
}

int vs_httpc_req_end(struct vs_httpc_req *r, int curlcode, long *status, char **resp, char *err, size_t errlen)
{
	return req_end(r, (CURLcode)curlcode, status, resp, NULL, err, errlen);
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
