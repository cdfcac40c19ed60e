#include "plan.h"

#include <stdio.h>
#include <string.h>

#include <vstress/observe/signal.h>

static const char *const vstress_keys[] = {"results_dir", "timeout", "kill_grace", "profile", "seed",
					   "hist_sigfigs", "strict", "plugin_dir", "merge_artifacts", "shard_split", "shard_all",
					   "progress_interval", "telnyx_key_file", NULL};
static const char *const target_keys[] = {"mode", "command", "cwd", "base_url", "health_path", "ready_timeout",
					  "pid", "stop_timeout", "telephony", "texml_url", "texml_method", "public_url", "python", NULL};
static const char *const plugin_core_keys[] = {"enabled", "depends", "timeout", "path", NULL};

/* [world] belongs to the world process, which validates its own keys. */
int vs_core_section(const char *name)
{
	return !strcmp(name, "vstress") || !strcmp(name, "target") || !strcmp(name, "world");
}

static int in_list(const char *const *l, const char *k)
{
	for (; l && *l; l++)
		if (!strcmp(*l, k))
			return 1;
	return 0;
}

static const char *nearest(const char *const *l, const struct vs_option *opts, const char *k)
{
	const char *best = NULL;
	int bd = 3, d;

	for (; l && *l; l++)
		if ((d = vs_edit_distance(k, *l)) < bd) {
			bd = d;
			best = *l;
		}
	for (; opts && opts->key; opts++)
		if ((d = vs_edit_distance(k, opts->key)) < bd) {
			bd = d;
			best = opts->key;
		}
	return best;
}

static void add_msg(char **msgs, size_t max, size_t *n, char *m)
{
	if (*n < max)
		msgs[(*n)++] = m;
	else
		free(m);
}

static char *suggest_suffix(const char *s)
{
	return s ? vs_xasprintf("; did you mean '%s'?", s) : vs_xstrdup("");
}

static int check_value(const struct vs_option *o, const char *v)
{
	long long ll;
	double d;
	int b;

	switch (o->type) {
	case VS_OPT_INT:
		return vs_parse_int(v, &ll);
	case VS_OPT_DOUBLE:
		return vs_parse_double(v, &d);
	case VS_OPT_BOOL:
		return vs_parse_bool(v, &b);
	case VS_OPT_DURATION:
		return vs_parse_ms(v, &ll);
	default:
		return 0;
	}
}

static const char *const type_names[] = {"a string", "an integer", "a number", "a boolean (true/false)",
					 "a duration (e.g. 250ms, 2s)", "a comma-separated list"};

size_t vs_validate(struct vs_config *c, struct vs_registry *r, char **msgs, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->ns; i++) {
		const struct vs_section *s = &c->s[i];
		struct vs_loaded *pl;
		char *suf;

		if (vs_core_section(s->name))
			continue;
		pl = vs_registry_find(r, s->name);
		if (!pl) {
			const char *ps = vs_registry_suggest(r, s->name);

			if (!ps && vs_edit_distance(s->name, "vstress") <= 2)
				ps = "vstress";
			else if (!ps && vs_edit_distance(s->name, "target") <= 2)
				ps = "target";
			/* Unknown sections are reported by vs_plan_build when they
			 * are selected; a near miss of a known name is always an error. */
			if (ps) {
				suf = suggest_suffix(ps);
				add_msg(msgs, max, &n,
					vs_xasprintf("%s:%d: unknown section [%s]%s", s->file, s->line, s->name, suf));
				free(suf);
			}
		}
	}
	for (i = 0; i < c->n; i++) {
		const struct vs_entry *e = &c->e[i];
		const struct vs_option *o = NULL;
		struct vs_loaded *pl;
		struct vs_err err = {0};
		const char *v;

		if (!strcmp(e->section, "vstress") || !strcmp(e->section, "target")) {
			const char *const *keys = !strcmp(e->section, "vstress") ? vstress_keys : target_keys;
			int is_env = !strcmp(e->section, "target") && !strncmp(e->key, "env.", 4);
			int is_signal = !strcmp(e->section, "target") && !strncmp(e->key, "signal.", 7);

			if (is_signal) {
				struct vs_signal sig;
				char why[400];
				if (!vs_signal_known(e->key + 7)) {
					char *suf = suggest_suffix(nearest(vs_signal_names, NULL, e->key + 7));
					add_msg(msgs, max, &n,
						vs_xasprintf("%s:%d: unknown agent signal '%s' in [target]%s", e->file,
							     e->line, e->key, suf));
					free(suf);
				} else if (!strstr(e->value, "${") && /* interpolated: the plugin checks it */
					   vs_signal_parse(e->key + 7, e->value, &sig, why, sizeof(why)) != 0) {
					add_msg(msgs, max, &n, vs_xasprintf("%s:%d: %s", e->file, e->line, why));
				}
				continue;
			}
			if (!in_list(keys, e->key) && !is_env) {
				char *suf = suggest_suffix(nearest(keys, NULL, e->key));
				add_msg(msgs, max, &n,
					vs_xasprintf("%s:%d: unknown key '%s' in [%s]%s", e->file, e->line, e->key,
						     e->section, suf));
				free(suf);
			}
			continue;
		}
		if (vs_core_section(e->section))
			continue;
		pl = vs_registry_find(r, e->section);
		if (!pl || !pl->desc)
			continue;
		/* Faults of a plugin's stand-in: the world validates them. */
		if (!strncmp(e->key, "fault.", 6))
			continue;
		if (in_list(plugin_core_keys, e->key)) {
			if (!strcmp(e->key, "enabled") || !strcmp(e->key, "timeout")) {
				struct vs_option tmp = {.key = e->key,
							.type = !strcmp(e->key, "enabled") ? VS_OPT_BOOL
											    : VS_OPT_DURATION};
				v = vs_config_get(c, e->section, e->key, &err);
				if (v && check_value(&tmp, v))
					add_msg(msgs, max, &n,
						vs_xasprintf("%s:%d: [%s] %s = '%s' is not %s", e->file, e->line,
							     e->section, e->key, v, type_names[tmp.type]));
			}
			continue;
		}
		o = vs_plugin_option(pl->desc, e->key);
		if (!o) {
			char *suf = suggest_suffix(nearest(plugin_core_keys, pl->desc->options, e->key));
			add_msg(msgs, max, &n,
				vs_xasprintf("%s:%d: unknown key '%s' in [%s]%s", e->file, e->line, e->key,
					     e->section, suf));
			free(suf);
			continue;
		}
		if (vs_config_entry(c, e->section, e->key) != e)
			continue; /* overridden: only the effective value matters */
		v = vs_config_get(c, e->section, e->key, &err);
		if (err.set)
			add_msg(msgs, max, &n, vs_xstrdup(err.msg));
		else if (v && *v && check_value(o, v))
			add_msg(msgs, max, &n,
				vs_xasprintf("%s:%d: [%s] %s = '%s' is not %s", e->file, e->line, e->section, e->key,
					     v, type_names[o->type]));
	}
	return n;
}

/* ---- plan ------------------------------------------------------------- */

int vs_is_service(const char *name)
{
	return !strcmp(name, "world") || !strcmp(name, "target");
}

struct node {
	char *name;
	struct vs_loaded *pl;
	char **deps;
	size_t ndeps;
	int selected, color; /* 0 white, 1 grey, 2 black */
	char *skip_reason;
};

struct graph {
	struct node *v;
	size_t n;
};

static struct node *gfind(struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].name, name))
			return &g->v[i];
	return NULL;
}

static int enabled(struct vs_config *c, const char *name)
{
	struct vs_err err = {0};
	const char *v = vs_config_get(c, name, "enabled", &err);
	int b = 1;

	if (v && vs_parse_bool(v, &b))
		b = 1;
	return b;
}

static void add_dep(struct node *nd, const char *d)
{
	size_t i;

	for (i = 0; i < nd->ndeps; i++)
		if (!strcmp(nd->deps[i], d))
			return;
	nd->deps = vs_xrealloc(nd->deps, (nd->ndeps + 2) * sizeof(*nd->deps));
	nd->deps[nd->ndeps++] = vs_xstrdup(d);
	nd->deps[nd->ndeps] = NULL;
}

static int in_names(char **l, const char *k)
{
	for (; l && *l; l++)
		if (!strcmp(*l, k))
			return 1;
	return 0;
}

/* Resolve `name` to a loaded plugin (manifest path= first). */
static struct vs_loaded *resolve(struct vs_config *c, struct vs_registry *r, const char *name, struct vs_err *err)
{
	struct vs_err ierr = {0};
	const char *path = vs_config_get(c, name, "path", &ierr);
	struct vs_loaded *pl;
	const struct vs_entry *e;
	const struct vs_section *s = vs_config_section(c, name);
	const char *sug;

	if (ierr.set) {
		vs_err_set(err, "%s", ierr.msg);
		return NULL;
	}
	if (path && *path) {
		pl = vs_registry_load_path(r, name, path);
		if (pl->error) {
			e = vs_config_entry(c, name, "path");
			vs_err_set(err, "%s:%d: [%s] path %s: %s", e->file, e->line, name, path, pl->error);
		}
		return pl;
	}
	pl = vs_registry_find(r, name);
	if (!pl) {
		sug = vs_registry_suggest(r, name);
		if (s)
			vs_err_set(err, "%s:%d: unknown section [%s]: no plugin named '%s' was found%s%s%s", s->file,
				   s->line, name, name, sug ? "; did you mean [" : "", sug ? sug : "", sug ? "]?" : "");
		else
			vs_err_set(err, "no plugin named '%s' was found%s%s%s", name, sug ? "; did you mean '" : "",
				   sug ? sug : "", sug ? "'?" : "");
	}
	return pl;
}

static struct node *gadd(struct graph *g, const char *name)
{
	struct node *nd;

	g->v = vs_xrealloc(g->v, (g->n + 1) * sizeof(*g->v));
	nd = &g->v[g->n++];
	memset(nd, 0, sizeof(*nd));
	nd->name = vs_xstrdup(name);
	return nd;
}

/* Add `name` and, unless no_deps, everything it depends on. */
static int pull(struct vs_config *c, struct vs_registry *r, struct graph *g, const char *name, int no_deps,
		const char *wanted_by, struct vs_err *err)
{
	struct node *nd = gfind(g, name);
	const char *const *rq;
	struct vs_err ierr = {0};
	const char *dl;
	char *list, *tok, *save;
	size_t i, idx;

	if (nd || vs_is_service(name))
		return 0;
	nd = gadd(g, name);
	idx = (size_t)(nd - g->v);
	g->v[idx].pl = resolve(c, r, name, err);
	if (!g->v[idx].pl) {
		if (wanted_by) {
			err->set = 0;
			vs_err_set(err, "plugin '%s' depends on '%s', which was not found in any plugin folder",
				   wanted_by, name);
		}
		return -1;
	}
	if (err->set)
		return -1;
	for (rq = g->v[idx].pl->desc ? g->v[idx].pl->desc->requires : NULL; rq && *rq; rq++)
		add_dep(&g->v[idx], *rq);
	dl = vs_config_get(c, name, "depends", &ierr);
	if (ierr.set) {
		vs_err_set(err, "%s", ierr.msg);
		return -1;
	}
	if (dl && *dl) {
		list = vs_xstrdup(dl);
		for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
			add_dep(&g->v[idx], tok);
		free(list);
	}
	if (no_deps)
		return 0;
	for (i = 0; i < g->v[idx].ndeps; i++) {
		char *d = vs_xstrdup(g->v[idx].deps[i]);
		int rc = pull(c, r, g, d, no_deps, g->v[idx].name, err);

		free(d);
		if (rc)
			return rc;
	}
	return 0;
}

static int visit(struct graph *g, struct node *nd, struct vs_plan *out, char **stack, size_t depth,
		 struct vs_err *err)
{
	size_t i, j;
	struct node *d;

	if (nd->color == 2)
		return 0;
	if (nd->color == 1) {
		char buf[900] = "";
		size_t start = 0;

		for (j = 0; j < depth; j++)
			if (!strcmp(stack[j], nd->name))
				start = j;
		for (j = start; j < depth; j++) {
			strncat(buf, stack[j], sizeof(buf) - strlen(buf) - 1);
			strncat(buf, " -> ", sizeof(buf) - strlen(buf) - 1);
		}
		strncat(buf, nd->name, sizeof(buf) - strlen(buf) - 1);
		vs_err_set(err, "dependency cycle: %s", buf);
		return -1;
	}
	nd->color = 1;
	stack[depth] = nd->name;
	for (i = 0; i < nd->ndeps; i++) {
		d = gfind(g, nd->deps[i]);
		if (!d)
			continue; /* outside the selection (--no-deps) */
		if (visit(g, d, out, stack, depth + 1, err))
			return -1;
	}
	nd->color = 2;
	out->items[out->n].name = vs_xstrdup(nd->name);
	out->items[out->n].pl = nd->pl;
	out->items[out->n].deps = nd->deps;
	out->items[out->n].ndeps = nd->ndeps;
	out->items[out->n].skip_reason = nd->skip_reason;
	nd->deps = NULL;
	nd->ndeps = 0;
	nd->skip_reason = NULL;
	out->n++;
	return 0;
}

int vs_plan_build(struct vs_config *c, struct vs_registry *r, const struct vs_selection *sel, struct vs_plan *out,
		  struct vs_err *err)
{
	struct graph g = {0};
	char **stack = NULL;
	size_t i, j;
	int rc = -1;
	char **only = sel ? sel->only : NULL;
	int no_deps = sel ? sel->no_deps : 0;

	memset(out, 0, sizeof(*out));
	if (only) {
		for (; *only; only++)
			if (pull(c, r, &g, *only, no_deps, NULL, err))
				goto out;
	} else {
		for (i = 0; i < c->ns; i++) {
			const char *name = c->s[i].name;

			if (vs_core_section(name) || c->s[i].profile || !enabled(c, name))
				continue;
			if (sel && in_names(sel->skip, name))
				continue;
			if (pull(c, r, &g, name, no_deps, NULL, err))
				goto out;
		}
	}
	/* --skip removes a plugin; whatever needs it is then skipped. Default
	 * selection: a dependency disabled in the manifest skips dependents. */
	for (i = 0; i < g.n; i++) {
		for (j = 0; j < g.v[i].ndeps; j++) {
			const char *d = g.v[i].deps[j];

			if (sel && in_names(sel->skip, d) && !g.v[i].skip_reason)
				g.v[i].skip_reason = vs_xasprintf("dependency %s was skipped (--skip)", d);
			else if (!only && !enabled(c, d) && !g.v[i].skip_reason)
				g.v[i].skip_reason = vs_xasprintf("dependency %s is disabled in the manifest", d);
		}
	}
	if (sel && sel->skip) {
		for (i = 0; i < g.n;) {
			if (in_names(sel->skip, g.v[i].name)) {
				free(g.v[i].name);
				for (j = 0; j < g.v[i].ndeps; j++)
					free(g.v[i].deps[j]);
				free(g.v[i].deps);
				free(g.v[i].skip_reason);
				memmove(&g.v[i], &g.v[i + 1], (g.n - i - 1) * sizeof(*g.v));
				g.n--;
			} else {
				i++;
			}
		}
	}
	/* A loaded but unusable plugin stays in the plan: the run reports it as an error. */
	for (i = 0; i < g.n; i++)
		for (j = 0; j < g.v[i].ndeps; j++) {
			if (!strcmp(g.v[i].deps[j], "world"))
				out->needs_world = 1;
			else if (!strcmp(g.v[i].deps[j], "target"))
				out->needs_target = 1;
		}
	out->items = vs_xcalloc(g.n ? g.n : 1, sizeof(*out->items));
	stack = vs_xcalloc(g.n + 1, sizeof(*stack));
	for (i = 0; i < g.n; i++)
		if (visit(&g, &g.v[i], out, stack, 0, err))
			goto out;
	rc = 0;
out:
	for (i = 0; i < g.n; i++) {
		free(g.v[i].name);
		for (j = 0; j < g.v[i].ndeps; j++)
			free(g.v[i].deps[j]);
		free(g.v[i].deps);
		free(g.v[i].skip_reason);
	}
	free(g.v);
	free(stack);
	if (rc)
		vs_plan_free(out);
	return rc;
}

void vs_plan_free(struct vs_plan *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		free(p->items[i].name);
		for (j = 0; j < p->items[i].ndeps; j++)
			free(p->items[i].deps[j]);
		free(p->items[i].deps);
		free(p->items[i].skip_reason);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}
