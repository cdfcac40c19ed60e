#include "host.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "pacer.h"
#include "rng.h"
#include "shard.h"

#define FLUSH_INTERVAL_NS 1000000000ull
#define PROGRESS_INTERVAL_NS 250000000ull /* at most 4 progress events a second */

static const char *level_names[] = {"error", "warn", "info", "debug"};

/* ---- event channel ----------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The subject of the checks this thread records (vs_host.subject); each
 * plugin's lifecycle starts it at target (vs_ctx_execute). */
static _Thread_local int tl_subject = VS_SUBJECT_TARGET;

static int h_subject(vs_ctx *c, int subject)
{
	int prev = tl_subject;

	(void)c;
	tl_subject = subject == VS_SUBJECT_HARNESS ? VS_SUBJECT_HARNESS : VS_SUBJECT_TARGET;
	return prev;
}

/* Caller holds c->mu. */
static void emit_locked(struct vs_ctx *c, json_t *ev)
{
	const char *t;
	char *s;

	if (!ev)
		return;
	t = json_string_value(json_object_get(ev, "ev"));
	if (t && !strcmp(t, "check"))
		json_object_set_new(ev, "subject", json_string(tl_subject == VS_SUBJECT_HARNESS ? "harness" : "target"));
	if (c->event_fd < 0) {
		vs_result_ingest(c->direct, ev);
		json_decref(ev);
		return;
	}
	s = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(ev);
	if (!s)
		return;
	/* One event per line: the parent splits on '\n', and JSON_COMPACT
	 * with ENSURE_ASCII never emits a raw newline. */
	if (write_all(c->event_fd, s, strlen(s)) < 0 || write_all(c->event_fd, "\n", 1) < 0)
		c->write_failed = 1;
	free(s);
}

void vs_ctx_emit(struct vs_ctx *c, json_t *ev)
{
	pthread_mutex_lock(&c->mu);
	emit_locked(c, ev);
	pthread_mutex_unlock(&c->mu);
}

/* Replace every secret option value in s (in place copy). */
static char *redact(struct vs_ctx *c, const char *s)
{
	char *out = vs_xstrdup(s), *hit, *tmp;
	size_t i, sl;

	for (i = 0; i < c->nsecrets; i++) {
		sl = strlen(c->secrets[i]);
		while ((hit = strstr(out, c->secrets[i]))) {
			*hit = '\0';
			tmp = vs_xasprintf("%s***%s", out, hit + sl);
			free(out);
			out = tmp;
		}
	}
	return out;
}

static char *vfmt(struct vs_ctx *c, const char *fmt, va_list ap)
{
	char *raw = NULL, *red;

	if (vasprintf(&raw, fmt, ap) < 0)
		return vs_xstrdup("(message lost: out of memory)");
	red = redact(c, raw);
	free(raw);
	return red;
}

/* Metrics and counters as one snapshot event; caller holds c->mu. */
static void flush_metrics_locked(struct vs_ctx *c)
{
	json_t *ev = json_object(), *m = json_object(), *k = json_object();
	size_t i;

	for (i = 0; i < c->nm; i++) {
		char *enc = vs_hist_encode(c->m[i].h);

		if (!enc)
			continue;
		json_object_set_new(m, c->m[i].name, json_pack("{s:s,s:s}", "unit", c->m[i].unit, "hist", enc));
		free(enc);
	}
	for (i = 0; i < c->nk; i++)
		json_object_set_new(k, c->k[i].name, json_integer(c->k[i].v));
	json_object_set_new(ev, "ev", json_string("metrics"));
	json_object_set_new(ev, "metrics", m);
	json_object_set_new(ev, "counters", k);
	emit_locked(c, ev);
	c->last_flush_ns = vs_now_ns();
}

static void maybe_flush_locked(struct vs_ctx *c)
{
	if (vs_now_ns() - c->last_flush_ns >= FLUSH_INTERVAL_NS)
		flush_metrics_locked(c);
}

/* ---- configuration ----------------------------------------------------- */

static void bad_value(vs_ctx *c, const char *key, const char *v, const char *what);

static const char *h_conf(vs_ctx *c, const char *section, const char *key)
{
	struct vs_err err = {0};
	const char *v;

	pthread_mutex_lock(&c->mu);
	v = vs_config_get(c->run->cfg, section, key, &err);
	if (err.set)
		emit_locked(c, json_pack("{s:s,s:s}", "ev", "config_error", "message", err.msg));
	pthread_mutex_unlock(&c->mu);
	return v;
}

static const char *h_opt(vs_ctx *c, const char *key)
{
	const char *v = h_conf(c, c->item->name, key);
	const struct vs_option *o;
	struct vs_err err = {0};
	char *d;

	if (v)
		return v;
	o = vs_plugin_option(c->desc, key);
	if (!o || !o->def || !strchr(o->def, '$'))
		return o ? o->def : NULL;
	/* Defaults are interpolated like manifest values (${VSTRESS_TARGET_URL}). */
	d = vs_interpolate(o->def, &err);
	if (!d) {
		bad_value(c, key, o->def, "a valid default (unterminated ${)");
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	c->defaults = vs_xrealloc(c->defaults, (c->ndefaults + 1) * sizeof(*c->defaults));
	c->defaults[c->ndefaults++] = d;
	pthread_mutex_unlock(&c->mu);
	return d;
}

static void bad_value(vs_ctx *c, const char *key, const char *v, const char *what)
{
	const struct vs_entry *e = vs_config_entry(c->run->cfg, c->item->name, key);
	char *msg;

	if (e)
		msg = vs_xasprintf("%s:%d: [%s] %s = '%s' is not %s", e->file, e->line, c->item->name, key, v, what);
	else
		msg = vs_xasprintf("[%s] %s: default '%s' is not %s", c->item->name, key, v, what);
	vs_ctx_emit(c, json_pack("{s:s,s:s}", "ev", "config_error", "message", msg));
	free(msg);
}

static int h_opt_int(vs_ctx *c, const char *key, long long *out)
{
	const char *v = h_opt(c, key);

	if (!v || !*v)
		return 1;
	if (vs_parse_int(v, out)) {
		bad_value(c, key, v, "an integer");
		return -1;
	}
	return 0;
}

static int h_opt_double(vs_ctx *c, const char *key, double *out)
{
	const char *v = h_opt(c, key);

	if (!v || !*v)
		return 1;
	if (vs_parse_double(v, out)) {
		bad_value(c, key, v, "a number");
		return -1;
	}
	return 0;
}

static int h_opt_bool(vs_ctx *c, const char *key, int *out)
{
	const char *v = h_opt(c, key);

	if (!v || !*v)
		return 1;
	if (vs_parse_bool(v, out)) {
		bad_value(c, key, v, "a boolean (true/false)");
		return -1;
	}
	return 0;
}

static int h_opt_ms(vs_ctx *c, const char *key, long long *out)
{
	const char *v = h_opt(c, key);

	if (!v || !*v)
		return 1;
	if (vs_parse_ms(v, out)) {
		bad_value(c, key, v, "a duration (e.g. 250ms, 2s)");
		return -1;
	}
	return 0;
}

/* ---- logging and verdicts ---------------------------------------------- */

static void h_log(vs_ctx *c, int level, const char *fmt, ...)
{
	va_list ap;
	char *msg, ts[32];
	struct timespec now;
	struct tm tm;

	if (level < VS_LOG_ERROR)
		level = VS_LOG_ERROR;
	if (level > VS_LOG_DEBUG)
		level = VS_LOG_DEBUG;
	va_start(ap, fmt);
	msg = vfmt(c, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	pthread_mutex_lock(&c->mu);
	if (c->log) {
		fprintf(c->log, "%s.%03ld %-5s %s\n", ts, now.tv_nsec / 1000000, level_names[level], msg);
		fflush(c->log);
	}
	if (c->term_fd >= 0 && level <= VS_LOG_WARN + c->run->verbose && c->run->verbose >= 0) {
		char *line = vs_xasprintf("  %s: %s: %s\n", c->item->name, level_names[level], msg);

		if (write_all(c->term_fd, line, strlen(line)) < 0)
			c->write_failed = 1;
		free(line);
	}
	pthread_mutex_unlock(&c->mu);
	free(msg);
}

static void h_reason(vs_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vfmt(c, fmt, ap);
	va_end(ap);
	vs_ctx_emit(c, json_pack("{s:s,s:s}", "ev", "reason", "text", msg));
	free(msg);
}

static const char *check_status_name(int st)
{
	return st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_SKIP ? "skip" : "fail";
}

static void h_check(vs_ctx *c, const char *name, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vfmt(c, fmt, ap);
	va_end(ap);
	vs_ctx_emit(c, json_pack("{s:s,s:s,s:s,s:s}", "ev", "check", "name", name ? name : "(unnamed)", "status",
				 check_status_name(status), "message", msg));
	h_log(c, status == VS_CHECK_FAIL ? VS_LOG_WARN : VS_LOG_INFO, "check %s: %s: %s", name,
	      check_status_name(status), msg);
	free(msg);
}

static void h_check_measured(vs_ctx *c, const char *name, int status, double measured, const char *op,
			     double threshold, const char *unit, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vfmt(c, fmt, ap);
	va_end(ap);
	vs_ctx_emit(c, json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:f,s:s}", "ev", "check", "name", name ? name : "(unnamed)",
				 "status", check_status_name(status), "message", msg, "value", measured, "op",
				 op ? op : "", "threshold", threshold, "unit", unit ? unit : ""));
	h_log(c, status == VS_CHECK_FAIL ? VS_LOG_WARN : VS_LOG_INFO, "check %s: %s: %s", name,
	      check_status_name(status), msg);
	free(msg);
}

static int h_check_value(vs_ctx *c, const char *name, double measured, const char *op, double threshold,
			 const char *unit)
{
	int ok = 0;
	json_t *ev;
	char *msg;

	if (vs_check_compare(measured, op, threshold, &ok)) {
		h_check(c, name, VS_CHECK_FAIL, "bad comparison operator '%s'", op ? op : "(null)");
		return VS_CHECK_FAIL;
	}
	msg = vs_xasprintf("%g%s %s %g%s: %s", measured, unit ? unit : "", op, threshold, unit ? unit : "",
			   ok ? "ok" : "not met");
	ev = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:f,s:s}", "ev", "check", "name", name ? name : "(unnamed)",
		       "status", ok ? "pass" : "fail", "message", msg, "value", measured, "op", op, "threshold",
		       threshold, "unit", unit ? unit : "");
	vs_ctx_emit(c, ev);
	h_log(c, ok ? VS_LOG_INFO : VS_LOG_WARN, "check %s: %s: %s", name, ok ? "pass" : "fail", msg);
	free(msg);
	return ok ? VS_CHECK_PASS : VS_CHECK_FAIL;
}

/* ---- metrics ------------------------------------------------------------ */

static void unit_range(const char *unit, int64_t *hi)
{
	if (!strcmp(unit, "ns"))
		*hi = 3600LL * 1000000000LL;
	else if (!strcmp(unit, "us"))
		*hi = 3600LL * 1000000LL;
	else if (!strcmp(unit, "ms"))
		*hi = 24LL * 3600LL * 1000LL;
	else
		*hi = 1000000000000LL;
}

/* Caller holds c->mu. */
static int metric_locked(struct vs_ctx *c, const char *name, const char *unit)
{
	size_t i;
	int64_t hi;
	struct vs_hist *h = NULL;

	for (i = 0; i < c->nm; i++)
		if (!strcmp(c->m[i].name, name))
			return (int)i;
	unit_range(unit, &hi);
	if (vs_hist_new(1, hi, c->run->sigfigs, &h))
		return -1;
	c->m = vs_xrealloc(c->m, (c->nm + 1) * sizeof(*c->m));
	c->m[c->nm].name = vs_xstrdup(name);
	c->m[c->nm].unit = vs_xstrdup(unit);
	c->m[c->nm].h = h;
	return (int)c->nm++;
}

static int h_metric(vs_ctx *c, const char *name, const char *unit)
{
	int id;

	if (!name || !*name)
		return -1;
	pthread_mutex_lock(&c->mu);
	id = metric_locked(c, name, unit && *unit ? unit : "count");
	pthread_mutex_unlock(&c->mu);
	return id;
}

static void h_record(vs_ctx *c, int metric, int64_t value)
{
	pthread_mutex_lock(&c->mu);
	if (metric >= 0 && (size_t)metric < c->nm)
		vs_hist_record(c->m[metric].h, value < 0 ? 0 : value);
	maybe_flush_locked(c);
	pthread_mutex_unlock(&c->mu);
}

static int64_t ns_to_unit(uint64_t ns, const char *unit)
{
	if (!strcmp(unit, "us"))
		return (int64_t)(ns / 1000);
	if (!strcmp(unit, "ms"))
		return (int64_t)(ns / 1000000);
	return (int64_t)ns;
}

static void h_record_latency(vs_ctx *c, int metric, uint64_t intended_ns, uint64_t start_ns, uint64_t end_ns)
{
	char *uname;
	int u;

	pthread_mutex_lock(&c->mu);
	if (metric < 0 || (size_t)metric >= c->nm)
		goto out;
	if (!intended_ns || intended_ns > start_ns)
		intended_ns = start_ns;
	if (end_ns < start_ns)
		end_ns = start_ns;
	vs_hist_record(c->m[metric].h, ns_to_unit(end_ns - intended_ns, c->m[metric].unit));
	uname = vs_xasprintf("%s_uncorrected", c->m[metric].name);
	u = metric_locked(c, uname, c->m[metric].unit);
	free(uname);
	if (u >= 0)
		vs_hist_record(c->m[u].h, ns_to_unit(end_ns - start_ns, c->m[u].unit));
	maybe_flush_locked(c);
out:
	pthread_mutex_unlock(&c->mu);
}

static void h_count(vs_ctx *c, const char *name, int64_t delta)
{
	size_t i;

	if (!name)
		return;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nk; i++)
		if (!strcmp(c->k[i].name, name))
			break;
	if (i == c->nk) {
		c->k = vs_xrealloc(c->k, (c->nk + 1) * sizeof(*c->k));
		c->k[i].name = vs_xstrdup(name);
		c->k[i].v = 0;
		c->nk++;
	}
	c->k[i].v += delta;
	maybe_flush_locked(c);
	pthread_mutex_unlock(&c->mu);
}

/* ---- time ---------------------------------------------------------------- */

static int h_should_stop(vs_ctx *c)
{
	return (c->stop && *c->stop) || (c->run->interrupted && *c->run->interrupted) ||
	       (c->deadline_ns && vs_now_ns() >= c->deadline_ns);
}

static int64_t h_remaining_ms(vs_ctx *c)
{
	uint64_t now = vs_now_ns();

	if (!c->deadline_ns)
		return INT64_MAX;
	return now >= c->deadline_ns ? 0 : (int64_t)((c->deadline_ns - now) / 1000000);
}

static void h_shard(vs_ctx *c, int *index, int *count)
{
	int split = c->run->shard_count > 1 && vs_shard_splits(c->run, c->item->name);

	if (index)
		*index = split ? c->run->shard_index : 1;
	if (count)
		*count = split ? c->run->shard_count : 1;
}

/* A plugin that divides its calls draws from its shard's seed. */
static uint64_t h_seed(vs_ctx *c)
{
	int i, n;

	h_shard(c, &i, &n);
	return vs_shard_seed(c->run->seed, i, n) ^ vs_hash64(c->item->name);
}

static int stop_cb(void *arg)
{
	return h_should_stop(arg);
}

static vs_pacer *h_pacer_new(vs_ctx *c, double rate, int poisson)
{
	struct vs_pacer *p = vs_xcalloc(1, sizeof(*p));

	if (vs_pacer_init(p, rate, poisson, h_seed(c), vs_now_ns(), stop_cb, c)) {
		free(p);
		return NULL;
	}
	return p;
}

static uint64_t h_pacer_wait(vs_pacer *p)
{
	return p ? vs_pacer_wait(p) : 0;
}

static void h_pacer_free(vs_pacer *p)
{
	free(p);
}

/* ---- results ------------------------------------------------------------- */

static int h_artifact(vs_ctx *c, const char *name, char *buf, size_t len)
{
	int n;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -1;
	n = snprintf(buf, len, "%s/%s", c->run->dir, name);
	if (n < 0 || (size_t)n >= len)
		return -1;
	vs_ctx_emit(c, json_pack("{s:s,s:s}", "ev", "artifact", "name", name));
	return 0;
}

static void h_attach(vs_ctx *c, const char *key, json_t *steal)
{
	if (!key || !steal) {
		json_decref(steal);
		return;
	}
	vs_ctx_emit(c, json_pack("{s:s,s:s,s:o}", "ev", "data", "key", key, "value", steal));
}

static int64_t h_percentile(vs_ctx *c, int metric, double p, int64_t *count_out)
{
	int64_t v = -1;

	pthread_mutex_lock(&c->mu);
	if (metric >= 0 && (size_t)metric < c->nm) {
		v = vs_hist_percentile(c->m[metric].h, p);
		if (count_out)
			*count_out = vs_hist_count(c->m[metric].h);
	}
	pthread_mutex_unlock(&c->mu);
	return v;
}

/* A check with a "source" the merge can recompute from (docs/scale-out.md). */
static int emit_sourced(vs_ctx *c, const char *name, int status, double value, const char *op, double threshold,
			const char *unit, json_t *source, const char *head, const char *note)
{
	char *msg = vs_xasprintf("%s%s%s", head, note && *note ? "; " : "", note ? note : "");
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:s,s:o}", "ev", "check", "name", name ? name : "(unnamed)",
			       "status", check_status_name(status), "message", msg, "op", op, "threshold", threshold,
			       "unit", unit ? unit : "", "source", source);

	if (ev && status != VS_CHECK_SKIP)
		json_object_set_new(ev, "value", json_real(value));
	vs_ctx_emit(c, ev);
	h_log(c, status == VS_CHECK_FAIL ? VS_LOG_WARN : VS_LOG_INFO, "check %s: %s: %s", name,
	      check_status_name(status), msg);
	free(msg);
	return status;
}

static char *vnote(vs_ctx *c, const char *fmt, va_list ap)
{
	return fmt ? vfmt(c, fmt, ap) : NULL;
}

static int h_check_metric(vs_ctx *c, const char *name, int metric, double p, const char *op, double threshold,
			  const char *note, ...)
{
	int64_t v = -1, n = 0;
	const char *mname = NULL, *unit = "";
	char *nt, *head;
	va_list ap;
	int ok = 0, st;

	pthread_mutex_lock(&c->mu);
	if (metric >= 0 && (size_t)metric < c->nm) {
		v = vs_hist_percentile(c->m[metric].h, p);
		n = vs_hist_count(c->m[metric].h);
		mname = c->m[metric].name;
		unit = c->m[metric].unit;
	}
	pthread_mutex_unlock(&c->mu);
	if (!mname || vs_check_compare(0, op, 0, &ok)) {
		h_check(c, name, VS_CHECK_FAIL, "check_metric: unknown metric %d or bad operator '%s'", metric,
			op ? op : "(null)");
		return VS_CHECK_FAIL;
	}
	va_start(ap, note);
	nt = vnote(c, note, ap);
	va_end(ap);
	if (!n) {
		head = vs_xasprintf("no sample of %s", mname);
		st = VS_CHECK_SKIP;
	} else {
		vs_check_compare((double)v, op, threshold, &ok);
		head = vs_xasprintf("p%g of %s (%lld samples) %lld%s %s %g%s: %s", p, mname, (long long)n, (long long)v,
				    unit, op, threshold, unit, ok ? "ok" : "not met");
		st = ok ? VS_CHECK_PASS : VS_CHECK_FAIL;
	}
	emit_sourced(c, name, st, (double)v, op, threshold, unit,
		     json_pack("{s:s,s:f}", "metric", mname, "percentile", p), head, nt);
	free(head);
	free(nt);
	return st;
}

static int counter_value(vs_ctx *c, const char *name, int64_t *out)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nk && !found; i++)
		if (!strcmp(c->k[i].name, name)) {
			*out = c->k[i].v;
			found = 1;
		}
	pthread_mutex_unlock(&c->mu);
	return found ? 0 : -1;
}

static int h_check_counters(vs_ctx *c, const char *name, const char *num, const char *den, double scale,
			    const char *op, double threshold, const char *unit, const char *note, ...)
{
	int64_t a = 0, b = 1;
	char *nt, *head;
	va_list ap;
	int ok = 0, st;
	double v = 0;
	json_t *src;

	if (!num || vs_check_compare(0, op, 0, &ok)) {
		h_check(c, name, VS_CHECK_FAIL, "check_counters: no numerator or bad operator '%s'", op ? op : "(null)");
		return VS_CHECK_FAIL;
	}
	/* an uncounted counter is 0 */
	if (counter_value(c, num, &a))
		a = 0;
	if (den && counter_value(c, den, &b))
		b = 0;
	va_start(ap, note);
	nt = vnote(c, note, ap);
	va_end(ap);
	unit = unit ? unit : "";
	if (!b) {
		head = vs_xasprintf("%s is 0", den);
		st = VS_CHECK_SKIP;
	} else {
		v = scale * (double)a / (double)b;
		vs_check_compare(v, op, threshold, &ok);
		if (den)
			head = vs_xasprintf("%g x %s/%s (%lld/%lld) = %g%s %s %g%s: %s", scale, num, den, (long long)a,
					    (long long)b, v, unit, op, threshold, unit, ok ? "ok" : "not met");
		else
			head = vs_xasprintf("%g x %s (%lld) = %g%s %s %g%s: %s", scale, num, (long long)a, v, unit, op,
					    threshold, unit, ok ? "ok" : "not met");
		st = ok ? VS_CHECK_PASS : VS_CHECK_FAIL;
	}
	src = json_pack("{s:s,s:s?,s:f}", "numerator", num, "denominator", den, "scale", scale);
	emit_sourced(c, name, st, v, op, threshold, unit, src, head, nt);
	free(head);
	free(nt);
	return st;
}

/* ---- live progress ------------------------------------------------------- */

static void h_progress(vs_ctx *c, const struct vs_progress *p)
{
	uint64_t now;
	json_t *ev;

	/* Only the forked child has a parent that renders it; fields beyond
	 * what the caller's struct holds are not read. */
	if (!p || p->size < offsetof(struct vs_progress, label) + sizeof(p->label) || c->event_fd < 0)
		return;
	now = vs_now_ns();
	pthread_mutex_lock(&c->mu);
	if (c->last_progress_ns && now - c->last_progress_ns < PROGRESS_INTERVAL_NS) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	c->last_progress_ns = now;
	ev = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:s}", "ev", "progress", "started", (json_int_t)p->started,
		       "completed", (json_int_t)p->completed, "in_flight", (json_int_t)p->in_flight, "failed",
		       (json_int_t)p->failed, "p95_ms", p->p95_ms, "label", p->label ? p->label : "");
	emit_locked(c, ev);
	pthread_mutex_unlock(&c->mu);
}

/* A loaded plugin is "of the run" when the manifest does not disable it
 * or the plan runs it (--only overrides enabled = false). */
static int of_the_run(const struct vs_run *run, const char *name)
{
	struct vs_err err = {0};
	const char *v = vs_config_get(run->cfg, name, "enabled", &err);
	int on = 1;

	if (v && vs_parse_bool(v, &on))
		on = 1;
	for (size_t i = 0; !on && run->plan && i < run->plan->n; i++)
		on = !strcmp(run->plan->items[i].name, name);
	return on;
}

static const char *h_declared_secrets(vs_ctx *c, size_t i, const char *const **secrets)
{
	const struct vs_registry *r = c->run ? c->run->reg : NULL;

	for (size_t k = 0; r && k < r->n; k++) {
		const struct vs_plugin *d = r->p[k].desc;

		if (!d || !VS_PLUGIN_HAS(d, secrets) || !d->secrets || !d->secrets[0] ||
		    !of_the_run(c->run, d->name))
			continue;
		if (i-- == 0) {
			*secrets = d->secrets;
			return d->name;
		}
	}
	return NULL;
}

const struct vs_host vs_host_table = {
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
	.now_ns = vs_now_ns,
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

/* ---- lifecycle ------------------------------------------------------------ */

int vs_ctx_init(struct vs_ctx *c, struct vs_run *run, struct vs_item *item, int event_fd, struct vs_result *direct,
		const char *log_path, int term_fd, uint64_t deadline_ns, volatile sig_atomic_t *stop)
{
	const struct vs_option *o;
	struct vs_err err = {0};
	const char *v;

	memset(c, 0, sizeof(*c));
	c->run = run;
	c->item = item;
	c->desc = item->pl->desc;
	c->event_fd = event_fd;
	c->direct = direct;
	c->deadline_ns = deadline_ns;
	c->stop = stop;
	c->term_fd = term_fd;
	c->last_flush_ns = vs_now_ns();
	pthread_mutex_init(&c->mu, NULL);
	c->log = log_path ? fopen(log_path, "a") : NULL;
	/* Secret option values are redacted from everything the plugin says. */
	for (o = c->desc->options; o && o->key; o++) {
		if (!(o->flags & VS_OPT_SECRET))
			continue;
		char *dv = NULL;

		v = vs_config_get(run->cfg, item->name, o->key, &err);
		if (!v && o->def)
			v = dv = vs_interpolate(o->def, &err);
		if (v && strlen(v) >= 4) {
			c->secrets = vs_xrealloc(c->secrets, (c->nsecrets + 1) * sizeof(*c->secrets));
			c->secrets[c->nsecrets++] = vs_xstrdup(v);
		}
		free(dv);
	}
	return 0;
}

void vs_ctx_free(struct vs_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nm; i++) {
		free(c->m[i].name);
		free(c->m[i].unit);
		vs_hist_free(c->m[i].h);
	}
	for (i = 0; i < c->nk; i++)
		free(c->k[i].name);
	for (i = 0; i < c->nsecrets; i++)
		free(c->secrets[i]);
	for (i = 0; i < c->ndefaults; i++)
		free(c->defaults[i]);
	free(c->defaults);
	free(c->m);
	free(c->k);
	free(c->secrets);
	if (c->log)
		fclose(c->log);
	pthread_mutex_destroy(&c->mu);
}

static void phase_event(struct vs_ctx *c, const char *phase, int rc)
{
	pthread_mutex_lock(&c->mu);
	flush_metrics_locked(c);
	emit_locked(c, json_pack("{s:s,s:s,s:i}", "ev", "phase", "phase", phase, "rc", rc));
	pthread_mutex_unlock(&c->mu);
}

int vs_ctx_execute(struct vs_ctx *c)
{
	const struct vs_plugin *d = c->desc;
	void *state = NULL;
	int rc = VS_OK, trc = VS_OK;

	tl_subject = VS_SUBJECT_TARGET; /* --no-fork runs plugins one after another on this thread */
	h_log(c, VS_LOG_INFO, "%s %s: setup", d->name, d->version ? d->version : "");
	if (d->setup) {
		rc = d->setup(&vs_host_table, c, &state);
		phase_event(c, "setup", rc);
	}
	if (rc == VS_OK) {
		h_log(c, VS_LOG_INFO, "run");
		rc = d->run(&vs_host_table, c, state);
		phase_event(c, "run", rc);
	}
	if (d->teardown) {
		h_log(c, VS_LOG_INFO, "teardown");
		trc = d->teardown(&vs_host_table, c, state);
		phase_event(c, "teardown", trc);
	}
	pthread_mutex_lock(&c->mu);
	flush_metrics_locked(c);
	emit_locked(c, json_pack("{s:s,s:i,s:i}", "ev", "end", "rc", rc, "teardown_rc", trc));
	pthread_mutex_unlock(&c->mu);
	return rc;
}
