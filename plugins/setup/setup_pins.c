/* setup plugin: the == pins of a requirements file, and their check against
 * what the target's interpreter reports installed (setup_imports.c), a
 * mismatch named by FILE:LINE. */
#include "setup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *norm_name(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '-' || ch == '_' || ch == '.') {
			if (k && o[k - 1] != '-')
				o[k++] = '-';
		} else {
			o[k++] = (char)tolower((unsigned char)ch);
		}
	}
	o[k] = '\0';
	return o;
}

/* The == pins of a requirements file; *n pins, NULL with why on an unreadable file. */
struct pin *setup_read_pins(const char *file, size_t *n, size_t *unpinned, char *why, size_t len)
{
	FILE *f = fopen(file, "r");
	struct pin *pins = NULL;
	char line[1024];
	int ln = 0;

	*n = *unpinned = 0;
	if (!f) {
		snprintf(why, len, "[setup] requirements = %s: %s", file, strerror(errno));
		return NULL;
	}
	pins = calloc(1, sizeof(*pins));
	while (pins && fgets(line, sizeof line, f)) {
		char *p = line, *eq, *hash = strchr(line, '#'), *semi;
		size_t nl, vl;
		struct pin *g;

		ln++;
		if (hash)
			*hash = '\0';
		if ((semi = strchr(line, ';'))) /* an environment marker: not evaluated here */
			*semi = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '-') /* blank, or an option (-r, -e, --hash ...) */
			continue;
		eq = strstr(p, "==");
		if (!eq) {
			(*unpinned)++;
			continue;
		}
		nl = strcspn(p, "[=<>!~ \t");
		eq += 2;
		if (*eq == '=')
			eq++;
		while (isspace((unsigned char)*eq))
			eq++;
		vl = strcspn(eq, " \t\r\n,");
		if (!nl || !vl || memchr(eq, '*', vl)) {
			(*unpinned)++;
			continue;
		}
		if (!(g = realloc(pins, (*n + 2) * sizeof(*pins))))
			break;
		pins = g;
		pins[*n] = (struct pin){.name = norm_name(p, nl), .version = strndup(eq, vl), .line = ln};
		(*n)++;
	}
	fclose(f);
	return pins;
}

/* Equal as versions: case-insensitive, trailing .0 of a numeric release ignored (1.0 == 1.0.0). */
static int same_version(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 2 && !strncmp(a + la - 2, ".0", 2) && strspn(a, "0123456789.") == strlen(a))
		la -= 2;
	while (lb > 2 && !strncmp(b + lb - 2, ".0", 2) && strspn(b, "0123456789.") == strlen(b))
		lb -= 2;
	return la == lb && !strncasecmp(a, b, la);
}

void setup_check_pins(struct setup *s, const json_t *rep, const char *file, const struct pin *pins, size_t n,
		       size_t unpinned)
{
	const json_t *inst = json_object_get(rep, "installed");
	char msg[1500] = "";
	size_t bad = 0, off = 0;

	for (size_t i = 0; i < n; i++) {
		const char *have = json_string_value(json_object_get(inst, pins[i].name));

		if (have && same_version(have, pins[i].version))
			continue;
		bad++;
		if (off < sizeof msg - 200)
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s:%d: %s==%s pinned, %s%s", bad > 1 ? "; " : "",
						file, pins[i].line, pins[i].name, pins[i].version,
						have ? have : "not installed", have ? " installed" : "");
	}
	if (bad)
		s->h->check(s->c, "target.requirements", VS_CHECK_FAIL, "%zu of %zu pins differ: %s", bad, n, msg);
	else
		s->h->check(s->c, "target.requirements", VS_CHECK_PASS, "%zu pins of %s installed as pinned%s", n, file,
			    unpinned ? " (lines without == not compared)" : "");
}
