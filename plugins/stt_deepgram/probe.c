/* stt_deepgram probe: options, worker threads (one stream per sample),
 * WER (sum of edits / sum of reference words), latency, classes, cost,
 * and the honest skip for Australian-accent audio. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "vstress/util/speechq.h"
#include "vstress/util/ttsprobe.h"
#include "vstress/util/worldfaults.h"
#include "probe.h"

#define AU_NOTE                                                                                                 \
	"no Australian-accent recordings available offline: no Debian, npm or PyPI package ships en-AU speech or " \
	"an en-AU voice (espeak-ng's en-AU was never merged; flite/festival are US/Scottish). Run the live "      \
	"profile with an Australian sample set (samples = your manifest) to measure it."

struct dg {
	struct dg_cfg cfg;
	char *url, *key, *model, *language;
	struct dg_sample *base; /* the manifest */
	size_t nbase;
	struct dg_sample *runs; /* base repeated `repeat` times */
	size_t nruns;
	long long concurrency;
	double max_wer, price;
	long long final_within;
	pthread_mutex_t mu;
	size_t next;
};

int dg_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct dg *d = calloc(1, sizeof *d);
	long long rate = 0, chunk = 40, repeat = 3, ft = 5000, to = 60000;
	int hint = 0;
	char err[300];
	*state = d;
	if (!d)
		return VS_ERROR;
	d->concurrency = 4;
	d->max_wer = 0.25;
	d->final_within = 1500;
	d->cfg.realtime = 1;
	const char *key = h->opt(c, "api_key"), *url = h->opt(c, "url"), *enc = h->opt(c, "encoding");
	if (!key || !*key) {
		h->reason(c, "DEEPGRAM_API_KEY not set");
		return VS_SKIP;
	}
	if (!url || !*url) {
		h->reason(c, "url is empty");
		return VS_ECONFIG;
	}
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
	d->key = strdup(key);
	d->model = strdup(h->opt(c, "model") ? h->opt(c, "model") : "nova-3-general");
	d->language = strdup(h->opt(c, "language") ? h->opt(c, "language") : "en");
	if (!d->url || !d->key || !d->model || !d->language)
		return VS_ERROR;
	d->cfg = (struct dg_cfg){.url = d->url, .api_key = d->key, .model = d->model, .language = d->language,
				 .mulaw = d->cfg.mulaw, .rate = (int)rate, .chunk_ms = (int)chunk, .phrase_hint = hint,
				 .realtime = d->cfg.realtime, .final_timeout_ms = (int)ft, .timeout_ms = (int)to};
	const char *samples = h->opt(c, "samples");
	if (!samples || !*samples ||
	    dg_manifest_load(samples, (int)rate, d->cfg.mulaw, &d->base, &d->nbase, err, sizeof err)) {
		h->reason(c, "%s", samples && *samples ? err : "samples is empty");
		return VS_ECONFIG;
	}
	d->nruns = d->nbase * (size_t)repeat;
	d->runs = calloc(d->nruns, sizeof *d->runs);
	if (!d->runs)
		return VS_ERROR;
	for (size_t i = 0; i < d->nruns; i++) { /* borrowed audio and reference */
		const struct dg_sample *b = &d->base[i % d->nbase];
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
	struct dg *d = arg;
	for (;;) {
		pthread_mutex_lock(&d->mu);
		size_t i = d->next < d->nruns ? d->next++ : d->nruns;
		pthread_mutex_unlock(&d->mu);
		if (i >= d->nruns)
			return NULL;
		dg_stream(&d->cfg, &d->runs[i]);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const struct vs_host *h, vs_ctx *c, struct dg *d, size_t ran)
{
	int m_lat = h->metric(c, "final_latency", "ms"), m_wer = h->metric(c, "wer", "permille");
	int m_conn = h->metric(c, "connect", "ms");
	long cls[VS_TTS_NCLASS] = {0}, edits = 0, refw = 0;
	double audio_s = 0, *lat = calloc(ran + 1, sizeof *lat);
	size_t nl = 0;
	json_t *rows = json_array();
	for (size_t i = 0; i < ran; i++) {
		struct dg_sample *s = &d->runs[i];
		cls[s->cls]++;
		h->count(c, vs_tts_class_name(s->cls), 1);
		audio_s += s->seconds;
		struct vs_wer w = {0};
		if (s->cls == VS_TTS_OK && vs_wer_count(s->ref, s->hyp, &w) == 0) {
			edits += vs_wer_edits(&w);
			refw += w.ref_words;
			h->record(c, m_wer, (int64_t)(vs_wer_rate(&w) * 1000));
			h->record(c, m_conn, (int64_t)s->connect_ms);
			if (s->latency_ms >= 0) {
				h->record(c, m_lat, (int64_t)s->latency_ms);
				if (lat)
					lat[nl++] = s->latency_ms;
			}
		} else if (s->cls != VS_TTS_OK) {
			h->log(c, VS_LOG_INFO, "sample %zu (%s): %s: %s", i, s->file, vs_tts_class_name(s->cls), s->msg);
		}
		if (json_array_size(rows) < 100)
			json_array_append_new(
				rows, json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:f,s:s}", "file", s->file, "class",
						vs_tts_class_name(s->cls), "reference", s->ref, "hypothesis",
						s->hyp ? s->hyp : "", "wer", vs_wer_rate(&w), "edits", (int)vs_wer_edits(&w),
						"ref_words", (int)w.ref_words, "latency_ms", s->latency_ms, "message", s->msg));
	}
	double wer = refw ? (double)edits / (double)refw : 0, cost = audio_s / 60.0 * d->price;
	json_t *classes = json_object();
	for (int k = 0; k < VS_TTS_NCLASS; k++)
		json_object_set_new(classes, vs_tts_class_name(k), json_integer(cls[k]));
	h->attach(c, "classes", classes);
	h->attach(c, "samples", rows);
	h->attach(c, "wer", json_pack("{s:f,s:i,s:i,s:s}", "overall", wer, "edits", edits, "reference_words", refw,
				      "definition", "sum of word edits / sum of reference words over ok samples"));
	h->attach(c, "usage", json_pack("{s:i,s:f,s:f,s:f,s:s,s:i}", "streams", (int)ran, "audio_seconds", audio_s,
					 "price_per_minute", d->price, "cost_usd", cost, "encoding",
					 d->cfg.mulaw ? "mulaw" : "linear16", "sample_rate", d->cfg.rate));
	h->attach(c, "australian_accent", json_string(AU_NOTE));
	h->count(c, "audio_ms", (int64_t)(audio_s * 1000));
	h->count(c, "cost_microusd", (int64_t)(cost * 1e6));
	long ok = cls[VS_TTS_OK];
	if ((size_t)ok == ran && ran == d->nruns) {
		h->check(c, "answered", VS_CHECK_PASS, "%ld of %zu samples answered", ok, d->nruns);
	} else {
		char buf[300] = "";
		size_t o = 0;
		for (int k = 1; k < VS_TTS_NCLASS; k++)
			if (cls[k])
				o += (size_t)snprintf(buf + o, o < sizeof buf ? sizeof buf - o : 0, "%s%s %ld", o ? ", " : "",
						      vs_tts_class_name(k), cls[k]);
		h->check(c, "answered", VS_CHECK_FAIL, "%ld of %zu samples answered (%s%s)", ok, d->nruns, buf,
			 ran < d->nruns ? "; stopped early" : "");
	}
	if (refw)
		h->check_value(c, "wer", wer, VS_LE, d->max_wer, "ratio");
	else
		h->check(c, "wer", VS_CHECK_SKIP, "no sample answered");
	if (nl) {
		qsort(lat, nl, sizeof *lat, cmp_d);
		size_t k = (size_t)(0.95 * (double)nl + 0.999999);
		h->check_value(c, "final_latency_p95", lat[k ? k - 1 : 0], VS_LE, (double)d->final_within, "ms");
	} else {
		h->check(c, "final_latency_p95", VS_CHECK_SKIP, "no final result measured");
	}
	h->check(c, "australian_accent", VS_CHECK_SKIP, "no Australian-accent recordings available offline");
	h->log(c, VS_LOG_INFO, "WER %.3f (%ld edits / %ld reference words), %.1f s audio, cost $%.4f", wer, edits,
	       refw, audio_s, cost);
	free(lat);
}

int dg_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct dg *d = state;
	pthread_t th[64];
	int nth = 0;
	json_t *ids = NULL;
	const char *faults = h->opt(c, "faults"), *control = h->opt(c, "control");
	char err[300];
	if (faults && *faults) {
		if (vs_wfaults_install(control, "deepgram", faults, &ids, err, sizeof err)) {
			h->reason(c, "faults: %s", err);
			return VS_ECONFIG;
		}
		h->attach(c, "faults", json_pack("{s:s,s:O}", "specs", faults, "ids", ids));
	}
	int64_t left = h->remaining_ms(c) - 1000;
	if (left < d->cfg.timeout_ms)
		d->cfg.timeout_ms = left > 1000 ? (int)left : 1000;
	pthread_mutex_init(&d->mu, NULL);
	for (; nth < d->concurrency && (size_t)nth < d->nruns; nth++)
		if (pthread_create(&th[nth], NULL, worker, d))
			break;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&d->mu);
	vs_wfaults_remove(control, ids);
	if (!nth) {
		h->reason(c, "cannot start worker threads");
		return VS_ERROR;
	}
	report(h, c, d, d->next < d->nruns ? d->next : d->nruns);
	return VS_OK;
}

int dg_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct dg *d = state;
	(void)h, (void)c;
	if (!d)
		return VS_OK;
	for (size_t i = 0; d->runs && i < d->nruns; i++)
		free(d->runs[i].hyp);
	free(d->runs);
	dg_samples_free(d->base, d->nbase);
	free(d->url);
	free(d->key);
	free(d->model);
	free(d->language);
	free(d);
	return VS_OK;
}
