/* setup plugin: the keys each plugin needs (Phase 1.4): what each plugin of
 * the run declares (struct vs_plugin .secrets, handed over by
 * host->declared_secrets), or [setup] plugins / env.<plugin> when set.  A key counts as
 * present when it is set in vstress's environment, in [target] env.<VAR>
 * (what a launched target gets), or in the world's exported variables
 * (VSTRESS_WORLD_URLS).  A missing key is a skip, never a failure; a key
 * whose value cannot be what a provider issued fails: set but empty, or with
 * surrounding white space or quotes (a .env quoting mistake the provider
 * rejects as a bad key). */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is wrong with a key's value, or NULL; the value itself is never shown. */
static const char *bad_value(const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return "set but empty";
	if (strchr(" \t\r\n", v[0]) || strchr(" \t\r\n", v[n - 1]))
		return "has leading or trailing white space";
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		return "is wrapped in quotes";
	return NULL;
}

/* Where var is set and how long its value is; -1 when nowhere.  *bad says
 * what is wrong with the value (NULL: nothing).  Set but empty in the
 * environment counts as found (0 chars), so it fails instead of skipping (an
 * `export KEY=` mistake); an empty [target] env.* is a configuration's
 * `${VAR:-}` with nothing to give, i.e. not set. */
static long find_var(struct setup *s, json_t *world_env, const char *var, const char **where, const char **bad)
{
	const char *v = getenv(var), *empty = v ? "in the environment" : NULL;
	char key[300];

	*bad = NULL;
	if (v && *v) {
		*where = "in the environment";
		*bad = bad_value(v);
		return (long)strlen(v);
	}
	snprintf(key, sizeof(key), "env.%s", var);
	v = s->h->conf(s->c, "target", key);
	if (v && *v) {
		*where = "for the target ([target] env.*)";
		*bad = bad_value(v);
		return (long)strlen(v);
	}
	v = json_string_value(json_object_get(world_env, var));
	if (v && *v) {
		*where = "by the world (VSTRESS_WORLD_URLS)";
		*bad = bad_value(v);
		return (long)strlen(v);
	}
	if (empty) {
		*where = empty;
		*bad = bad_value("");
		return 0;
	}
	return -1;
}

static json_t *load_world_env(void)
{
	const char *path = getenv("VSTRESS_WORLD_URLS");
	json_t *j, *env;

	if (!path || !*path || !(j = json_load_file(path, 0, NULL)))
		return NULL;
	env = json_incref(json_object_get(j, "env"));
	json_decref(j);
	return env;
}

/* "A|B": the first one present wins. */
static void check_item(struct setup *s, json_t *world_env, const char *plugin, const char *item, json_t *report)
{
	char **alts = setup_split(item, '|'), name[400];
	const char *where = NULL, *bad = NULL;
	long len = -1;
	size_t i, hit;

	if (!alts)
		return;
	/* a value wins over an empty one of an earlier alternative */
	for (i = 0, hit = 0; alts[i] && len <= 0; i++) {
		const char *w, *b;
		long l = find_var(s, world_env, alts[i], &w, &b);
		if (l > len) {
			len = l, where = w, bad = b, hit = i;
		}
	}
	snprintf(name, sizeof(name), "env.%s.%s", plugin, item);
	if (len >= 0) {
		/* a dummy the world exported for its own stand-in is vstress's, not the team's */
		int prev = VS_SUBJECT(s->h, s->c, !strncmp(where, "by the world", 12) ? VS_SUBJECT_HARNESS : VS_SUBJECT_TARGET);

		if (bad)
			s->h->check(s->c, name, VS_CHECK_FAIL, "%s set %s (%ld chars) %s: %s and the target read it as is",
				    alts[hit], where, len, bad, plugin);
		else
			s->h->check(s->c, name, VS_CHECK_PASS, "%s set %s (%ld chars)", alts[hit], where, len);
		VS_SUBJECT(s->h, s->c, prev);
		json_object_set_new(report, item, json_pack("{s:b,s:s}", "present", 1, "where", where));
	} else {
		s->h->check(s->c, name, VS_CHECK_SKIP, "%s not set: %s probes will skip", item, plugin);
		json_object_set_new(report, item, json_pack("{s:b}", "present", 0));
	}
	setup_strv_free(alts);
}

/* What `plugin` declares (host->declared_secrets), or NULL. */
static const char *const *declared(struct setup *s, const char *plugin)
{
	const char *const *sec = NULL;
	const char *name;

	if (!VS_HOST_HAS(s->h, declared_secrets))
		return NULL;
	for (size_t i = 0; (name = s->h->declared_secrets(s->c, i, &sec)); i++)
		if (!strcmp(name, plugin))
			return sec;
	return NULL;
}

/* [setup] plugins when set (an override, "" for none); else every plugin of
 * the run that declares secrets, in the registry's order. */
static char **plugin_list(struct setup *s)
{
	const char *v = s->h->opt(s->c, "plugins"), *name, *const *sec;
	char **out;
	size_t n = 0;

	if (v || !VS_HOST_HAS(s->h, declared_secrets))
		return setup_split(v, ',');
	while (s->h->declared_secrets(s->c, n, &sec))
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++) {
		name = s->h->declared_secrets(s->c, i, &sec);
		out[i] = strdup(name ? name : "");
	}
	return out;
}

/* The items to check for one plugin: [setup] env.<plugin> when set, else
 * what the plugin declares. */
static char **plugin_items(struct setup *s, const char *plugin)
{
	char key[200], **out;
	const char *v, *const *sec;
	size_t n = 0;

	snprintf(key, sizeof(key), "env.%s", plugin);
	if ((v = s->h->opt(s->c, key)))
		return setup_split(v, ',');
	sec = declared(s, plugin);
	while (sec && sec[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(sec[i]);
	return out;
}

void setup_env(struct setup *s)
{
	char *extra = setup_opt(s, "env_extra");
	char **plugins = plugin_list(s), **extras = setup_split(extra, ',');
	json_t *world_env = load_world_env(), *all = json_object();

	for (size_t p = 0; plugins && plugins[p]; p++) {
		char key[200], **items = plugin_items(s, plugins[p]);
		json_t *report = json_object();
		size_t n = 0;

		snprintf(key, sizeof(key), "env.%s", plugins[p]);
		for (size_t i = 0; items && items[i]; i++, n++)
			check_item(s, world_env, plugins[p], items[i], report);
		for (size_t i = 0; extras && extras[i]; i++) {
			const char *colon = strchr(extras[i], ':');
			if (colon && (size_t)(colon - extras[i]) == strlen(plugins[p]) &&
			    !strncmp(extras[i], plugins[p], strlen(plugins[p])) && colon[1]) {
				check_item(s, world_env, plugins[p], colon + 1, report);
				n++;
			}
		}
		if (!n)
			s->h->check(s->c, key, VS_CHECK_PASS, "no keys required for %s", plugins[p]);
		json_object_set_new(all, plugins[p], report);
		setup_strv_free(items);
	}
	json_object_set_new(s->data, "env", all);
	json_decref(world_env);
	setup_strv_free(plugins);
	setup_strv_free(extras);
	free(extra);
}
