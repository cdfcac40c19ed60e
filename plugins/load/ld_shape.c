/* load plugin: parsing and reading the load's shape (ld_shape.h). */
#include "ld_shape.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long ld_dur_parse(const char *tok)
{
	char *end;
	double v;

	while (isspace((unsigned char)*tok))
		tok++;
	if (!isdigit((unsigned char)*tok) && *tok != '.')
		return -1;
	v = strtod(tok, &end);
	if (end == tok || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (!strcmp(end, "") || !strcmp(end, "ms"))
		;
	else if (!strcmp(end, "s"))
		v *= 1e3;
	else if (!strcmp(end, "m"))
		v *= 60e3;
	else if (!strcmp(end, "h"))
		v *= 3600e3;
	else
		return -1;
	return v > 1e12 ? -1 : (long long)llround(v);
}

int ld_stages_parse(const char *spec, struct ld_shape *s, char *err, size_t errlen)
{
	char *copy = strdup(spec ? spec : ""), *save = NULL, *tok;
	int rc = 0;

	if (!copy) {
		snprintf(err, errlen, "[load] stages: out of memory");
		return -1;
	}
	s->nst = 0;
	s->dur_ms = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon, *end, *t = tok;
		long long d, n;
		struct ld_stage *g;

		while (isspace((unsigned char)*t))
			t++;
		for (end = t + strlen(t); end > t && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		if (!*t)
			continue;
		colon = strchr(t, ':');
		if (!colon) {
			snprintf(err, errlen, "[load] stages: '%s': not duration:target (e.g. 30s:5)", t);
			rc = -1;
			break;
		}
		*colon = '\0';
		d = ld_dur_parse(t);
		n = strtoll(colon + 1, &end, 10);
		while (*end && isspace((unsigned char)*end))
			end++;
		if (d < 0) {
			snprintf(err, errlen, "[load] stages: '%s:%s': duration '%s' not understood (250ms, 30s, 1.5m, 1h)",
				 t, colon + 1, t);
			rc = -1;
			break;
		}
		if (end == colon + 1 || *end || n < 0 || n > 1000) {
			snprintf(err, errlen, "[load] stages: '%s:%s': target '%s' is not a whole number of calls 0..1000", t,
				 colon + 1, colon + 1);
			rc = -1;
			break;
		}
		g = realloc(s->st, (s->nst + 1) * sizeof(*g));
		if (!g) {
			snprintf(err, errlen, "[load] stages: out of memory");
			rc = -1;
			break;
		}
		s->st = g;
		s->st[s->nst].dur_ms = d;
		s->st[s->nst].target = (int)n;
		s->nst++;
		s->dur_ms += d;
	}
	if (!rc && !s->nst) {
		snprintf(err, errlen, "[load] stages: empty (e.g. 30s:5, 60s:20)");
		rc = -1;
	}
	if (!rc && s->dur_ms <= 0) {
		snprintf(err, errlen, "[load] stages: '%s': lasts 0 ms", spec);
		rc = -1;
	}
	free(copy);
	if (!rc)
		s->kind = LD_STAGES;
	return rc;
}

long long ld_stage_from(const struct ld_shape *s, size_t k)
{
	long long t = 0;

	for (size_t i = 0; i < k && i < s->nst; i++)
		t += s->st[i].dur_ms;
	return t;
}

size_t ld_stage_at(const struct ld_shape *s, double t_ms)
{
	double from = 0;

	for (size_t i = 0; i < s->nst; i++) {
		if (t_ms < from + (double)s->st[i].dur_ms)
			return i;
		from += (double)s->st[i].dur_ms;
	}
	return s->nst ? s->nst - 1 : 0;
}

int ld_stage_target(const struct ld_shape *s, double t_ms)
{
	double from = 0;
	int prev = s->start;

	for (size_t i = 0; i < s->nst; i++) {
		double d = (double)s->st[i].dur_ms;
		if (t_ms < from + d) {
			double f = (t_ms - from) / d;
			return (int)lround(prev + f * (s->st[i].target - prev));
		}
		from += d;
		prev = s->st[i].target;
	}
	return -1;
}

int ld_stage_max(const struct ld_shape *s)
{
	int m = s->start;

	for (size_t i = 0; i < s->nst; i++)
		if (s->st[i].target > m)
			m = s->st[i].target;
	return m;
}

/* xorshift64*: small, seeded, replayable */
static double uniform(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (double)((*x * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

double ld_arrival_gap(const struct ld_shape *s, uint64_t *rng)
{
	double u;

	if (!s->poisson)
		return 1000.0 / s->rate;
	if (!*rng)
		*rng = 0x9e3779b97f4a7c15ull;
	do
		u = uniform(rng);
	while (u <= 0);
	return -log(u) * 1000.0 / s->rate;
}

void ld_shape_free(struct ld_shape *s)
{
	free(s->st);
	s->st = NULL;
	s->nst = 0;
}
