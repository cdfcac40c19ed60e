/* The STT probe engine: see vstress/probe/sttprobe.h. */
#include "vstress/probe/sttprobe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "vstress/audio/speechq.h"
#include "vstress/probe/subject.h"
#include "vstress/standin/worldfaults.h"

#define AU_NOTE                                                                                                 \
	"no Australian-accent recordings available offline: no Debian, npm or PyPI package ships en-AU speech or " \
	"an en-AU voice (espeak-ng's en-AU was never merged; flite/festival are US/Scottish). Run the live "      \
	"profile with an Australian sample set (samples = your manifest) to measure it."

struct stt {
	const struct vs_stt_proto *p;
	struct vs_stt_cfg cfg;
	char *url, *key, *model, *language;
	struct vs_stt_sample *base; /* the manifest */
	size_t nbase;
	struct vs_stt_sample *runs; /* base repeated `repeat` times (the clean pass) */
	size_t nruns;
	size_t nalloc;  /* runs allocated: the larger pass */
	size_t npass;   /* streams of the pass running */
	long long concurrency;
	long long fault_requests, fault_concurrency, fault_timeout_ms; /* the faulted pass */
	double max_wer, price;
	long long final_within;
	pthread_mutex_t mu;
	size_t next;
};

int vs_stt_setup(const struct vs_host *h, vs_ctx *c, const struct vs_stt_proto *p, void **state)
{
	struct stt *d = calloc(1, sizeof *d);
	long long rate = 0, chunk = 40, repeat = 3, ft = 5000, to = 60000;
	int hint = 0;
	char err[300];
	*state = d;
	if (!d)
		return VS_ERROR;
	d->p = p;
	d->concurrency = 4;
	d->max_wer = 0.25;
	d->final_within = 1500;
	d->cfg.realtime = 1;
	const char *key, *url, *enc = h->opt(c, "encoding");
	int rc = vs_speech_key_url(h, c, p->key_env, &key, &url);
	if (rc != VS_OK)
		return rc;
	if (h->opt_int(c, "sample_rate", &rate) < 0 || h->opt_int(c, "chunk_ms", &chunk) < 0 ||
	    h->opt_int(c, "repeat", &repeat) < 0 || h->opt_int(c, "concurrency", &d->concurrency) < 0 ||
	    h->opt_double(c, "realtime", &d->cfg.realtime) < 0 || h->opt_ms(c, "final_timeout", &ft) < 0 ||
	    h->opt_ms(c, "request_timeout", &to) < 0 || h->opt_double(c, "max_wer", &d->max_wer) < 0 ||
	    h->opt_ms(c, "final_within", &d->final_within) < 0 || h->opt_bool(c, "phrase_hint", &hint) < 0 ||
	    h->opt_double(c, "price_per_minute", &d->price) < 0)
		return VS_ECONFIG;
	d->cfg.mulaw = enc && !strcasecmp(enc, "mulaw");
	if (enc && *enc && !d->cfg.mulaw && strcasecmp(enc, "linear16")) {
		h->reason(c, "encoding '%s': use linear16 or mulaw", enc);
		return VS_ECONFIG;
	}
	if (!rate)
		rate = d->cfg.mulaw ? 8000 : 16000;
	if (rate < 8000 || rate > 48000 || chunk < 10 || chunk > 1000 || repeat < 1 || d->concurrency < 1 ||
	    d->concurrency > 64 || d->cfg.realtime < 0) {
		h->reason(c, "sample_rate, chunk_ms (10-1000), repeat, concurrency (1-64) or realtime out of range");
		return VS_ECONFIG;
	}
	d->url = strdup(url);
	vs_probe_subject(h, c, url);
	d->key = strdup(key);
	d->model = strdup(h->opt(c, "model") ? h->opt(c, "model") : p->default_model);
	d->language = strdup(h->opt(c, "language") ? h->opt(c, "language") : "en");
	if (!d->url || !d->key || !d->model || !d->language)
		return VS_ERROR;
	d->cfg = (struct vs_stt_cfg){.url = d->url, .api_key = d->key, .model = d->model, .language = d->language,
				 .mulaw = d->cfg.mulaw, .rate = (int)rate, .chunk_ms = (int)chunk, .phrase_hint = hint,
				 .realtime = d->cfg.realtime, .final_timeout_ms = (int)ft, .timeout_ms = (int)to};
	const char *samples = h->opt(c, "samples");
	if (!samples || !*samples ||
	    vs_stt_manifest_load(samples, (int)rate, d->cfg.mulaw, &d->base, &d->nbase, err, sizeof err)) {
		h->reason(c, "%s", samples && *samples ? err : "samples is empty");
		return VS_ECONFIG;
	}
	d->nruns = d->nbase * (size_t)repeat;
	d->fault_requests = (long long)d->nruns;
	d->fault_concurrency = d->concurrency;
	d->fault_timeout_ms = to;
	if (vs_speech_fault_opts(h, c, &d->fault_requests, &d->fault_concurrency, &d->fault_timeout_ms) != VS_OK)
		return VS_ECONFIG;
	if (d->fault_requests < 1 || d->fault_concurrency < 1 || d->fault_concurrency > 64 || d->fault_timeout_ms < 1) {
		h->reason(c, "fault_requests, fault_concurrency (1-64) or fault_request_timeout out of range");
		return VS_ECONFIG;
	}
	const char *faults = h->opt(c, "faults"), *control = h->opt(c, "control");
	if (vs_speech_faults_valid(h, c, faults, control, p->fault_target, p->close_1011_server) != VS_OK)
		return VS_ECONFIG; /* installed for the faulted pass */
	d->nalloc = d->nruns > (size_t)d->fault_requests ? d->nruns : (size_t)d->fault_requests;
	d->runs = calloc(d->nalloc, sizeof *d->runs);
	if (!d->runs)
		return VS_ERROR;
	for (size_t i = 0; i < d->nalloc; i++) { /* borrowed audio and reference */
		const struct vs_stt_sample *b = &d->base[i % d->nbase];
		memcpy(d->runs[i].file, b->file, sizeof b->file);
		d->runs[i].ref = b->ref;
		d->runs[i].audio = b->audio;
		d->runs[i].len = b->len;
		d->runs[i].seconds = b->seconds;
		d->runs[i].index = b->index;
	}
	return VS_OK;
}

static void *worker(void *arg)
{
	struct stt *d = arg;
	for (;;) {
		pthread_mutex_lock(&d->mu);
		size_t i = d->next < d->npass ? d->next++ : d->npass;
		pthread_mutex_unlock(&d->mu);
		if (i >= d->npass)
			return NULL;
		d->p->stream(&d->cfg, &d->runs[i]);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const struct vs_host *h, vs_ctx *c, struct stt *d, size_t ran, const struct vs_speech_pass *ps,
		   const char *faults)
{
	char nb[96];
	int m_lat = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "final_latency", 1), "ms");
	int m_wer = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "wer", 1), "permille");
	int m_conn = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "connect", 1), "ms");
	long cls[VS_SPEECH_NCLASS] = {0}, edits = 0, refw = 0;
	double audio_s = 0, *lat = calloc(ran + 1, sizeof *lat);
	size_t nl = 0;
	json_t *rows = json_array();
	for (size_t i = 0; i < ran; i++) {
		struct vs_stt_sample *s = &d->runs[i];
		cls[s->cls]++;
		h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, vs_speech_class_name(s->cls), 0), 1);
		audio_s += s->seconds;
		struct vs_wer w = {0};
		if (s->cls == VS_SPEECH_OK && vs_wer_count(s->ref, s->hyp, &w) == 0) {
			edits += vs_wer_edits(&w);
			refw += w.ref_words;
			h->record(c, m_wer, (int64_t)(vs_wer_rate(&w) * 1000));
			h->record(c, m_conn, (int64_t)s->connect_ms);
			if (s->latency_ms >= 0) {
				h->record(c, m_lat, (int64_t)s->latency_ms);
				if (lat)
					lat[nl++] = s->latency_ms;
			}
		} else if (s->cls != VS_SPEECH_OK) {
			h->log(c, VS_LOG_INFO, "%s pass: sample %zu (%s): %s: %s", ps->name, i, s->file,
			       vs_speech_class_name(s->cls), s->msg);
		}
		if (json_array_size(rows) < 100)
			json_array_append_new(
				rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:f,s:s}", "pass", ps->name, "file", s->file,
						"class", vs_speech_class_name(s->cls), "reference", s->ref, "hypothesis",
						s->hyp ? s->hyp : "", "wer", vs_wer_rate(&w), "edits", (int)vs_wer_edits(&w),
						"ref_words", (int)w.ref_words, "latency_ms", s->latency_ms, "message", s->msg));
	}
	double wer = refw ? (double)edits / (double)refw : 0, cost = audio_s / 60.0 * d->price;
	json_t *classes = json_object();
	for (int k = 0; k < VS_SPEECH_NCLASS; k++)
		json_object_set_new(classes, vs_speech_class_name(k), json_integer(cls[k]));
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "classes", 1), classes);
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "samples", 1), rows);
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "wer", 1),
		  json_pack("{s:s,s:f,s:i,s:i,s:s}", "pass", ps->name, "overall", wer, "edits", edits, "reference_words",
			    refw, "definition", "sum of word edits / sum of reference words over ok samples"));
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "usage", 1),
		  json_pack("{s:s,s:i,s:f,s:f,s:f,s:s,s:i}", "pass", ps->name, "streams", (int)ran, "audio_seconds",
			    audio_s, "price_per_minute", d->price, "cost_usd", cost, "encoding",
			    d->cfg.mulaw ? "mulaw" : "linear16", "sample_rate", d->cfg.rate));
	if (!ps->faulted)
		h->attach(c, "australian_accent", json_string(AU_NOTE));
	h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, "audio_ms", 0), (int64_t)(audio_s * 1000));
	h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, "cost_microusd", 0), (int64_t)(cost * 1e6));
	long ok = cls[VS_SPEECH_OK];
	if (ps->faulted) {
		vs_speech_fault_checks(h, c, faults, d->p->fault_target, d->p->close_1011_server, cls, (long)ran, (long)d->npass);
	} else if ((size_t)ok == ran && ran == d->npass) {
		h->check(c, "answered", VS_CHECK_PASS, "%ld of %zu samples answered", ok, d->npass);
	} else {
		char buf[300];
		vs_speech_class_list(buf, sizeof buf, cls, 1);
		h->check(c, "answered", VS_CHECK_FAIL, "%ld of %zu samples answered (%s%s)", ok, d->npass, buf,
			 ran < d->npass ? "; stopped early" : "");
	}
	if (refw)
		h->check_value(c, vs_speech_pass_name(nb, sizeof nb, ps, "wer", 0), wer, VS_LE, d->max_wer, "ratio");
	else
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "wer", 0), VS_CHECK_SKIP, "no sample answered");
	if (nl) {
		qsort(lat, nl, sizeof *lat, cmp_d);
		size_t k = (size_t)(0.95 * (double)nl + 0.999999);
		h->check_value(c, vs_speech_pass_name(nb, sizeof nb, ps, "final_latency_p95", 0), lat[k ? k - 1 : 0], VS_LE,
			       (double)d->final_within, "ms");
	} else {
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "final_latency_p95", 0), VS_CHECK_SKIP,
			 "no final result measured");
	}
	if (!ps->faulted)
		h->check(c, "australian_accent", VS_CHECK_SKIP, "no Australian-accent recordings available offline");
	h->log(c, VS_LOG_INFO, "%s pass: WER %.3f (%ld edits / %ld reference words), %.1f s audio, cost $%.4f", ps->name,
	       wer, edits, refw, audio_s, cost);
	free(lat);
}

/* Streams runs[0..n) on conc worker threads; the number that ran, or -1
 * when no thread started. */
static long dispatch(struct stt *d, size_t n, long long conc)
{
	pthread_t th[64];
	int nth = 0;
	for (size_t i = 0; i < n; i++) { /* fresh results */
		free(d->runs[i].hyp);
		d->runs[i].hyp = NULL;
		d->runs[i].cls = VS_SPEECH_OK;
		d->runs[i].msg[0] = '\0';
		d->runs[i].latency_ms = -1;
		d->runs[i].connect_ms = 0;
	}
	d->npass = n;
	d->next = 0;
	pthread_mutex_init(&d->mu, NULL);
	for (; nth < conc && (size_t)nth < n; nth++)
		if (pthread_create(&th[nth], NULL, worker, d))
			break;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&d->mu);
	if (!nth)
		return -1;
	return (long)(d->next < n ? d->next : n);
}

/* The faulted pass's streams: its own size, concurrency and timeout. */
static long run_faulted(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct stt *d = state;
	int timeout = d->cfg.timeout_ms;
	int64_t left = h->remaining_ms(c) - 1000;
	long ran;

	d->cfg.timeout_ms = left < d->fault_timeout_ms ? (int)(left > 1000 ? left : 1000) : (int)d->fault_timeout_ms;
	ran = dispatch(d, (size_t)d->fault_requests, d->fault_concurrency);
	d->cfg.timeout_ms = timeout;
	if (ran < 0)
		h->reason(c, "cannot start worker threads");
	return ran;
}

int vs_stt_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct stt *d = state;
	const char *faults = h->opt(c, "faults");
	long fran;
	int rc;

	/* the clean pass: no faults */
	int64_t left = h->remaining_ms(c) - 1000;
	if (left < d->cfg.timeout_ms)
		d->cfg.timeout_ms = left > 1000 ? (int)left : 1000;
	long ran = dispatch(d, d->nruns, d->concurrency);
	if (ran < 0) {
		h->reason(c, "cannot start worker threads");
		return VS_ERROR;
	}
	report(h, c, d, (size_t)ran, &vs_speech_clean, NULL);
	if (!faults || !*faults)
		return VS_OK;
	rc = vs_speech_faulted_pass(h, c, d->p->fault_target, "streams", d->fault_requests, d->fault_concurrency,
				    d->fault_timeout_ms, run_faulted, d, &fran);
	if (rc != VS_OK)
		return rc;
	report(h, c, d, (size_t)fran, &vs_speech_faulted, faults);
	return VS_OK;
}

int vs_stt_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct stt *d = state;
	(void)h, (void)c;
	if (!d)
		return VS_OK;
	for (size_t i = 0; d->runs && i < d->nalloc; i++)
		free(d->runs[i].hyp);
	free(d->runs);
	vs_stt_samples_free(d->base, d->nbase);
	free(d->url);
	free(d->key);
	free(d->model);
	free(d->language);
	free(d);
	return VS_OK;
}
