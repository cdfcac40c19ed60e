/* One blocking HTTP request with libcurl (JSON body), bounded by a timeout:
 * for control APIs such as the world's /_vstress/faults.  A URL with
 * /_vstress in it carries "Authorization: Bearer $VSTRESS_WORLD_TOKEN"
 * when that is set (the world's control token).  Link -lcurl. */
#ifndef VSTRESS_UTIL_HTTPC_H
#define VSTRESS_UTIL_HTTPC_H

#include <stddef.h>

/* method "GET", "POST", "DELETE"...; body (JSON) may be NULL.  Returns 0
 * with *status and *resp (malloc'd, NUL-terminated, may be NULL) set, or
 * -1 with err set when no HTTP answer came. */
int vs_httpc(const char *method, const char *url, const char *body, int timeout_ms, long *status, char **resp,
	     char *err, size_t errlen);

/* GET a body that may hold NUL bytes (audio), up to max bytes: *len is its
 * length.  Otherwise as vs_httpc. */
int vs_httpc_get_bytes(const char *url, int timeout_ms, size_t max, long *status, char **resp, size_t *len, char *err,
		       size_t errlen);

/* The same request for a curl multi handle (an event loop driving many):
 * init configures r->easy (a CURL *); add it to the multi; when the multi
 * says it is done, end reads the answer as vs_httpc does (its CURLcode
 * result) and frees the handle.  A request that init failed needs no end. */
struct vs_httpc_req {
	void *easy;              /* CURL * */
	void *hdr;               /* struct curl_slist * */
	char *p;
	size_t n, max;
	char method[8];
	char url[512];           /* the URL (its first 511 bytes), for the error */
};
int vs_httpc_req_init(struct vs_httpc_req *r, const char *method, const char *url, const char *body, int timeout_ms,
		      char *err, size_t errlen);
int vs_httpc_req_end(struct vs_httpc_req *r, int curlcode, long *status, char **resp, char *err, size_t errlen);

#endif
