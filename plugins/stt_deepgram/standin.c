/* Deepgram live transcription stand-in: WebSocket /v1/listen.
 * Audio frames go through an energy detector (vs_vad); each speech segment
 * is "transcribed" as the next phrase of the configured list (scripted
 * mode), or really recognised by pocketsphinx restricted to a grammar of
 * those phrases (grammar mode, standin_sphinx.c).  Sends Results (interim and final, is_final/speech_final,
 * from_finalize), SpeechStarted and UtteranceEnd when asked, Metadata at
 * the end; handles KeepAlive, Finalize, CloseStream and closes 1011 after
 * 10 s without audio or KeepAlive, as the real service does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "vstress/audio/ulaw.h"
#include "vstress/audio/vad.h"
#include "vstress/world.h"
#include "vstress/standin/standin_ws.h"
#include "vstress/standin/wfmark.h"
#include "vstress/standin/billing.h"
#include "standin.h"
#include "standin_record.h"
#include "standin_sphinx.h"

#define DG_MAX_PEND 16
#define DG_ARRIVALS 128 /* audio messages remembered for the waterfall */

struct dg {
	int rate, mulaw, interim, vad_events;
	long utterance_end_ms;
	long idle_ms;
	struct vs_vad vad;
	int16_t frame[VS_VAD_MAX_FRAME];
	int nframe;
	int64_t samples;      /* received so far */
	uint64_t bill_seq;    /* the billing event of the stream's opening */
	int speaking;
	int64_t seg_start;    /* samples */
	int64_t last_interim; /* samples */
	int phrase;           /* next phrase index */
	uint64_t last_activity;
	long idle_timer;
	char request_id[40];
	int closing;
	/* grammar mode: the audio of the current utterance, and the decodes
	 * not answered yet (in order; job NULL: an empty result) */
	struct dg_sphinx *sphinx; /* NULL: scripted mode */
	struct dg_utt utt;
	struct dg_pend {
		struct dg_job *job;
		double t0, t1;
		int is_final, from_finalize;
		uint64_t audio_end_ns;
	} pend[DG_MAX_PEND];
	int npend;
	long poll_timer;
	int close_after; /* CloseStream waits for the pending decodes */
	double conf;     /* confidence of the next Results */
	struct dg_rec *rec; /* what the stream received (record_audio), NULL: not kept */
	/* waterfall: when each recent audio message arrived (its first sample) */
	struct dg_arrival {
		int64_t s0;
		uint64_t t_ns;
	} arr[DG_ARRIVALS];
	unsigned narr;
	char tag[64]; /* the client's tag= (Deepgram's request tag), "" none */
};

/* When the message carrying sample `s` arrived (0: forgotten). */
static uint64_t arrival_of(const struct dg *d, int64_t s)
{
	unsigned n = d->narr < DG_ARRIVALS ? d->narr : DG_ARRIVALS;
	for (unsigned k = 1; k <= n; k++) {
		const struct dg_arrival *a = &d->arr[(d->narr - k) % DG_ARRIVALS];
		if (a->s0 <= s)
			return a->t_ns;
	}
	return 0;
}

/* A final transcript for the waterfall: the arrival of the speech's last
 * sample and the time the final goes out. */
static void wf_final(const struct vs_world *w, vs_wctx *wc, const struct dg *d, uint64_t audio_end_ns,
		     uint64_t final_ns, const char *text)
{
	if (!text || !*text)
		return;
	json_t *ev = json_pack("{s:s,s:I,s:I,s:o,s:s}", "stream", d->request_id, "audio_end_ns",
			       (json_int_t)audio_end_ns, "final_ns", (json_int_t)final_ns, "text", vs_wf_text(text),
			       "tag", d->tag);
	vs_wf_publish(w, wc, "wf.stt", ev);
}

/* The world's one grammar decoder (created at start-up in grammar mode,
 * else at the first connection asking for it). */
static struct dg_sphinx *sphinx;
static int sphinx_failed;

static const char *model_uuid = "1ed36bac-f71c-4f3f-a31f-02fd6525c489";

static void uuid4(const struct vs_world *w, vs_wctx *wc, char *buf, size_t len)
{
	uint64_t a = w->rand(wc), b = w->rand(wc);
	snprintf(buf, len, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffull));
}

static int dg_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)mid_stream;
	char rid[40];
	uuid4(w, wc, rid, sizeof rid);
	const char *code = status == 401   ? "INVALID_AUTH"
			   : status == 402 ? "ASR_PAYMENT_REQUIRED"
			   : status == 429 ? "TOO_MANY_REQUESTS"
			   : status == 400 ? "Bad Request"
					   : "INTERNAL_SERVER_ERROR";
	const char *msg = message ? message
			  : status == 401 ? "Invalid credentials."
			  : status == 429 ? "Too many requests. Please try again later."
					  : "The service encountered an unexpected error.";
	w->resp_header(rs, "dg-error", msg);
	w->resp_header(rs, "dg-request-id", rid);
	w->count(wc, "errors", 1);
	return w->resp_json_steal(rs, status, json_pack("{s:s,s:s,s:s}", "err_code", code, "err_msg", msg, "request_id", rid));
}

/* Phrase idx (cycled) of a file: one phrase a line, or a probe manifest's
 * "<wav>|<transcript>" lines; '#' comments and empty lines skipped. */
static int phrase_from_file(const char *path, int idx, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0, k = 0, found = 0;
	if (!f)
		return 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		rewind(f);
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!*line || *line == '#')
				continue;
			if (pass == 0) {
				n++;
			} else if (k++ == idx % n) {
				const char *bar = strchr(line, '|');
				const char *src = bar ? bar + 1 : line;
				size_t l = strlen(src) < len ? strlen(src) : len - 1;
				memcpy(buf, src, l);
				buf[l] = '\0';
				found = 1;
				break;
			}
		}
		if (!n)
			break;
	}
	fclose(f);
	return found;
}

static const char *phrase_at(const struct vs_world *w, vs_wctx *wc, int idx, char *buf, size_t len)
{
	const char *fixed = w->conf(wc, "transcript");
	if (fixed && *fixed) {
		snprintf(buf, len, "%s", fixed);
		return buf;
	}
	const char *file = w->conf(wc, "phrases_file");
	if (file && *file && phrase_from_file(file, idx, buf, len))
		return buf;
	const char *list = w->conf(wc, "phrases");
	if (!list || !*list)
		list = "hello there";
	int n = 1;
	for (const char *p = list; *p; p++)
		n += *p == '|';
	idx %= n;
	const char *p = list;
	for (int i = 0; i < idx; i++)
		p = strchr(p, '|') + 1;
	const char *e = strchr(p, '|');
	snprintf(buf, len, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
	return buf;
}

/* A Results message with `nwords` of `text` spread over [t0, t1]. */
static json_t *results(struct dg *d, const char *text, int nwords, double t0, double t1, int is_final,
		       int speech_final, int from_finalize)
{
	json_t *words = json_array();
	char tr[1024] = "";
	char *copy = strdup(text);
	int total = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		total++;
		while (*p && *p != ' ')
			p++;
	}
	if (nwords < 0 || nwords > total)
		nwords = total;
	double step = total ? (t1 - t0) / total : 0;
	char *save = NULL;
	int i = 0;
	for (char *tok = copy ? strtok_r(copy, " ", &save) : NULL; tok && i < nwords; tok = strtok_r(NULL, " ", &save), i++) {
		char low[128];
		size_t k = 0;
		for (const char *c = tok; *c && k + 1 < sizeof low; c++)
			if (*c != ',' && *c != '.' && *c != '?' && *c != '!')
				low[k++] = (char)((*c >= 'A' && *c <= 'Z') ? *c - 'A' + 'a' : *c);
		low[k] = '\0';
		json_array_append_new(words, json_pack("{s:s,s:f,s:f,s:f,s:s}", "word", low, "start", t0 + step * i, "end",
						       t0 + step * (i + 1), "confidence", d->conf, "punctuated_word", tok));
		size_t tl = strlen(tr);
		snprintf(tr + tl, sizeof tr - tl, "%s%s", tl ? " " : "", tok);
	}
	free(copy);
	return json_pack("{s:s,s:[i,i],s:f,s:f,s:b,s:b,s:b,s:{s:[{s:s,s:f,s:o}]},s:{s:s,s:s,s:{s:s,s:s,s:s}}}", "type",
			 "Results", "channel_index", 0, 1, "duration", t1 - t0, "start", t0, "is_final", is_final,
			 "speech_final", speech_final, "from_finalize", from_finalize, "channel", "alternatives",
			 "transcript", tr, "confidence", nwords ? d->conf : 0.0, "words", words, "metadata", "request_id",
			 d->request_id, "model_uuid", model_uuid, "model_info", "name", "general-nova-3", "version",
			 "2025-04-17.21547", "arch", "nova-3");
}

struct logctx {
	const struct vs_world *w;
	vs_wctx *wc;
};

static void sphinx_log(void *arg, const char *msg)
{
	struct logctx *lc = arg;
	lc->w->log(lc->wc, VS_LOG_WARN, "%s", msg);
}

static struct dg_sphinx *get_sphinx(const struct vs_world *w, vs_wctx *wc)
{
	char err[512] = "";
	if (sphinx || sphinx_failed)
		return sphinx;
	struct logctx lc = {w, wc};
	struct dg_sphinx_cfg cfg = {.phrases = w->conf(wc, "phrases"), .phrases_file = w->conf(wc, "phrases_file"),
				    .scripts = w->conf(wc, "phrases_scripts"),
				    .grammar_file = w->conf(wc, "grammar_file"), .model_dir = w->conf(wc, "sphinx_model"),
				    .sphinx_log = w->conf(wc, "sphinx_log"), .log = sphinx_log, .log_arg = &lc,
				    .threads = (int)w->conf_double(wc, "decode_threads", 0)};
	uint64_t t0 = w->now_ms();
	if (dg_sphinx_new(&cfg, &sphinx, err, sizeof err) || dg_sphinx_start(sphinx)) {
		w->log(wc, VS_LOG_ERROR, "%s", *err ? err : "grammar: cannot start the decoding thread");
		dg_sphinx_free(sphinx);
		sphinx = NULL;
		sphinx_failed = 1;
		return NULL;
	}
	w->log(wc, VS_LOG_INFO, "grammar: %d clauses, %d decoding threads ready in %llu ms", dg_sphinx_phrases(sphinx),
	       dg_sphinx_threads(sphinx), (unsigned long long)(w->now_ms() - t0));
	return sphinx;
}

static void sphinx_at_exit(void *arg)
{
	(void)arg;
	dg_sphinx_free(sphinx);
	sphinx = NULL;
}

static void close_stream(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d);

/* A decoded result is due: the final (or interim) Results, in order. */
static void deliver(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d, const struct dg_pend *p,
		    const char *text, double conf)
{
	w->log(wc, VS_LOG_DEBUG, "grammar: %s \"%s\" confidence %.2f", p->is_final ? "final" : "interim", text, conf);
	if (conf < w->conf_double(wc, "min_confidence", 0.5))
		text = ""; /* not one of the phrases: nothing recognised */
	d->conf = conf;
	if (!p->is_final) {
		if (*text)
			vs_st_ws_send_json(w, ws, 0, results(d, text, -1, p->t0, p->t1, 0, 0, 0));
		return;
	}
	vs_st_ws_send_json(w, ws, 0, results(d, text, -1, p->t0, p->t1, 1, !p->from_finalize, p->from_finalize));
	wf_final(w, wc, d, p->audio_end_ns, vs_wf_now_ns(), text);
	if (*text) {
		dg_rec_final(d->rec, text);
		w->count(wc, "transcripts", 1);
		w->count(wc, "characters", (double)strlen(text));
	} else {
		w->count(wc, "unrecognised", 1);
	}
	if (d->utterance_end_ms > 0 && p->t1 > p->t0)
		vs_st_ws_send_json(w, ws, (uint32_t)d->utterance_end_ms,
			  json_pack("{s:s,s:[i,i],s:f}", "type", "UtteranceEnd", "channel", 0, 1, "last_word_end", p->t1));
}

static void poll_decodes(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	struct dg *d = arg;
	char text[1024];
	double conf = 0;
	d->poll_timer = 0;
	while (d->npend) {
		struct dg_pend *p = &d->pend[0];
		if (p->job && !dg_job_poll(d->sphinx, p->job, text, sizeof text, &conf))
			break;
		if (!p->job) {
			*text = '\0';
			conf = 0;
		}
		deliver(w, wc, ws, d, p, text, conf);
		dg_job_release(d->sphinx, p->job);
		memmove(d->pend, d->pend + 1, (size_t)--d->npend * sizeof *d->pend);
	}
	if (d->npend) {
		d->poll_timer = w->ws_timer(ws, 10, poll_decodes, d);
	} else if (d->close_after) {
		d->close_after = d->closing = 0;
		close_stream(w, wc, ws, d);
	}
}

/* Queues the decode of samples [from, to) (grammar mode); from > to: an
 * empty result kept in order. */
static void grammar_submit(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d, int64_t from, int64_t to,
			   double t0, double t1, int is_final, int from_finalize)
{
	if (d->npend == DG_MAX_PEND) {
		w->count(wc, "decodes_dropped", 1);
		return;
	}
	/* an interim not started yet would only hold the final back: dropped */
	for (int i = 0; is_final && i < d->npend; i++)
		if (!d->pend[i].is_final && d->pend[i].job && dg_job_drop(d->sphinx, d->pend[i].job))
			w->count(wc, "interims_dropped", 1);
	struct dg_pend *p = &d->pend[d->npend++];
	*p = (struct dg_pend){.t0 = t0, .t1 = t1, .is_final = is_final, .from_finalize = from_finalize,
			      .audio_end_ns = arrival_of(d, (int64_t)(t1 * d->rate) - 1)};
	if (from <= to)
		p->job = dg_utt_submit(d->sphinx, &d->utt, from, to, !is_final);
	if (!d->poll_timer)
		d->poll_timer = w->ws_timer(ws, 10, poll_decodes, d);
}

/* The end of a speech segment: the final transcript of the next phrase
 * (grammar mode: of the segment's audio, once decoded). */
static void end_segment(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d, int64_t end_sample,
			int from_finalize)
{
	if (d->sphinx) {
		/* 250 ms before the onset, 300 ms after the end (what is buffered) */
		grammar_submit(w, wc, ws, d, d->seg_start - d->rate / 4, end_sample + d->rate * 3 / 10,
			       (double)d->seg_start / d->rate, (double)end_sample / d->rate, 1, from_finalize);
		d->speaking = 0;
		return;
	}
	char buf[1024];
	const char *text = phrase_at(w, wc, d->phrase++, buf, sizeof buf);
	double t0 = (double)d->seg_start / d->rate, t1 = (double)end_sample / d->rate;
	uint32_t delay = (uint32_t)w->conf_double(wc, "final_delay_ms", 50);
	vs_st_ws_send_json(w, ws, delay, results(d, text, -1, t0, t1, 1, !from_finalize, from_finalize));
	dg_rec_final(d->rec, text);
	wf_final(w, wc, d, arrival_of(d, end_sample - 1), vs_wf_now_ns() + (uint64_t)delay * 1000000ull, text);
	w->count(wc, "transcripts", 1);
	w->count(wc, "characters", (double)strlen(text));
	if (d->utterance_end_ms > 0)
		vs_st_ws_send_json(w, ws, (uint32_t)d->utterance_end_ms,
			  json_pack("{s:s,s:[i,i],s:f}", "type", "UtteranceEnd", "channel", 0, 1, "last_word_end", t1));
	d->speaking = 0;
}

static void feed(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d, const int16_t *x, size_t n)
{
	if (d->sphinx && dg_utt_append(&d->utt, x, n))
		w->count(wc, "errors", 1);
	for (size_t i = 0; i < n; i++) {
		d->frame[d->nframe++] = x[i];
		if (d->nframe < d->vad.frame)
			continue;
		d->nframe = 0;
		struct vs_vad_event ev[2];
		int ne = vs_vad_feed(&d->vad, d->frame, ev);
		for (int k = 0; k < ne; k++) {
			if (ev[k].type == VS_VAD_START && !d->speaking) {
				d->speaking = 1;
				d->seg_start = d->last_interim = ev[k].sample;
				if (d->vad_events)
					vs_st_ws_send_json(w, ws, 0,
						  json_pack("{s:s,s:[i,i],s:f}", "type", "SpeechStarted", "channel", 0, 1,
							    "timestamp", (double)ev[k].sample / d->rate));
			} else if (ev[k].type == VS_VAD_END && d->speaking) {
				end_segment(w, wc, ws, d, ev[k].sample, 0);
			}
		}
		d->samples += d->vad.frame;
		/* interim results about every 500 ms of speech */
		if (d->speaking && d->interim && d->sphinx && d->samples - d->last_interim >= d->rate / 2) {
			/* the audio so far, unless a decode is still due */
			d->last_interim = d->samples;
			if (!d->npend)
				grammar_submit(w, wc, ws, d, d->seg_start - d->rate / 4, d->samples,
					       (double)d->seg_start / d->rate, (double)d->samples / d->rate, 0, 0);
		} else if (d->speaking && d->interim && d->samples - d->last_interim >= d->rate / 2) {
			char buf[1024];
			const char *text = phrase_at(w, wc, d->phrase, buf, sizeof buf);
			int words = (int)((d->samples - d->seg_start) / (d->rate * 3 / 10)); /* ~ a word per 300 ms */
			d->last_interim = d->samples;
			if (words > 0)
				vs_st_ws_send_json(w, ws, 0, results(d, text, words, (double)d->seg_start / d->rate,
							    (double)d->samples / d->rate, 0, 0, 0));
		}
	}
	/* keep 500 ms of pre-roll while nobody speaks */
	if (d->sphinx && !d->speaking)
		dg_utt_trim(&d->utt, d->utt.start + (int64_t)d->utt.n - d->rate / 2);
}

static void idle_check(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	struct dg *d = arg;
	d->idle_timer = 0;
	if (d->closing)
		return;
	if (w->now_ms() - d->last_activity >= (uint64_t)d->idle_ms) {
		/* NET-0001: no audio or KeepAlive for too long */
		w->count(wc, "idle_timeouts", 1);
		w->ws_close(ws, 0, 1011, "Deepgram did not receive audio data or a text message within the timeout "
					 "window. See https://dpgr.am/net0001");
		d->closing = 1;
		return;
	}
	d->idle_timer = w->ws_timer(ws, 500, idle_check, d);
}

static int on_open(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	(void)arg;
	const vs_wreq *rq = w->ws_request(ws);
	struct dg *d = calloc(1, sizeof *d);
	if (!d)
		return -1;
	const char *sr = w->req_query(rq, "sample_rate"), *enc = w->req_query(rq, "encoding");
	const char *ir = w->req_query(rq, "interim_results"), *ve = w->req_query(rq, "vad_events");
	const char *ue = w->req_query(rq, "utterance_end_ms"), *ep = w->req_query(rq, "endpointing");
	d->rate = sr ? atoi(sr) : 16000;
	if (d->rate < 8000 || d->rate > 48000)
		d->rate = 16000;
	d->mulaw = enc && !strcasecmp(enc, "mulaw");
	d->interim = ir && !strcmp(ir, "true");
	d->vad_events = ve && !strcmp(ve, "true");
	d->utterance_end_ms = ue ? atol(ue) : 0;
	d->idle_ms = (long)w->conf_double(wc, "idle_timeout_ms", 10000);
	/* a probe's hint (docs/world.md): start the phrase cycle at this index,
	 * so that a stream per sample is answered with that sample's transcript */
	const char *ph = w->req_query(rq, "vstress_phrase");
	/* Endpointing: the client's endpointing= wins; a probe's stream (it
	 * sends vstress_phrase) may use a longer hangover so that a read
	 * sample's pauses do not split it, while an agent's calls keep a
	 * realistic one. */
	int hang = (int)w->conf_double(wc, "hangover_ms", 300);
	if (ph && *ph && w->conf(wc, "probe_hangover_ms"))
		hang = (int)w->conf_double(wc, "probe_hangover_ms", hang);
	struct vs_vad_cfg cfg = {.rate = d->rate, .frame_ms = 20,
				 .threshold_dbfs = w->conf_double(wc, "threshold_dbfs", -40),
				 .hangover_ms = ep && atoi(ep) > 0 ? atoi(ep) : hang};
	vs_vad_init(&d->vad, &cfg);
	/* grammar mode: configured, or asked by ?vstress_mode=grammar */
	const char *mode = w->req_query(rq, "vstress_mode");
	if (!mode || !*mode)
		mode = w->conf(wc, "mode");
	d->conf = 0.98;
	dg_utt_init(&d->utt, d->rate);
	if (mode && !strcmp(mode, "grammar") && !(d->sphinx = get_sphinx(w, wc))) {
		free(d);
		return -1;
	}
	d->phrase = ph && atoi(ph) > 0 ? atoi(ph) : 0;
	const char *tag = w->req_query(rq, "tag");
	snprintf(d->tag, sizeof d->tag, "%s", tag ? tag : "");
	uuid4(w, wc, d->request_id, sizeof d->request_id);
	d->rec = dg_rec_open(w, wc, d->request_id, d->rate, d->mulaw ? "mulaw" : "linear16");
	d->last_activity = w->now_ms();
	w->ws_set_data(ws, d);
	d->idle_timer = w->ws_timer(ws, 500, idle_check, d);
	w->count(wc, "streams", 1);
	d->bill_seq = vs_st_bill_open(w, wc, "deepgram");
	return 0;
}

static void close_stream(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct dg *d)
{
	if (d->speaking)
		end_segment(w, wc, ws, d, d->samples, 1);
	if (d->npend) { /* grammar mode: the Metadata after the last result */
		d->close_after = d->closing = 1;
		return;
	}
	char created[40];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	vs_st_ws_send_json(w, ws, 0,
		  json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:[s],s:{s:{s:s,s:s,s:s}}}", "type", "Metadata",
			    "transaction_key", "deprecated", "request_id", d->request_id, "sha256",
			    "0000000000000000000000000000000000000000000000000000000000000000", "created", created,
			    "duration", (double)d->samples / d->rate, "channels", 1, "models", model_uuid, "model_info",
			    model_uuid, "name", "general-nova-3", "version", "2025-04-17.21547", "arch", "nova-3"));
	w->ws_close(ws, 0, 1000, NULL);
	d->closing = 1;
}

static int on_message(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int binary, const void *data, size_t len,
		      void *arg)
{
	(void)arg;
	struct dg *d = w->ws_data(ws);
	if (!d || d->closing)
		return 0;
	d->last_activity = w->now_ms();
	if (binary) {
		int16_t buf[4096];
		d->arr[d->narr++ % DG_ARRIVALS] = (struct dg_arrival){.s0 = d->samples + d->nframe, .t_ns = vs_wf_now_ns()};
		const uint8_t *u = data;
		if (d->mulaw) {
			for (size_t off = 0; off < len;) {
				size_t n = len - off < 4096 ? len - off : 4096;
				vs_ulaw_decode_buf(u + off, n, buf);
				dg_rec_add(d->rec, buf, n);
				feed(w, wc, ws, d, buf, n);
				off += n;
			}
			w->count(wc, "audio_in_s", (double)len / d->rate);
		} else {
			size_t ns = len / 2;
			for (size_t off = 0; off < ns;) {
				size_t n = ns - off < 4096 ? ns - off : 4096;
				memcpy(buf, u + 2 * off, n * 2); /* little-endian host */
				dg_rec_add(d->rec, buf, n);
				feed(w, wc, ws, d, buf, n);
				off += n;
			}
			w->count(wc, "audio_in_s", (double)ns / d->rate);
		}
		return 0;
	}
	json_t *j = json_loadb(data, len, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	if (!type) {
		/* the real service answers unparseable text with an error close */
		json_decref(j);
		w->ws_close(ws, 0, 1008, "DATA-0000");
		d->closing = 1;
		return 0;
	}
	if (!strcmp(type, "Finalize")) {
		if (d->speaking) {
			end_segment(w, wc, ws, d, d->samples, 1);
			vs_vad_init(&d->vad, &d->vad.cfg); /* the segment is closed */
			d->vad.pos = d->samples;
		} else if (d->npend) { /* after the results still being decoded */
			double t = (double)d->samples / d->rate;
			grammar_submit(w, wc, ws, d, 1, 0, t, t, 1, 1);
		} else {
			double t = (double)d->samples / d->rate;
			vs_st_ws_send_json(w, ws, 0, results(d, "", 0, t, t, 1, 0, 1));
		}
	} else if (!strcmp(type, "CloseStream")) {
		close_stream(w, wc, ws, d);
	}
	/* KeepAlive: last_activity is enough */
	json_decref(j);
	return 0;
}

static void on_close(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int code, void *arg)
{
	(void)code, (void)arg;
	struct dg *d = w->ws_data(ws);
	if (d) {
		/* Deepgram bills the audio streamed */
		vs_st_bill_stt(w, wc, "deepgram", w->req_query(w->ws_request(ws), "model"),
			       d->rate > 0 ? (double)d->samples / d->rate : 0, d->bill_seq);
		for (int i = 0; i < d->npend; i++)
			dg_job_release(d->sphinx, d->pend[i].job);
		dg_utt_free(&d->utt);
		dg_rec_close(d->rec);
	}
	free(d);
	w->ws_set_data(ws, NULL);
}

/* Authorization: Token <key> (the SDK), or Bearer, or ?token= */
static int on_upgrade(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	const char *want = w->conf(wc, "api_key");
	const char *auth = w->req_header(rq, "Authorization");
	const char *key = w->req_query(rq, "token");
	if (auth && (!strncasecmp(auth, "Token ", 6) || !strncasecmp(auth, "Bearer ", 7)))
		key = strchr(auth, ' ') + 1;
	if (!key || !*key || (want && *want && strcmp(key, want)))
		return dg_error(w, wc, rs, 401, 0, NULL) || 1;
	return 0;
}

/* An error fault mid-stream: Deepgram reports stream errors as a close
 * frame, 1011 with its code (NET-0000: an internal server error). */
static int ws_fault_error(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int status, const char *message)
{
	(void)status;
	w->count(wc, "errors", 1);
	return w->ws_close(ws, 0, 1011, message ? message : "NET-0000");
}

static const struct vs_ws_handlers handlers = {
	.on_open = on_open, .on_message = on_message, .on_close = on_close, .on_upgrade = on_upgrade};

int stt_deepgram_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	const char *mode = w->conf(wc, "mode");
	if (mode && *mode && strcmp(mode, "scripted") && strcmp(mode, "grammar")) {
		w->log(wc, VS_LOG_ERROR, "mode = %s: scripted or grammar", mode);
		return VS_ERROR;
	}
	if (VS_WORLD_HAS(w, at_exit))
		rc |= w->at_exit(wc, sphinx_at_exit, NULL);
	if (mode && !strcmp(mode, "grammar") && !get_sphinx(w, wc))
		return VS_ERROR; /* the reason is in the log */
	rc |= w->add_ws_route(wc, "/v1/listen", &handlers, NULL);
	rc |= dg_rec_routes(w, wc);
	rc |= w->set_error_builder(wc, dg_error);
	if (VS_WORLD_HAS(w, set_ws_error_builder))
		rc |= w->set_ws_error_builder(wc, ws_fault_error);
	rc |= w->export_env(wc, "DEEPGRAM_BASE_URL", "{ws}");
	rc |= w->export_env(wc, "DEEPGRAM_API_KEY", "vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
