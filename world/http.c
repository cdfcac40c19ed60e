/* HTTP/1.1 for the world: request parsing, route matching, responses
 * (Content-Length bodies and paced chunked/SSE streams). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "world/conn.h"

void wreq_clear(vs_wreq *rq)
{
	for (int i = 0; i < rq->nparam; i++) {
		free(rq->param[i].k);
		free(rq->param[i].v);
	}
	for (int i = 0; i < rq->nqs; i++) {
		free(rq->qs[i].k);
		free(rq->qs[i].v);
	}
	free(rq->storage);
	free(rq->body);
	memset(rq, 0, sizeof *rq);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Percent-decoding in place ('+' is a space in a query). */
static void url_decode(char *s, int plus)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else if (plus && *s == '+') {
			*o++ = ' ';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void parse_query(vs_wreq *rq)
{
	if (!rq->query || !*rq->query)
		return;
	char *q = strdup(rq->query);
	if (!q)
		return;
	char *save = NULL;
	for (char *tok = strtok_r(q, "&", &save); tok && rq->nqs < W_MAX_QS; tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		char *k = strdup(tok), *v = strdup(eq ? eq + 1 : "");
		if (!k || !v) {
			free(k);
			free(v);
			break;
		}
		url_decode(k, 1);
		url_decode(v, 1);
		rq->qs[rq->nqs].k = k;
		rq->qs[rq->nqs].v = v;
		rq->nqs++;
	}
	free(q);
}

/* Parses the head (request line + headers, `n` bytes ending in CRLFCRLF).
 * Returns 0, or -1 when malformed. */
int w_parse_head(vs_wreq *rq, const char *head, size_t n);
int w_parse_head(vs_wreq *rq, const char *head, size_t n)
{
	rq->storage = malloc(n + 1);
	if (!rq->storage)
		return -1;
	memcpy(rq->storage, head, n);
	rq->storage[n] = '\0';
	char *line = rq->storage, *eol = strstr(line, "\r\n");
	if (!eol)
		return -1;
	*eol = '\0';
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2)
		return -1;
	*sp1 = *sp2 = '\0';
	rq->method = line;
	rq->path = sp1 + 1;
	rq->version = sp2 + 1;
	char *qm = strchr(rq->path, '?');
	if (qm) {
		*qm = '\0';
		rq->query = qm + 1;
	} else {
		rq->query = rq->path + strlen(rq->path); /* "" */
	}
	url_decode(rq->path, 0);
	for (line = eol + 2; *line; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if (!eol || eol == line)
			break;
		*eol = '\0';
		char *colon = strchr(line, ':');
		if (!colon || rq->nhdr >= W_MAX_HDR)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		rq->hdr[rq->nhdr].k = line;
		rq->hdr[rq->nhdr].v = v;
		rq->nhdr++;
	}
	parse_query(rq);
	return 0;
}

/* Request bodies: Content-Length or chunked.  Returns the total length of
 * head + body when complete, 0 when more is needed, -1 when malformed. */
static long body_complete(const vs_wreq *rq, const char *in, size_t len, size_t head_len, struct wbuf *body)
{
	const char *te = wreq_header(rq, "Transfer-Encoding");
	const char *cl = wreq_header(rq, "Content-Length");
	if (te && strcasestr(te, "chunked")) {
		size_t pos = head_len;
		body->len = 0;
		for (;;) {
			const char *eol = memmem(in + pos, len - pos, "\r\n", 2);
			if (!eol)
				return 0;
			unsigned long n = strtoul(in + pos, NULL, 16);
			size_t data = (size_t)(eol - in) + 2;
			if (n > W_MAX_BODY)
				return -1;
			if (n == 0) {
				const char *end = memmem(in + data, len - data, "\r\n", 2);
				if (!end)
					return 0;
				return (long)((size_t)(end - in) + 2);
			}
			if (len < data + n + 2)
				return 0;
			wbuf_add(body, in + data, n);
			pos = data + n + 2;
		}
	}
	size_t n = cl ? strtoul(cl, NULL, 10) : 0;
	if (n > W_MAX_BODY)
		return -1;
	if (len < head_len + n)
		return 0;
	wbuf_add(body, in + head_len, n);
	return (long)(head_len + n);
}

long w_http_request(vs_wreq *rq, const char *in, size_t len, struct wbuf *body)
{
	wreq_clear(rq);
	const char *end = memmem(in, len, "\r\n\r\n", 4);
	if (!end)
		return len > 65536 ? -1 : 0;
	size_t head_len = (size_t)(end - in) + 4;
	if (w_parse_head(rq, in, head_len) < 0)
		return -1;
	return body_complete(rq, in, len, head_len, body);
}

const char *wreq_header(const vs_wreq *rq, const char *name)
{
	for (int i = 0; i < rq->nhdr; i++)
		if (!strcasecmp(rq->hdr[i].k, name))
			return rq->hdr[i].v;
	return NULL;
}

const char *wreq_query(const vs_wreq *rq, const char *name)
{
	for (int i = 0; i < rq->nqs; i++)
		if (!strcmp(rq->qs[i].k, name))
			return rq->qs[i].v;
	return NULL;
}

static int add_param(vs_wreq *rq, const char *name, size_t nl, const char *val, size_t vl)
{
	if (!rq || rq->nparam >= W_MAX_PARAM)
		return 0;
	char *k = strndup(name, nl), *v = strndup(val, vl);
	if (!k || !v) {
		free(k);
		free(v);
		return -1;
	}
	rq->param[rq->nparam].k = k;
	rq->param[rq->nparam].v = v;
	rq->nparam++;
	return 0;
}

const char *wreq_param(const vs_wreq *rq, const char *name)
{
	for (int i = 0; i < rq->nparam; i++)
		if (!strcmp(rq->param[i].k, name))
			return rq->param[i].v;
	return NULL;
}

/* Matches path against pattern; on success fills rq's captures (when rq is
 * not NULL) and returns 1. */
int w_route_match(const char *pattern, const char *path, struct vs_wreq *rq)
{
	const char *p = pattern, *s = path;
	int start = rq ? rq->nparam : 0;
	while (*p) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close)
				return 0;
			const char *name = p + 1;
			size_t nl = (size_t)(close - name);
			int rest = nl && name[nl - 1] == '*';
			if (rest)
				nl--;
			char stop = close[1]; /* literal after the capture, or '\0' */
			const char *e = s;
			if (rest) {
				e = s + strlen(s);
			} else {
				while (*e && *e != '/' && (stop == '\0' || stop == '/' || *e != stop))
					e++;
			}
			if (e == s)
				goto fail;
			if (add_param(rq, name, nl, s, (size_t)(e - s)) < 0)
				goto fail;
			s = e;
			p = close + 1;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	if (*s == '\0' || (*s == '/' && s[1] == '\0'))
		return 1;
fail:
	if (rq) {
		while (rq->nparam > start) {
			rq->nparam--;
			free(rq->param[rq->nparam].k);
			free(rq->param[rq->nparam].v);
		}
	}
	return 0;
}

static const char *reason_phrase(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Site Overloaded";
	default: return s < 300 ? "OK" : "Error";
	}
}

void wresp_status(vs_wresp *rs, int status)
{
	if (!rs->started)
		rs->status = status;
}

void wresp_header(vs_wresp *rs, const char *name, const char *value)
{
	if (rs->started || !name || !value || strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
		return;
	wbuf_printf(&rs->hdrs, "%s: %s\r\n", name, value);
}

static int has_header(const vs_wresp *rs, const char *name)
{
	size_t nl = strlen(name);
	const char *p = rs->hdrs.p;
	while (p && *p) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':')
			return 1;
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return 0;
}

static int push_head(vs_wresp *rs, uint32_t delay_ms, const char *extra)
{
	struct wbuf h = {0};
	int rc = -1;
	int st = rs->status ? rs->status : 200;
	if (wbuf_printf(&h, "HTTP/1.1 %d %s\r\n", st, reason_phrase(st)) < 0)
		goto out;
	if (rs->hdrs.len && wbuf_add(&h, rs->hdrs.p, rs->hdrs.len) < 0)
		goto out;
	if (extra && wbuf_add(&h, extra, strlen(extra)) < 0)
		goto out;
	if (!rs->c->keepalive && wbuf_printf(&h, "Connection: close\r\n") < 0)
		goto out;
	if (wbuf_add(&h, "\r\n", 2) < 0)
		goto out;
	rc = cq_push(rs->c, delay_ms, O_HDR, 0, h.p, h.len);
	rs->started = 1;
out:
	wbuf_free(&h);
	return rc;
}

/* Corrupts a payload for the malformed fault: keep the first half, then
 * junk that no JSON parser accepts, keeping an SSE event's terminator. */
static char *corrupt(const void *data, size_t len, size_t *outlen)
{
	static const char junk[] = "}{\"malformed\x01";
	size_t keep = len / 2;
	int sse = len >= 2 && !memcmp((const char *)data + len - 2, "\n\n", 2);
	char *o = malloc(keep + sizeof junk + 3);
	if (!o)
		return NULL;
	memcpy(o, data, keep);
	memcpy(o + keep, junk, sizeof junk - 1);
	*outlen = keep + sizeof junk - 1;
	if (sse) {
		memcpy(o + *outlen, "\n\n", 2);
		*outlen += 2;
	}
	return o;
}

int wresp_body(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len)
{
	if (rs->started || rs->mode)
		return -1;
	char cl[64];
	char *bad = NULL;
	int rc = -1;
	struct wconn *c = rs->c;
	if (c->hit.malformed && len) {
		size_t bl;
		bad = corrupt(data, len, &bl);
		if (!bad)
			return -1;
		data = bad;
		len = bl;
	}
	snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", len);
	if (push_head(rs, delay_ms, cl) < 0)
		goto out;
	if (len && cq_push(c, 0, O_DATA, 1, data, len) < 0)
		goto out;
	rs->ended = 1;
	rc = 0;
out:
	free(bad);
	return rc;
}

int wresp_json_steal(vs_wresp *rs, int status, json_t *j)
{
	if (!j)
		return -1;
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return -1;
	wresp_status(rs, status);
	if (!has_header(rs, "Content-Type"))
		wresp_header(rs, "Content-Type", "application/json");
	int rc = wresp_body(rs, 0, s, strlen(s));
	free(s);
	return rc;
}

int wresp_begin_stream(vs_wresp *rs, int mode)
{
	if (rs->started)
		return rs->mode ? 0 : -1;
	if (mode == VS_STREAM_SSE) {
		if (!has_header(rs, "Content-Type"))
			wresp_header(rs, "Content-Type", "text/event-stream; charset=utf-8");
		if (!has_header(rs, "Cache-Control"))
			wresp_header(rs, "Cache-Control", "no-cache");
	}
	rs->mode = mode;
	return push_head(rs, 0, "Transfer-Encoding: chunked\r\n");
}

int wresp_item(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len)
{
	struct wconn *c = rs->c;
	if (!rs->mode || rs->ended)
		return -1;
	if (rs->dropped || !len)
		return 0;
	/* A mid-stream error fault replaces the stream from message N on. */
	if (!rs->in_err && c->hit.error_status && c->hit.error_after_msgs >= 0 &&
	    rs->msgs >= c->hit.error_after_msgs) {
		rs->in_err = 1;
		if (rs->wc && rs->wc->err)
			rs->wc->err(rs->wc->W->api, rs->wc, rs, c->hit.error_status, 1,
				    c->hit.error_message[0] ? c->hit.error_message : NULL);
		rs->in_err = 0;
		rs->dropped = 1;
		return 0;
	}
	char *bad = NULL;
	if (c->hit.malformed && rs->msgs == c->hit.malformed_after_msgs && !rs->in_err) {
		size_t bl;
		bad = corrupt(data, len, &bl);
		if (!bad)
			return -1;
		data = bad;
		len = bl;
	}
	struct wbuf b = {0};
	int rc = -1;
	if (wbuf_printf(&b, "%zx\r\n", len) < 0 || wbuf_add(&b, data, len) < 0 || wbuf_add(&b, "\r\n", 2) < 0)
		goto out;
	rc = cq_push(c, delay_ms, O_DATA, 1, b.p, b.len);
	rs->msgs++;
out:
	wbuf_free(&b);
	free(bad);
	return rc;
}

int wresp_sse(vs_wresp *rs, uint32_t delay_ms, const char *event, const char *data)
{
	struct wbuf b = {0};
	int rc = -1;
	if (event && wbuf_printf(&b, "event: %s\n", event) < 0)
		goto out;
	/* Multi-line data becomes several data: lines. */
	for (const char *p = data ? data : ""; ; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (wbuf_add(&b, "data: ", 6) < 0 || wbuf_add(&b, p, n) < 0 || wbuf_add(&b, "\n", 1) < 0)
			goto out;
		if (!nl)
			break;
		p = nl + 1;
	}
	if (wbuf_add(&b, "\n", 1) < 0)
		goto out;
	rc = wresp_item(rs, delay_ms, b.p, b.len);
out:
	wbuf_free(&b);
	return rc;
}

int wresp_error(vs_wresp *rs, int status, const char *message)
{
	if (rs->wc && rs->wc->err)
		return rs->wc->err(rs->wc->W->api, rs->wc, rs, status, rs->started, message);
	json_t *j = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", message ? message : "error");
	if (rs->started)
		return 0;
	return wresp_json_steal(rs, status, j);
}

/* Ends the response: the last chunk of a stream, or an empty body. */
void wresp_finish(vs_wresp *rs)
{
	struct wconn *c = rs->c;
	if (!rs->ended) {
		if (rs->mode)
			cq_push(c, 0, O_DATA, 0, "0\r\n\r\n", 5);
		else if (!rs->started)
			wresp_body(rs, 0, "", 0);
		rs->ended = 1;
	}
	cq_push(c, 0, O_END, 0, NULL, 0);
}
