/* setup plugin: the keys each plugin needs (Phase 1.4).  A key counts as
 * present when it is set in vstress's environment, in [target] env.<VAR>
 * (what a launched target gets), or in the world's exported variables
 * (VSTRESS_WORLD_URLS).  A missing key is a skip, never a failure. */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where var is set and how long its value is; -1 when nowhere.  The value
 * itself is never shown. */
static long find_var(struct setup *s, json_t *world_env, const char *var, const char **where)
{
	const char *v = getenv(var);
	char key[300];

	if (v && *v) {
		*where = "in the environment";
		return (long)strlen(v);
	}
	snprintf(key, sizeof(key), "env.%s", var);
	v = s->h->conf(s->c, "target", key);
	if (v && *v) {
		*where = "for the target ([target] env.*)";
		return (long)strlen(v);
	}
	v = json_string_value(json_object_get(world_env, var));
	if (v && *v) {
		*where = "by the world (VSTRESS_WORLD_URLS)";
		return (long)strlen(v);
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
	const char *where = NULL;
	long len = -1;
	size_t i;

	if (!alts)
		return;
	for (i = 0; alts[i] && len < 0; i++)
		len = find_var(s, world_env, alts[i], &where);
	snprintf(name, sizeof(name), "env.%s.%s", plugin, item);
	if (len >= 0) {
		s->h->check(s->c, name, VS_CHECK_PASS, "%s set %s (%ld chars)", alts[i - 1], where, len);
		json_object_set_new(report, item, json_pack("{s:b,s:s}", "present", 1, "where", where));
	} else {
		s->h->check(s->c, name, VS_CHECK_SKIP, "%s not set: %s probes will skip", item, plugin);
		json_object_set_new(report, item, json_pack("{s:b}", "present", 0));
	}
	setup_strv_free(alts);
}

void setup_env(struct setup *s)
{
	char *list = setup_opt(s, "plugins"), *extra = setup_opt(s, "env_extra");
	char **plugins = setup_split(list, ','), **extras = setup_split(extra, ',');
	json_t *world_env = load_world_env(), *all = json_object();

	for (size_t p = 0; plugins && plugins[p]; p++) {
		char key[200], *spec = NULL, **items = NULL;
		json_t *report = json_object();
		size_t n = 0;
		const struct vs_option *o;

		snprintf(key, sizeof(key), "env.%s", plugins[p]);
		for (o = setup_options; o->key && strcmp(o->key, key); o++)
			;
		spec = o->key ? setup_opt(s, key) : strdup(""); /* env_extra only */
		items = setup_split(spec, ',');
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
		free(spec);
	}
	json_object_set_new(s->data, "env", all);
	json_decref(world_env);
	setup_strv_free(plugins);
	setup_strv_free(extras);
	free(list);
	free(extra);
}
