/* Tying the world's records to caller turns from the traffic alone
 * (docs/waterfall.md, "Correlation").  Pure: no clock, no I/O. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/waterfall/waterfall.h"

#define MS 1000000ll
/* slack for the world's scheduled send times and 20 ms caller frames */
#define SLACK_NS (5 * MS)
/* the STT stand-in's VAD may close the speech a frame or two before the
 * caller's sample-accurate edge */
#define STT_EARLY_NS (300 * MS)
/* two candidates closer than this cannot be told apart by timing */
#define STT_AMBIG_NS (100 * MS)
#define NEXT_AMBIG_NS (20 * MS)

const struct vs_wf_stage vs_wf_stages[VS_WF_NSTAGES] = {
	{"caller_to_stt", "agent", "caller speech end -> STT stand-in receives its last sample"},
	{"stt_endpointing", "provider", "STT stand-in: last speech sample -> final transcript sent"},
	{"transcript_to_llm", "agent", "final transcript -> LLM request arrives (endpointing, aggregation)"},
	{"llm_first_token", "provider", "LLM request -> first token sent"},
	{"llm_stream", "provider", "first token -> last token sent"},
	{"llm_to_tts", "agent", "last token -> TTS request for the reply arrives (negative: sent while streaming)"},
	{"tts_first_audio", "provider", "TTS request -> first audio sent"},
	{"audio_to_caller", "agent", "first audio sent -> caller hears the reply (transport, agent buffering)"},
};

char *vs_wf_norm(const char *s)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = malloc(n + 1);
	int sp = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch >= 0x80) {
			if (sp && o)
				out[o++] = ' ';
			sp = 0;
			out[o++] = (char)tolower(ch);
		} else if (ch != '\'') { /* "it's" and "its" match */
			sp = 1;
		}
	}
	out[o] = '\0';
	return out;
}

int vs_wf_contains(const char *hay, const char *needle)
{
	char *h = vs_wf_norm(hay), *nd = vs_wf_norm(needle);
	int r = 0;

	if (h && nd && *nd) {
		size_t hl = strlen(h), nl = strlen(nd);
		for (const char *p = strstr(h, nd); p; p = strstr(p + 1, nd)) {
			/* whole words only */
			if ((p == h || p[-1] == ' ') && ((size_t)(p - h) + nl == hl || p[nl] == ' ')) {
				r = 1;
				break;
			}
		}
	}
	free(h);
	free(nd);
	return r;
}

/* Share of the transcript's words that the caller said (0..1). */
static double word_overlap(const char *said, const char *heard)
{
	char *a = vs_wf_norm(said), *b = vs_wf_norm(heard), *save = NULL;
	size_t tot = 0, hit = 0;

	if (a && b) {
		size_t al = strlen(a);
		for (char *tok = strtok_r(b, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			size_t tl = strlen(tok);
			tot++;
			for (const char *p = strstr(a, tok); p; p = strstr(p + 1, tok))
				if ((p == a || p[-1] == ' ') && ((size_t)(p - a) + tl == al || p[tl] == ' ')) {
					hit++;
					break;
				}
		}
	}
	free(a);
	free(b);
	return tot ? (double)hit / (double)tot : 0;
}

static int64_t iabs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* 1: meta names this turn's call; -1: names another call; 0: says nothing. */
static int meta_match(const char *meta, const struct vs_wf_turn *t, const struct vs_wf_turn *all, size_t n)
{
	if (!meta || !*meta)
		return 0;
	for (int k = 0; k < 3; k++)
		if (t->ids[k] && *t->ids[k] && !strcmp(meta, t->ids[k]))
			return 1;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			if (all[i].ids[k] && *all[i].ids[k] && !strcmp(meta, all[i].ids[k]))
				return -1;
	return 0;
}

static int same_call(const struct vs_wf_turn *a, const struct vs_wf_turn *b)
{
	return a == b || (a->ids[0] && b->ids[0] && *a->ids[0] && !strcmp(a->ids[0], b->ids[0]));
}

struct corr {
	const struct vs_wf_world *w;
	struct vs_wf_turn *turns;
	size_t n;
	unsigned char *stt_used, *llm_used, *tts_used;
	const struct vs_wf_turn **stream_owner; /* per STT record: the call its stream is bound to */
};

/* The turn's final transcript: index into w->stt, or -1 with t->why. */
static long pick_stt(struct corr *c, struct vs_wf_turn *t)
{
	const struct vs_wf_world *w = c->w;
	long *cand = malloc((w->nstt + 1) * sizeof(*cand));
	size_t nc = 0, keep;
	long best = -1;

	if (!cand) {
		snprintf(t->why, sizeof(t->why), "out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->nstt; i++) {
		const struct vs_wf_stt *s = &w->stt[i];
		if (c->stt_used[i] || !s->text || !*s->text || s->final_ns < t->speech_end_ns - SLACK_NS ||
		    s->final_ns > t->heard_ns + SLACK_NS)
			continue;
		if (s->audio_end_ns && s->audio_end_ns < t->speech_end_ns - STT_EARLY_NS)
			continue; /* speech that ended before this turn's */
		if (meta_match(s->tag, t, c->turns, c->n) < 0 ||
		    (c->stream_owner[i] && !same_call(c->stream_owner[i], t)))
			continue;
		cand[nc++] = (long)i;
	}
	/* preferences, each applied when it leaves someone: the tag names
	 * the call; the stream already carries this call; the words match */
	for (int pass = 0; pass < 3 && nc > 1; pass++) {
		keep = 0;
		for (size_t k = 0; k < nc; k++) {
			const struct vs_wf_stt *s = &w->stt[cand[k]];
			int ok = pass == 0   ? meta_match(s->tag, t, c->turns, c->n) > 0
				 : pass == 1 ? c->stream_owner[cand[k]] != NULL
					     : t->words && word_overlap(t->words, s->text) >= 0.5;
			if (ok)
				cand[keep++] = cand[k];
		}
		if (keep)
			nc = keep;
		else if (pass < 2)
			continue;
	}
	if (!nc) {
		snprintf(t->why, sizeof(t->why), "no final transcript between the caller's speech end and the reply");
	} else {
		/* several final transcripts of one stream (a pause split the
		 * utterance): the last one before the reply is the one answered */
		int one_stream = 1;
		for (size_t k = 1; k < nc; k++)
			one_stream &= !strcmp(w->stt[cand[k]].stream, w->stt[cand[0]].stream);
		if (one_stream) {
			best = cand[0];
			for (size_t k = 1; k < nc; k++)
				if (w->stt[cand[k]].final_ns > w->stt[best].final_ns)
					best = cand[k];
		} else {
			/* streams of several calls: the one whose speech ended nearest
			 * the caller's, unless another is as near */
			int64_t d1 = INT64_MAX, d2 = INT64_MAX;
			for (size_t k = 0; k < nc; k++) {
				const struct vs_wf_stt *s = &w->stt[cand[k]];
				int64_t d = iabs64((s->audio_end_ns ? s->audio_end_ns : s->final_ns) - t->speech_end_ns);
				if (d < d1) {
					d2 = d1;
					d1 = d;
					best = cand[k];
				} else if (d < d2) {
					d2 = d;
				}
			}
			if (d2 - d1 < STT_AMBIG_NS) {
				snprintf(t->why, sizeof(t->why), "%zu final transcripts fit this turn (other calls' too)", nc);
				best = -1;
			}
		}
	}
	free(cand);
	return best;
}

/* The earliest record after `from` that fits, or -1 with why; ambiguous
 * when another one fits less than NEXT_AMBIG_NS later. */
static long pick_llm(struct corr *c, struct vs_wf_turn *t, const struct vs_wf_stt *s)
{
	const struct vs_wf_world *w = c->w;
	long best = -1, second = -1;

	for (size_t i = 0; i < w->nllm; i++) {
		const struct vs_wf_llm *l = &w->llm[i];
		if (c->llm_used[i] || l->request_ns < s->final_ns - SLACK_NS || l->request_ns > t->heard_ns + SLACK_NS ||
		    meta_match(l->user, t, c->turns, c->n) < 0 || !vs_wf_contains(l->user_text, s->text))
			continue;
		if (best < 0 || l->request_ns < w->llm[best].request_ns) {
			second = best;
			best = (long)i;
		} else if (second < 0 || l->request_ns < w->llm[second].request_ns) {
			second = (long)i;
		}
	}
	if (best < 0) {
		snprintf(t->why, sizeof(t->why), "no LLM request carrying the transcript before the reply");
	} else if (second >= 0 && w->llm[second].request_ns - w->llm[best].request_ns < NEXT_AMBIG_NS &&
		   meta_match(w->llm[best].user, t, c->turns, c->n) <= 0) {
		snprintf(t->why, sizeof(t->why), "two LLM requests with the transcript within %lld ms",
			 (long long)(NEXT_AMBIG_NS / MS));
		best = -1;
	}
	return best;
}

static long pick_tts(struct corr *c, struct vs_wf_turn *t, const struct vs_wf_llm *l)
{
	const struct vs_wf_world *w = c->w;
	long best = -1, second = -1;

	for (size_t i = 0; i < w->ntts; i++) {
		const struct vs_wf_tts *q = &w->tts[i];
		if (c->tts_used[i] || q->request_ns < l->request_ns - SLACK_NS || q->first_audio_ns > t->heard_ns + SLACK_NS ||
		    !vs_wf_contains(l->reply_text, q->text))
			continue;
		if (best < 0 || q->request_ns < w->tts[best].request_ns) {
			second = best;
			best = (long)i;
		} else if (second < 0 || q->request_ns < w->tts[second].request_ns) {
			second = (long)i;
		}
	}
	if (best < 0)
		snprintf(t->why, sizeof(t->why), "no TTS request with the reply's text whose audio came before the reply");
	else if (second >= 0 && w->tts[second].request_ns - w->tts[best].request_ns < NEXT_AMBIG_NS) {
		snprintf(t->why, sizeof(t->why), "two TTS requests with the reply's text within %lld ms",
			 (long long)(NEXT_AMBIG_NS / MS));
		best = -1;
	}
	return best;
}

static int by_speech_end(const void *a, const void *b, void *arg)
{
	const struct vs_wf_turn *t = arg;
	const size_t *x = a, *y = b;
	return t[*x].speech_end_ns < t[*y].speech_end_ns ? -1 : t[*x].speech_end_ns > t[*y].speech_end_ns;
}

void vs_wf_correlate(const struct vs_wf_world *w, struct vs_wf_turn *turns, size_t n)
{
	struct corr c = {.w = w, .turns = turns, .n = n};
	size_t *order = malloc((n + 1) * sizeof(*order));

	c.stt_used = calloc(w->nstt + 1, 1);
	c.llm_used = calloc(w->nllm + 1, 1);
	c.tts_used = calloc(w->ntts + 1, 1);
	c.stream_owner = calloc(w->nstt + 1, sizeof(*c.stream_owner));
	for (size_t i = 0; i < n; i++) {
		struct vs_wf_turn *t = &turns[i];
		for (int k = 0; k < VS_WF_NEVENTS; k++)
			t->t[k] = -1;
		t->t[VS_WF_SPEECH_END] = t->speech_end_ns;
		t->t[VS_WF_HEARD] = t->heard_ns;
		t->attributed = 0;
		snprintf(t->why, sizeof(t->why), "out of memory");
	}
	if (!order || !c.stt_used || !c.llm_used || !c.tts_used || !c.stream_owner)
		goto out;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_speech_end, turns);
	for (size_t oi = 0; oi < n; oi++) {
		struct vs_wf_turn *t = &turns[order[oi]];
		long si, li, qi;
		if (t->heard_ns < 0) {
			snprintf(t->why, sizeof(t->why), "no reply heard");
			continue;
		}
		if (!w->nstt && !w->nllm && !w->ntts) {
			snprintf(t->why, sizeof(t->why), "no world records (live providers, or the world did not answer)");
			continue;
		}
		if ((si = pick_stt(&c, t)) < 0)
			continue;
		const struct vs_wf_stt *s = &w->stt[si];
		if ((li = pick_llm(&c, t, s)) < 0)
			continue;
		const struct vs_wf_llm *l = &w->llm[li];
		if ((qi = pick_tts(&c, t, l)) < 0)
			continue;
		const struct vs_wf_tts *q = &w->tts[qi];
		c.stt_used[si] = c.llm_used[li] = c.tts_used[qi] = 1;
		for (size_t k = 0; k < w->nstt; k++) /* bind the STT stream to the call */
			if (!c.stream_owner[k] && !strcmp(w->stt[k].stream, s->stream))
				c.stream_owner[k] = t;
		t->t[VS_WF_STT_AUDIO] = s->audio_end_ns ? s->audio_end_ns : -1;
		t->t[VS_WF_STT_FINAL] = s->final_ns;
		t->t[VS_WF_LLM_REQUEST] = l->request_ns;
		t->t[VS_WF_LLM_FIRST] = l->first_ns;
		t->t[VS_WF_LLM_LAST] = l->last_ns;
		t->t[VS_WF_TTS_REQUEST] = q->request_ns;
		t->t[VS_WF_TTS_AUDIO] = q->first_audio_ns;
		t->attributed = 1;
		t->why[0] = '\0';
	}
out:
	free(order);
	free(c.stt_used);
	free(c.llm_used);
	free(c.tts_used);
	free(c.stream_owner);
}
