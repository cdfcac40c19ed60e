/* Merged artifacts: `[vstress] merge_artifacts = out.json=in_*.json, ...`
 * folds the JSON files a run's plugins wrote (each plugin runs in its own
 * child, so none can append to a shared file safely) into one document
 * keyed by what `*` matched: llm_results.json = {"openai": {...}, ...}.
 * The seed's single llm_results.json comes from the three LLM plugins. */
#include "artifacts.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"

/* One `out=pattern` item: 0, or -1 with err. */
static int merge_one(const char *dir, const char *item, struct vs_err *err)
{
	char *eq = strchr(item, '='), *out = NULL, *pat = NULL, *star, *text = NULL, *path = NULL;
	size_t pre, post;
	glob_t g = {0};
	json_t *doc = json_object();
	int rc = -1;

	if (!eq || eq == item || !eq[1] || strchr(item, '/') || !(star = strchr(eq + 1, '*')) || strchr(star + 1, '*')) {
		vs_err_set(err, "merge_artifacts: '%s' must be out=pattern, plain file names, one '*' in the pattern",
			   item);
		goto out;
	}
	out = vs_xasprintf("%.*s", (int)(eq - item), item);
	pre = (size_t)(star - (eq + 1));
	post = strlen(star + 1);
	pat = vs_xasprintf("%s/%s", dir, eq + 1);
	if (glob(pat, 0, NULL, &g) != 0) {
		rc = 0; /* nothing to merge: no file written */
		goto out;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		size_t bl = strlen(base);
		json_error_t je;
		json_t *j;
		char *key;

		if (!strcmp(base, out) || bl < pre + post)
			continue;
		key = vs_xasprintf("%.*s", (int)(bl - pre - post), base + pre);
		j = json_load_file(g.gl_pathv[i], 0, &je);
		if (!j) /* kept, not dropped: say where it broke */
			j = json_pack("{s:s,s:s,s:i}", "error", je.text, "file", base, "line", je.line);
		json_object_set_new(doc, key, j);
		free(key);
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	path = vs_xasprintf("%s/%s", dir, out);
	if (!text || vs_write_atomic(path, text, strlen(text))) {
		vs_err_set(err, "merge_artifacts: cannot write %s", path);
		goto out;
	}
	rc = 0;
out:
	globfree(&g);
	json_decref(doc);
	free(out);
	free(pat);
	free(text);
	free(path);
	return rc;
}

int vs_artifacts_merge(const char *dir, const char *spec, struct vs_err *err)
{
	char *copy, *save = NULL;
	int rc = 0;

	if (!spec || !*spec)
		return 0;
	copy = vs_xasprintf("%s", spec);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (*tok && merge_one(dir, tok, err) != 0)
			rc = -1;
	}
	free(copy);
	return rc;
}
