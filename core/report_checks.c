/* The report's verdict and its check tables: each phase's target checks,
 * and the harness checks (subject "harness") in a section of their own. */
#include <string.h>

#include "report_int.h"

static void status_span(FILE *f, const char *s)
{
	fputs("<span class=\"", f);
	rp_esc(f, s ? s : "unknown");
	fputs("\">", f);
	rp_esc(f, s ? s : "unknown");
	fputs("</span>", f);
}

void rp_section_verdict(struct rp *r)
{
	FILE *f = r->f;
	const char *st = rp_get_str(r->summary, "status");
	json_t *host = json_object_get(r->summary, "host"), *svcs = json_object_get(r->summary, "services"), *p, *v;
	const char *k;
	size_t i;

	fputs("<h1>vstress report</h1>\n<section id=\"verdict\"><h2>Verdict</h2>\n<div class=\"verdict ", f);
	rp_esc(f, st);
	fputs("\" id=\"verdict-text\">", f);
	rp_esc(f, st);
	fputs("</div>\n<table><tr><th>run</th><td>", f);
	rp_esc(f, rp_get_str(r->summary, "run_id"));
	fputs("</td></tr><tr><th>started</th><td>", f);
	rp_esc(f, rp_get_str(r->summary, "started_at"));
	fputs("</td></tr><tr><th>duration</th><td>", f);
	rp_num(f, rp_get_num(r->summary, "duration_ms", 0) / 1000.0);
	fputs(" s</td></tr><tr><th>profile, seed</th><td>", f);
	rp_esc(f, rp_get_str(r->summary, "profile"));
	fputs(", ", f);
	rp_esc_json(f, json_object_get(r->summary, "seed"));
	fputs("</td></tr><tr><th>vstress</th><td>", f);
	rp_esc(f, rp_get_str(r->summary, "vstress_version"));
	if (json_is_object(host)) {
		fputs("</td></tr><tr><th>host</th><td>", f);
		rp_esc(f, rp_get_str(host, "hostname"));
		fputs(" (", f);
		rp_esc(f, rp_get_str(host, "os"));
		fputs(" ", f);
		rp_esc(f, rp_get_str(host, "release"));
		fputs(", ", f);
		rp_esc_json(f, json_object_get(host, "cpus"));
		fputs(" CPUs)", f);
	}
	fputs("</td></tr></table>\n", f);
	if (json_is_object(svcs)) {
		fputs("<h3>Services</h3><table><tr><th>service</th><th>status</th><th>ready after</th><th>error</th></tr>\n",
		      f);
		json_object_foreach(svcs, k, v) {
			fputs("<tr><td>", f);
			rp_esc(f, k);
			fputs("</td><td>", f);
			rp_esc_json(f, json_object_get(v, "status"));
			fputs("</td><td>", f);
			if (json_is_number(json_object_get(v, "ready_ms"))) {
				rp_num(f, rp_get_num(v, "ready_ms", 0));
				fputs(" ms", f);
			}
			fputs("</td><td class=\"msg\">", f);
			rp_esc_json(f, json_object_get(v, "error"));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h3>Phases</h3><table><tr><th>phase</th><th>status</th><th>checks passed / failed / skipped</th>"
	      "<th>duration</th><th>reason</th></tr>\n",
	      f);
	json_array_foreach(r->plugins, i, p) {
		fputs("<tr><td><a href=\"#p-", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs("\">", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs("</a></td><td>", f);
		status_span(f, rp_get_str(p, "status"));
		fputs("</td><td>", f);
		rp_esc_json(f, json_object_get(p, "checks_passed"));
		fputs(" / ", f);
		rp_esc_json(f, json_object_get(p, "checks_failed"));
		fputs(" / ", f);
		rp_esc_json(f, json_object_get(p, "checks_skipped"));
		fputs("</td><td>", f);
		rp_num(f, rp_get_num(p, "duration_ms", 0) / 1000.0);
		fputs(" s</td><td class=\"msg\">", f);
		rp_esc_json(f, json_object_get(p, "reason"));
		fputs("</td></tr>\n", f);
	}
	if (!json_array_size(r->plugins))
		fputs("<tr><td colspan=\"5\" class=\"absent\">no phase ran</td></tr>\n", f);
	fputs("</table></section>\n", f);
}

static void check_row(FILE *f, const json_t *c)
{
	const json_t *v = json_object_get(c, "value");

	fputs("<tr><td>", f);
	rp_esc(f, rp_get_str(c, "name"));
	fputs("</td><td>", f);
	status_span(f, rp_get_str(c, "status"));
	fputs("</td><td>", f);
	if (json_is_number(v)) {
		rp_num(f, json_number_value(v));
		fputs(" ", f);
		rp_esc(f, rp_get_str(c, "unit"));
	}
	fputs("</td><td>", f);
	if (json_is_number(json_object_get(c, "threshold"))) {
		rp_esc(f, rp_get_str(c, "op"));
		fputs(" ", f);
		rp_num(f, rp_get_num(c, "threshold", 0));
		fputs(" ", f);
		rp_esc(f, rp_get_str(c, "unit"));
	}
	fputs("</td><td class=\"msg\">", f);
	rp_esc(f, rp_get_str(c, "message"));
	fputs("</td></tr>\n", f);
}

/* harness: 0 the target's checks, 1 the harness's; returns rows written. */
static size_t check_table(FILE *f, const json_t *p, int harness, int anchor)
{
	const json_t *checks = json_object_get(p, "checks"), *c;
	size_t i, n = 0;

	json_array_foreach(checks, i, c) {
		if (rp_is_harness(c) != harness)
			continue;
		if (!n++) {
			fputs("<h3", f);
			if (anchor) {
				fputs(" id=\"p-", f);
				rp_esc(f, rp_get_str(p, "name"));
				fputs("\"", f);
			}
			fputs(">", f);
			rp_esc(f, rp_get_str(p, "name"));
			fputs(" ", f);
			status_span(f, rp_get_str(p, "status"));
			fputs("</h3>\n<table><tr><th>check</th><th>status</th><th>measured</th><th>threshold</th>"
			      "<th>message</th></tr>\n",
			      f);
		}
		check_row(f, c);
	}
	if (n)
		fputs("</table>\n", f);
	return n;
}

void rp_section_checks(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p;
	size_t i, n;

	fputs("<section id=\"checks\"><h2>Target checks, by phase</h2>\n", f);
	json_array_foreach(r->plugins, i, p) {
		if (!check_table(f, p, 0, 1)) {
			fputs("<h3 id=\"p-", f);
			rp_esc(f, rp_get_str(p, "name"));
			fputs("\">", f);
			rp_esc(f, rp_get_str(p, "name"));
			fputs(" ", f);
			status_span(f, rp_get_str(p, "status"));
			fputs("</h3>\n", f);
			rp_absent(f, "no target check");
		}
	}
	if (!json_array_size(r->plugins))
		rp_absent(f, "no phase ran");
	fputs("</section>\n<section id=\"harness\"><h2>Harness checks</h2>\n", f);
	n = 0;
	json_array_foreach(r->plugins, i, p)
		n += check_table(f, p, 1, 0);
	if (!n)
		rp_absent(f, "no harness check in this run (checks without a \"subject\" count as target checks)");
	fputs("</section>\n", f);
}
