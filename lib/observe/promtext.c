/* Prometheus text exposition: sum the series of one metric that carry a
 * set of labels (include/vstress/observe/promtext.h). */
#include "vstress/observe/promtext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Does the label block [lb, le) contain the pair k="v" (taken from want)? */
static int has_pair(const char *lb, const char *le, const char *k, size_t kl, const char *v, size_t vl)
{
	const char *p = lb;
	while (p < le) {
		const char *eq = memchr(p, '=', (size_t)(le - p)), *q, *ve;
		if (!eq || eq + 1 >= le || eq[1] != '"')
			return 0;
		q = eq + 2;
		ve = q;
		while (ve < le && *ve != '"')
			ve += *ve == '\\' && ve + 1 < le ? 2 : 1;
		if ((size_t)(eq - p) == kl && !memcmp(p, k, kl) && (size_t)(ve - q) == vl && !memcmp(q, v, vl))
			return 1;
		p = ve + 1;
		while (p < le && (*p == ',' || *p == ' '))
			p++;
	}
	return 0;
}

static int labels_match(const char *lb, const char *le, const char *want)
{
	const char *w = want;
	if (!want || !*want)
		return 1;
	while (*w) {
		const char *eq = strchr(w, '='), *v, *ve;
		if (!eq || eq[1] != '"')
			return 0;
		v = eq + 2;
		ve = strchr(v, '"');
		if (!ve || !has_pair(lb, le, w, (size_t)(eq - w), v, (size_t)(ve - v)))
			return 0;
		w = ve + 1;
		while (*w == ',' || *w == ' ')
			w++;
	}
	return 1;
}

int vs_prom_sum(const char *text, const char *name, const char *want, double *sum)
{
	size_t nl = strlen(name);
	int n = 0;

	*sum = 0;
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n'), *p = line, *lb = NULL, *le = NULL;
		if (!end)
			end = line + strlen(line);
		if (*p != '#' && (size_t)(end - p) > nl && !memcmp(p, name, nl) && (p[nl] == '{' || p[nl] == ' ')) {
			p += nl;
			if (*p == '{') {
				lb = p + 1;
				le = memchr(lb, '}', (size_t)(end - lb));
				p = le ? le + 1 : end;
			}
			if (p < end && (!lb || le) && labels_match(lb, le, want)) {
				char *e;
				double v = strtod(p, &e);
				if (e != p && !isnan(v)) {
					*sum += v;
					n++;
				}
			}
		}
		line = *end ? end + 1 : end;
	}
	return n;
}
