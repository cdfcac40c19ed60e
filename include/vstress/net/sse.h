/* Incremental Server-Sent Events parser (WHATWG EventSource rules, the
 * subset LLM providers use): lines end in \n, \r\n or \r; "event:" names
 * the event, "data:" lines are joined with \n, a blank line dispatches,
 * ":" lines are comments.  Bytes may arrive split anywhere.  A line or an
 * event longer than max_event bytes is an error (the stream is hostile). */
#ifndef VSTRESS_UTIL_SSE_H
#define VSTRESS_UTIL_SSE_H

#include <stddef.h>

/* One dispatched event: event is "" when no event: line came; data is
 * NUL-terminated.  Return 0 to go on, non-zero to stop parsing (returned
 * by vs_sse_feed). */
typedef int (*vs_sse_cb)(void *arg, const char *event, const char *data, size_t len);

struct vs_sse {
	char *line;   /* the line being read */
	size_t llen, lcap;
	char *data;   /* the event's joined data */
	size_t dlen, dcap;
	char event[64];
	int has_data; /* a data: line came for this event */
	int cr;       /* the last byte was \r (a following \n is the same break) */
	size_t max_event;
	size_t events; /* events dispatched so far */
};

void vs_sse_init(struct vs_sse *s, size_t max_event);
void vs_sse_free(struct vs_sse *s);
/* Feeds bytes; returns 0, the callback's non-zero value, or -1 when a line
 * or event exceeds max_event or memory runs out. */
int vs_sse_feed(struct vs_sse *s, const char *buf, size_t len, vs_sse_cb cb, void *arg);
/* End of stream: an incomplete last event (no blank line) is dispatched
 * as the spec says it must not be: returns 1 when such a partial event was
 * pending (the caller decides; nothing is dispatched), else 0. */
int vs_sse_pending(const struct vs_sse *s);

#endif
