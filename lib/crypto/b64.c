/* Standard base64 (RFC 4648) with '=' padding.  Both directions work four
 * characters (three bytes) at a time: every media frame of every call is
 * encoded or decoded here. */
#include "vstress/crypto/b64.h"

#include <stdint.h>

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t vs_b64_enc_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t vs_b64_dec_max(size_t len)
{
	return (len + 3) / 4 * 3;
}

long vs_b64_encode(const void *in, size_t n, char *out, size_t cap)
{
	const uint8_t *p = in;
	size_t need = vs_b64_enc_len(n), full = n / 3 * 3, i, o = 0;

	if (cap < need + 1)
		return -1;
	for (i = 0; i < full; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = b64_alpha[v >> 18];
		out[o++] = b64_alpha[(v >> 12) & 63];
		out[o++] = b64_alpha[(v >> 6) & 63];
		out[o++] = b64_alpha[v & 63];
	}
	if (i < n) { /* one or two bytes left */
		uint32_t v = (uint32_t)p[i] << 16 | (n - i > 1 ? (uint32_t)p[i + 1] << 8 : 0);

		out[o++] = b64_alpha[v >> 18];
		out[o++] = b64_alpha[(v >> 12) & 63];
		out[o++] = n - i > 1 ? b64_alpha[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

/* Each character's value plus one; 0 for every byte outside the alphabet. */
static const uint8_t b64_val1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

long vs_b64_decode(const char *in, size_t len, void *out, size_t cap)
{
	const uint8_t *s = (const uint8_t *)in;
	uint8_t *o = out;
	size_t pad = 0, full, rem, n = 0;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (pad && (len + pad) % 4 != 0)
		return -1;
	full = len / 4 * 4;
	rem = len - full;
	if (rem == 1)
		return -1;
	if (full / 4 * 3 + (rem ? rem - 1 : 0) > cap)
		return -1;
	for (size_t i = 0; i < full; i += 4) {
		unsigned a = b64_val1[s[i]], b = b64_val1[s[i + 1]], c = b64_val1[s[i + 2]], d = b64_val1[s[i + 3]];
		uint32_t v;

		if (!a || !b || !c || !d)
			return -1;
		v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		o[n++] = (uint8_t)(v >> 16);
		o[n++] = (uint8_t)(v >> 8);
		o[n++] = (uint8_t)v;
	}
	if (rem) { /* two or three characters: one or two bytes */
		unsigned a = b64_val1[s[full]], b = b64_val1[s[full + 1]], c = rem == 3 ? b64_val1[s[full + 2]] : 1;
		uint32_t v;

		if (!a || !b || !c)
			return -1;
		v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6;
		/* the bits past the last byte must be zero (canonical encoding) */
		if (v & (rem == 2 ? 0xffffu : 0xffu))
			return -1;
		o[n++] = (uint8_t)(v >> 16);
		if (rem == 3)
			o[n++] = (uint8_t)(v >> 8);
	}
	return (long)n;
}
