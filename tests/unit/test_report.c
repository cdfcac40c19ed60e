/* Unit tests for the HTML report (core/report*.c) over the fixture results
 * folder tests/fixtures/report/ (a real run of skeleton, fx_report - hostile
 * strings -, pipeline, resources and load; see its README): escaping,
 * sections, thresholds on the CDFs, and clear errors on bad summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "report_int.h"

#define FIXTURE "tests/fixtures/report"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/vs-report-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rmdir_all(const char *d)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

/* The fixture copied into a fresh folder, rendered; the page's text. */
static char *render_fixture(char **dir_out)
{
	static const char *const files[] = {"test_summary.json", "fx_report_results.json"};
	char *d = tmpdir(), path[4200], *text, *html;
	char err[1024];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof path, FIXTURE "/%s", files[i]);
		text = slurp(path);
		assert_non_null(text);
		put(d, files[i], text);
		free(text);
	}
	assert_int_equal(vs_report_write(d, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/report.html", d);
	html = slurp(path);
	assert_non_null(html);
	*dir_out = d;
	return html;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

static void test_escapes_hostile_strings(void **state)
{
	char *d, *html = render_fixture(&d);

	(void)state;
	/* the page has no script and no event handler, whatever the agent said */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "onerror=alert(1)>")); /* only ever as text: ...(1)&gt; */
	assert_non_null(strstr(html, "&lt;script&gt;throw new Error(&#39;xss&#39;)&lt;/script&gt;"));
	assert_non_null(strstr(html, "onerror=alert(1)&gt;&quot;&#39;&amp;"));
	/* check name, message, reason, call script and cost provider all escaped */
	assert_non_null(strstr(html, "hostile &lt;script&gt;"));
	assert_non_null(strstr(html, "the agent said: &lt;script&gt;"));
	assert_non_null(strstr(html, "reason &lt;script&gt;"));
	assert_non_null(strstr(html, "booking &lt;script&gt;"));
	assert_non_null(strstr(html, "prov &lt;script&gt;"));
	free(html);
	rmdir_all(d);
	free(d);
}

static void test_sections(void **state)
{
	char *d, *html = render_fixture(&d);

	(void)state;
	assert_non_null(strstr(html, "<div class=\"verdict failed\" id=\"verdict-text\">failed</div>"));
	for (const char *const *id = (const char *const[]){"verdict", "checks", "harness", "latency", "calls",
							   "waterfalls", "load", "memory", "cost", NULL};
	     *id; id++) {
		char want[64];
		snprintf(want, sizeof want, "<section id=\"%s\">", *id);
		assert_int_equal(count(html, want), 1);
	}
	/* a check with value/op/threshold: measured, threshold */
	assert_non_null(strstr(html, "<td>1050 ms</td><td>&lt; 2000 ms</td>"));
	/* the harness check only in the harness section */
	{
		const char *h = strstr(html, "<section id=\"harness\">"), *l = strstr(html, "<section id=\"latency\">");
		const char *hc = strstr(html, "harness clock &lt;b&gt;");
		assert_non_null(hc);
		assert_true(hc > h && hc < l);
		assert_int_equal(count(html, "harness clock &lt;b&gt;"), 1);
	}
	/* CDFs drawn from the histograms; the fixture's threshold on its metric */
	assert_non_null(strstr(html, "fx_report: first_reply - CDF of 40 values"));
	assert_non_null(strstr(html, "skeleton: latency - CDF of 50 values"));
	assert_non_null(strstr(html, "stroke-dasharray=\"2 2\"/><text"));
	assert_true(count(html, ">first_reply.p95</text>") >= 1);
	/* timelines of real calls and of the fixture's call */
	assert_non_null(strstr(html, "pipeline call "));
	assert_non_null(strstr(html, "load call "));
	assert_non_null(strstr(html, "fx_report call 1 (booking &lt;script&gt;"));
	/* load, memory (the fitted slope), cost per provider and per request */
	assert_non_null(strstr(html, "calls in flight"));
	assert_non_null(strstr(html, "least-squares fit"));
	assert_non_null(strstr(html, "fitted leak slope: "));
	assert_non_null(strstr(html, "<td>$0.012300</td>"));
	assert_non_null(strstr(html, "<td>fx_report_results.json</td><td>2</td><td>$0.012300</td>"));
	/* no waterfall in the fixture: said plainly */
	assert_non_null(strstr(html, "no per-turn waterfall in this run"));
	free(html);
	rmdir_all(d);
	free(d);
}

static void test_malformed_summary(void **state)
{
	char *d = tmpdir(), err[1024], path[4200];
	struct stat st;

	(void)state;
	put(d, "test_summary.json", "{\"status\": \"passed\",\n \"plugins\": [1, }\n");
	assert_int_equal(vs_report_write(d, err, sizeof err), -1);
	snprintf(path, sizeof path, "%s/test_summary.json:2:", d);
	assert_non_null(strstr(err, path)); /* file and line */
	snprintf(path, sizeof path, "%s/report.html", d);
	assert_int_not_equal(stat(path, &st), 0); /* nothing written */

	put(d, "test_summary.json", "[1, 2]");
	assert_int_equal(vs_report_write(d, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a vstress summary"));

	put(d, "test_summary.json", "{\"status\": \"passed\", \"plugins\": {}}");
	assert_int_equal(vs_report_write(d, err, sizeof err), -1);
	assert_non_null(strstr(err, "\"plugins\" is not an array"));

	snprintf(path, sizeof path, "%s/test_summary.json", d);
	unlink(path);
	assert_int_equal(vs_report_write(d, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	rmdir_all(d);
	free(d);
}

/* A bare summary: every data section says it is not in this run. */
static void test_absent_sections(void **state)
{
	char *d = tmpdir(), err[1024], path[4200], *html;

	(void)state;
	put(d, "test_summary.json",
	    "{\"status\": \"passed\", \"run_id\": \"r1\", \"plugins\": [{\"name\": \"x\", \"status\": \"passed\", "
	    "\"checks\": [], \"metrics\": {\"m\": {\"unit\": \"ms\", \"hist\": \"VSH1:garbage\"}}}]}");
	assert_int_equal(vs_report_write(d, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/report.html", d);
	html = slurp(path);
	assert_non_null(html);
	assert_non_null(strstr(html, "no metric with recorded values in this run"));
	assert_non_null(strstr(html, "no per-call media results in this run"));
	assert_non_null(strstr(html, "no load phase in this run"));
	assert_non_null(strstr(html, "no memory or CPU readings of the target in this run"));
	assert_non_null(strstr(html, "no cost figures in this run"));
	assert_null(strstr(html, "<svg"));
	free(html);
	rmdir_all(d);
	free(d);
}

static void test_esc(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	rp_esc(f, "a<b>&\"'\x01\x7f\tz");
	fclose(f);
	assert_string_equal(buf, "a&lt;b&gt;&amp;&quot;&#39;\xef\xbf\xbd\xef\xbf\xbd\tz");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esc),
		cmocka_unit_test(test_escapes_hostile_strings),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_malformed_summary),
		cmocka_unit_test(test_absent_sections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
