/* The world's fault table: parsed from the manifest ([world] and per
 * stand-in `fault.*` keys) or the control API, drawn per request with a
 * seeded generator per fault, each with a rate and a time window. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "world/internal.h"

static const char *kind_names[WF_NKINDS] = {"latency", "error",   "stall",  "close", "reset",
					    "malformed", "trickle", "refuse", "cut"};

const char *wfault_kind_name(enum wfault_kind k)
{
	return (unsigned)k < WF_NKINDS ? kind_names[k] : "?";
}

void wfault_hit_init(struct wfault_hit *h)
{
	memset(h, 0, sizeof *h);
	h->close_after_bytes = h->close_after_msgs = -1;
	h->reset_after_bytes = h->reset_after_msgs = -1;
	h->error_after_msgs = -1;
	h->malformed_after_msgs = -1;
	h->stall_after_msgs = -1;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static double jnum(const json_t *o, const char *k, double def, int *present)
{
	json_t *v = json_object_get(o, k);
	if (present)
		*present = v != NULL;
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		double d;
		if (w_parse_ms(json_string_value(v), &d) == 0)
			return d;
	}
	if (json_is_true(v))
		return 1;
	return def;
}

int wfault_from_json(struct wfaults *fs, const json_t *j, const char *origin, char *err, size_t errlen)
{
	struct wfault f;
	memset(&f, 0, sizeof f);
	const char *target = json_string_value(json_object_get(j, "target"));
	const char *kind = json_string_value(json_object_get(j, "kind"));
	/* the long names of the mid-stream faults: each names its kind and
	 * stands for after_messages */
	static const char *const longn[][2] = {
		{"close_after_messages", "close"}, {"error_frame_after", "error"}, {"stall_after", "stall"}};
	const char *longk = NULL;
	for (size_t i = 0; i < sizeof longn / sizeof *longn; i++)
		if (json_object_get(j, longn[i][0])) {
			if (kind && strcasecmp(kind, longn[i][1])) {
				snprintf(err, errlen, "%s belongs to kind %s, not %s", longn[i][0], longn[i][1], kind);
				return -1;
			}
			if (longk) {
				snprintf(err, errlen, "%s and %s cannot be combined", longk, longn[i][0]);
				return -1;
			}
			longk = longn[i][0];
			kind = longn[i][1];
		}
	if (!json_is_object(j) || !target || !kind) {
		snprintf(err, errlen, "a fault needs \"target\" and \"kind\"");
		return -1;
	}
	int k;
	for (k = 0; k < WF_NKINDS; k++)
		if (!strcasecmp(kind, kind_names[k]))
			break;
	if (k == WF_NKINDS) {
		snprintf(err, errlen, "unknown fault kind \"%s\" (latency error stall close reset malformed trickle refuse cut)",
			 kind);
		return -1;
	}
	snprintf(f.target, sizeof f.target, "%s", target);
	f.kind = (enum wfault_kind)k;
	f.rate = jnum(j, "rate", 1.0, NULL);
	if (f.rate < 0 || f.rate > 1) {
		snprintf(err, errlen, "rate must be within 0..1");
		return -1;
	}
	uint64_t now = w_now_ms();
	f.added_ms = now;
	double after = jnum(j, "start_ms", jnum(j, "delay_start_ms", 0, NULL), NULL);
	double window = jnum(j, "window_ms", 0, NULL);
	f.start_ms = now + (uint64_t)(after > 0 ? after : 0);
	f.end_ms = window > 0 ? f.start_ms + (uint64_t)window : 0;
	f.max_hits = (long long)jnum(j, "max_hits", 0, NULL);
	f.status = (int)jnum(j, "status", 500, NULL);
	const char *bh = json_string_value(json_object_get(j, "body_has"));
	if (bh && strlen(bh) >= sizeof f.body_has) {
		snprintf(err, errlen, "body_has: at most %zu characters", sizeof f.body_has - 1);
		return -1;
	}
	snprintf(f.body_has, sizeof f.body_has, "%s", bh ? bh : "");
	if (f.body_has[0] && (f.kind == WF_REFUSE || f.kind == WF_CUT)) {
		snprintf(err, errlen, "body_has scopes requests; %s acts on connections", kind_names[f.kind]);
		return -1;
	}
	const char *msg = json_string_value(json_object_get(j, "message"));
	snprintf(f.message, sizeof f.message, "%s", msg ? msg : "");
	const char *dist = json_string_value(json_object_get(j, "dist"));
	snprintf(f.dist, sizeof f.dist, "%s", dist ? dist : "fixed");
	if (strcmp(f.dist, "fixed") && strcmp(f.dist, "uniform") && strcmp(f.dist, "normal")) {
		snprintf(err, errlen, "dist must be fixed, uniform or normal");
		return -1;
	}
	f.ms = jnum(j, "ms", 0, NULL);
	f.min_ms = jnum(j, "min_ms", 0, NULL);
	f.max_ms = jnum(j, "max_ms", f.ms, NULL);
	f.mean_ms = jnum(j, "mean_ms", f.ms, NULL);
	f.stddev_ms = jnum(j, "stddev_ms", 0, NULL);
	int has_b, has_m;
	f.after_bytes = (long long)jnum(j, "after_bytes", -1, &has_b);
	f.after_messages = (long long)jnum(j, "after_messages", -1, &has_m);
	if (!has_b)
		f.after_bytes = -1;
	if (longk)
		f.after_messages = (long long)jnum(j, longk, -1, &has_m);
	if (!has_m)
		f.after_messages = -1;
	if (has_m && f.after_messages < 0) {
		snprintf(err, errlen, "after_messages must be 0 or more");
		return -1;
	}
	json_t *rf = json_object_get(j, "refuse_for");
	double rfd = 0;
	f.refuse_for_ms = jnum(j, "refuse_for", 0, NULL);
	if (f.refuse_for_ms < 0 || (rf && !json_is_number(rf) &&
				    (!json_is_string(rf) || w_parse_ms(json_string_value(rf), &rfd) != 0))) {
		snprintf(err, errlen, "refuse_for must be a duration (5s, 500ms)");
		return -1;
	}
	if (f.refuse_for_ms > 0 && f.kind != WF_CLOSE && f.kind != WF_ERROR && f.kind != WF_STALL && f.kind != WF_RESET) {
		snprintf(err, errlen, "refuse_for goes with close, error, stall or reset");
		return -1;
	}
	f.close_code = (int)jnum(j, "close_code", 1011, NULL);
	f.chunk_bytes = (long long)jnum(j, "chunk_bytes", 1, NULL);
	f.interval_ms = jnum(j, "interval_ms", 50, NULL);
	if (f.kind == WF_ERROR && (f.status < 100 || f.status > 599)) {
		snprintf(err, errlen, "status must be an HTTP status");
		return -1;
	}
	uint64_t seed = (uint64_t)jnum(j, "seed", (double)fs->seed, NULL);
	f.rng = hash_str(hash_str(seed ^ 0xcbf29ce484222325ull, f.target), kind_names[k]) + fs->next_id;
	snprintf(f.origin, sizeof f.origin, "%s", origin);
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 8;
		struct wfault *nf = realloc(fs->f, cap * sizeof *nf);
		if (!nf) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		fs->f = nf;
		fs->cap = cap;
	}
	f.id = ++fs->next_id;
	fs->f[fs->n++] = f;
	return 0;
}

/* fault.<label>.<param> (or fault.<param>, label "default") in a stand-in's
 * section targets that stand-in; in [world] the group names its target. */
int wfaults_from_conf(struct wfaults *fs, const struct wconf *c, char *err, size_t errlen)
{
	json_t *groups = json_object();
	int rc = -1;
	if (!groups)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct wconf_ent *e = &c->e[i];
		if (strncmp(e->key, "fault.", 6))
			continue;
		const char *rest = e->key + 6;
		const char *dot = strrchr(rest, '.');
		char label[128], gk[256];
		const char *param = dot ? dot + 1 : rest;
		snprintf(label, sizeof label, "%.*s", dot ? (int)(dot - rest) : 7, dot ? rest : "default");
		snprintf(gk, sizeof gk, "%s/%s", e->section, label);
		json_t *g = json_object_get(groups, gk);
		if (!g) {
			g = json_object();
			json_object_set_new(groups, gk, g);
			if (strcmp(e->section, "world"))
				json_object_set_new(g, "target", json_string(e->section));
		}
		char *end;
		double d = strtod(e->value, &end);
		if (*e->value && !*end)
			json_object_set_new(g, param, json_real(d));
		else
			json_object_set_new(g, param, json_string(e->value));
	}
	const char *k;
	json_t *g;
	json_object_foreach(groups, k, g)
	{
		char e2[200];
		if (wfault_from_json(fs, g, "config", e2, sizeof e2) < 0) {
			snprintf(err, errlen, "fault %s: %s", k, e2);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(groups);
	return rc;
}

json_t *wfaults_to_json(const struct wfaults *fs)
{
	json_t *a = json_array();
	uint64_t now = w_now_ms();
	for (size_t i = 0; i < fs->n; i++) {
		const struct wfault *f = &fs->f[i];
		int active = now >= f->start_ms && (!f->end_ms || now < f->end_ms) &&
			     (f->max_hits <= 0 || f->hits < f->max_hits);
		json_t *o = json_pack("{s:I,s:s,s:s,s:f,s:b,s:I,s:I,s:s}", "id", (json_int_t)f->id, "target",
				      f->target, "kind", kind_names[f->kind], "rate", f->rate, "active", active, "hits",
				      (json_int_t)f->hits, "matched", (json_int_t)f->seen, "origin", f->origin);
		if (!o)
			continue;
		if (f->end_ms)
			json_object_set_new(o, "remaining_ms", json_integer(now < f->end_ms ? (json_int_t)(f->end_ms - now) : 0));
		if (f->start_ms > now)
			json_object_set_new(o, "starts_in_ms", json_integer((json_int_t)(f->start_ms - now)));
		if (f->max_hits > 0)
			json_object_set_new(o, "max_hits", json_integer(f->max_hits));
		if (f->body_has[0])
			json_object_set_new(o, "body_has", json_string(f->body_has));
		if (f->refuse_for_ms > 0)
			json_object_set_new(o, "refuse_for_ms", json_real(f->refuse_for_ms));
		switch (f->kind) {
		case WF_ERROR:
			json_object_set_new(o, "status", json_integer(f->status));
			if (f->after_messages >= 0)
				json_object_set_new(o, "after_messages", json_integer(f->after_messages));
			break;
		case WF_LATENCY:
			json_object_set_new(o, "dist", json_string(f->dist));
			json_object_set_new(o, "ms", json_real(f->ms));
			if (!strcmp(f->dist, "uniform")) {
				json_object_set_new(o, "min_ms", json_real(f->min_ms));
				json_object_set_new(o, "max_ms", json_real(f->max_ms));
			} else if (!strcmp(f->dist, "normal")) {
				json_object_set_new(o, "mean_ms", json_real(f->mean_ms));
				json_object_set_new(o, "stddev_ms", json_real(f->stddev_ms));
			}
			break;
		case WF_STALL:
		case WF_CLOSE:
		case WF_RESET:
		case WF_MALFORMED:
			if (f->after_bytes >= 0)
				json_object_set_new(o, "after_bytes", json_integer(f->after_bytes));
			if (f->after_messages >= 0)
				json_object_set_new(o, "after_messages", json_integer(f->after_messages));
			if (f->kind == WF_CLOSE)
				json_object_set_new(o, "close_code", json_integer(f->close_code));
			break;
		case WF_TRICKLE:
			json_object_set_new(o, "chunk_bytes", json_integer(f->chunk_bytes));
			json_object_set_new(o, "interval_ms", json_real(f->interval_ms));
			break;
		default:
			break;
		}
		json_array_append_new(a, o);
	}
	return a;
}

int wfaults_delete(struct wfaults *fs, const char *target, uint64_t id)
{
	int removed = 0;
	size_t o = 0;
	for (size_t i = 0; i < fs->n; i++) {
		const struct wfault *f = &fs->f[i];
		int del = (id && f->id == id) || (!id && (!target || !strcmp(target, f->target)));
		if (del)
			removed++;
		else
			fs->f[o++] = fs->f[i];
	}
	fs->n = o;
	return removed;
}

static int matches(const struct wfault *f, const char *target, const char *alias)
{
	return !strcmp(f->target, "*") || !strcmp(f->target, target) || (alias && *alias && !strcmp(f->target, alias));
}

static int active(const struct wfault *f, uint64_t now)
{
	return now >= f->start_ms && (!f->end_ms || now < f->end_ms) && (f->max_hits <= 0 || f->hits < f->max_hits);
}

static double latency_draw(struct wfault *f)
{
	if (!strcmp(f->dist, "uniform"))
		return f->min_ms + (f->max_ms - f->min_ms) * w_unit(&f->rng);
	if (!strcmp(f->dist, "normal")) {
		double u1 = w_unit(&f->rng), u2 = w_unit(&f->rng);
		if (u1 < 1e-12)
			u1 = 1e-12;
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		double v = f->mean_ms + f->stddev_ms * z;
		return v < 0 ? 0 : v;
	}
	return f->ms;
}

/* Stratified draw: matching requests are cut into blocks of 1/rate and
 * exactly one hit falls at a seeded position inside each block.  Over n
 * requests a fault therefore fires floor(n*rate) or ceil(n*rate) times,
 * and at least once as soon as n >= 1/rate; an independent coin per
 * request would fire zero times in e.g. 0.5% of 50-request runs at 10%,
 * which made a faulted pass unable to prove its classification. */
static int wfault_due(struct wfault *f)
{
	long long pos = f->seen++;
	if (f->rate <= 0)
		return 0;
	if (f->blocks == 0) /* first call: place the first hit */
		f->next_hit = (long long)(w_unit(&f->rng) / f->rate), f->blocks = 1;
	if (pos != f->next_hit)
		return 0;
	f->next_hit = (long long)(((double)f->blocks + w_unit(&f->rng)) / f->rate);
	if (f->next_hit <= pos) /* rounding at tiny block sizes */
		f->next_hit = pos + 1;
	f->blocks++;
	return 1;
}

/* A body_has fault needs a request body holding its text. */
static int body_matches(const struct wfault *f, const char *body, size_t len)
{
	return !f->body_has[0] || (body && memmem(body, len, f->body_has, strlen(f->body_has)));
}

static int draw(struct wfaults *fs, const char *target, const char *alias, int at_connect, const char *body,
		size_t body_len, struct wfault_hit *h)
{
	uint64_t now = w_now_ms();
	wfault_hit_init(h);
	for (size_t i = 0; i < fs->n; i++) {
		struct wfault *f = &fs->f[i];
		if (!matches(f, target, alias) || !active(f, now) || f->kind == WF_CUT ||
		    !body_matches(f, body, body_len))
			continue;
		if ((f->kind == WF_REFUSE) != !!at_connect)
			continue;
		if (f->rate < 1.0 && !wfault_due(f))
			continue;
		f->hits++;
		h->any = 1;
		if (f->refuse_for_ms > h->refuse_for_ms) {
			h->refuse_for_ms = f->refuse_for_ms;
			snprintf(h->refuse_target, sizeof h->refuse_target, "%s", f->target);
		}
		switch (f->kind) {
		case WF_LATENCY:
			h->latency_ms += latency_draw(f);
			break;
		case WF_ERROR:
			h->error_status = f->status;
			snprintf(h->error_message, sizeof h->error_message, "%s", f->message);
			h->error_after_msgs = f->after_messages;
			break;
		case WF_STALL:
			h->stall = 1;
			h->stall_after_msgs = f->after_messages;
			break;
		case WF_CLOSE:
			h->close_after_bytes = f->after_bytes;
			h->close_after_msgs = f->after_bytes < 0 && f->after_messages < 0 ? 1 : f->after_messages;
			h->close_code = f->close_code;
			break;
		case WF_RESET:
			h->reset_after_bytes = f->after_bytes;
			h->reset_after_msgs = f->after_bytes < 0 && f->after_messages < 0 ? 1 : f->after_messages;
			break;
		case WF_MALFORMED:
			h->malformed = 1;
			h->malformed_after_msgs = f->after_messages < 0 ? 0 : f->after_messages;
			break;
		case WF_TRICKLE:
			h->trickle_bytes = f->chunk_bytes > 0 ? f->chunk_bytes : 1;
			h->trickle_ms = f->interval_ms;
			break;
		case WF_REFUSE:
			h->refuse = 1;
			break;
		default:
			break;
		}
	}
	return h->any;
}

int wfaults_draw(struct wfaults *fs, const char *target, const char *alias, int at_connect, struct wfault_hit *h)
{
	return draw(fs, target, alias, at_connect, NULL, 0, h);
}

int wfaults_draw_req(struct wfaults *fs, const char *target, const char *alias, const char *body, size_t body_len,
		     struct wfault_hit *h)
{
	return draw(fs, target, alias, 0, body, body_len, h);
}

int wfaults_refuse_for(struct wfaults *fs, const char *target, double ms)
{
	char err[200];
	json_t *j = json_pack("{s:s,s:s,s:f}", "target", target, "kind", "refuse", "window_ms", ms);
	int rc = j ? wfault_from_json(fs, j, "refuse_for", err, sizeof err) : -1;
	json_decref(j);
	return rc;
}

int wfaults_refusing(struct wfaults *fs, const char *target, const char *alias)
{
	uint64_t now = w_now_ms();
	for (size_t i = 0; i < fs->n; i++) {
		const struct wfault *f = &fs->f[i];
		if (f->kind == WF_REFUSE && f->rate >= 1.0 && f->max_hits <= 0 && matches(f, target, alias) &&
		    active(f, now))
			return 1;
	}
	return 0;
}
