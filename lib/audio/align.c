/* Locating one recording inside another (include/vstress/audio/align.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/align.h"

#define CLEAN 0.995 /* a frame this alike where expected needs no wider look */
#define SWITCH 0.02 /* a lag elsewhere this much better moves the offset */
#define NCAND 4     /* envelope peaks tried; the one most frames confirm wins */
#define NANCHOR 6   /* frames of ref looked for over the whole of got */

void vs_align_defaults(struct vs_align_opts *o)
{
	memset(o, 0, sizeof *o);
	o->frame_ms = 20;
	o->search_ms = 80;
	o->match = 0.95;
	o->speech_dbfs = -45;
	o->dropout_ms = 60;
}

/* 10 ms log-energy envelope, mean removed; n frames into *env (malloc'd). */
static double *envelope(const int16_t *x, size_t n, size_t hop, size_t *nf)
{
	*nf = n / hop;
	double *e = calloc(*nf ? *nf : 1, sizeof *e), mean = 0;
	if (!e)
		return NULL;
	for (size_t k = 0; k < *nf; k++) {
		double s = 0;
		for (size_t i = 0; i < hop; i++)
			s += (double)x[k * hop + i] * x[k * hop + i];
		e[k] = 10 * log10(s / hop + 1);
		mean += e[k];
	}
	mean = *nf ? mean / *nf : 0;
	for (size_t k = 0; k < *nf; k++)
		e[k] -= mean;
	return e;
}

static void keep_best(long lag, double c, long *lags, double *cs, int n, long apart)
{
	int at = -1;
	for (int i = 0; i < n; i++) /* a neighbour of a kept peak: the better of the two */
		if (cs[i] > -2 && labs(lags[i] - lag) < apart) {
			if (c <= cs[i])
				return;
			at = i;
			break;
		}
	if (at < 0)
		for (int i = 0; i < n; i++)
			if (at < 0 || cs[i] < cs[at])
				at = i;
	if (c > cs[at]) {
		lags[at] = lag;
		cs[at] = c;
	}
}

/* The n best lags (in envelope frames), at least `apart` frames from each
 * other, by the Pearson correlation of the envelopes over the overlap (at
 * least half the shorter one): each window of got is centred on its own
 * mean, so that a long recording's silences do not pull the match towards
 * whatever is loud in it.  Unused entries keep correlation -2. */
static void coarse_lags(const double *er, size_t nr, const double *eg, size_t ng, long *lags, double *cs, int ncand)
{
	long apart = (long)nr / 2 + 1;
	for (int i = 0; i < ncand; i++)
		lags[i] = 0, cs[i] = -2;
	size_t minov = (nr < ng ? nr : ng) / 2;
	if (minov < 1)
		minov = 1;
	for (long lag = -(long)nr + 1; lag < (long)ng; lag++) {
		long k0 = lag < 0 ? -lag : 0, k1 = (long)nr;
		if (k1 + lag > (long)ng)
			k1 = (long)ng - lag;
		if (k1 - k0 < (long)minov)
			continue;
		double n = (double)(k1 - k0), sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
		for (long k = k0; k < k1; k++) {
			double x = er[k], y = eg[k + lag];
			sx += x, sy += y, sxy += x * y, sxx += x * x, syy += y * y;
		}
		double cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
		double c = vx > 0 && vy > 0 ? cov / sqrt(vx * vy) : -1;
		keep_best(lag, c, lags, cs, ncand, apart);
	}
}

struct frame_ctx {
	const int16_t *ref, *got;
	size_t ngot, len;
	const double *g2; /* prefix sums of got's squares */
};

/* Normalised correlation of ref[at..at+len) with got[at+lag..); -2 when
 * that window is not inside got. */
static double corr_at(const struct frame_ctx *f, size_t at, long lag, double r2)
{
	long g0 = (long)at + lag;
	if (g0 < 0 || (size_t)g0 + f->len > f->ngot)
		return -2;
	double gg = f->g2[g0 + f->len] - f->g2[g0];
	if (r2 <= 0 || gg <= 0)
		return 0;
	double s = 0;
	for (size_t i = 0; i < f->len; i++)
		s += (double)f->ref[at + i] * f->got[g0 + i];
	return s / sqrt(r2 * gg);
}

/* Best lag within [lo, hi]; its correlation in *c. */
static long best_lag(const struct frame_ctx *f, size_t at, long lo, long hi, double r2, double *c)
{
	long best = lo;
	*c = -2;
	for (long lag = lo; lag <= hi; lag++) {
		double v = corr_at(f, at, lag, r2);
		if (v > *c) {
			*c = v;
			best = lag;
		}
	}
	return best;
}

static int check_opts(const struct vs_align_opts *o, int rate, char *err, size_t errlen)
{
	if (rate < 4000 || rate > 96000) {
		snprintf(err, errlen, "align: sample rate %d out of range 4000..96000", rate);
		return -1;
	}
	if (o->frame_ms < 5 || o->frame_ms > 200 || o->search_ms < 0 || o->search_ms > 2000 || o->match <= 0 ||
	    o->match > 1 || o->dropout_ms < o->frame_ms) {
		snprintf(err, errlen, "align: options out of range (frame_ms 5..200, search_ms 0..2000, "
				      "match (0,1], dropout_ms >= frame_ms)");
		return -1;
	}
	return 0;
}

/* The frame-by-frame pass from the coarse offset cur; fills r. */
static int fine_pass(const struct frame_ctx *f, const int16_t *ref, size_t nref, int rate, size_t hop,
		     const struct vs_align_opts *opts, long cur, struct vs_align_result *r)
{
	size_t len = f->len;
	memset(r, 0, sizeof *r);
	size_t nframes = nref / len;
	signed char *ok = calloc(nframes ? nframes : 1, 1); /* -1 quiet, 0 not found, 1 found */
	long *lags = calloc(nframes ? nframes : 1, sizeof *lags);
	if (!ok || !lags) {
		free(ok), free(lags);
		return -1;
	}
	double floor2 = pow(10, opts->speech_dbfs / 10) * 32768.0 * 32768.0 * len;
	long wide = (long)rate * opts->search_ms / 1000 + (long)hop, cand = 0, removed = 0, inserted = 0;
	int locked = 0;
	size_t pend = (size_t)-1; /* the frame that proposed cand, waiting for the next to confirm it */
	double csum = 0, rsum = 0, gsum = 0;
	for (size_t k = 0; k < nframes; k++) {
		size_t at = k * len;
		double r2 = 0, cn, cw;
		for (size_t i = 0; i < len; i++)
			r2 += (double)ref[at + i] * ref[at + i];
		ok[k] = -1;
		if (r2 < floor2)
			continue;
		ok[k] = 0;
		r->speech_frames++;
		long ln = best_lag(f, at, cur - 2, cur + 2, r2, &cn), lw = ln;
		cw = cn;
		/* a clean path matches near 1: only then is the wide look skipped;
		 * before the first lock the envelope's lag may be off by what the
		 * path removed or added (a quarter of the audio, and 300 ms) */
		long reach = locked ? wide : wide + (long)rate * 3 / 10 + (long)(nref / 4);
		if (cn < CLEAN)
			lw = best_lag(f, at, cur - reach, cur + reach, r2, &cw);
		if (pend != (size_t)-1 && labs(lw - cand) <= 2 && cw >= opts->match) {
			/* the offset moved, and two frames agree on where to */
			if (locked)
				*(cand < cur ? &removed : &inserted) += labs(cand - cur);
			if (locked && opts->stall_edge && cand > cur && pend > 0 && ok[pend - 1] == 0) {
				ok[pend - 1] = 1;
				lags[pend - 1] = cur;
			}
			ok[pend] = ok[k] = 1;
			lags[k] = cur = lw;
			locked = 1;
			pend = (size_t)-1;
			continue;
		}
		pend = (size_t)-1;
		if (locked && cn >= opts->match && cw - cn < SWITCH) {
			ok[k] = 1;
			lags[k] = cur = ln;
		} else if (cw >= opts->match) {
			pend = k;
			lags[k] = cand = lw;
		}
	}
	long run0 = -1, run1 = 0;
	for (size_t k = 0; k <= nframes; k++) {
		if (k < nframes && ok[k] == 1) {
			size_t at = k * len;
			double r2 = 0;
			for (size_t i = 0; i < len; i++)
				r2 += (double)ref[at + i] * ref[at + i];
			r->forwarded++;
			csum += corr_at(f, at, lags[k], r2);
			rsum += r2;
			gsum += f->g2[at + lags[k] + len] - f->g2[at + lags[k]];
			if (r->forwarded == 1)
				r->offset = lags[k];
			r->offset_end = lags[k];
		}
		if (k < nframes && ok[k] == 0) {
			if (run0 < 0)
				run0 = (long)k;
			run1 = (long)k + 1;
		} else if (k == nframes || ok[k] == 1) {
			long ms = run0 < 0 ? 0 : (run1 - run0) * opts->frame_ms;
			if (ms >= opts->dropout_ms)
				r->dropouts++;
			if (ms > r->longest_dropout_ms && ms >= opts->dropout_ms)
				r->longest_dropout_ms = ms;
			run0 = -1;
		}
	}
	r->removed_ms = removed * 1000 / rate;
	r->inserted_ms = inserted * 1000 / rate;
	if (r->speech_frames)
		r->fraction = (double)r->forwarded / r->speech_frames;
	if (r->forwarded) {
		r->mean_corr = csum / r->forwarded;
		r->gain_db = rsum > 0 && gsum > 0 ? 10 * log10(gsum / rsum) : 0;
	}
	free(ok), free(lags);
	return 0;
}

/* Where the path put a few of ref's loudest frames, searched over the whole
 * of got (a stretch the path cut up can defeat the envelope; an intact
 * 20 ms frame cannot hide): up to NANCHOR distinct offsets, each the best
 * lag of one frame spread over ref, kept when it matches. */
static int anchors(const struct frame_ctx *f, size_t nref, const struct vs_align_opts *opts, long *out)
{
	int n = 0;
	size_t nframes = nref / f->len, part = nframes / NANCHOR + 1;
	for (size_t p0 = 0; p0 < nframes; p0 += part) {
		size_t best = p0;
		double e = -1;
		for (size_t k = p0; k < p0 + part && k < nframes; k++) {
			double r2 = 0;
			for (size_t i = 0; i < f->len; i++)
				r2 += (double)f->ref[k * f->len + i] * f->ref[k * f->len + i];
			if (r2 > e)
				e = r2, best = k;
		}
		size_t at = best * f->len;
		double c;
		long lag = best_lag(f, at, -(long)at, (long)f->ngot - (long)at - (long)f->len, e, &c);
		int seen = 0;
		for (int i = 0; i < n; i++)
			seen |= labs(out[i] - lag) <= (long)f->len;
		if (c >= opts->match && !seen && n < NANCHOR)
			out[n++] = lag;
	}
	return n;
}

int vs_align(const int16_t *ref, size_t nref, const int16_t *got, size_t ngot, int rate,
	     const struct vs_align_opts *opts, struct vs_align_result *r, char *err, size_t errlen)
{
	struct vs_align_opts d;
	if (!opts) {
		vs_align_defaults(&d);
		opts = &d;
	}
	memset(r, 0, sizeof *r);
	if (check_opts(opts, rate, err, errlen))
		return -1;
	size_t len = (size_t)rate * opts->frame_ms / 1000, hop = (size_t)rate / 100;
	if (ngot < len || nref < len) {
		snprintf(err, errlen, "align: %s shorter than one %d ms frame", ngot < len ? "received audio" : "sent audio",
			 opts->frame_ms);
		return -1;
	}
	size_t nr, ng;
	double *er = envelope(ref, nref, hop, &nr), *eg = envelope(got, ngot, hop, &ng);
	double *g2 = malloc((ngot + 1) * sizeof *g2);
	if (!er || !eg || !g2) {
		free(er), free(eg), free(g2);
		snprintf(err, errlen, "align: out of memory");
		return -1;
	}
	long lags[NCAND];
	double cands[NCAND];
	coarse_lags(er, nr, eg, ng, lags, cands, NCAND);
	free(er), free(eg);
	g2[0] = 0;
	for (size_t i = 0; i < ngot; i++)
		g2[i + 1] = g2[i] + (double)got[i] * got[i];

	struct frame_ctx f = {.ref = ref, .got = got, .ngot = ngot, .len = len, .g2 = g2};
	long tries[NANCHOR + NCAND];
	int ntries = anchors(&f, nref, opts, tries);
	for (int i = 0; i < NCAND; i++) /* the envelope's peaks when no anchor was found */
		if (!ntries || cands[i] > 0.9)
			tries[ntries++] = lags[i] * (long)hop;
	struct vs_align_result one;
	for (int i = 0; i < ntries; i++) {
		if (fine_pass(&f, ref, nref, rate, hop, opts, tries[i], &one)) {
			free(g2);
			snprintf(err, errlen, "align: out of memory");
			return -1;
		}
		if (one.forwarded > r->forwarded || !r->speech_frames)
			*r = one;
	}
	free(g2);
	if (!r->speech_frames) {
		snprintf(err, errlen, "align: no frame of the sent audio is louder than %.0f dBFS", opts->speech_dbfs);
		return -1;
	}
	return 0;
}
