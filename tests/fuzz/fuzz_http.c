/* The world's HTTP/1.1 request framing and parsing (world/http.c,
 * w_http_request as the poll loop calls it): the input is a byte stream of
 * requests, fed in chunks split at points seeded by its first byte; after
 * every chunk each complete request is parsed, matched against route
 * patterns the stand-ins use, and consumed. */
#include "fuzz.h"

#include "world/conn.h"

static const char *patterns[] = {
	"/v1/chat/completions", "/v2/calls/{id}/actions/{action}", "/v1/models/{model}:generateContent",
	"/v1/text-to-speech/{voice_id}/stream", "/files/{rest*}", "/_vstress/events",
};

static void use_request(vs_wreq *rq, const struct wbuf *body)
{
	if (!rq->method || !rq->path || !rq->query || !rq->version)
		abort();
	(void)wreq_header(rq, "Content-Type");
	(void)wreq_header(rq, "Upgrade");
	(void)wreq_query(rq, "since");
	for (int i = 0; i < rq->nhdr; i++)
		if (strlen(rq->hdr[i].k) + strlen(rq->hdr[i].v) > 65536)
			abort();
	for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
		if (w_route_match(patterns[i], rq->path, rq))
			break;
	for (int i = 0; i < rq->nparam; i++)
		(void)strlen(rq->param[i].v);
	if (body->len > W_MAX_BODY)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_split sp;
	struct wbuf in = {0};
	vs_wreq rq;
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(&rq, 0, sizeof rq);
	fz_split_init(&sp, data[0]);
	while (off < size) {
		size_t n = fz_split_next(&sp, size - off);
		if (wbuf_add(&in, data + off, n) < 0)
			abort();
		off += n;
		for (;;) {
			struct wbuf body = {0};
			long total = w_http_request(&rq, in.p, in.len, &body);
			if (total > 0) {
				if ((size_t)total > in.len)
					abort();
				use_request(&rq, &body);
				wbuf_consume(&in, (size_t)total);
			}
			wbuf_free(&body);
			if (total < 0)
				goto out; /* the connection is reset */
			if (total == 0 || !in.len)
				break;
		}
	}
out:
	wreq_clear(&rq);
	wbuf_free(&in);
	return 0;
}
