/* LLM probe: options, the probe run (a clean pass; with faults, then a
 * faulted pass: faults on, paced requests, faults off), metrics, counters,
 * checks and the artifact. */
#include "vstress/probe/llm_probe.h"
#include "vstress/probe/subject.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_opt(struct llm_probe *p, const char *key, const char *def)
{
	const char *v = p->h->opt(p->c, key);
	return strdup(v ? v : def);
}

static int read_int(struct llm_probe *p, const char *key, long long *v, long long min)
{
	if (p->h->opt_int(p->c, key, v) < 0)
		return -1;
	if (*v < min) {
		p->h->reason(p->c, "%s = %lld: must be at least %lld", key, *v, min);
		return -1;
	}
	return 0;
}

static int read_ms(struct llm_probe *p, const char *key, long long *v)
{
	if (p->h->opt_ms(p->c, key, v) < 0)
		return -1;
	if (*v < 1) {
		p->h->reason(p->c, "%s must be positive", key);
		return -1;
	}
	return 0;
}

int llm_probe_setup(const struct vs_host *h, vs_ctx *c, const struct llm_wire *w, struct llm_probe **out)
{
	struct llm_probe *p = calloc(1, sizeof(*p));
	char err[512];
	json_t *faults = NULL;
	int rc = VS_ECONFIG;

	*out = p;
	if (!p)
		return VS_ERROR;
	p->h = h;
	p->c = c;
	p->w = w;
	p->m_ttft = p->m_total = -1;
	p->requests = 50, p->concurrency = 5, p->max_tokens = 100, p->timeout_ms = 30000, p->idle_ms = 20000;
	p->within_ms = 5000, p->ttft_ms = 2000, p->max_response = 4 << 20, p->keep_errors = 3, p->rate = 10;
	p->base_url = dup_opt(p, "base_url", "");
	p->api_key = dup_opt(p, "api_key", "");
	p->model = dup_opt(p, "model", "");
	p->prompt = dup_opt(p, "prompt", "Hello");
	p->system = dup_opt(p, "system", "");
	p->control_url = dup_opt(p, "control_url", "");
	p->faults = dup_opt(p, "faults", "");
	p->prices_path = dup_opt(p, "prices", "conf.d/prices.ini");
	p->artifact = dup_opt(p, "artifact", "");
	if (!p->base_url || !p->api_key || !p->model || !p->prompt || !p->system || !p->control_url || !p->faults ||
	    !p->prices_path || !p->artifact)
		return VS_ERROR;
	size_t bl = strlen(p->base_url);
	while (bl && p->base_url[bl - 1] == '/')
		p->base_url[--bl] = '\0';
	if (read_int(p, "requests", &p->requests, 1) || read_int(p, "concurrency", &p->concurrency, 1) ||
	    read_int(p, "max_tokens", &p->max_tokens, 1) || read_int(p, "max_response", &p->max_response, 1024) ||
	    read_int(p, "keep_errors", &p->keep_errors, 0) || read_ms(p, "request_timeout", &p->timeout_ms) ||
	    read_ms(p, "idle_timeout", &p->idle_ms) || read_ms(p, "respond_within", &p->within_ms) ||
	    read_ms(p, "ttft_within", &p->ttft_ms) || h->opt_double(c, "rate", &p->rate) < 0)
		return VS_ECONFIG;
	p->fault_requests = p->requests, p->fault_concurrency = p->concurrency, p->fault_rate = p->rate;
	p->fault_timeout_ms = p->timeout_ms;
	if (read_int(p, "fault_requests", &p->fault_requests, 1) ||
	    read_int(p, "fault_concurrency", &p->fault_concurrency, 1) ||
	    read_ms(p, "fault_request_timeout", &p->fault_timeout_ms) || h->opt_double(c, "fault_rate", &p->fault_rate) < 0)
		return VS_ECONFIG;
	if (p->rate < 0 || p->fault_rate < 0) {
		h->reason(c, "rate and fault_rate must be 0 (unpaced) or positive");
		return VS_ECONFIG;
	}
	if (!*p->base_url || (strncmp(p->base_url, "http://", 7) && strncmp(p->base_url, "https://", 8))) {
		h->reason(c, "base_url '%s' is not an http(s) URL", p->base_url);
		return VS_ECONFIG;
	}
	if (!*p->model) {
		h->reason(c, "model is empty");
		return VS_ECONFIG;
	}
	vs_probe_subject(h, c, p->base_url);
	if (llm_faults_parse(p, &faults, err, sizeof(err)) < 0) {
		h->reason(c, "%s", err);
		goto out;
	}
	if (faults && !*p->control_url) {
		h->reason(c, "faults need the world's control API (control_url / VSTRESS_WORLD_CONTROL): hermetic only");
		goto out;
	}
	if (faults && strncmp(p->base_url, "http://127.0.0.1", 16) && strncmp(p->base_url, "http://localhost", 16)) {
		h->reason(c, "faults are for the hermetic profile: base_url %s is not a local stand-in", p->base_url);
		goto out;
	}
	int pr = llm_prices_load(p->prices_path, w->provider, p->model, &p->price, err, sizeof(err));
	if (pr < 0) {
		h->reason(c, "%s", err);
		goto out;
	}
	p->have_price = pr == 0;
	if (!p->have_price)
		h->log(c, VS_LOG_WARN, "%s", err);
	if (!*p->api_key) {
		h->reason(c, "%s not set", w->key_env);
		rc = VS_SKIP;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return VS_ERROR;
	p->m_ttft = h->metric(c, "ttft", "us");
	p->m_total = h->metric(c, "latency", "us");
	rc = VS_OK;
out:
	json_decref(faults);
	return rc;
}

void llm_probe_free(struct llm_probe *p)
{
	if (!p)
		return;
	llm_faults_remove(p);
	if (p->m_ttft >= 0)
		curl_global_cleanup();
	free(p->base_url);
	free(p->api_key);
	free(p->model);
	free(p->prompt);
	free(p->system);
	free(p->control_url);
	free(p->faults);
	free(p->prices_path);
	free(p->artifact);
	free(p);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of v[0..n) (sorted in place) */
static double pct(double *v, size_t n, double q)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	size_t k = (size_t)ceil(q / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

static double r6(double x)
{
	return round(x * 1e6) / 1e6;
}

static double ms_of(uint64_t a, uint64_t b)
{
	return b > a ? (double)(b - a) / 1e6 : 0;
}

static json_t *row(size_t i, const char *pass, const struct llm_result *r)
{
	char reply[201];
	snprintf(reply, sizeof(reply), "%s", r->text ? r->text : "");
	json_t *j = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:f}", "i", (json_int_t)i, "pass", pass, "class",
			      llm_class_name(r->cls), "status", (json_int_t)r->status, "tokens_in",
			      (json_int_t)r->tokens_in, "tokens_out", (json_int_t)r->tokens_out, "cost_usd", r6(r->cost_usd));
	json_object_set_new(j, "ttft_ms", r->first_ns ? json_real(round(ms_of(r->intended_ns, r->first_ns) * 1000) / 1000)
						      : json_null());
	json_object_set_new(j, "total_ms", json_real(round(ms_of(r->intended_ns, r->end_ns) * 1000) / 1000));
	json_object_set_new(j, "service_ms", json_real(round(ms_of(r->start_ns, r->end_ns) * 1000) / 1000));
	json_object_set_new(j, "usage", json_boolean(r->usage));
	json_object_set_new(j, "error", r->cls == LLM_OK ? json_null() : json_string(r->msg));
	json_object_set_new(j, "reply", json_string(reply));
	return j;
}

static int write_artifact(struct llm_probe *p, json_t *doc)
{
	char name[128], path[4096];
	if (*p->artifact)
		snprintf(name, sizeof(name), "%s", p->artifact);
	else
		snprintf(name, sizeof(name), "llm_results_%s.json", p->w->provider);
	if (p->h->artifact(p->c, name, path, sizeof(path)) < 0) {
		p->h->log(p->c, VS_LOG_ERROR, "artifact name '%s' refused", name);
		return -1;
	}
	if (json_dump_file(doc, path, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) < 0) {
		p->h->log(p->c, VS_LOG_ERROR, "could not write %s", path);
		return -1;
	}
	return 0;
}

static void fmt_classes(char *buf, size_t len, const size_t *cnt)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int k = 0; k < LLM_NCLASS; k++)
		if (cnt[k] && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s %zu", o ? ", " : "", llm_class_name(k), cnt[k]);
}

/* One pass of the probe: the clean one (no faults) or the faulted one
 * (faults installed by the caller).  The faulted pass's checks and
 * counters are prefixed "faults.", its metrics suffixed "_faults". */
struct pass {
	const char *name; /* "clean" / "faults": the artifact's "pass" */
	const char *pfx;  /* checks and counters: "" / "faults." */
	const char *sfx;  /* metrics and data: "" / "_faults" */
	int faulted;
	size_t n, conc;
	int m_ttft, m_total;
	json_t *sum;     /* out: the pass's summary */
	char quota[420]; /* out: the first quota/credit message */
};

static void check(struct pass *ps, struct llm_probe *p, const char *name, int status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void check(struct pass *ps, struct llm_probe *p, const char *name, int status, const char *fmt, ...)
{
	char full[96], msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s%s", ps->pfx, name);
	p->h->check(p->c, full, status, "%s", msg);
}

static void check_value(struct pass *ps, struct llm_probe *p, const char *name, double v, const char *op, double t,
			const char *unit)
{
	char full[96];
	snprintf(full, sizeof(full), "%s%s", ps->pfx, name);
	p->h->check_value(p->c, full, v, op, t, unit);
}

static void count(struct pass *ps, struct llm_probe *p, const char *name, int64_t v)
{
	char full[96];
	snprintf(full, sizeof(full), "%s%s", ps->pfx, name);
	p->h->count(p->c, full, v);
}

/* 0, or -1 on an internal error. */
static int run_pass(struct llm_probe *p, struct pass *ps, const json_t *msgs, json_t *rows)
{
	const struct vs_host *h = p->h;
	vs_ctx *c = p->c;
	size_t n = ps->n, cnt[LLM_NCLASS] = {0}, nok = 0, nusage = 0, unclassified = 0;
	struct llm_job *jobs = calloc(n, sizeof(*jobs));
	json_t *errs = json_object();
	double *ttft = calloc(n, sizeof(double)), *total = calloc(n, sizeof(double)), cost = 0;
	long long tin = 0, tout = 0;
	size_t nt = 0, ntot = 0;
	char classes[512];
	int rc = -1;

	if (!jobs || !ttft || !total || !errs)
		goto out;
	for (size_t i = 0; i < n; i++) {
		jobs[i].system = *p->system ? p->system : NULL;
		jobs[i].messages = msgs;
	}
	if (llm_exec(p, jobs, n, ps->conc, 1) < 0)
		goto out;

	for (size_t i = 0; i < n; i++) {
		struct llm_result *r = &jobs[i].r;
		if (r->cls < 0 || r->cls >= LLM_NCLASS) {
			unclassified++;
			continue;
		}
		cnt[r->cls]++;
		if (p->have_price)
			r->cost_usd = ((double)r->tokens_in * p->price.in_per_m + (double)r->tokens_out * p->price.out_per_m) / 1e6;
		cost += r->cost_usd;
		tin += r->tokens_in;
		tout += r->tokens_out;
		if (r->cls == LLM_OK) {
			nok++;
			nusage += r->usage && (r->tokens_in > 0 || r->tokens_out > 0);
			if (r->first_ns) {
				h->record_latency(c, ps->m_ttft, r->intended_ns, r->start_ns, r->first_ns);
				ttft[nt++] = ms_of(r->intended_ns, r->first_ns);
			}
			h->record_latency(c, ps->m_total, r->intended_ns, r->start_ns, r->end_ns);
			total[ntot++] = ms_of(r->intended_ns, r->end_ns);
		} else {
			json_t *list = json_object_get(errs, llm_class_name(r->cls));
			if (!list)
				json_object_set_new(errs, llm_class_name(r->cls), list = json_array());
			if (json_array_size(list) < (size_t)p->keep_errors) {
				json_array_append_new(list, json_string(r->msg));
				h->log(c, VS_LOG_WARN, "%s pass: request %zu: %s: %s", ps->name, i, llm_class_name(r->cls),
				       r->msg);
			}
			if (r->cls == LLM_QUOTA && !ps->quota[0])
				snprintf(ps->quota, sizeof(ps->quota), "%s", r->msg);
		}
		json_array_append_new(rows, row(i, ps->name, r));
	}
	for (int k = 0; k < LLM_NCLASS; k++) {
		char name[64];
		snprintf(name, sizeof(name), "requests_%s", llm_class_name(k));
		count(ps, p, name, (int64_t)cnt[k]);
	}
	count(ps, p, "requests", (int64_t)n);
	count(ps, p, "tokens_in", tin);
	count(ps, p, "tokens_out", tout);
	count(ps, p, "cost_micro_usd", (int64_t)llround(cost * 1e6));
	fmt_classes(classes, sizeof(classes), cnt);

	/* checks */
	if (!ps->faulted) {
		if (nok == n)
			check(ps, p, "responses_ok", VS_CHECK_PASS, "%zu/%zu streaming requests ok", nok, n);
		else {
			const char *first = "";
			for (size_t i = 0; i < n; i++)
				if (jobs[i].r.cls != LLM_OK) {
					first = jobs[i].r.msg;
					break;
				}
			check(ps, p, "responses_ok", VS_CHECK_FAIL, "%zu/%zu ok (%s); first error: %s", nok, n, classes,
			      first);
		}
	} else {
		char missing[256] = "";
		size_t mo = 0;
		for (size_t i = 0; i < p->nfault; i++)
			if (!cnt[p->fault[i].expect] && mo < sizeof(missing))
				mo += (size_t)snprintf(missing + mo, sizeof(missing) - mo, "%s%s", mo ? ", " : "",
						       llm_class_name(p->fault[i].expect));
		check(ps, p, "classified", unclassified || mo ? VS_CHECK_FAIL : VS_CHECK_PASS,
		      "%zu/%zu requests classified (%s) under %zu world fault(s); the probe did not crash%s%s",
		      n - unclassified, n, classes, p->nfault, mo ? "; no request in the injected class(es) " : "",
		      missing);
		for (size_t i = 0; i < p->nfault; i++) {
			char name[64];
			int want = p->fault[i].expect;
			snprintf(name, sizeof(name), "fault_%zu_%s", i + 1, llm_class_name(want));
			check(ps, p, name, cnt[want] ? VS_CHECK_PASS : VS_CHECK_FAIL, "%zu/%zu requests %s under fault %s",
			      cnt[want], n, llm_class_name(want), p->fault[i].label);
		}
	}
	double ttft95 = pct(ttft, nt, 95), tot95 = pct(total, ntot, 95), tot50 = pct(total, ntot, 50);
	if (nt)
		check_value(ps, p, "ttft_p95", ttft95, VS_LE, (double)p->ttft_ms, "ms");
	else
		check(ps, p, "ttft_p95", nok ? VS_CHECK_FAIL : VS_CHECK_SKIP, "no ok request streamed content");
	if (ntot)
		check_value(ps, p, "respond_within", tot95, VS_LE, (double)p->within_ms, "ms");
	else
		check(ps, p, "respond_within", VS_CHECK_SKIP, "no ok request");
	if (nok)
		check(ps, p, "usage_present", nusage == nok ? VS_CHECK_PASS : VS_CHECK_FAIL,
		      "%zu/%zu ok requests reported token usage (%lld in, %lld out)", nusage, nok, tin, tout);
	else
		check(ps, p, "usage_present", VS_CHECK_SKIP, "no ok request");
	if (!p->have_price)
		check(ps, p, "cost_computed", VS_CHECK_FAIL, "no price for %s model %s in %s", p->w->provider, p->model,
		      p->prices_path);
	else
		check(ps, p, "cost_computed", cost > 0 || !nok ? VS_CHECK_PASS : VS_CHECK_FAIL,
		      "$%.6f for %lld in + %lld out tokens (%s: $%.2f / $%.2f per 1M, list price read %s)", cost, tin,
		      tout, p->price.model, p->price.in_per_m, p->price.out_per_m, p->price.read);

	json_t *sum = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:f,s:f}", "pass", ps->name, "provider",
				p->w->provider, "model", p->model, "base_url", p->base_url, "requests", (json_int_t)n,
				"tokens_in", (json_int_t)tin, "tokens_out", (json_int_t)tout, "cost_usd", r6(cost),
				"ttft_p95_ms", round(ttft95 * 1000) / 1000, "total_p50_ms", round(tot50 * 1000) / 1000,
				"total_p95_ms", round(tot95 * 1000) / 1000);
	json_t *cls = json_object();
	for (int k = 0; k < LLM_NCLASS; k++)
		json_object_set_new(cls, llm_class_name(k), json_integer((json_int_t)cnt[k]));
	json_object_set_new(sum, "classes", cls);
	json_object_set(sum, "errors", errs);
	if (p->have_price)
		json_object_set_new(sum, "price", json_pack("{s:s,s:f,s:f,s:s}", "model", p->price.model, "in_per_1m",
							   p->price.in_per_m, "out_per_1m", p->price.out_per_m, "read",
							   p->price.read));
	json_t *fl = json_array();
	for (size_t i = 0; ps->faulted && i < p->nfault; i++)
		json_array_append_new(fl, json_string(p->fault[i].label));
	json_object_set_new(sum, "faults", fl);
	ps->sum = sum;
	h->log(c, VS_LOG_INFO, "%s pass: %zu requests (%s), ttft p95 %.1f ms, total p50 %.1f / p95 %.1f ms", ps->name, n,
	       classes, ttft95, tot50, tot95);
	rc = 0;
out:
	if (jobs)
		for (size_t i = 0; i < n; i++)
			llm_result_free(&jobs[i].r);
	free(jobs);
	free(ttft);
	free(total);
	json_decref(errs);
	return rc;
}

int llm_probe_run(struct llm_probe *p)
{
	const struct vs_host *h = p->h;
	vs_ctx *c = p->c;
	json_t *msgs = llm_user_turn(p->prompt), *faults = NULL, *rows = json_array(), *doc = NULL;
	char err[512];
	int rc = VS_ERROR;
	struct pass clean = {.name = "clean", .pfx = "", .sfx = "", .faulted = 0, .n = (size_t)p->requests,
			     .conc = (size_t)p->concurrency, .m_ttft = p->m_ttft, .m_total = p->m_total};
	struct pass fp = {.name = "faults", .pfx = "faults.", .sfx = "_faults", .faulted = 1,
			  .n = (size_t)p->fault_requests, .conc = (size_t)p->fault_concurrency, .m_ttft = -1, .m_total = -1};

	if (!msgs || !rows)
		goto out;
	if (llm_faults_parse(p, &faults, err, sizeof(err)) < 0)
		goto out;
	/* the clean pass: no faults */
	h->log(c, VS_LOG_INFO, "clean pass: %zu streaming requests to %s (model %s), %lld at once, %.1f/s", clean.n,
	       p->base_url, p->model, p->concurrency, p->rate);
	if (run_pass(p, &clean, msgs, rows) < 0)
		goto out;
	doc = json_pack("{s:O}", "summary", clean.sum);
	h->attach(c, "llm", json_incref(clean.sum));
	/* the faulted pass: the faults on, its own size, rate and timeout */
	if (faults && !clean.quota[0]) {
		if (llm_faults_install(p, faults, err, sizeof(err)) < 0) {
			h->reason(c, "%s", err);
			json_object_set(doc, "requests", rows);
			write_artifact(p, doc);
			rc = VS_FAIL;
			goto out;
		}
		for (size_t i = 0; i < p->nfault; i++)
			h->log(c, VS_LOG_INFO, "world fault on for the faulted pass: %s", p->fault[i].label);
		h->log(c, VS_LOG_INFO, "faulted pass: %zu streaming requests, %lld at once, %.1f/s, request_timeout %lld ms",
		       fp.n, p->fault_concurrency, p->fault_rate, p->fault_timeout_ms);
		fp.m_ttft = h->metric(c, "ttft_faults", "us");
		fp.m_total = h->metric(c, "latency_faults", "us");
		double rate = p->rate;
		long long tmo = p->timeout_ms;
		p->rate = p->fault_rate, p->timeout_ms = p->fault_timeout_ms;
		int prc = run_pass(p, &fp, msgs, rows);
		p->rate = rate, p->timeout_ms = tmo;
		llm_faults_remove(p);
		if (prc < 0)
			goto out;
		json_object_set(doc, "summary_faults", fp.sum);
		h->attach(c, "llm_faults", json_incref(fp.sum));
	}
	json_object_set(doc, "requests", rows);
	write_artifact(p, doc);
	const char *quota = clean.quota[0] ? clean.quota : fp.quota;
	if (quota[0]) {
		h->reason(c, "%s: quota or credit exhausted: %s", p->w->provider, quota);
		rc = VS_FAIL;
		goto out;
	}
	rc = VS_OK;
out:
	llm_faults_remove(p);
	json_decref(clean.sum);
	json_decref(fp.sum);
	json_decref(doc);
	json_decref(msgs);
	json_decref(faults);
	json_decref(rows);
	return rc;
}
