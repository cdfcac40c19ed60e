/* Network impairments of the media stream: a per-frame decision (drop,
 * delay, duplicate, hold for reordering) drawn from a seeded generator, and
 * a queue of held messages ordered by send time.  Every frame draws the
 * same number of random values whatever is enabled, so one impairment's
 * pattern does not move when another is switched on. */
#include "vstress/caller/impair.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FRAME_NS 20000000ull

static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double uni(uint64_t *s)
{
	return (double)(mix64(s) >> 11) / 9007199254740992.0; /* [0,1) */
}

/* "10ms", "2s", "1.5s", bare number = ms (no dependency on the script
 * parser, which calls into this file). */
static int parse_ms(const char *s, int *ms)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (*end && strcmp(end, "ms") != 0)
		return -1;
	if (v > 24.0 * 3600 * 1000)
		return -1;
	*ms = (int)lround(v);
	return 0;
}

int vs_impair_active(const struct vs_impair_cfg *c)
{
	return c->jitter_ms > 0 || c->loss > 0 || c->ge_r > 0 || c->duplicate > 0 || c->reorder > 0 ||
	       c->outage_ms > 0;
}

/* "2%", "0.02": a probability in [0, 1]. */
static int parse_prob(const char *s, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end || v < 0 || v > 1)
		return -1;
	*out = v;
	return 0;
}

/* "gilbert p=1% r=25%" (separators: spaces, ':' or ','). */
static int parse_gilbert(struct vs_impair_cfg *c, const char *v, char *err, size_t errlen)
{
	char buf[128], *save = NULL;
	int have_p = 0, have_r = 0;

	snprintf(buf, sizeof(buf), "%s", v + 7);
	for (char *t = strtok_r(buf, " \t:,", &save); t; t = strtok_r(NULL, " \t:,", &save)) {
		double *dst = NULL;

		if (strncmp(t, "p=", 2) == 0) {
			dst = &c->ge_p;
			have_p = 1;
		} else if (strncmp(t, "r=", 2) == 0) {
			dst = &c->ge_r;
			have_r = 1;
		}
		if (!dst || parse_prob(t + 2, dst) != 0) {
			snprintf(err, errlen, "loss: \"%s\" is not gilbert p=<prob> r=<prob>", v);
			return -1;
		}
	}
	if (!have_p || !have_r || c->ge_r <= 0) {
		snprintf(err, errlen, "loss: gilbert needs p (good->bad) and r > 0 (bad->good), e.g. gilbert p=1%% r=25%%");
		return -1;
	}
	c->loss = 0;
	return 0;
}

int vs_impair_set(struct vs_impair_cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
	int ms;

	if (strcmp(key, "seed") == 0) {
		char *end = NULL;

		errno = 0;
		c->seed = strtoull(v, &end, 0);
		if (errno || end == v || *end || *v == '-') {
			snprintf(err, errlen, "seed: \"%s\" is not an unsigned integer", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "jitter") == 0) {
		if (parse_ms(v, &ms) != 0 || ms > 1000) {
			snprintf(err, errlen, "jitter: \"%s\" is not a duration in 0..1000 ms", v);
			return -1;
		}
		c->jitter_ms = ms;
		return 0;
	}
	if (strcmp(key, "loss") == 0) {
		if (strncasecmp(v, "gilbert", 7) == 0)
			return parse_gilbert(c, v, err, errlen);
		if (parse_prob(v, &c->loss) != 0) {
			snprintf(err, errlen, "loss: \"%s\" is not a rate (2%%, 0.02) or gilbert p=1%% r=25%%", v);
			return -1;
		}
		c->ge_p = c->ge_r = 0;
		return 0;
	}
	if (strcmp(key, "duplicate") == 0 || strcmp(key, "reorder") == 0) {
		if (parse_prob(v, key[0] == 'd' ? &c->duplicate : &c->reorder) != 0) {
			snprintf(err, errlen, "%s: \"%s\" is not a rate (1%%, 0.01)", key, v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "outage") == 0) {
		char a[64], b[64], extra[2];
		int dur, at;

		if (sscanf(v, " %63s at %63s %1s", a, b, extra) != 2 || parse_ms(a, &dur) != 0 ||
		    parse_ms(b, &at) != 0 || dur <= 0) {
			snprintf(err, errlen, "outage: \"%s\" is not <duration> at <time>, e.g. 2s at 5s", v);
			return -1;
		}
		c->outage_ms = dur;
		c->outage_at_ms = at;
		return 0;
	}
	snprintf(err, errlen, "unknown impairment \"%s\" (seed, jitter, loss, duplicate, reorder, outage)", key);
	return -1;
}

int vs_impair_parse_spec(struct vs_impair_cfg *c, const char *spec, char *err, size_t errlen)
{
	char buf[512], *save = NULL;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "impairment spec longer than %zu characters", sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(t, '=');
		char val[128];

		if (!eq) {
			snprintf(err, errlen, "\"%s\" is not key=value", t);
			return -1;
		}
		*eq = '\0';
		snprintf(val, sizeof(val), "%s", eq + 1);
		for (char *p = val; *p; p++) /* loss=gilbert:p=1%:r=25%, outage=2s@5s */
			if (*p == '@') {
				char tmp[300];

				*p = '\0';
				snprintf(tmp, sizeof(tmp), "%s at %s", val, p + 1);
				if (strlen(tmp) >= sizeof(val)) {
					snprintf(err, errlen, "%s: value too long", t);
					return -1;
				}
				memcpy(val, tmp, strlen(tmp) + 1);
				break;
			}
		if (vs_impair_set(c, t, val, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void vs_impair_describe(const struct vs_impair_cfg *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "seed=%llu jitter=%dms", (unsigned long long)c->seed, c->jitter_ms);

	if (n < 0 || (size_t)n >= len)
		return;
	if (c->ge_r > 0)
		n += snprintf(buf + n, len - (size_t)n, " loss=gilbert:p=%g%%:r=%g%%", c->ge_p * 100, c->ge_r * 100);
	else
		n += snprintf(buf + n, len - (size_t)n, " loss=%g%%", c->loss * 100);
	if ((size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " duplicate=%g%% reorder=%g%%", c->duplicate * 100,
			      c->reorder * 100);
	if ((size_t)n < len && c->outage_ms > 0)
		snprintf(buf + n, len - (size_t)n, " outage=%dms@%dms", c->outage_ms, c->outage_at_ms);
}

void vs_impair_init(struct vs_impair *im, const struct vs_impair_cfg *cfg)
{
	memset(im, 0, sizeof(*im));
	im->cfg = *cfg;
	im->rng = cfg->seed ^ 0x6A09E667F3BCC908ull;
}

void vs_impair_free(struct vs_impair *im)
{
	for (size_t i = 0; i < im->n; i++)
		free(im->q[i].msg);
	free(im->q);
	im->q = NULL;
	im->n = im->cap = 0;
}

/* Insert keeping (at_ns, order) ascending; the queue is short (a few frames). */
static int hold(struct vs_impair *im, char *msg, uint64_t frame, uint64_t at, uint64_t delay)
{
	size_t i;

	if (im->n == im->cap) {
		size_t ncap = im->cap ? im->cap * 2 : 8;
		struct vs_impair_held *q = realloc(im->q, ncap * sizeof(*q));

		if (!q)
			return -1;
		im->q = q;
		im->cap = ncap;
	}
	for (i = im->n; i > 0 && im->q[i - 1].at_ns > at; i--)
		;
	memmove(im->q + i + 1, im->q + i, (im->n - i) * sizeof(*im->q));
	im->q[i] = (struct vs_impair_held){.at_ns = at, .order = im->order++, .frame = frame, .delay_ns = delay, .msg = msg};
	im->n++;
	return 0;
}

int vs_impair_submit(struct vs_impair *im, char *msg, uint64_t frame, uint64_t slot_ns, uint64_t t0_ns)
{
	const struct vs_impair_cfg *c = &im->cfg;
	double u_loss = uni(&im->rng), u_jit = uni(&im->rng), u_dup = uni(&im->rng), u_reo = uni(&im->rng);
	uint64_t at_ms = (slot_ns - t0_ns) / 1000000ull;
	uint64_t delay = 0;
	int lost;

	im->st.frames++;
	if (c->ge_r > 0) {
		im->bad = im->bad ? !(u_loss < c->ge_r) : u_loss < c->ge_p;
		lost = im->bad;
	} else {
		lost = u_loss < c->loss;
	}
	if (c->outage_ms > 0 && at_ms >= (uint64_t)c->outage_at_ms &&
	    at_ms < (uint64_t)c->outage_at_ms + (uint64_t)c->outage_ms) {
		im->st.outage++;
		im->in_burst = 0;
		free(msg);
		return 0;
	}
	if (lost) {
		if (!im->in_burst)
			im->st.bursts++;
		im->in_burst = 1;
		im->st.lost++;
		free(msg);
		return 0;
	}
	im->in_burst = 0;
	if (c->jitter_ms > 0)
		delay = (uint64_t)llround(u_jit * 2.0 * c->jitter_ms * 1e6);
	if (u_reo < c->reorder) {
		delay += FRAME_NS + 1000000ull; /* past the next frame's slot */
		im->st.reordered++;
	}
	if (hold(im, msg, frame, slot_ns + delay, delay) != 0) {
		free(msg);
		return -1;
	}
	if (u_dup < c->duplicate) {
		char *copy = strdup(msg);

		if (!copy || hold(im, copy, frame, slot_ns + delay, delay) != 0) {
			free(copy);
			return -1;
		}
		im->st.duplicated++;
	}
	return 0;
}

char *vs_impair_pop(struct vs_impair *im, uint64_t now_ns)
{
	struct vs_impair_held h;

	if (!im->n || im->q[0].at_ns > now_ns)
		return NULL;
	h = im->q[0];
	memmove(im->q, im->q + 1, (im->n - 1) * sizeof(*im->q));
	im->n--;
	im->st.sent++;
	if (h.frame + 1 < im->top_frame)
		im->st.out_of_order++;
	if (h.frame + 1 > im->top_frame)
		im->top_frame = h.frame + 1;
	if (h.delay_ns) {
		double d = (double)h.delay_ns / 1e6;

		im->st.delayed++;
		im->st.delay_sum_ms += d;
		if (d > im->st.delay_max_ms)
			im->st.delay_max_ms = d;
	}
	return h.msg;
}

uint64_t vs_impair_next_ns(const struct vs_impair *im)
{
	return im->n ? im->q[0].at_ns : UINT64_MAX;
}
