/* The report's HTML helpers that every section and the page use:
 * escaping, numbers for display, reading the summary's JSON.  They call
 * nothing of the report, so the page and its sections all sit above them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

void rp_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
				fputs("\xef\xbf\xbd", f); /* U+FFFD for control characters */
			else
				fputc(ch, f);
		}
	}
}

void rp_esc_json(FILE *f, const json_t *v)
{
	char *s;

	if (!v || json_is_null(v)) {
		fputs("-", f);
	} else if (json_is_string(v)) {
		rp_esc(f, json_string_value(v));
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_number(v)) {
		rp_num(f, json_number_value(v));
	} else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
		rp_esc(f, s);
		free(s);
	}
}

void rp_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("-", f);
	else if (v != 0 && (fabs(v) >= 1e7 || fabs(v) < 1e-3))
		fprintf(f, "%.3g", v);
	else if (fabs(v) >= 100 || v == floor(v))
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.4g", v);
}

void rp_absent(FILE *f, const char *what)
{
	fputs("<p class=\"absent\">", f);
	rp_esc(f, what);
	fputs("</p>\n", f);
}

int rp_is_harness(const json_t *check)
{
	const char *s = json_string_value(json_object_get(check, "subject"));

	return s && !strcmp(s, "harness");
}

double rp_get_num(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

const char *rp_get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}
