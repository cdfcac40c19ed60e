/* A fast path for the agent's ordinary `media` message, which is nearly
 * every message a call receives: recognised by a strict scanner without
 * building a JSON tree.  It accepts only one plain shape, for which
 * vs_media_parse() gives the same payload:
 *   {"event":"media", "stream_id":"..", "sequence_number":"..",
 *    "media":{"track":"..", "chunk":"..", "timestamp":"..", "payload":"<base64>"}}
 * (members in any order, all but event/media/payload optional, each at most
 * once, strings of printable ASCII without escapes, numbers as 1-19 digit
 * strings, whitespace anywhere JSON allows it).  Anything else, well formed
 * or not, returns 1 and goes to vs_media_parse(), which judges and counts it. */
#include <stdint.h>
#include <string.h>

#include "call_fastmsg.h"
#include "vstress/crypto/b64.h"

struct scan {
	const char *p, *end;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int eat(struct scan *s, char c)
{
	ws(s);
	if (s->p >= s->end || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

/* Any of eight bytes a backslash, below 0x20 or above 0x7e (each test
 * exact as a yes/no for the word: the classic "has zero / has less than /
 * has more than" byte tricks). */
static int bad8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t bs = x ^ (ones * '\\');

	return (((bs - ones) & ~bs) | ((x - ones * 0x20) & ~x) | ((x + ones) | x)) & highs ? 1 : 0;
}

/* A plain string: its bytes in [*v, *v + *n).  The closing quote is found
 * first, then the bytes before it are checked eight at a time (the payload
 * is most of every message). */
static int str(struct scan *s, const char **v, size_t *n)
{
	const char *q, *p;
	unsigned bad = 0;

	if (eat(s, '"'))
		return -1;
	q = memchr(s->p, '"', (size_t)(s->end - s->p));
	if (!q)
		return -1;
	for (p = s->p; q - p >= 8; p += 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		bad |= (unsigned)bad8(x);
	}
	for (; p < q; p++)
		bad |= (unsigned)(*p == '\\') | (unsigned)((unsigned char)*p < 0x20) | (unsigned)((unsigned char)*p > 0x7e);
	if (bad)
		return -1;
	*v = s->p;
	*n = (size_t)(q - s->p);
	s->p = q + 1;
	return 0;
}

static int is_key(const char *k, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(k, want, n) == 0;
}

static int digits(const char *v, size_t n)
{
	if (n == 0 || n > 19)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

/* The inner "media" object; payload found there. */
static int media_obj(struct scan *s, const char **pl, size_t *pln)
{
	unsigned seen = 0;

	if (eat(s, '{'))
		return -1;
	for (;;) {
		const char *k, *v;
		size_t kn, vn;
		unsigned bit;

		if (str(s, &k, &kn) || eat(s, ':') || str(s, &v, &vn))
			return -1;
		if (is_key(k, kn, "payload")) {
			bit = 1;
			*pl = v;
			*pln = vn;
		} else if (is_key(k, kn, "track")) {
			bit = 2;
			if (vn >= 16)
				return -1;
		} else if (is_key(k, kn, "chunk") || is_key(k, kn, "timestamp")) {
			bit = k[0] == 'c' ? 4 : 8;
			if (!digits(v, vn))
				return -1;
		} else {
			return -1;
		}
		if (seen & bit)
			return -1;
		seen |= bit;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		return eat(s, '}') == 0 && (seen & 1) ? 0 : -1;
	}
}

int call_fast_media(const char *text, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	struct scan s = {text, text + len};
	const char *pl = NULL;
	size_t pln = 0;
	unsigned seen = 0;
	long got;

	if (eat(&s, '{'))
		return 1;
	for (;;) {
		const char *k, *v;
		size_t kn, vn;
		unsigned bit;

		if (str(&s, &k, &kn) || eat(&s, ':'))
			return 1;
		if (is_key(k, kn, "media")) {
			bit = 1;
			if (media_obj(&s, &pl, &pln))
				return 1;
		} else {
			if (str(&s, &v, &vn))
				return 1;
			if (is_key(k, kn, "event")) {
				bit = 2;
				if (!is_key(v, vn, "media"))
					return 1;
			} else if (is_key(k, kn, "stream_id")) {
				bit = 4;
				if (vn >= 128) /* VS_MEDIA_ID_MAX */
					return 1;
			} else if (is_key(k, kn, "sequence_number")) {
				bit = 8;
				if (!digits(v, vn))
					return 1;
			} else {
				return 1;
			}
		}
		if (seen & bit)
			return 1;
		seen |= bit;
		ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			continue;
		}
		if (eat(&s, '}') || (seen & 3) != 3)
			return 1;
		break;
	}
	ws(&s);
	if (s.p != s.end || vs_b64_dec_max(pln) > cap)
		return 1;
	got = vs_b64_decode(pl, pln, out, cap);
	if (got < 0)
		return 1;
	*outlen = (size_t)got;
	return 0;
}
