/* Shared TTS probe: see vstress/probe/ttsprobe.h. */
#include "vstress/probe/ttsprobe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "vstress/crypto/b64.h"
#include "vstress/audio/speechq.h"
#include "vstress/probe/subject.h"
#include "vstress/standin/worldfaults.h"

static const char *const default_texts[] = {
	"Hello and thank you for calling Harbour Dental. How can I help you today?",
	"We are open from nine in the morning until five in the afternoon.",
	"Sure. Which day would suit you best for the appointment?",
	"I have booked you in for Tuesday at ten thirty.",
	"Could you please spell your last name for me?",
	"Your appointment has been moved to Thursday afternoon.",
	"Is there anything else I can help you with today?",
	"Thanks for calling. Have a lovely day.",
};

static int reserve(struct vs_tts_req *r, size_t extra)
{
	if (r->audio_len + extra <= r->audio_cap)
		return 0;
	size_t cap = r->audio_cap ? r->audio_cap : 65536;
	while (cap < r->audio_len + extra)
		cap *= 2;
	uint8_t *n = realloc(r->audio, cap);
	if (!n)
		return -1;
	r->audio = n;
	r->audio_cap = cap;
	return 0;
}

int vs_tts_add_audio(struct vs_tts_req *r, const void *data, size_t len)
{
	if (reserve(r, len))
		return -1;
	memcpy(r->audio + r->audio_len, data, len);
	r->audio_len += len;
	return 0;
}

int vs_tts_add_b64(struct vs_tts_req *r, const char *b64, size_t len)
{
	if (reserve(r, vs_b64_dec_max(len) + 1))
		return -1;
	long n = vs_b64_decode(b64, len, r->audio + r->audio_len, r->audio_cap - r->audio_len);
	if (n < 0)
		return -1;
	r->audio_len += (size_t)n;
	return 0;
}

struct tts {
	const struct vs_tts_proto *p;
	struct vs_tts_cfg cfg;
	char *url, *key;
	long long requests, concurrency;
	long long fault_requests, fault_concurrency, fault_timeout_ms; /* the faulted pass */
	long long nreqs; /* reqs allocated: the larger pass */
	double rate, min_ok, max_rtf, min_mpc, max_mpc, floor_db, price;
	long long ttfa_max_ms;
	char **texts; /* one malloc'd block */
	size_t ntexts;
	char *texts_buf;
	struct vs_tts_req *reqs;
	/* dispatch */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int released, next, closed;
};

static int read_texts_file(struct tts *t, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, len = 0;
	char line[2048];
	if (!f) {
		snprintf(err, errlen, "texts_file %s: cannot open", path);
		return -1;
	}
	/* one block: lines copied into texts_buf, pointers fixed up after */
	char *buf = NULL;
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		size_t l = strlen(line) + 1;
		if (len + l > cap) {
			cap = (cap + l) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			buf = nb;
		}
		memcpy(buf + len, line, l);
		len += l;
		n++;
	}
	fclose(f);
	if (!n) {
		free(buf);
		snprintf(err, errlen, "texts_file %s: no sentences", path);
		return -1;
	}
	t->texts = malloc(n * sizeof *t->texts);
	if (!t->texts) {
		free(buf);
		return -1;
	}
	for (size_t i = 0, off = 0; i < n; i++, off += strlen(buf + off) + 1)
		t->texts[i] = buf + off;
	t->texts_buf = buf;
	t->ntexts = n;
	return 0;
}

static void tts_free(struct tts *t)
{
	if (!t)
		return;
	for (long long i = 0; t->reqs && i < t->nreqs; i++)
		free(t->reqs[i].audio);
	free(t->reqs);
	free(t->texts); /* pointers (texts_file) or the vs_split_list block */
	free(t->texts_buf);
	free(t->url);
	free(t->key);
	free(t);
}

int vs_tts_setup(const struct vs_host *h, vs_ctx *c, const struct vs_tts_proto *p, void **state)
{
	struct tts *t = calloc(1, sizeof *t);
	char err[256];
	int rc = VS_ECONFIG;
	long long sr = 16000, to = 15000;
	*state = t;
	if (!t)
		return VS_ERROR;
	t->p = p;
	t->requests = 100;
	t->concurrency = 4;
	t->min_ok = 0.98;
	t->max_rtf = 1;
	t->min_mpc = 25;
	t->max_mpc = 250;
	t->floor_db = -50;
	t->ttfa_max_ms = 1000;
	const char *key, *url;
	if ((rc = vs_speech_key_url(h, c, p->key_env, &key, &url)) != VS_OK)
		return rc;
	rc = VS_ECONFIG;
	t->key = strdup(key);
	t->url = strdup(url);
	vs_probe_subject(h, c, url);
	if (h->opt_int(c, "requests", &t->requests) < 0 || h->opt_int(c, "concurrency", &t->concurrency) < 0 ||
	    h->opt_double(c, "rate", &t->rate) < 0 || h->opt_int(c, "sample_rate", &sr) < 0 ||
	    h->opt_ms(c, "request_timeout", &to) < 0 || h->opt_ms(c, "first_audio_within", &t->ttfa_max_ms) < 0 ||
	    h->opt_double(c, "min_ok_rate", &t->min_ok) < 0 || h->opt_double(c, "max_rtf", &t->max_rtf) < 0 ||
	    h->opt_double(c, "min_ms_per_char", &t->min_mpc) < 0 ||
	    h->opt_double(c, "max_ms_per_char", &t->max_mpc) < 0 ||
	    h->opt_double(c, "silence_dbfs", &t->floor_db) < 0 || h->opt_double(c, "price_per_1k_chars", &t->price) < 0)
		return VS_ECONFIG;
	t->fault_requests = t->requests;
	t->fault_concurrency = t->concurrency;
	t->fault_timeout_ms = to;
	if (vs_speech_fault_opts(h, c, &t->fault_requests, &t->fault_concurrency, &t->fault_timeout_ms) != VS_OK)
		return VS_ECONFIG;
	if (t->requests < 1 || t->concurrency < 1 || t->concurrency > 256 || sr < 8000 || sr > 48000 || to < 1 ||
	    t->fault_requests < 1 || t->fault_concurrency < 1 || t->fault_concurrency > 256 || t->fault_timeout_ms < 1) {
		h->reason(c, "requests, concurrency (1-256), sample_rate (8000-48000), request_timeout or their fault_ "
			     "counterparts out of range");
		return VS_ECONFIG;
	}
	const char *faults = h->opt(c, "faults"), *control = h->opt(c, "control");
	if (vs_speech_faults_valid(h, c, faults, control, p->fault_target, 0) != VS_OK)
		return VS_ECONFIG; /* installed for the faulted pass */
	const char *enc = h->opt(c, "encoding");
	t->cfg.encoding = enc && *enc ? enc : "pcm_s16le";
	if (!strcasecmp(t->cfg.encoding, "pcm_s16le"))
		t->cfg.enc = VS_AENC_S16LE;
	else if (!strcasecmp(t->cfg.encoding, "pcm_mulaw"))
		t->cfg.enc = VS_AENC_MULAW;
	else {
		h->reason(c, "encoding '%s': use pcm_s16le or pcm_mulaw", t->cfg.encoding);
		return VS_ECONFIG;
	}
	t->cfg.url = t->url;
	t->cfg.api_key = t->key;
	t->cfg.model = h->opt(c, "model");
	t->cfg.voice_id = h->opt(c, "voice_id");
	t->cfg.sample_rate = (int)sr;
	t->cfg.timeout_ms = (int)to;
	const char *tf = h->opt(c, "texts_file"), *tl = h->opt(c, "texts");
	if (tf && *tf) {
		if (read_texts_file(t, tf, err, sizeof err)) {
			h->reason(c, "%s", err);
			return VS_ECONFIG;
		}
	} else if (tl && *tl) {
		t->ntexts = vs_split_list(tl, &t->texts);
	}
	if (!t->ntexts) {
		free(t->texts);
		t->texts = NULL;
	}
	t->nreqs = t->requests > t->fault_requests ? t->requests : t->fault_requests;
	t->reqs = calloc((size_t)t->nreqs, sizeof *t->reqs);
	if (!t->reqs)
		return VS_ERROR;
	rc = VS_OK;
	return rc;
}

static void *worker(void *arg)
{
	struct tts *t = arg;
	for (;;) {
		pthread_mutex_lock(&t->mu);
		while (t->next >= t->released && !t->closed)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->next >= t->released) {
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		struct vs_tts_req *r = &t->reqs[t->next++];
		pthread_mutex_unlock(&t->mu);
		t->p->session(&t->cfg, r);
	}
}

static void judge(struct tts *t, const struct vs_tts_req *r, struct vs_audio_check *a)
{
	memset(a, 0, sizeof *a);
	a->enc = t->cfg.enc;
	a->rate = t->cfg.sample_rate;
	a->chars = strlen(r->text);
	a->min_ms_per_char = t->min_mpc;
	a->max_ms_per_char = t->max_mpc;
	a->floor_dbfs = t->floor_db;
	vs_audio_judge(r->audio, r->audio_len, a);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* p-th percentile (nearest rank) of v[0..n). */
static int64_t pct(int64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_i64);
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? k - 1 : 0];
}

static void report(const struct vs_host *h, vs_ctx *c, struct tts *t, int ran, long long planned,
		   const struct vs_speech_pass *ps, const char *faults)
{
	char nb[96];
	int m_ttfa = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "ttfa", 1), "ms");
	int m_total = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "total", 1), "ms");
	int m_conn = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "connect", 1), "ms");
	int m_rtf = h->metric(c, vs_speech_pass_name(nb, sizeof nb, ps, "rtf", 1), "permille");
	long cls[VS_SPEECH_NCLASS] = {0}, invalid = 0, chars = 0;
	double audio_s = 0;
	int64_t *ttfa = calloc((size_t)ran + 1, sizeof *ttfa), *rtf = calloc((size_t)ran + 1, sizeof *rtf);
	size_t nt = 0, nr = 0;
	json_t *errors = json_array(), *bad = json_array();
	for (int i = 0; i < ran; i++) {
		struct vs_tts_req *r = &t->reqs[i];
		cls[r->cls]++;
		h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, vs_speech_class_name(r->cls), 0), 1);
		if (r->cls != VS_SPEECH_OK) {
			h->log(c, VS_LOG_INFO, "%s pass: request %d: %s: %s", ps->name, i, vs_speech_class_name(r->cls), r->msg);
			if (json_array_size(errors) < 20)
				json_array_append_new(errors, json_pack("{s:s,s:i,s:s,s:s}", "pass", ps->name, "request", i,
									"class", vs_speech_class_name(r->cls), "message",
									r->msg));
			continue;
		}
		struct vs_audio_check a;
		judge(t, r, &a);
		chars += (long)strlen(r->text);
		audio_s += a.seconds;
		if (r->t_first && r->t_sent) {
			h->record_latency(c, m_ttfa, r->t_intended ? r->t_intended : r->t_sent, r->t_sent, r->t_first);
			if (ttfa)
				ttfa[nt++] = (int64_t)((r->t_first - r->t_sent) / 1000000);
		}
		h->record_latency(c, m_total, r->t_intended ? r->t_intended : r->t_sent, r->t_sent, r->t_end);
		h->record(c, m_conn, (int64_t)((r->t_sent - r->t_start) / 1000000));
		if (a.seconds > 0) {
			int64_t pm = (int64_t)((double)(r->t_end - r->t_sent) / 1e6 / (a.seconds * 1000) * 1000);
			h->record(c, m_rtf, pm);
			if (rtf)
				rtf[nr++] = pm;
		}
		if (!a.valid) {
			invalid++;
			h->log(c, VS_LOG_WARN, "%s pass: request %d: invalid audio: %s", ps->name, i, a.why);
			if (json_array_size(bad) < 20)
				json_array_append_new(bad, json_pack("{s:s,s:i,s:s,s:f,s:f}", "pass", ps->name, "request", i,
								     "why", a.why, "seconds", a.seconds, "rms_dbfs",
								     a.rms_dbfs));
		}
	}
	long ok = cls[VS_SPEECH_OK];
	json_t *classes = json_object();
	for (int k = 0; k < VS_SPEECH_NCLASS; k++)
		json_object_set_new(classes, vs_speech_class_name(k), json_integer(cls[k]));
	double cost = (double)chars / 1000.0 * t->price;
	h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, "characters", 0), chars);
	h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, "audio_ms", 0), (int64_t)(audio_s * 1000));
	h->count(c, vs_speech_pass_name(nb, sizeof nb, ps, "cost_microusd", 0), (int64_t)(cost * 1e6));
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "classes", 1), classes);
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "errors", 1), errors);
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "invalid_audio", 1), json_incref(bad));
	h->attach(c, vs_speech_pass_name(nb, sizeof nb, ps, "usage", 1),
		  json_pack("{s:s,s:i,s:i,s:f,s:f,s:f,s:s,s:i}", "pass", ps->name, "requests", ran, "characters", chars,
			    "audio_seconds", audio_s, "price_per_1k_chars", t->price, "cost_usd", cost, "encoding",
			    t->cfg.encoding, "sample_rate", t->cfg.sample_rate));
	if (ok < ran) {
		char buf[300];
		vs_speech_class_list(buf, sizeof buf, cls, 0);
		h->log(c, ps->faulted ? VS_LOG_INFO : VS_LOG_WARN, "%s pass: %ld of %d requests failed (%s)", ps->name,
		       (long)(ran - ok), ran, buf);
	}
	if (ps->faulted) {
		vs_speech_fault_checks(h, c, faults, t->p->fault_target, 0, cls, ran, (long)planned);
	} else {
		double okr = ran ? (double)ok / ran : 0;
		h->check_value(c, "ok_rate", okr, VS_GE, t->min_ok, "ratio");
	}
	if (nt) {
		int64_t p95 = pct(ttfa, nt, 95);
		h->check_value(c, vs_speech_pass_name(nb, sizeof nb, ps, "ttfa_p95", 0), (double)p95, VS_LE,
			       (double)t->ttfa_max_ms, "ms");
	} else {
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "ttfa_p95", 0), VS_CHECK_SKIP, "no request produced audio");
	}
	if (!ok)
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "audio_valid", 0), VS_CHECK_SKIP, "no ok request");
	else if (invalid)
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "audio_valid", 0), VS_CHECK_FAIL,
			 "%ld of %ld ok replies have invalid audio (first: %s)", invalid, ok,
			 json_string_value(json_object_get(json_array_get(bad, 0), "why")));
	else
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "audio_valid", 0), VS_CHECK_PASS,
			 "%ld of %ld ok replies valid (%s %d Hz, %.1f s audio)", ok, ok, t->cfg.encoding,
			 t->cfg.sample_rate, audio_s);
	json_decref(bad);
	if (nr)
		h->check_value(c, vs_speech_pass_name(nb, sizeof nb, ps, "rtf_p95", 0), (double)pct(rtf, nr, 95) / 1000.0, VS_LT,
			       t->max_rtf, "x");
	else
		h->check(c, vs_speech_pass_name(nb, sizeof nb, ps, "rtf_p95", 0), VS_CHECK_SKIP, "no audio to measure");
	h->log(c, VS_LOG_INFO, "%s pass: %ld characters, %.1f s audio, cost $%.4f at $%.4f per 1k characters", ps->name,
	       chars, audio_s, cost, t->price);
	free(ttfa);
	free(rtf);
}

/* Runs n requests on conc worker threads; *ran: how many ran. */
static int dispatch(const struct vs_host *h, vs_ctx *c, struct tts *t, long long n, long long conc, int timeout_ms,
		    int faulted, int *ran_out)
{
	pthread_t th[256];
	int nth = 0, ran = 0, rc = VS_OK;
	vs_pacer *pacer = NULL;
	for (long long i = 0; i < t->nreqs; i++) { /* fresh results */
		free(t->reqs[i].audio);
		memset(&t->reqs[i], 0, sizeof t->reqs[i]);
	}
	t->released = t->next = t->closed = 0;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	for (; nth < conc && nth < n; nth++)
		if (pthread_create(&th[nth], NULL, worker, t)) {
			h->reason(c, "cannot start worker threads");
			rc = VS_ERROR;
			break;
		}
	if (t->rate > 0)
		pacer = h->pacer_new(c, t->rate, 0);
	uint64_t seed = h->seed(c);
	for (long long i = 0; rc == VS_OK && i < n; i++) {
		uint64_t intended = pacer ? h->pacer_wait(pacer) : h->now_ns();
		if (!intended || h->should_stop(c))
			break;
		int64_t left = h->remaining_ms(c) - 500;
		struct vs_tts_req *r = &t->reqs[i];
		r->index = (int)i;
		r->text = t->ntexts ? t->texts[(size_t)i % t->ntexts]
				    : default_texts[(size_t)i % (sizeof default_texts / sizeof *default_texts)];
		snprintf(r->context_id, sizeof r->context_id, "vs-%08llx-%s%lld", (unsigned long long)(seed & 0xffffffffu),
			 faulted ? "f" : "", i);
		r->timeout_ms = left < timeout_ms ? (int)(left > 100 ? left : 100) : timeout_ms;
		r->t_intended = pacer ? intended : 0;
		pthread_mutex_lock(&t->mu);
		t->released++;
		pthread_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
		ran++;
	}
	pthread_mutex_lock(&t->mu);
	t->closed = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	ran = t->next < ran ? t->next : ran;
	if (pacer)
		h->pacer_free(pacer);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	*ran_out = ran;
	return rc;
}

/* The faulted pass's requests: its own size, concurrency and timeout. */
static long run_faulted(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct tts *t = state;
	int ran = 0;

	if (dispatch(h, c, t, t->fault_requests, t->fault_concurrency, (int)t->fault_timeout_ms, 1, &ran) != VS_OK)
		return -1;
	return ran;
}

int vs_tts_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct tts *t = state;
	int ran = 0, rc;
	const char *faults = h->opt(c, "faults");
	long fran;

	/* the clean pass: no faults */
	rc = dispatch(h, c, t, t->requests, t->concurrency, t->cfg.timeout_ms, 0, &ran);
	if (rc != VS_OK)
		return rc;
	if (ran < t->requests)
		h->log(c, VS_LOG_WARN, "clean pass stopped early: %d of %lld requests ran", ran, t->requests);
	report(h, c, t, ran, t->requests, &vs_speech_clean, NULL);
	if (!faults || !*faults)
		return VS_OK;
	rc = vs_speech_faulted_pass(h, c, t->p->fault_target, "requests", t->fault_requests, t->fault_concurrency,
				    t->fault_timeout_ms, run_faulted, t, &fran);
	if (rc != VS_OK)
		return rc;
	report(h, c, t, (int)fran, t->fault_requests, &vs_speech_faulted, faults);
	return VS_OK;
}

int vs_tts_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h, (void)c;
	tts_free(state);
	return VS_OK;
}
