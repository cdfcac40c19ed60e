#include "results.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"

char *vs_iso_now(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return vs_xasprintf("%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}

void vs_result_init(struct vs_result *r, const char *name, const char *version)
{
	memset(r, 0, sizeof(*r));
	r->name = vs_xstrdup(name);
	r->version = version ? vs_xstrdup(version) : NULL;
	r->checks = json_array();
	r->metrics = json_object();
	r->counters = json_object();
	r->artifacts = json_array();
	r->data = json_object();
	r->config_errors = json_array();
	r->status = "no_result";
}

void vs_result_free(struct vs_result *r)
{
	free(r->name);
	free(r->version);
	free(r->reason);
	free(r->started_at);
	free(r->log_file);
	json_decref(r->checks);
	json_decref(r->metrics);
	json_decref(r->counters);
	json_decref(r->artifacts);
	json_decref(r->data);
	json_decref(r->config_errors);
	memset(r, 0, sizeof(*r));
}

void vs_result_set(struct vs_result *r, const char *status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	r->status = status;
	if (!fmt)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s) {
		free(r->reason);
		r->reason = s;
	}
}

void vs_status_tally(const char *status, int *passed, int *skipped, int *failed)
{
	if (!strcmp(status, "passed"))
		(*passed)++;
	else if (!strcmp(status, "skipped"))
		(*skipped)++;
	else
		(*failed)++;
}

int vs_status_is_failure(const char *s)
{
	return strcmp(s, "passed") && strcmp(s, "skipped");
}

static int ingest_metrics(struct vs_result *r, json_t *ev)
{
	json_t *m = json_object_get(ev, "metrics"), *k = json_object_get(ev, "counters"), *v, *sum;
	const char *name, *unit, *enc;
	struct vs_hist *h;

	if (!json_is_object(m) || !json_is_object(k))
		return -1;
	json_object_foreach(m, name, v) {
		unit = json_string_value(json_object_get(v, "unit"));
		enc = json_string_value(json_object_get(v, "hist"));
		if (!unit || !enc || vs_hist_decode(enc, &h))
			return -1;
		sum = NULL;
		if (vs_hist_to_json(h, unit, &sum) == 0) {
			json_object_set_new(sum, "unit", json_string(unit));
			json_object_set_new(r->metrics, name, sum);
		}
		vs_hist_free(h);
	}
	json_object_foreach(k, name, v) {
		if (!json_is_integer(v))
			return -1;
		json_object_set(r->counters, name, v);
	}
	return 0;
}

static int is_harness(const json_t *check)
{
	const char *s = json_string_value(json_object_get(check, "subject"));

	return s && !strcmp(s, "harness");
}

int vs_result_count_check(struct vs_result *r, const json_t *check)
{
	const char *st = json_string_value(json_object_get(check, "status"));
	int h = is_harness(check);

	if (!st)
		return -1;
	if (!strcmp(st, "pass"))
		(*(h ? &r->hpass : &r->npass))++;
	else if (!strcmp(st, "skip"))
		(*(h ? &r->hskip : &r->nskip))++;
	else
		(*(h ? &r->hfail : &r->nfail))++;
	return 0;
}

/* The first check of the given subject and status, or NULL. */
static const json_t *first_check(const struct vs_result *r, int harness, const char *status)
{
	const json_t *c;
	size_t i;

	json_array_foreach(r->checks, i, c) {
		const char *st = json_string_value(json_object_get(c, "status"));

		if (is_harness(c) == harness && st && !strcmp(st, status))
			return c;
	}
	return NULL;
}

void vs_result_judge_subjects(struct vs_result *r)
{
	const json_t *c;
	char *why;

	if (r->hfail && (!strcmp(r->status, "passed") || !strcmp(r->status, "failed"))) {
		c = first_check(r, 1, "fail");
		why = vs_xasprintf("%d harness check%s failed, so vstress's own measurement is not to be trusted: %s: %s",
				   r->hfail, r->hfail == 1 ? "" : "s",
				   c ? json_string_value(json_object_get(c, "name")) : "?",
				   c ? json_string_value(json_object_get(c, "message")) : "");
		r->status = "error";
		free(r->reason);
		r->reason = why;
		return;
	}
	if (strcmp(r->status, "passed") || r->npass || r->nfail)
		return;
	c = first_check(r, 0, "skip");
	if (c)
		why = vs_xasprintf("no check of the system under test passed or failed; %d skipped, the first: %s: %s",
				   r->nskip, json_string_value(json_object_get(c, "name")),
				   json_string_value(json_object_get(c, "message")));
	else if (r->hpass)
		why = vs_xasprintf("every check it recorded (%d) judged vstress's own machinery (subject harness), "
				   "none the system under test",
				   r->hpass + r->hskip);
	else
		why = vs_xstrdup("it recorded no check");
	r->status = "skipped";
	free(r->reason);
	r->reason = why;
}

static int ingest_check(struct vs_result *r, json_t *ev)
{
	json_t *c;

	if (!json_is_string(json_object_get(ev, "status")) || !json_is_string(json_object_get(ev, "name")))
		return -1;
	c = json_deep_copy(ev);
	json_object_del(c, "ev");
	if (!json_is_string(json_object_get(c, "subject")))
		json_object_set_new(c, "subject", json_string("target"));
	json_array_append_new(r->checks, c);
	return vs_result_count_check(r, c);
}

int vs_result_ingest(struct vs_result *r, json_t *ev)
{
	const char *t = json_string_value(json_object_get(ev, "ev"));
	const char *s;
	json_t *v;

	if (!t)
		goto bad;
	if (!strcmp(t, "check")) {
		if (ingest_check(r, ev))
			goto bad;
	} else if (!strcmp(t, "metrics")) {
		if (ingest_metrics(r, ev))
			goto bad;
	} else if (!strcmp(t, "reason")) {
		if (!(s = json_string_value(json_object_get(ev, "text"))))
			goto bad;
		free(r->reason);
		r->reason = vs_xstrdup(s);
	} else if (!strcmp(t, "artifact")) {
		if (!(s = json_string_value(json_object_get(ev, "name"))))
			goto bad;
		json_array_append_new(r->artifacts, json_string(s));
	} else if (!strcmp(t, "data")) {
		s = json_string_value(json_object_get(ev, "key"));
		v = json_object_get(ev, "value");
		if (!s || !v)
			goto bad;
		json_object_set(r->data, s, v);
	} else if (!strcmp(t, "config_error")) {
		if (!(s = json_string_value(json_object_get(ev, "message"))))
			goto bad;
		json_array_append_new(r->config_errors, json_string(s));
	} else if (!strcmp(t, "phase")) {
		/* progress only */
	} else if (!strcmp(t, "end")) {
		if (!json_is_integer(json_object_get(ev, "rc")))
			goto bad;
		r->ended = 1;
		r->rc = (int)json_integer_value(json_object_get(ev, "rc"));
		r->teardown_rc = (int)json_integer_value(json_object_get(ev, "teardown_rc"));
	} else {
		goto bad;
	}
	return 0;
bad:
	r->bad_events++;
	return -1;
}

/* ---- summary --------------------------------------------------------------- */

static json_t *result_json(struct vs_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "version", r->version ? json_string(r->version) : json_null());
	json_object_set_new(o, "status", json_string(r->status));
	json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
	json_object_set_new(o, "started_at", r->started_at ? json_string(r->started_at) : json_null());
	json_object_set_new(o, "duration_ms", json_real(r->duration_ms));
	json_object_set_new(o, "checks", json_incref(r->checks));
	json_object_set_new(o, "checks_passed", json_integer(r->npass));
	json_object_set_new(o, "checks_failed", json_integer(r->nfail));
	json_object_set_new(o, "checks_skipped", json_integer(r->nskip));
	json_object_set_new(o, "harness_checks", json_pack("{s:i,s:i,s:i}", "passed", r->hpass, "failed", r->hfail,
							   "skipped", r->hskip));
	json_object_set_new(o, "metrics", json_incref(r->metrics));
	json_object_set_new(o, "counters", json_incref(r->counters));
	json_object_set_new(o, "artifacts", json_incref(r->artifacts));
	json_object_set_new(o, "data", json_incref(r->data));
	if (json_array_size(r->config_errors))
		json_object_set_new(o, "config_errors", json_incref(r->config_errors));
	json_object_set_new(o, "log", r->log_file ? json_string(r->log_file) : json_null());
	if (r->bad_events)
		json_object_set_new(o, "malformed_events", json_integer(r->bad_events));
	if (r->sharding)
		json_object_set_new(o, "sharding", json_string(r->sharding));
	return o;
}

static void xml_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch < 0x20 && ch != '\n' && ch != '\t')
			fputc('?', f);
		else
			fputc(ch, f);
	}
}

/* One <testcase> per check of the given subject (harness: 1); a failed
 * harness check is an <error> (vstress's own), a target one a <failure>. */
static void junit_cases(FILE *f, const struct vs_result *r, int harness)
{
	const json_t *c;
	size_t j;

	json_array_foreach(r->checks, j, c) {
		const char *st = json_string_value(json_object_get(c, "status"));

		if (is_harness(c) != harness)
			continue;
		fprintf(f, "    <testcase classname=\"");
		xml_escape(f, r->name);
		fprintf(f, "%s\" name=\"", harness ? ".harness" : "");
		xml_escape(f, json_string_value(json_object_get(c, "name")));
		fprintf(f, "\">");
		if (st && strcmp(st, "pass")) {
			fprintf(f, "<%s message=\"", !strcmp(st, "skip") ? "skipped" : harness ? "error" : "failure");
			xml_escape(f, json_string_value(json_object_get(c, "message")));
			fprintf(f, "\"/>");
		}
		fprintf(f, "</testcase>\n");
	}
}

static char *junit_text(struct vs_result *res, size_t n)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	int tests = 0, failures = 0, skipped = 0, errors = 0;

	if (!f)
		return NULL;
	for (i = 0; i < n; i++) {
		int nt = res[i].npass + res[i].nfail + res[i].nskip;
		int plugin_case = !nt || (vs_status_is_failure(res[i].status) && !res[i].nfail);

		tests += nt + plugin_case + res[i].hpass + res[i].hfail + res[i].hskip;
		failures += res[i].nfail + (plugin_case && vs_status_is_failure(res[i].status));
		skipped += res[i].nskip + res[i].hskip + (plugin_case && !strcmp(res[i].status, "skipped"));
		errors += res[i].hfail;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"vstress\" tests=\"%d\" failures=\"%d\" "
		   "errors=\"%d\" skipped=\"%d\">\n",
		tests, failures, errors, skipped);
	for (i = 0; i < n; i++) {
		struct vs_result *r = &res[i];
		int nt = r->npass + r->nfail + r->nskip, nh = r->hpass + r->hfail + r->hskip;
		int plugin_case = !nt || (vs_status_is_failure(r->status) && !r->nfail);

		fprintf(f, "  <testsuite name=\"");
		xml_escape(f, r->name);
		fprintf(f, "\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", nt + plugin_case,
			r->nfail + (plugin_case && vs_status_is_failure(r->status)),
			r->nskip + (plugin_case && !strcmp(r->status, "skipped")), r->duration_ms / 1000.0);
		/* A plugin-level outcome that is not explained by its target
		 * checks gets a testcase of its own, so CI dashboards show
		 * crashes, skips and untrustworthy measurements. */
		if (plugin_case) {
			fprintf(f, "    <testcase classname=\"");
			xml_escape(f, r->name);
			fprintf(f, "\" name=\"%s\">", "plugin");
			if (!strcmp(r->status, "skipped")) {
				fprintf(f, "<skipped message=\"");
				xml_escape(f, r->reason);
				fprintf(f, "\"/>");
			} else if (vs_status_is_failure(r->status)) {
				fprintf(f, "<failure type=\"%s\" message=\"", r->status);
				xml_escape(f, r->reason);
				fprintf(f, "\"/>");
			}
			fprintf(f, "</testcase>\n");
		}
		junit_cases(f, r, 0);
		fprintf(f, "  </testsuite>\n");
		if (!nh)
			continue;
		/* The harness's checks: vstress judging itself, never a
		 * failure of the system under test. */
		fprintf(f, "  <testsuite name=\"");
		xml_escape(f, r->name);
		fprintf(f, ".harness\" tests=\"%d\" failures=\"0\" errors=\"%d\" skipped=\"%d\">\n", nh, r->hfail,
			r->hskip);
		junit_cases(f, r, 1);
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	fclose(f);
	return buf;
}

/* errors.log (the seed plan's artifact): every failure the run saw, one per
 * line, plugin by plugin: non-passing statuses with their reason, failed
 * checks with their message, configuration errors. */
static char *errors_text(struct vs_result *res, size_t n)
{
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (i = 0; i < n; i++) {
		struct vs_result *r = &res[i];

		if (strcmp(r->status, "passed"))
			fprintf(f, "%s: %s: %s\n", r->name, r->status, r->reason ? r->reason : "(no reason given)");
		for (j = 0; j < json_array_size(r->checks); j++) {
			json_t *c = json_array_get(r->checks, j);

			if (!strcmp(json_string_value(json_object_get(c, "status")), "fail"))
				fprintf(f, "%s: check %s failed: %s\n", r->name,
					json_string_value(json_object_get(c, "name")),
					json_string_value(json_object_get(c, "message")));
		}
		for (j = 0; j < json_array_size(r->config_errors); j++)
			fprintf(f, "%s: config: %s\n", r->name, json_string_value(json_array_get(r->config_errors, j)));
	}
	fclose(f);
	return buf;
}

int vs_summary_write(struct vs_run *run, struct vs_result *res, size_t n, const char *run_status,
		     const char *started_at, double duration_ms, const char *digest, json_t *services_steal)
{
	json_t *root = json_object(), *plugins = json_array(), *counts = json_object(), *host = json_object(), *files;
	struct utsname u;
	char hostname[256] = "", *text = NULL, *path = NULL, *jx = NULL, *latest = NULL;
	char *finished = vs_iso_now();
	size_t i;
	int rc = -1;
	json_t *cnt;

	for (i = 0; i < n; i++) {
		json_array_append_new(plugins, result_json(&res[i]));
		cnt = json_object_get(counts, res[i].status);
		json_object_set_new(counts, res[i].status, json_integer(cnt ? json_integer_value(cnt) + 1 : 1));
	}
	gethostname(hostname, sizeof(hostname) - 1);
	json_object_set_new(host, "hostname", json_string(hostname));
	if (uname(&u) == 0) {
		json_object_set_new(host, "os", json_string(u.sysname));
		json_object_set_new(host, "release", json_string(u.release));
		json_object_set_new(host, "machine", json_string(u.machine));
	}
	json_object_set_new(host, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	files = json_array();
	for (i = 0; i < run->cfg->nfiles; i++)
		json_array_append_new(files, json_string(run->cfg->files[i]));

	json_object_set_new(root, "schema_version", json_integer(VS_SCHEMA_VERSION));
	json_object_set_new(root, "vstress_version", json_string(VS_VERSION));
	json_object_set_new(root, "abi_version", json_integer(VS_ABI_VERSION));
	json_object_set_new(root, "run_id", json_string(run->run_id));
	json_object_set_new(root, "started_at", json_string(started_at));
	json_object_set_new(root, "finished_at", json_string(finished));
	json_object_set_new(root, "duration_ms", json_real(duration_ms));
	json_object_set_new(root, "host", host);
	json_object_set_new(root, "profile", json_string(run->cfg->profile));
	json_object_set_new(root, "seed", json_integer((json_int_t)run->seed));
	json_object_set_new(root, "config_digest", json_string(digest));
	json_object_set_new(root, "config_files", files);
	json_object_set_new(root, "status", json_string(run_status));
	json_object_set_new(root, "interrupted", json_boolean(!strcmp(run_status, "interrupted")));
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "services", services_steal ? services_steal : json_object());
	json_object_set_new(root, "plugins", plugins);
	if (run->summary_extra)
		json_object_update(root, run->summary_extra);

	text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (!text)
		goto out;
	path = vs_xasprintf("%s/test_summary.json", run->dir);
	if (vs_write_atomic(path, text, strlen(text)))
		goto out;
	jx = junit_text(res, n);
	free(path);
	path = vs_xasprintf("%s/junit.xml", run->dir);
	if (!jx || vs_write_atomic(path, jx, strlen(jx)))
		goto out;
	free(jx);
	jx = errors_text(res, n);
	free(path);
	path = vs_xasprintf("%s/errors.log", run->dir);
	if (!jx || vs_write_atomic(path, jx, strlen(jx)))
		goto out;
	/* results/latest -> <run-id>, replaced atomically. */
	free(path);
	path = NULL;
	if (run->no_latest) {
		rc = 0;
		goto out;
	}
	path = vs_xasprintf("%s/latest.tmp.%ld", run->results_root, (long)getpid());
	latest = vs_xasprintf("%s/latest", run->results_root);
	unlink(path);
	if (symlink(run->run_id, path) == 0 && rename(path, latest) < 0)
		unlink(path);
	rc = 0;
out:
	json_decref(root);
	free(text);
	free(path);
	free(jx);
	free(latest);
	free(finished);
	return rc;
}
