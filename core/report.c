/* report.html: load the summary, write every section, replace the file
 * atomically.  The helpers the sections share are in report_html.c. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "report_int.h"


static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#222;"
	"background:#fff}\n"
	"h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:32px}h3{font-size:15px}\n"
	"table{border-collapse:collapse;margin:8px 0;width:100%}td,th{border:1px solid #ddd;padding:3px 6px;"
	"text-align:left;vertical-align:top}th{background:#f3f3f3}\n"
	"td.msg{white-space:pre-wrap;word-break:break-word}\n"
	".pass,.passed{color:#176d2c}.fail,.failed,.crashed,.error,.timed_out,.no_result,.config_error,"
	".interrupted{color:#b00020;font-weight:bold}.skip,.skipped{color:#8a6100}\n"
	".verdict{font-size:28px;font-weight:bold;padding:8px 16px;border-radius:6px;display:inline-block}\n"
	".verdict.passed{background:#e3f5e8}.verdict.failed,.verdict.interrupted{background:#fde7ea}\n"
	".absent{color:#666;font-style:italic}\n"
	"svg{background:#fcfcfc;border:1px solid #e4e4e4;margin:6px 0}svg text{font:11px sans-serif;fill:#333}\n"
	"nav a{margin-right:12px}\n";

static void page(struct rp *r)
{
	FILE *f = r->f;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n<title>vstress report ",
	      f);
	rp_esc(f, rp_get_str(r->summary, "run_id"));
	fprintf(f, "</title>\n<style>\n%s</style></head><body>\n", css);
	fputs("<nav><a href=\"#verdict\">verdict</a><a href=\"#checks\">checks</a><a href=\"#harness\">harness</a><a href=\"#latency\">latency</a>"
	      "<a href=\"#calls\">calls</a><a href=\"#waterfalls\">waterfalls</a><a href=\"#load\">load</a>"
	      "<a href=\"#memory\">memory and CPU</a><a href=\"#cost\">cost</a></nav>\n",
	      f);
	rp_section_verdict(r);
	rp_section_checks(r);
	rp_section_latency(r);
	rp_section_calls(r);
	rp_section_waterfalls(r);
	rp_section_load(r);
	rp_section_memory(r);
	rp_section_cost(r);
	fputs("<footer><p class=\"absent\">Written by vstress from test_summary.json; regenerate with "
	      "<code>vstress report DIR</code>.</p></footer>\n</body></html>\n",
	      f);
}

int vs_report_write(const char *results_dir, char *err, size_t errlen)
{
	char *path = vs_xasprintf("%s/test_summary.json", results_dir), *out_path = NULL, *buf = NULL;
	json_error_t jerr;
	json_t *sum = json_load_file(path, 0, &jerr);
	struct rp r = {0};
	size_t len = 0;
	int rc = -1;

	if (!sum) {
		if (jerr.line < 0 && strstr(jerr.text, path))
			snprintf(err, errlen, "%s", jerr.text);
		else if (jerr.line < 0)
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(sum) || !json_is_string(json_object_get(sum, "status"))) {
		snprintf(err, errlen, "%s: not a vstress summary (no \"status\" string)", path);
		goto out;
	}
	{
		json_t *pl = json_object_get(sum, "plugins");
		if (pl && !json_is_array(pl)) {
			snprintf(err, errlen, "%s: \"plugins\" is not an array", path);
			goto out;
		}
		r.plugins = pl ? json_incref(pl) : json_array();
	}
	r.summary = sum;
	r.dir = results_dir;
	if (!(r.f = open_memstream(&buf, &len))) {
		snprintf(err, errlen, "report: %s", strerror(errno));
		goto out;
	}
	page(&r);
	if (fclose(r.f)) {
		snprintf(err, errlen, "report: %s", strerror(errno));
		goto out;
	}
	out_path = vs_xasprintf("%s/report.html", results_dir);
	if (vs_write_atomic(out_path, buf, len)) {
		snprintf(err, errlen, "%s: cannot write: %s", out_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(r.plugins);
	json_decref(sum);
	free(buf);
	free(path);
	free(out_path);
	return rc;
}
