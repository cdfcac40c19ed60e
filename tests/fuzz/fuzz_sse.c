/* The SSE parser (lib/net/sse.c) that reads the LLM streams of the system
 * under test: the stream is fed split at points seeded by the first byte;
 * every dispatched event is checked against the parser's promises. */
#include "fuzz.h"

#include "vstress/net/sse.h"

struct seen {
	size_t events, max;
};

static int on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct seen *s = arg;
	if (!event || !data || data[len] != '\0' || len > s->max || strlen(event) >= 64)
		abort();
	s->events++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_split sp;
	struct vs_sse s;
	struct seen seen = {0, 0};
	size_t off = 1;

	if (size < 1)
		return 0;
	/* small limits too, so the over-long paths are reached */
	seen.max = (data[0] & 1) ? 256 : 64 * 1024;
	vs_sse_init(&s, seen.max);
	fz_split_init(&sp, data[0]);
	while (off < size) {
		size_t n = fz_split_next(&sp, size - off);
		int rc = vs_sse_feed(&s, (const char *)data + off, n, on_event, &seen);
		off += n;
		if (rc < 0)
			break;
		if (rc > 0)
			abort(); /* the callback never stops it */
	}
	(void)vs_sse_pending(&s);
	vs_sse_free(&s);
	return 0;
}
