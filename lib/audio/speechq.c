/* WER and audio validity: see vstress/audio/speechq.h. */
#include "vstress/audio/speechq.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/ulaw.h"

void vs_wer_normalise(const char *text, char *buf, size_t len)
{
	size_t o = 0;
	int sep = 0;
	if (!len)
		return;
	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		if (*p == '\'')
			continue;
		if (isalnum(*p)) {
			if (sep && o && o + 1 < len)
				buf[o++] = ' ';
			sep = 0;
			if (o + 1 < len)
				buf[o++] = (char)tolower(*p);
		} else {
			sep = 1;
		}
	}
	buf[o] = '\0';
}

/* Splits a normalised string in place into words. */
static size_t split(char *s, char ***out)
{
	size_t n = 0, cap = 0;
	char **v = NULL, *save = NULL;
	for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				free(v);
				*out = NULL;
				return (size_t)-1;
			}
			v = nv;
		}
		v[n++] = t;
	}
	*out = v;
	return n;
}

int vs_wer_count(const char *ref, const char *hyp, struct vs_wer *w)
{
	size_t rl = strlen(ref ? ref : "") + 1, hl = strlen(hyp ? hyp : "") + 1;
	char *r = malloc(rl), *h = malloc(hl), **rw = NULL, **hw = NULL;
	long *d = NULL, *op = NULL;
	int rc = -1;
	memset(w, 0, sizeof *w);
	if (!r || !h)
		goto out;
	vs_wer_normalise(ref, r, rl);
	vs_wer_normalise(hyp, h, hl);
	size_t n = split(r, &rw), m = split(h, &hw);
	if (n == (size_t)-1 || m == (size_t)-1)
		goto out;
	/* d[i][j]: edits between rw[0..i) and hw[0..j); op: 0 match/sub, 1 del, 2 ins */
	d = malloc((n + 1) * (m + 1) * sizeof *d);
	op = malloc((n + 1) * (m + 1) * sizeof *op);
	if (!d || !op)
		goto out;
#define D(i, j) d[(i) * (m + 1) + (j)]
#define OP(i, j) op[(i) * (m + 1) + (j)]
	for (size_t i = 0; i <= n; i++) {
		D(i, 0) = (long)i;
		OP(i, 0) = 1;
	}
	for (size_t j = 0; j <= m; j++) {
		D(0, j) = (long)j;
		OP(0, j) = 2;
	}
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			long s = D(i - 1, j - 1) + (strcmp(rw[i - 1], hw[j - 1]) != 0);
			long de = D(i - 1, j) + 1, in = D(i, j - 1) + 1;
			D(i, j) = s;
			OP(i, j) = 0;
			if (de < D(i, j)) {
				D(i, j) = de;
				OP(i, j) = 1;
			}
			if (in < D(i, j)) {
				D(i, j) = in;
				OP(i, j) = 2;
			}
		}
	for (size_t i = n, j = m; i || j;) {
		if (i && j && OP(i, j) == 0) {
			w->sub += strcmp(rw[i - 1], hw[j - 1]) != 0;
			i--, j--;
		} else if (i && (OP(i, j) == 1 || !j)) {
			w->del++;
			i--;
		} else {
			w->ins++;
			j--;
		}
	}
#undef D
#undef OP
	w->ref_words = (long)n;
	w->hyp_words = (long)m;
	rc = 0;
out:
	free(d);
	free(op);
	free(rw);
	free(hw);
	free(r);
	free(h);
	return rc;
}

long vs_wer_edits(const struct vs_wer *w)
{
	return w->sub + w->del + w->ins;
}

double vs_wer_rate(const struct vs_wer *w)
{
	if (!w->ref_words)
		return w->hyp_words ? 1.0 : 0.0;
	return (double)vs_wer_edits(w) / (double)w->ref_words;
}

int vs_audio_judge(const uint8_t *buf, size_t len, struct vs_audio_check *a)
{
	size_t bps = a->enc == VS_AENC_MULAW ? 1 : 2;
	double sumsq = 0;
	a->valid = 0;
	a->why[0] = '\0';
	a->samples = (long)(len / bps);
	a->seconds = a->rate > 0 ? (double)a->samples / a->rate : 0;
	for (size_t i = 0; i + bps <= len; i += bps) {
		int16_t s = bps == 1 ? vs_ulaw_decode(buf[i]) : (int16_t)(buf[i] | (buf[i + 1] << 8));
		sumsq += (double)s * s;
	}
	double rms = a->samples ? sqrt(sumsq / (double)a->samples) : 0;
	a->rms_dbfs = rms > 0 ? 20 * log10(rms / 32768.0) : -200;
	double ms = a->seconds * 1000, lo = a->min_ms_per_char * (double)a->chars,
	       hi = a->max_ms_per_char * (double)a->chars;
	if (!len)
		snprintf(a->why, sizeof a->why, "no audio");
	else if (len % bps)
		snprintf(a->why, sizeof a->why, "%zu bytes is not a whole number of %zu-byte samples", len, bps);
	else if (a->rms_dbfs <= a->floor_dbfs)
		snprintf(a->why, sizeof a->why, "silent: RMS %.1f dBFS <= %.1f", a->rms_dbfs, a->floor_dbfs);
	else if (a->min_ms_per_char > 0 && ms < lo)
		snprintf(a->why, sizeof a->why, "too short: %.0f ms for %zu characters (< %.0f)", ms, a->chars, lo);
	else if (a->max_ms_per_char > 0 && ms > hi)
		snprintf(a->why, sizeof a->why, "too long: %.0f ms for %zu characters (> %.0f)", ms, a->chars, hi);
	else
		a->valid = 1;
	return a->valid;
}
