/* Declared agent signals read from a Prometheus text page
 * (include/vstress/observe/signal.h).  The selector and the sample lines
 * share one label grammar: k="v" pairs, values with \\ \" \n escapes. */
#include "vstress/observe/signal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const vs_signal_names[] = {VS_SIGNAL_NAMES, NULL};

int vs_signal_known(const char *name)
{
	for (const char *const *n = vs_signal_names; *n; n++)
		if (!strcmp(*n, name))
			return 1;
	return 0;
}

static int name_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static int name_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One label block after '{' up to and including '}' (or, when `closing` is
 * 0, up to the end of the text).  Fills s->labels; returns the position
 * after the block, or NULL with *why set. */
static const char *parse_block(const char *p, int closing, struct vs_signal *s, const char **why, const char **at)
{
	for (;;) {
		size_t kl = 0, vl = 0;
		p = skip_ws(p);
		if (closing && *p == '}')
			return p + 1;
		if (!closing && !*p)
			return p;
		*at = p;
		if (!name_start((unsigned char)*p) || *p == ':') {
			*why = "expected a label name";
			return NULL;
		}
		if (s->nlabels == VS_SIGNAL_MAX_LABELS) {
			*why = "more than 8 labels";
			return NULL;
		}
		while (name_char((unsigned char)*p) && *p != ':') {
			if (kl + 1 >= sizeof(s->labels[0].k)) {
				*why = "label name too long";
				return NULL;
			}
			s->labels[s->nlabels].k[kl++] = *p++;
		}
		s->labels[s->nlabels].k[kl] = '\0';
		p = skip_ws(p);
		*at = p;
		if (*p != '=' || p[1] == '~') {
			*why = *p == '!' || *p == '=' ? "only k=\"v\" matches are supported" : "expected '=' after the label name";
			return NULL;
		}
		p = skip_ws(p + 1);
		*at = p;
		if (*p != '"') {
			*why = "expected a quoted value";
			return NULL;
		}
		for (p++; *p != '"'; p++) {
			char c = *p;
			if (!c || c == '\n') {
				*why = "unterminated value";
				return NULL;
			}
			if (c == '\\') {
				c = *++p;
				if (c == 'n')
					c = '\n';
				else if (c != '\\' && c != '"') {
					*at = p;
					*why = "bad escape in the value";
					return NULL;
				}
			}
			if (vl + 1 >= sizeof(s->labels[0].v)) {
				*why = "label value too long";
				return NULL;
			}
			s->labels[s->nlabels].v[vl++] = c;
		}
		s->labels[s->nlabels++].v[vl] = '\0';
		p = skip_ws(p + 1);
		if (*p == ',')
			p++;
		else if (closing && *p != '}') {
			*at = p;
			*why = "expected ',' or '}'";
			return NULL;
		} else if (!closing && *p) {
			*at = p;
			*why = "expected ','";
			return NULL;
		}
	}
}

static int fail(char *err, size_t errlen, const char *key, const char *text, const char *at, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s at column %d of '%.80s'", key, *key ? ": " : "", why, (int)(at - text) + 1,
			 text);
	return -1;
}

int vs_signal_parse(const char *sig, const char *text, struct vs_signal *s, char *err, size_t errlen)
{
	const char *p, *at, *why = NULL;
	size_t nl = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "[target] signal.%s", sig ? sig : "?");
	if (!text)
		return 0;
	p = skip_ws(text);
	if (!*p)
		return 0;
	if (!name_start((unsigned char)*p))
		return fail(err, errlen, s->key, text, p, "expected a series name");
	while (name_char((unsigned char)*p)) {
		if (nl + 1 >= sizeof(s->name)) {
			s->name[0] = '\0';
			return fail(err, errlen, s->key, text, p, "series name too long");
		}
		s->name[nl++] = *p++;
	}
	s->name[nl] = '\0';
	p = skip_ws(p);
	if (*p == '{') {
		p = parse_block(p + 1, 1, s, &why, &at);
		if (!p) {
			s->name[0] = '\0';
			return fail(err, errlen, s->key, text, at, why);
		}
		p = skip_ws(p);
	}
	if (*p) {
		s->name[0] = '\0';
		return fail(err, errlen, s->key, text, p, "unexpected text after the selector");
	}
	return 0;
}

int vs_signal_parse_labels(const char *text, struct vs_signal *s, char *err, size_t errlen)
{
	const char *at = text, *why = NULL;

	memset(s, 0, sizeof(*s));
	if (!text)
		return 0;
	if (!parse_block(text, 0, s, &why, &at))
		return fail(err, errlen, "", text, at, why);
	return 0;
}

/* One sample line: its name [n, n+nl), labels in *ls, value.  0 when the
 * line is not a well-formed sample (comments, blank, garbage). */
static int parse_sample(const char *line, const char *end, const char **n, size_t *nl, struct vs_signal *ls,
			double *v)
{
	char buf[4096];
	size_t len = (size_t)(end - line);
	const char *p, *why, *at;
	char *e;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = skip_ws(buf);
	if (!name_start((unsigned char)*p))
		return 0;
	*n = line + (p - buf);
	while (name_char((unsigned char)*p))
		p++;
	*nl = (size_t)(p - buf) - (size_t)(*n - line);
	memset(ls, 0, sizeof(*ls));
	if (*p == '{' && !(p = parse_block(p + 1, 1, ls, &why, &at)))
		return 0;
	p = skip_ws(p);
	*v = strtod(p, &e);
	return e != p && !isnan(*v);
}

static const char *label_of(const struct vs_signal *ls, const char *k)
{
	for (size_t i = 0; i < ls->nlabels; i++)
		if (!strcmp(ls->labels[i].k, k))
			return ls->labels[i].v;
	return NULL;
}

static int has_all(const struct vs_signal *ls, const struct vs_signal *want)
{
	for (size_t i = 0; want && i < want->nlabels; i++) {
		const char *v = label_of(ls, want->labels[i].k);
		if (!v || strcmp(v, want->labels[i].v))
			return 0;
	}
	return 1;
}

typedef void (*sample_fn)(const struct vs_signal *ls, double v, void *arg);

static int each_match(const struct vs_signal *s, const char *page, const char *suffix, const struct vs_signal *extra,
		      sample_fn fn, void *arg)
{
	char want[192];
	size_t wl;
	int n = 0;

	if (!vs_signal_declared(s) || !page)
		return 0;
	wl = (size_t)snprintf(want, sizeof(want), "%s%s", s->name, suffix ? suffix : "");
	if (wl >= sizeof(want))
		return 0;
	for (const char *line = page; *line;) {
		const char *end = strchr(line, '\n'), *nm;
		size_t nl;
		double v;
		struct vs_signal ls;
		if (!end)
			end = line + strlen(line);
		if (parse_sample(line, end, &nm, &nl, &ls, &v) && nl == wl && !memcmp(nm, want, wl) && has_all(&ls, s) &&
		    has_all(&ls, extra)) {
			fn(&ls, v, arg);
			n++;
		}
		line = *end ? end + 1 : end;
	}
	return n;
}

static void add_sum(const struct vs_signal *ls, double v, void *arg)
{
	(void)ls;
	*(double *)arg += v;
}

int vs_signal_sum(const struct vs_signal *s, const char *page, const char *suffix, const struct vs_signal *extra,
		  double *sum)
{
	*sum = 0;
	return each_match(s, page, suffix, extra, add_sum, sum);
}

struct by_label {
	const char *label;
	size_t n;
	struct {
		char v[192];
		double sum;
	} g[64];
};

static void add_group(const struct vs_signal *ls, double v, void *arg)
{
	struct by_label *b = arg;
	const char *val = label_of(ls, b->label);
	size_t i;

	if (!val)
		val = "";
	for (i = 0; i < b->n && strcmp(b->g[i].v, val); i++)
		;
	if (i == b->n) {
		if (b->n == sizeof(b->g) / sizeof(b->g[0]))
			return;
		snprintf(b->g[b->n++].v, sizeof(b->g[0].v), "%s", val);
	}
	b->g[i].sum += v;
}

int vs_signal_by_label(const struct vs_signal *s, const char *page, const char *label, vs_signal_each_fn fn,
		       void *arg)
{
	struct by_label *b = calloc(1, sizeof(*b));
	int n;

	if (!b)
		return 0;
	b->label = label;
	each_match(s, page, NULL, NULL, add_group, b);
	for (size_t i = 0; i < b->n; i++)
		fn(b->g[i].v, b->g[i].sum, arg);
	n = (int)b->n;
	free(b);
	return n;
}

const char *vs_signal_str(const struct vs_signal *s, char *buf, size_t len)
{
	size_t o;

	if (!len)
		return buf;
	o = (size_t)snprintf(buf, len, "%s", s->name);
	for (size_t i = 0; i < s->nlabels && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=\"%s\"", i ? "," : "{", s->labels[i].k, s->labels[i].v);
	if (s->nlabels && o < len)
		snprintf(buf + o, len - o, "}");
	return buf;
}

const char *vs_signal_why(const struct vs_signal *s, char *buf, size_t len)
{
	char sel[512];

	if (!vs_signal_declared(s))
		snprintf(buf, len, "the agent's signal is not declared (set %s)", s->key);
	else
		snprintf(buf, len, "%s is absent from the target's metrics (the series of %s)",
			 vs_signal_str(s, sel, sizeof(sel)), s->key);
	return buf;
}
