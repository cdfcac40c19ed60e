/* Incremental Server-Sent Events parser: see include/vstress/net/sse.h. */
#include "vstress/net/sse.h"

#include <stdlib.h>
#include <string.h>

void vs_sse_init(struct vs_sse *s, size_t max_event)
{
	memset(s, 0, sizeof(*s));
	s->max_event = max_event ? max_event : 1u << 20;
}

void vs_sse_free(struct vs_sse *s)
{
	free(s->line);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

static int grow(char **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 256;
	while (nc < need)
		nc *= 2;
	char *nb = realloc(*b, nc);
	if (!nb)
		return -1;
	*b = nb;
	*cap = nc;
	return 0;
}

static int dispatch(struct vs_sse *s, vs_sse_cb cb, void *arg)
{
	int rc = 0;
	if (s->has_data) {
		if (grow(&s->data, &s->dcap, s->dlen + 1) < 0)
			return -1;
		s->data[s->dlen] = '\0';
		s->events++;
		rc = cb(arg, s->event, s->data, s->dlen);
	}
	s->dlen = 0;
	s->has_data = 0;
	s->event[0] = '\0';
	return rc;
}

static int field(struct vs_sse *s, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen = colon ? (size_t)(colon - line) : len;
	const char *v = colon ? colon + 1 : line + len;
	size_t vlen = colon ? len - nlen - 1 : 0;
	if (vlen && *v == ' ')
		v++, vlen--;
	if (nlen == 4 && !memcmp(line, "data", 4)) {
		size_t need = s->dlen + (s->has_data ? 1 : 0) + vlen + 1;
		if (need > s->max_event || grow(&s->data, &s->dcap, need) < 0)
			return -1;
		if (s->has_data)
			s->data[s->dlen++] = '\n';
		memcpy(s->data + s->dlen, v, vlen);
		s->dlen += vlen;
		s->has_data = 1;
	} else if (nlen == 5 && !memcmp(line, "event", 5)) {
		if (vlen >= sizeof(s->event))
			vlen = sizeof(s->event) - 1;
		memcpy(s->event, v, vlen);
		s->event[vlen] = '\0';
	}
	/* id:, retry:, comments and unknown fields are ignored */
	return 0;
}

static int end_line(struct vs_sse *s, vs_sse_cb cb, void *arg)
{
	int rc;
	if (s->llen == 0)
		rc = dispatch(s, cb, arg);
	else if (s->line[0] == ':')
		rc = 0;
	else
		rc = field(s, s->line, s->llen);
	s->llen = 0;
	return rc;
}

int vs_sse_feed(struct vs_sse *s, const char *buf, size_t len, vs_sse_cb cb, void *arg)
{
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n' && s->cr) {
			s->cr = 0;
			continue;
		}
		s->cr = ch == '\r';
		if (ch == '\n' || ch == '\r') {
			int rc = end_line(s, cb, arg);
			if (rc)
				return rc;
			continue;
		}
		if (s->llen + 1 > s->max_event || grow(&s->line, &s->lcap, s->llen + 1) < 0)
			return -1;
		s->line[s->llen++] = ch;
	}
	return 0;
}

int vs_sse_pending(const struct vs_sse *s)
{
	return s->has_data || s->llen > 0;
}
