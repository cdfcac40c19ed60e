/* Fake vstress host: see fakehost.h. */
#include "fakehost.h"
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct fh_kv {
	char *section; /* NULL for the plugin's own options */
	char *key;
	char *value;
};

struct fh_check {
	char *name;
	int status;
	char *message;
	int subject; /* VS_SUBJECT_*, as h->subject() had set it on the recording thread */
};

/* h->subject(): per thread, as the core keeps it. */
static _Thread_local int tl_subject = VS_SUBJECT_TARGET;

struct fh_metric {
	char *name;
	char *unit;
	int64_t *v;
	size_t n, cap;
};

struct fh_counter {
	char *name;
	int64_t sum;
};

struct fh_attach {
	char *key;
	json_t *json;
};

struct vs_ctx {
	struct fakehost *fh;
};

struct fh_declared {
	char *name;
	char **secrets; /* NULL-terminated */
};

struct vs_pacer {
	struct fakehost *fh;
	double gap_ns;
	int poisson;
	uint64_t next_ns;
	uint64_t rng;
};

struct fakehost {
	struct vs_ctx ctx;
	struct vs_host host;
	char *name;
	char **idefs; /* interpolated defaults handed out, as the core does */
	size_t nidefs;
	struct fh_kv *kv;
	size_t nkv;
	struct fh_check *checks;
	size_t nchecks;
	struct fh_metric *metrics;
	size_t nmetrics;
	struct fh_counter *counters;
	size_t ncounters;
	struct fh_attach *attached;
	size_t nattached;
	struct vs_progress last_progress; /* label not kept */
	size_t nprogress;
	int progress_bad;                 /* a report whose counts do not add up */
	char *reason;
	char *log;
	size_t loglen;
	char artdir[64];
	uint64_t seed;
	int64_t deadline_ms; /* 0 = none */
	uint64_t started_ns;
	int redact;
	int verbose;
	void *dl;
	const struct vs_plugin *plugin;
	int shard_i, shard_n; /* h->shard(): 1 of 1 unless fh_set_shard */
	struct fh_declared *declared; /* h->declared_secrets() */
	size_t ndeclared;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

/* --- options ---------------------------------------------------------------- */

static struct fh_kv *kv_find(struct fakehost *fh, const char *section, const char *key)
{
	for (size_t i = 0; i < fh->nkv; i++) {
		struct fh_kv *e = &fh->kv[i];
		if (strcmp(e->key, key) != 0)
			continue;
		if ((section == NULL) != (e->section == NULL))
			continue;
		if (section && strcmp(section, e->section) != 0)
			continue;
		return e;
	}
	return NULL;
}

static int kv_set(struct fakehost *fh, const char *section, const char *key, const char *value)
{
	struct fh_kv *e = kv_find(fh, section, key);
	if (!key)
		return -1;
	if (e) {
		free(e->value);
		e->value = value ? xstrdup(value) : NULL;
		return 0;
	}
	fh->kv = xrealloc(fh->kv, (fh->nkv + 1) * sizeof(*fh->kv));
	e = &fh->kv[fh->nkv++];
	e->section = section ? xstrdup(section) : NULL;
	e->key = xstrdup(key);
	e->value = value ? xstrdup(value) : NULL;
	return 0;
}

int fh_set_opt(struct fakehost *fh, const char *key, const char *value)
{
	return kv_set(fh, NULL, key, value);
}

int fh_set_conf(struct fakehost *fh, const char *section, const char *key, const char *value)
{
	if (!section)
		return -1;
	return kv_set(fh, section, key, value);
}

static const struct vs_option *opt_decl(struct fakehost *fh, const char *key)
{
	if (!fh->plugin || !fh->plugin->options)
		return NULL;
	for (const struct vs_option *o = fh->plugin->options; o->key; o++)
		if (strcmp(o->key, key) == 0)
			return o;
	/* a family "prefix.*", as the core matches it */
	for (const struct vs_option *o = fh->plugin->options; o->key; o++) {
		size_t n = strlen(o->key);
		if (n > 2 && !strcmp(o->key + n - 2, ".*") && !strncmp(o->key, key, n - 1) && key[n - 1])
			return o;
	}
	return NULL;
}

static const char *h_declared_secrets(vs_ctx *c, size_t i, const char *const **secrets)
{
	struct fakehost *fh = c->fh;

	if (i >= fh->ndeclared)
		return NULL;
	*secrets = (const char *const *)fh->declared[i].secrets;
	return fh->declared[i].name;
}

static const char *h_opt(vs_ctx *c, const char *key)
{
	struct fakehost *fh = c->fh;
	const struct vs_option *o = opt_decl(fh, key);
	struct fh_kv *e;

	if (fh->plugin && !o)
		fprintf(stderr, "fakehost: plugin %s read undeclared option '%s'\n", fh->name, key);
	e = kv_find(fh, NULL, key);
	if (e && e->value)
		return e->value; /* fh_set_opt(fh, key, NULL) restores the default */
	if (!o || !o->def || !strchr(o->def, '$'))
		return o ? o->def : NULL;
	{
		/* Defaults are interpolated from the environment, like the core. */
		struct vs_err err = {0};
		char *d = vs_interpolate(o->def, &err);

		if (!d)
			return o->def;
		fh->idefs = xrealloc(fh->idefs, (fh->nidefs + 1) * sizeof(*fh->idefs));
		fh->idefs[fh->nidefs++] = d;
		return d;
	}
}

static const char *h_conf(vs_ctx *c, const char *section, const char *key)
{
	struct fh_kv *e;
	if (!section || !key)
		return NULL;
	if (strcmp(section, c->fh->name) == 0)
		return h_opt(c, key);
	e = kv_find(c->fh, section, key);
	return e ? e->value : NULL;
}

static void note(struct fakehost *fh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_value(vs_ctx *c, const char *key, const char *v, const char *what)
{
	note(c->fh, "config error: [%s] %s = %s: not %s", c->fh->name, key, v, what);
	return -1;
}

static int h_opt_int(vs_ctx *c, const char *key, long long *out)
{
	const char *v = h_opt(c, key);
	char *end;
	long long x;
	if (!v || !*v)
		return 1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return bad_value(c, key, v, "an integer");
	*out = x;
	return 0;
}

static int h_opt_double(vs_ctx *c, const char *key, double *out)
{
	const char *v = h_opt(c, key);
	char *end;
	double x;
	if (!v || !*v)
		return 1;
	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(x))
		return bad_value(c, key, v, "a number");
	*out = x;
	return 0;
}

static int h_opt_bool(vs_ctx *c, const char *key, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	const char *v = h_opt(c, key);
	if (!v || !*v)
		return 1;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return bad_value(c, key, v, "a boolean");
}

static int h_opt_ms(vs_ctx *c, const char *key, long long *out_ms)
{
	const char *v = h_opt(c, key);
	char *end;
	double x, mul = 1;
	if (!v || !*v)
		return 1;
	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || x < 0 || !isfinite(x))
		return bad_value(c, key, v, "a duration");
	if (!*end || strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "us") == 0)
		mul = 0.001;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return bad_value(c, key, v, "a duration");
	*out_ms = (long long)llround(x * mul);
	return 0;
}

/* --- text, redaction ------------------------------------------------------- */

/* Replace every secret option value in s (in place, reallocating). */
static char *redact(struct fakehost *fh, char *s)
{
	if (!fh->redact || !fh->plugin || !fh->plugin->options)
		return s;
	for (const struct vs_option *o = fh->plugin->options; o->key; o++) {
		const char *secret, *p;
		size_t sl;
		if (!(o->flags & VS_OPT_SECRET))
			continue;
		secret = h_opt(&fh->ctx, o->key);
		if (!secret || !*secret)
			continue;
		sl = strlen(secret);
		while ((p = strstr(s, secret)) != NULL) {
			size_t off = (size_t)(p - s), rest = strlen(p + sl);
			char *n = xrealloc(NULL, off + 3 + rest + 1);
			memcpy(n, s, off);
			memcpy(n + off, "***", 3);
			memcpy(n + off + 3, p + sl, rest + 1);
			free(s);
			s = n;
		}
	}
	return s;
}

static void log_append(struct fakehost *fh, const char *prefix, const char *text)
{
	size_t pl = strlen(prefix), tl = strlen(text);
	fh->log = xrealloc(fh->log, fh->loglen + pl + tl + 2);
	memcpy(fh->log + fh->loglen, prefix, pl);
	memcpy(fh->log + fh->loglen + pl, text, tl);
	fh->loglen += pl + tl;
	fh->log[fh->loglen++] = '\n';
	fh->log[fh->loglen] = '\0';
	if (fh->verbose)
		fprintf(stderr, "[%s] %s%s\n", fh->name, prefix, text);
}

static void note(struct fakehost *fh, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	log_append(fh, "fakehost: ", s);
	free(s);
}

static void h_log(vs_ctx *c, int level, const char *fmt, ...)
{
	static const char *const lv[] = {"error: ", "warn: ", "info: ", "debug: "};
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = redact(c->fh, vfmt(fmt, ap));
	va_end(ap);
	log_append(c->fh, (level >= 0 && level <= 3) ? lv[level] : "", s);
	free(s);
}

static void h_reason(vs_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(c->fh->reason);
	c->fh->reason = redact(c->fh, vfmt(fmt, ap));
	va_end(ap);
	log_append(c->fh, "reason: ", c->fh->reason);
}

static void add_check(struct fakehost *fh, const char *name, int status, char *msg)
{
	static const char *const st[] = {"PASS ", "FAIL ", "SKIP "};
	char *line;
	fh->checks = xrealloc(fh->checks, (fh->nchecks + 1) * sizeof(*fh->checks));
	fh->checks[fh->nchecks].name = xstrdup(name);
	fh->checks[fh->nchecks].status = status;
	fh->checks[fh->nchecks].message = msg;
	fh->checks[fh->nchecks].subject = tl_subject;
	fh->nchecks++;
	if (asprintf(&line, "%s: %s", name, msg) < 0)
		abort();
	log_append(fh, (status >= 0 && status <= 2) ? st[status] : "???? ", line);
	free(line);
}

static int h_subject(vs_ctx *c, int subject)
{
	int prev = tl_subject;

	(void)c;
	tl_subject = subject == VS_SUBJECT_HARNESS ? VS_SUBJECT_HARNESS : VS_SUBJECT_TARGET;
	return prev;
}

static void h_check(vs_ctx *c, const char *name, int status, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = redact(c->fh, vfmt(fmt, ap));
	va_end(ap);
	add_check(c->fh, name, status, s);
}

static void h_check_measured(vs_ctx *c, const char *name, int status, double m, const char *op, double t,
			     const char *unit, const char *fmt, ...)
{
	va_list ap;
	char *s;
	(void)m, (void)op, (void)t, (void)unit;
	va_start(ap, fmt);
	s = redact(c->fh, vfmt(fmt, ap));
	va_end(ap);
	add_check(c->fh, name, status, s);
}

static int h_check_value(vs_ctx *c, const char *name, double m, const char *op, double t, const char *unit)
{
	int ok;
	char *s;
	if (strcmp(op, VS_LT) == 0)
		ok = m < t;
	else if (strcmp(op, VS_LE) == 0)
		ok = m <= t;
	else if (strcmp(op, VS_GT) == 0)
		ok = m > t;
	else if (strcmp(op, VS_GE) == 0)
		ok = m >= t;
	else if (strcmp(op, VS_EQ) == 0)
		ok = m == t;
	else {
		note(c->fh, "check_value %s: unknown operator '%s'", name, op);
		ok = 0;
	}
	if (asprintf(&s, "%g %s %s %g %s", m, unit ? unit : "", op, t, unit ? unit : "") < 0)
		abort();
	add_check(c->fh, name, ok ? VS_CHECK_PASS : VS_CHECK_FAIL, s);
	return ok ? VS_CHECK_PASS : VS_CHECK_FAIL;
}

/* --- metrics --------------------------------------------------------------- */

static struct fh_metric *metric_find(struct fakehost *fh, const char *name)
{
	for (size_t i = 0; i < fh->nmetrics; i++)
		if (strcmp(fh->metrics[i].name, name) == 0)
			return &fh->metrics[i];
	return NULL;
}

static int metric_id(struct fakehost *fh, const char *name, const char *unit)
{
	struct fh_metric *m = metric_find(fh, name);
	if (m)
		return (int)(m - fh->metrics);
	fh->metrics = xrealloc(fh->metrics, (fh->nmetrics + 1) * sizeof(*fh->metrics));
	m = &fh->metrics[fh->nmetrics];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->unit = xstrdup(unit);
	return (int)fh->nmetrics++;
}

static int h_metric(vs_ctx *c, const char *name, const char *unit)
{
	if (!name || !*name || !unit || !*unit)
		return -1;
	return metric_id(c->fh, name, unit);
}

static void metric_push(struct fakehost *fh, int id, int64_t v)
{
	struct fh_metric *m;
	if (id < 0 || (size_t)id >= fh->nmetrics) {
		note(fh, "record: bad metric id %d", id);
		return;
	}
	m = &fh->metrics[id];
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	m->v[m->n++] = v;
}

static void h_record(vs_ctx *c, int metric, int64_t value)
{
	metric_push(c->fh, metric, value);
}

static int64_t ns_to_unit(uint64_t ns, const char *unit)
{
	if (strcmp(unit, "us") == 0)
		return (int64_t)(ns / 1000);
	if (strcmp(unit, "ms") == 0)
		return (int64_t)(ns / 1000000);
	return (int64_t)ns;
}

static void h_record_latency(vs_ctx *c, int metric, uint64_t intended_ns, uint64_t start_ns, uint64_t end_ns)
{
	struct fakehost *fh = c->fh;
	char *uname;
	const char *unit;
	int u;
	if (metric < 0 || (size_t)metric >= fh->nmetrics) {
		note(fh, "record_latency: bad metric id %d", metric);
		return;
	}
	unit = fh->metrics[metric].unit;
	if (asprintf(&uname, "%s_uncorrected", fh->metrics[metric].name) < 0)
		abort();
	u = metric_id(fh, uname, unit); /* may move fh->metrics: re-read unit */
	free(uname);
	unit = fh->metrics[metric].unit;
	metric_push(fh, metric, ns_to_unit(end_ns >= intended_ns ? end_ns - intended_ns : 0, unit));
	metric_push(fh, u, ns_to_unit(end_ns >= start_ns ? end_ns - start_ns : 0, unit));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank over a sorted copy: exact, unlike the core's histogram. */
static int64_t h_percentile(vs_ctx *c, int metric, double p, int64_t *count_out)
{
	struct fakehost *fh = c->fh;
	struct fh_metric *m;
	int64_t *v, r;
	size_t k;
	if (metric < 0 || (size_t)metric >= fh->nmetrics)
		return -1;
	m = &fh->metrics[metric];
	if (count_out)
		*count_out = (int64_t)m->n;
	if (!m->n)
		return 0;
	v = xrealloc(NULL, m->n * sizeof(*v));
	memcpy(v, m->v, m->n * sizeof(*v));
	qsort(v, m->n, sizeof(*v), cmp_i64);
	p = p < 0 ? 0 : p > 100 ? 100 : p;
	k = (size_t)ceil(p / 100.0 * (double)m->n);
	r = v[k ? k - 1 : 0];
	free(v);
	return r;
}

static void h_count(vs_ctx *c, const char *name, int64_t delta)
{
	struct fakehost *fh = c->fh;
	for (size_t i = 0; i < fh->ncounters; i++)
		if (strcmp(fh->counters[i].name, name) == 0) {
			fh->counters[i].sum += delta;
			return;
		}
	fh->counters = xrealloc(fh->counters, (fh->ncounters + 1) * sizeof(*fh->counters));
	fh->counters[fh->ncounters].name = xstrdup(name);
	fh->counters[fh->ncounters].sum = delta;
	fh->ncounters++;
}

/* --- sharding and sourced checks (the core's host.c has the real ones) ----- */

static void h_shard(vs_ctx *c, int *index, int *count)
{
	if (index)
		*index = c->fh->shard_i ? c->fh->shard_i : 1;
	if (count)
		*count = c->fh->shard_n ? c->fh->shard_n : 1;
}

void fh_set_shard(struct fakehost *fh, int index, int count)
{
	fh->shard_i = index;
	fh->shard_n = count;
}

static int fh_compare(double v, const char *op, double t)
{
	return !strcmp(op, VS_LT) ? v < t : !strcmp(op, VS_LE) ? v <= t : !strcmp(op, VS_GT) ? v > t
	       : !strcmp(op, VS_GE) ? v >= t : !strcmp(op, VS_EQ) ? v == t : -1;
}

static int64_t h_percentile(vs_ctx *c, int metric, double p, int64_t *count_out);

static int sourced(vs_ctx *c, const char *name, int st, const char *head, const char *nfmt, va_list ap)
{
	char *nt = nfmt ? redact(c->fh, vfmt(nfmt, ap)) : NULL, *msg;

	if (asprintf(&msg, "%s%s%s", head, nt && *nt ? "; " : "", nt ? nt : "") < 0)
		abort();
	free(nt);
	add_check(c->fh, name, st, msg);
	return st;
}

static int h_check_metric(vs_ctx *c, const char *name, int metric, double p, const char *op, double t,
			  const char *nfmt, ...)
{
	int64_t n = 0, v = h_percentile(c, metric, p, &n);
	char head[300];
	int ok = v >= 0 && n ? fh_compare((double)v, op, t) : 0, st;
	va_list ap;

	if (ok < 0)
		note(c->fh, "check_metric %s: unknown operator '%s'", name, op);
	if (v < 0 || !n)
		snprintf(head, sizeof(head), "no sample of metric %d", metric);
	else
		snprintf(head, sizeof(head), "p%g of %s (%lld samples) %lld%s %s %g%s: %s", p,
			 c->fh->metrics[metric].name, (long long)n, (long long)v, c->fh->metrics[metric].unit, op, t,
			 c->fh->metrics[metric].unit, ok > 0 ? "ok" : "not met");
	st = v < 0 ? VS_CHECK_FAIL : !n ? VS_CHECK_SKIP : ok > 0 ? VS_CHECK_PASS : VS_CHECK_FAIL;
	va_start(ap, nfmt);
	sourced(c, name, st, head, nfmt, ap);
	va_end(ap);
	return st;
}

static int h_check_counters(vs_ctx *c, const char *name, const char *num, const char *den, double scale,
			    const char *op, double t, const char *unit, const char *nfmt, ...)
{
	int64_t a = 0, b = den ? 0 : 1;
	char head[300];
	double v;
	int ok, st;
	va_list ap;

	for (size_t i = 0; i < c->fh->ncounters; i++) {
		if (!strcmp(c->fh->counters[i].name, num))
			a = c->fh->counters[i].sum;
		if (den && !strcmp(c->fh->counters[i].name, den))
			b = c->fh->counters[i].sum;
	}
	v = b ? scale * (double)a / (double)b : 0;
	ok = b ? fh_compare(v, op, t) : 0;
	if (ok < 0)
		note(c->fh, "check_counters %s: unknown operator '%s'", name, op);
	if (!b)
		snprintf(head, sizeof(head), "%s is 0", den);
	else
		snprintf(head, sizeof(head), "%g x %s/%s (%lld/%lld) = %g%s %s %g%s: %s", scale, num, den ? den : "1",
			 (long long)a, (long long)b, v, unit ? unit : "", op, t, unit ? unit : "", ok > 0 ? "ok" : "not met");
	st = !b ? VS_CHECK_SKIP : ok > 0 ? VS_CHECK_PASS : VS_CHECK_FAIL;
	va_start(ap, nfmt);
	sourced(c, name, st, head, nfmt, ap);
	va_end(ap);
	return st;
}

/* --- time ------------------------------------------------------------------ */

static uint64_t h_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t h_remaining_ms(vs_ctx *c)
{
	struct fakehost *fh = c->fh;
	if (!fh->deadline_ms)
		return INT64_MAX / 2;
	return fh->deadline_ms - (int64_t)((h_now_ns() - fh->started_ns) / 1000000u);
}

static int h_should_stop(vs_ctx *c)
{
	return c->fh->deadline_ms && h_remaining_ms(c) <= 0;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t h_seed(vs_ctx *c)
{
	uint64_t h = c->fh->seed;
	for (const char *p = c->fh->name; *p; p++)
		h = mix64(h ^ (unsigned char)*p);
	return h;
}

/* --- pacer ----------------------------------------------------------------- */

static vs_pacer *h_pacer_new(vs_ctx *c, double rate, int poisson)
{
	vs_pacer *p;
	if (!(rate > 0))
		return NULL;
	p = xrealloc(NULL, sizeof(*p));
	p->fh = c->fh;
	p->gap_ns = 1e9 / rate;
	p->poisson = poisson;
	p->next_ns = h_now_ns();
	p->rng = h_seed(c) | 1;
	return p;
}

static uint64_t h_pacer_wait(vs_pacer *p)
{
	uint64_t intended = p->next_ns;
	double gap = p->gap_ns;
	struct timespec ts;

	if (p->poisson) {
		double u;
		p->rng ^= p->rng << 13;
		p->rng ^= p->rng >> 7;
		p->rng ^= p->rng << 17;
		u = ((double)(p->rng >> 11) + 1.0) / 9007199254740993.0;
		gap = -log(u) * p->gap_ns;
	}
	p->next_ns = intended + (uint64_t)gap;
	ts.tv_sec = (time_t)(intended / 1000000000u);
	ts.tv_nsec = (long)(intended % 1000000000u);
	while (h_now_ns() < intended) {
		if (h_should_stop(&p->fh->ctx))
			return 0;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != EINTR)
			break;
	}
	return h_should_stop(&p->fh->ctx) ? 0 : intended;
}

static void h_pacer_free(vs_pacer *p)
{
	free(p);
}

/* --- results ----------------------------------------------------------------- */

const char *fh_artifact_dir(struct fakehost *fh)
{
	if (!fh->artdir[0]) {
		strcpy(fh->artdir, "/tmp/fakehost-art.XXXXXX");
		if (!mkdtemp(fh->artdir)) {
			fh->artdir[0] = '\0';
			return NULL;
		}
	}
	return fh->artdir;
}

static int h_artifact(vs_ctx *c, const char *name, char *buf, size_t len)
{
	const char *dir;
	int n;
	if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -1;
	dir = fh_artifact_dir(c->fh);
	if (!dir)
		return -1;
	n = snprintf(buf, len, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static void h_attach(vs_ctx *c, const char *key, json_t *steal)
{
	struct fakehost *fh = c->fh;
	fh->attached = xrealloc(fh->attached, (fh->nattached + 1) * sizeof(*fh->attached));
	fh->attached[fh->nattached].key = xstrdup(key);
	fh->attached[fh->nattached].json = steal;
	fh->nattached++;
}

static void h_progress(vs_ctx *c, const struct vs_progress *p)
{
	struct fakehost *fh = c->fh;

	if (!p)
		return;
	if (p->size != sizeof(*p) || p->started < 0 || p->completed < 0 || p->in_flight < 0 || p->failed < 0 ||
	    p->started != p->completed + p->in_flight || p->failed > p->completed || !p->label)
		fh->progress_bad++;
	fh->last_progress = *p;
	fh->last_progress.label = NULL;
	fh->nprogress++;
}

size_t fh_progress(struct fakehost *fh, struct vs_progress *last, int *bad)
{
	if (last)
		*last = fh->last_progress;
	if (bad)
		*bad = fh->progress_bad;
	return fh->nprogress;
}

/* --- lifecycle ----------------------------------------------------------------- */

struct fakehost *fh_new(const char *plugin_name)
{
	struct fakehost *fh = calloc(1, sizeof(*fh));
	const char *v = getenv("FH_VERBOSE");
	if (!fh)
		return NULL;
	fh->ctx.fh = fh;
	fh->name = xstrdup(plugin_name);
	fh->seed = 42;
	fh->redact = 1;
	fh->verbose = v && *v && strcmp(v, "0") != 0;
	fh->log = xstrdup("");
	fh->host = (struct vs_host){
		.abi_version = VS_ABI_VERSION,
		.size = sizeof(struct vs_host),
		.opt = h_opt,
		.opt_int = h_opt_int,
		.opt_double = h_opt_double,
		.opt_bool = h_opt_bool,
		.opt_ms = h_opt_ms,
		.conf = h_conf,
		.log = h_log,
		.reason = h_reason,
		.check = h_check,
		.check_value = h_check_value,
		.metric = h_metric,
		.record = h_record,
		.record_latency = h_record_latency,
		.count = h_count,
		.now_ns = h_now_ns,
		.should_stop = h_should_stop,
		.remaining_ms = h_remaining_ms,
		.seed = h_seed,
		.pacer_new = h_pacer_new,
		.pacer_wait = h_pacer_wait,
		.pacer_free = h_pacer_free,
		.artifact = h_artifact,
		.attach = h_attach,
		.percentile = h_percentile,
		.shard = h_shard,
		.check_metric = h_check_metric,
		.check_counters = h_check_counters,
		.check_measured = h_check_measured,
		.progress = h_progress,
		.declared_secrets = h_declared_secrets,
		.subject = h_subject,
	};
	return fh;
}

static void rm_artdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < (int)sizeof(p))
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void fh_free(struct fakehost *fh)
{
	if (!fh)
		return;
	for (size_t i = 0; i < fh->nidefs; i++)
		free(fh->idefs[i]);
	free(fh->idefs);
	for (size_t i = 0; i < fh->nkv; i++) {
		free(fh->kv[i].section);
		free(fh->kv[i].key);
		free(fh->kv[i].value);
	}
	for (size_t i = 0; i < fh->nchecks; i++) {
		free(fh->checks[i].name);
		free(fh->checks[i].message);
	}
	for (size_t i = 0; i < fh->nmetrics; i++) {
		free(fh->metrics[i].name);
		free(fh->metrics[i].unit);
		free(fh->metrics[i].v);
	}
	for (size_t i = 0; i < fh->ncounters; i++)
		free(fh->counters[i].name);
	for (size_t i = 0; i < fh->nattached; i++) {
		free(fh->attached[i].key);
		json_decref(fh->attached[i].json);
	}
	for (size_t i = 0; i < fh->ndeclared; i++) {
		for (size_t k = 0; fh->declared[i].secrets[k]; k++)
			free(fh->declared[i].secrets[k]);
		free(fh->declared[i].secrets);
		free(fh->declared[i].name);
	}
	free(fh->declared);
	if (fh->artdir[0])
		rm_artdir(fh->artdir);
	/* Under valgrind the plugin stays mapped: what its statics still hold
	 * (e.g. the flite voices vs_synth registers once) would otherwise be
	 * reported "definitely lost", and its frames could not be named. */
	if (fh->dl && !getenv("VSTRESS_VALGRIND"))
		dlclose(fh->dl);
	free(fh->kv);
	free(fh->checks);
	free(fh->metrics);
	free(fh->counters);
	free(fh->attached);
	free(fh->reason);
	free(fh->log);
	free(fh->name);
	free(fh);
}

void fh_set_seed(struct fakehost *fh, uint64_t seed)
{
	fh->seed = seed;
}

void fh_set_deadline_ms(struct fakehost *fh, int64_t ms)
{
	fh->deadline_ms = ms;
}

void fh_set_redact(struct fakehost *fh, int on)
{
	fh->redact = on;
}

const struct vs_host *fh_host(struct fakehost *fh)
{
	return &fh->host;
}

vs_ctx *fh_ctx(struct fakehost *fh)
{
	return &fh->ctx;
}

const struct vs_plugin *fh_plugin(struct fakehost *fh)
{
	return fh->plugin;
}

int fh_load(struct fakehost *fh, const char *so_path)
{
	const struct vs_plugin *p;
	int rc = -1;
	void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);

	if (!dl) {
		fprintf(stderr, "fakehost: dlopen %s: %s\n", so_path, dlerror());
		goto out;
	}
	p = dlsym(dl, VS_PLUGIN_SYMBOL);
	if (!p) {
		fprintf(stderr, "fakehost: %s: no symbol %s\n", so_path, VS_PLUGIN_SYMBOL);
		goto out;
	}
	/* entries appended after teardown (world) are optional: older plugins are smaller */
	if (p->abi_version != VS_ABI_VERSION || p->struct_size < offsetof(struct vs_plugin, teardown) +
							       sizeof(p->teardown) ||
	    p->struct_size > sizeof(struct vs_plugin)) {
		fprintf(stderr, "fakehost: %s: abi %u/size %u, expected %u/<= %zu\n", so_path, p->abi_version,
			p->struct_size, VS_ABI_VERSION, sizeof(struct vs_plugin));
		goto out;
	}
	if (!p->name || strcmp(p->name, fh->name) != 0) {
		fprintf(stderr, "fakehost: %s: plugin name '%s', expected '%s'\n", so_path,
			p->name ? p->name : "(null)", fh->name);
		goto out;
	}
	if (fh->dl)
		dlclose(fh->dl);
	fh->dl = dl;
	fh->plugin = p;
	dl = NULL;
	rc = 0;
out:
	if (dl)
		dlclose(dl);
	return rc;
}

void fh_declare(struct fakehost *fh, const char *plugin, const char *const *secrets)
{
	struct fh_declared *d;
	size_t n = 0;

	while (secrets && secrets[n])
		n++;
	fh->declared = xrealloc(fh->declared, (fh->ndeclared + 1) * sizeof(*fh->declared));
	d = &fh->declared[fh->ndeclared++];
	d->name = xstrdup(plugin);
	d->secrets = xrealloc(NULL, (n + 1) * sizeof(*d->secrets));
	for (size_t i = 0; i < n; i++)
		d->secrets[i] = xstrdup(secrets[i]);
	d->secrets[n] = NULL;
}

int fh_declare_plugin(struct fakehost *fh, const char *so_path)
{
	void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
	const struct vs_plugin *p = dl ? dlsym(dl, VS_PLUGIN_SYMBOL) : NULL;
	int rc = -1;

	if (!p || p->abi_version != VS_ABI_VERSION || !p->name) {
		fprintf(stderr, "fakehost: %s: %s\n", so_path, dl ? "not a vstress plugin" : dlerror());
	} else {
		if (VS_PLUGIN_HAS(p, secrets) && p->secrets && p->secrets[0])
			fh_declare(fh, p->name, p->secrets);
		rc = 0;
	}
	if (dl && !getenv("VSTRESS_VALGRIND")) /* as in fh_free */
		dlclose(dl);
	return rc;
}

int fh_run(struct fakehost *fh)
{
	const struct vs_plugin *p = fh->plugin;
	void *state = NULL;
	int rc, trc;

	if (!p)
		return VS_ERROR;
	fh->started_ns = h_now_ns();
	tl_subject = VS_SUBJECT_TARGET; /* each run starts at target, as in the core */
	rc = p->setup ? p->setup(&fh->host, &fh->ctx, &state) : VS_OK;
	if (rc == VS_OK && p->run)
		rc = p->run(&fh->host, &fh->ctx, state);
	trc = p->teardown ? p->teardown(&fh->host, &fh->ctx, state) : VS_OK;
	if (rc == VS_OK && trc != VS_OK)
		rc = trc;
	return rc;
}

/* --- queries --------------------------------------------------------------- */

static struct fh_check *check_last(struct fakehost *fh, const char *name)
{
	for (size_t i = fh->nchecks; i > 0; i--)
		if (strcmp(fh->checks[i - 1].name, name) == 0)
			return &fh->checks[i - 1];
	return NULL;
}

int fh_check_status(struct fakehost *fh, const char *name)
{
	struct fh_check *c = check_last(fh, name);
	return c ? c->status : -1;
}

/* One line per assertion, one write(2) on an O_APPEND file: tests running at
 * the same time add whole lines. */
void fh_note_failed(struct fakehost *fh, const char *name)
{
	const char *path = getenv("VSTRESS_FAILED_CHECKS_LOG");
	char line[512];
	int n, fd;

	if (!path || !*path || !name)
		return;
	n = snprintf(line, sizeof line, "%s %s\n", fh->name, name);
	if (n <= 0 || (size_t)n >= sizeof line)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "fakehost: could not append to %s\n", path);
	close(fd);
}

int fh_check_subject(struct fakehost *fh, const char *name)
{
	struct fh_check *c = check_last(fh, name);
	return c ? c->subject : -1;
}

const char *fh_check_message(struct fakehost *fh, const char *name)
{
	struct fh_check *c = check_last(fh, name);
	return c ? c->message : NULL;
}

size_t fh_check_count(struct fakehost *fh)
{
	return fh->nchecks;
}

int fh_check_at(struct fakehost *fh, size_t i, const char **name, int *status, const char **message)
{
	if (i >= fh->nchecks)
		return -1;
	if (name)
		*name = fh->checks[i].name;
	if (status)
		*status = fh->checks[i].status;
	if (message)
		*message = fh->checks[i].message;
	return 0;
}

size_t fh_checks_with_status(struct fakehost *fh, int status)
{
	size_t n = 0;
	for (size_t i = 0; i < fh->nchecks; i++)
		n += fh->checks[i].status == status;
	return n;
}

int64_t fh_counter(struct fakehost *fh, const char *name)
{
	for (size_t i = 0; i < fh->ncounters; i++)
		if (strcmp(fh->counters[i].name, name) == 0)
			return fh->counters[i].sum;
	return 0;
}

size_t fh_metric_count(struct fakehost *fh, const char *name)
{
	struct fh_metric *m = metric_find(fh, name);
	return m ? m->n : 0;
}

const int64_t *fh_metric_values(struct fakehost *fh, const char *name, size_t *n)
{
	struct fh_metric *m = metric_find(fh, name);
	if (n)
		*n = m ? m->n : 0;
	return m ? m->v : NULL;
}

const char *fh_metric_unit(struct fakehost *fh, const char *name)
{
	struct fh_metric *m = metric_find(fh, name);
	return m ? m->unit : NULL;
}

const char *fh_reason(struct fakehost *fh)
{
	return fh->reason;
}

int fh_log_contains(struct fakehost *fh, const char *substr)
{
	return strstr(fh->log, substr) != NULL;
}

const char *fh_log_text(struct fakehost *fh)
{
	return fh->log;
}

int fh_anywhere_contains(struct fakehost *fh, const char *substr)
{
	if (fh_log_contains(fh, substr) || (fh->reason && strstr(fh->reason, substr)))
		return 1;
	for (size_t i = 0; i < fh->nchecks; i++)
		if (strstr(fh->checks[i].message, substr) || strstr(fh->checks[i].name, substr))
			return 1;
	for (size_t i = 0; i < fh->nattached; i++) {
		char *d = json_dumps(fh->attached[i].json, JSON_COMPACT | JSON_ENCODE_ANY);
		int hit = d && strstr(d, substr);
		free(d);
		if (hit)
			return 1;
	}
	return 0;
}

json_t *fh_attached(struct fakehost *fh, const char *key)
{
	for (size_t i = fh->nattached; i > 0; i--)
		if (strcmp(fh->attached[i - 1].key, key) == 0)
			return fh->attached[i - 1].json;
	return NULL;
}
