/* Grammar mode of the Deepgram stand-in: pocketsphinx (Debian 12's
 * 0.8+5prealpha API) restricted to a JSGF grammar of the scenario's phrases.
 *
 * One thread decodes for the whole world, off the world's event loop.  A
 * connection's utterance is decoded as its audio arrives (streaming), on a
 * decoder of the thread's own: decoders are built on demand (with a
 * dictionary of the grammar's words only: 8 ms and 6 MB each, against
 * 90 ms and 28 MB with the whole dictionary) and reused, at most
 * max_streams at once.  So the decoding of ten callers is spread over their
 * speech, and at an utterance's end only its last audio is left to decode:
 * a final does not wait behind other connections' utterances.  When every
 * decoder is busy (or the rate is neither 8 nor 16 kHz) the utterance is
 * decoded whole at its end, in turn, on the thread's first decoder
 * (docs/world.md, "Grammar mode", has the measured costs). */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h> /* -isystem: plugin.mk */
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include "vstress/audio/resample.h"
#include "vstress/ini/ini_file.h"
#include "standin_sphinx.h"

#define DG_SPHINX_MODEL "/usr/share/pocketsphinx/model/en-us"
#define DG_SEARCH "vstress"

#define DG_POOL_MAX 256
#define DG_ALT_MAX 9 /* alternative pronunciations looked up: word(2) .. word(9) */

/* What the worker is asked to do: decode a whole utterance, or one step of
 * a streamed one (begin, audio, a partial result, the end, an abandon). */
enum dg_kind { DG_WHOLE, DG_BEGIN, DG_FEED, DG_PARTIAL, DG_END, DG_ABORT };

/* A streamed utterance: its decoder, assigned by the worker at DG_BEGIN
 * and given back at DG_END or DG_ABORT (which also free the slot). */
struct dg_slot {
	ps_decoder_t *ps;
};

struct dg_job {
	enum dg_kind kind;
	struct dg_slot *slot; /* streamed steps */
	int16_t *pcm;         /* 16 kHz */
	size_t n;
	int refs; /* the submitter's (jobs with a result) and the worker's */
	int done, rc;
	char text[1024];
	double confidence;
	struct dg_job *next;
};

struct dg_sphinx {
	ps_decoder_t *ps;
	int nphrases;
	/* the worker thread owns ps and the pool once started */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started, quit;
	struct dg_job *head, *tail;
	/* streaming: decoders built by the worker on demand, kept for reuse */
	ps_decoder_t *all[DG_POOL_MAX], *idle[DG_POOL_MAX];
	int nall, nidle;
	int nstreams, max_streams; /* streamed utterances open (submitter's side, under mu) */
	char **words;              /* the grammar's vocabulary (NULL with grammar_file: the whole dictionary) */
	int nwords;
	char *grammar; /* the JSGF text, or NULL with grammar_file */
	mfcc_t *cmn0;  /* a fresh decoder's cepstral mean, each streamed utterance's start */
	char hmm[1024], dict[1024], gfile[1024], logfn[1024];
};

/* Appends s to a growing buffer. */
static int sb_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 1024) + n;
		char *p = realloc(*buf, nc);
		if (!p)
			return -1;
		*buf = p;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Normalises a phrase into `out` (lower case, words separated by one space,
 * punctuation other than apostrophes inside words dropped). */
static void normalise(const char *in, char *out, size_t len)
{
	size_t k = 0;
	int space = 0;
	for (const char *p = in; *p && k + 2 < len; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		int keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   (c == '\'' && k > 0 && out[k - 1] != ' ' && p[1] && p[1] != ' ');
		if (keep) {
			if (space && k)
				out[k++] = ' ';
			space = 0;
			out[k++] = c;
		} else if (c == ' ' || c == '\t' || c == '-' || c == '/') {
			space = 1;
		}
	}
	out[k] = '\0';
}

/* 1 if the grammar body so far already has the phrase as an alternative. */
static int known(const char *g, const char *norm)
{
	size_t n = strlen(norm);
	for (const char *p = g ? strstr(g, norm) : NULL; p; p = strstr(p + 1, norm)) {
		int open = (p >= g + 2 && !strncmp(p - 2, "( ", 2)) || (p >= g + 3 && !strncmp(p - 3, " | ", 3));
		if (open && (!p[n] || !strncmp(p + n, " | ", 3)))
			return 1;
	}
	return 0;
}

/* Remembers a grammar word for the streaming decoders' dictionary. */
static int add_word(struct dg_sphinx *s, const char *w)
{
	for (int i = 0; i < s->nwords; i++)
		if (!strcmp(s->words[i], w))
			return 0;
	char **nw = realloc(s->words, (size_t)(s->nwords + 1) * sizeof *nw);
	if (!nw)
		return -1;
	s->words = nw;
	if (!(nw[s->nwords] = strdup(w)))
		return -1;
	s->nwords++;
	return 0;
}

/* Adds one clause to the grammar body if all its words are in the
 * dictionary; reports and skips it otherwise. */
static int add_clause(struct dg_sphinx *s, const struct dg_sphinx_cfg *cfg, const char *phrase, char **g, size_t *gl,
		      size_t *gc)
{
	char norm[1024], tmp[1024], msg[1200];
	normalise(phrase, norm, sizeof norm);
	if (!*norm)
		return 0;
	snprintf(tmp, sizeof tmp, "%s", norm);
	char *save = NULL;
	for (char *w = strtok_r(tmp, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *pron = ps_lookup_word(s->ps, w);
		if (!pron) {
			if (cfg->log) {
				snprintf(msg, sizeof msg, "grammar: phrase \"%.500s\" dropped: \"%s\" is not in the dictionary",
					 phrase, w);
				cfg->log(cfg->log_arg, msg);
			}
			return 0;
		}
		free(pron); /* ckd_salloc'd: plain malloc */
	}
	if (known(*g, norm))
		return 0;
	if ((s->nphrases && sb_add(g, gl, gc, " | ", 3)) || sb_add(g, gl, gc, norm, strlen(norm)))
		return -1;
	s->nphrases++;
	snprintf(tmp, sizeof tmp, "%s", norm);
	save = NULL;
	for (char *w = strtok_r(tmp, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (add_word(s, w))
			return -1;
	return 0;
}

/* A phrase goes in clause by clause (split at , . ; : ? !), and an
 * utterance is one or more clauses: a speaker pausing at a comma ends a
 * segment there ("Hello," | "I would like ..."), and each part must still
 * be recognisable on its own, as a real recogniser's would be. */
static int add_phrase(struct dg_sphinx *s, const struct dg_sphinx_cfg *cfg, const char *phrase, char **g, size_t *gl,
		      size_t *gc)
{
	char one[1024];
	for (const char *p = phrase; p && *p;) {
		size_t n = strcspn(p, ",.;:?!");
		snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), p);
		if (add_clause(s, cfg, one, g, gl, gc))
			return -1;
		p = p[n] ? p + n + 1 : NULL;
	}
	return 0;
}

/* What a caller script says aloud: the `say` and `barge_in` values of its
 * steps (docs/calls.md), and the `text` of a recording's step. */
struct script_ctx {
	struct dg_sphinx *s;
	const struct dg_sphinx_cfg *cfg;
	char **g;
	size_t *gl, *gc;
};

static int on_script_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct script_ctx *x = arg;
	if (!it->key || strncmp(it->section, "step.", 5))
		return 0;
	if (strcmp(it->key, "say") && strcmp(it->key, "barge_in") && strcmp(it->key, "text"))
		return 0;
	if (add_phrase(x->s, x->cfg, it->value, x->g, x->gl, x->gc)) {
		snprintf(err, errlen, "%s:%d: out of memory", it->file, it->line);
		return -1;
	}
	return 0;
}

static int is_ini(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, ".ini");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One script file, or every *.ini of a folder (in name order). */
static int add_script_path(struct script_ctx *x, const char *path, char *err, size_t errlen)
{
	DIR *d = opendir(path);
	if (!d)
		return vs_ini_parse_file(path, on_script_item, x, err, errlen);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!is_ini(e->d_name))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn || !(nn[n] = strdup(e->d_name))) {
			names = nn ? nn : names;
			rc = -1;
			snprintf(err, errlen, "out of memory");
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (!rc)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		char file[4096];
		if (!rc && (size_t)snprintf(file, sizeof file, "%s/%s", path, names[i]) >= sizeof file) {
			snprintf(err, errlen, "%.200s/%.200s: path too long", path, names[i]);
			rc = -1;
		}
		if (!rc)
			rc = vs_ini_parse_file(file, on_script_item, x, err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* phrases_scripts: comma-separated caller scripts or folders of them. */
static int add_scripts(struct dg_sphinx *s, const struct dg_sphinx_cfg *cfg, char **g, size_t *gl, size_t *gc,
		       char *err, size_t errlen)
{
	struct script_ctx x = {s, cfg, g, gl, gc};
	char one[4096];
	for (const char *p = cfg->scripts; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		snprintf(one, sizeof one, "%.*s", (int)len, p);
		if (*one && add_script_path(&x, one, err, errlen)) {
			if (strncmp(err, "grammar", 7)) {
				char tmp[1024];
				snprintf(tmp, sizeof tmp, "grammar: phrases_scripts: %.900s", err);
				snprintf(err, errlen, "%s", tmp);
			}
			return -1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Every phrase of phrases_file, or of the '|' list. */
static int add_phrases(struct dg_sphinx *s, const struct dg_sphinx_cfg *cfg, char **g, size_t *gl, size_t *gc,
		       char *err, size_t errlen)
{
	if (cfg->phrases_file && *cfg->phrases_file) {
		FILE *f = fopen(cfg->phrases_file, "r");
		char line[4096];
		if (!f) {
			snprintf(err, errlen, "grammar: cannot open phrases_file %s", cfg->phrases_file);
			return -1;
		}
		int rc = 0;
		while (!rc && fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!*line || *line == '#')
				continue;
			const char *bar = strchr(line, '|');
			rc = add_phrase(s, cfg, bar ? bar + 1 : line, g, gl, gc);
		}
		fclose(f);
		return rc;
	}
	const char *list = cfg->phrases && *cfg->phrases ? cfg->phrases : "hello there";
	char one[1024];
	for (const char *p = list; p;) {
		const char *e = strchr(p, '|');
		snprintf(one, sizeof one, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
		if (add_phrase(s, cfg, one, g, gl, gc))
			return -1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int dg_sphinx_new(const struct dg_sphinx_cfg *cfg, struct dg_sphinx **out, char *err, size_t errlen)
{
	int rc = -1;
	char *g = NULL;
	size_t gl = 0, gc = 0;
	const char *model = cfg->model_dir && *cfg->model_dir ? cfg->model_dir : DG_SPHINX_MODEL;
	struct dg_sphinx *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	s->max_streams = cfg->max_streams < 0 ? 0 : cfg->max_streams ? cfg->max_streams : DG_STREAMS_DEFAULT;
	if (s->max_streams > DG_POOL_MAX)
		s->max_streams = DG_POOL_MAX;
	snprintf(s->hmm, sizeof s->hmm, "%s/en-us", model);
	snprintf(s->dict, sizeof s->dict, "%s/cmudict-en-us.dict", model);
	snprintf(s->logfn, sizeof s->logfn, "%s", cfg->sphinx_log && *cfg->sphinx_log ? cfg->sphinx_log : "/dev/null");
	cmd_ln_t *config =
		cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", s->hmm, "-dict", s->dict, "-logfn", s->logfn, NULL);
	if (!config) {
		snprintf(err, errlen, "grammar: pocketsphinx configuration failed (model %s)", model);
		goto out;
	}
	s->ps = ps_init(config);
	cmd_ln_free_r(config); /* the decoder keeps its own reference */
	if (!s->ps) {
		snprintf(err, errlen, "grammar: pocketsphinx could not load the model %s (set sphinx_log to see why)",
			 s->hmm);
		goto out;
	}
	if (cfg->grammar_file && *cfg->grammar_file) {
		snprintf(s->gfile, sizeof s->gfile, "%s", cfg->grammar_file);
		if (ps_set_jsgf_file(s->ps, DG_SEARCH, cfg->grammar_file) < 0) {
			snprintf(err, errlen, "grammar: cannot use the JSGF file %s", cfg->grammar_file);
			goto out;
		}
	} else {
		const char *head = "#JSGF V1.0;\ngrammar vstress;\n<clause> = ( ";
		if (sb_add(&g, &gl, &gc, head, strlen(head)) || add_phrases(s, cfg, &g, &gl, &gc, err, errlen) ||
		    add_scripts(s, cfg, &g, &gl, &gc, err, errlen)) {
			if (!*err)
				snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (!s->nphrases) {
			snprintf(err, errlen, "grammar: no phrase left (every phrase has a word outside %s)", s->dict);
			goto out;
		}
		const char *tail = " );\npublic <utt> = <clause>+;\n";
		if (sb_add(&g, &gl, &gc, tail, strlen(tail)))
			goto out;
		if (ps_set_jsgf_string(s->ps, DG_SEARCH, g) < 0) {
			snprintf(err, errlen, "grammar: pocketsphinx refused the grammar");
			goto out;
		}
		s->grammar = g;
		g = NULL;
	}
	if (ps_set_search(s->ps, DG_SEARCH) < 0) {
		snprintf(err, errlen, "grammar: cannot activate the grammar search");
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(g);
	dg_sphinx_free(s);
	return rc;
}

static void job_free(struct dg_job *j)
{
	free(j->pcm);
	free(j);
}

void dg_sphinx_free(struct dg_sphinx *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->quit = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		for (struct dg_job *j = s->head, *nx; j; j = nx) {
			nx = j->next;
			if (j->kind == DG_END || j->kind == DG_ABORT)
				free(j->slot); /* its decoder is in all[] */
			if (--j->refs == 0)
				job_free(j);
		}
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	for (int i = 0; i < s->nall; i++)
		ps_free(s->all[i]);
	if (s->ps)
		ps_free(s->ps);
	for (int i = 0; i < s->nwords; i++)
		free(s->words[i]);
	free(s->words);
	free(s->grammar);
	free(s->cmn0);
	free(s);
}

/* A streaming decoder (on the worker): the grammar's words only, taken
 * from the first decoder's dictionary, or the whole dictionary with a
 * grammar_file (whose words we do not parse). */
static ps_decoder_t *pool_new(struct dg_sphinx *s)
{
	if (s->nall == DG_POOL_MAX)
		return NULL;
	cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", s->hmm, "-dict",
				       s->words ? "/dev/null" : s->dict, "-logfn", s->logfn, NULL);
	if (!config)
		return NULL;
	ps_decoder_t *ps = ps_init(config);
	cmd_ln_free_r(config);
	if (!ps)
		return NULL;
	for (int i = 0; i < s->nwords; i++) {
		char alt[300];
		for (int k = 1; k <= DG_ALT_MAX; k++) {
			if (k == 1)
				snprintf(alt, sizeof alt, "%s", s->words[i]);
			else
				snprintf(alt, sizeof alt, "%s(%d)", s->words[i], k);
			char *pron = ps_lookup_word(s->ps, alt);
			if (!pron)
				break;
			ps_add_word(ps, alt, pron, FALSE);
			free(pron);
		}
	}
	int bad = s->grammar ? ps_set_jsgf_string(ps, DG_SEARCH, s->grammar) < 0
			     : ps_set_jsgf_file(ps, DG_SEARCH, s->gfile) < 0;
	if (bad || ps_set_search(ps, DG_SEARCH) < 0) {
		ps_free(ps);
		return NULL;
	}
	cmn_t *cmn = ps_get_feat(ps) ? ps_get_feat(ps)->cmn_struct : NULL;
	if (!s->cmn0 && cmn && cmn->veclen > 0 && (s->cmn0 = malloc((size_t)cmn->veclen * sizeof *s->cmn0)))
		cmn_live_get(cmn, s->cmn0);
	s->all[s->nall++] = ps;
	return ps;
}

/* A streamed utterance starts from a fresh decoder's cepstral mean, as a
 * new stream of a real recogniser would: live normalisation otherwise
 * carries the last utterance's channel (another connection's, maybe
 * another encoding) into this one, and out-of-grammar speech could pass
 * as a phrase (whole decodes normalise over the utterance itself). */
static void fresh_cmn(struct dg_sphinx *s, ps_decoder_t *ps)
{
	cmn_t *cmn = ps_get_feat(ps) ? ps_get_feat(ps)->cmn_struct : NULL;
	if (cmn && s->cmn0)
		cmn_live_set(cmn, s->cmn0);
}

/* The best path's text and confidence (of the utterance so far, or whole). */
static void hyp_of(ps_decoder_t *ps, char *text, size_t len, double *confidence);

/* A streamed utterance's end (with its result) or abandon: its decoder
 * goes back to the pool and the slot is freed. */
static void stream_done(struct dg_sphinx *s, struct dg_job *j, char *text, size_t len, double *conf)
{
	struct dg_slot *sl = j->slot;
	if (sl->ps) {
		if (ps_end_utt(sl->ps) < 0)
			j->rc = -1;
		else if (j->kind == DG_END && !j->rc)
			hyp_of(sl->ps, text, len, conf);
		s->idle[s->nidle++] = sl->ps;
	}
	free(sl);
	j->slot = NULL;
}

/* One job, on the worker thread, with the lock released. */
static void run_job(struct dg_sphinx *s, struct dg_job *j, char *text, size_t len, double *conf)
{
	struct dg_slot *sl = j->slot;
	*text = '\0';
	*conf = 0;
	if (j->kind == DG_WHOLE) {
		j->rc = dg_sphinx_decode(s, j->pcm, j->n, text, len, conf);
	} else if (j->kind == DG_BEGIN) {
		sl->ps = s->nidle ? s->idle[--s->nidle] : pool_new(s);
		if (sl->ps)
			fresh_cmn(s, sl->ps);
		if (sl->ps && ps_start_utt(sl->ps) < 0) {
			s->idle[s->nidle++] = sl->ps;
			sl->ps = NULL;
		}
	} else if (j->kind == DG_ABORT) {
		stream_done(s, j, text, len, conf);
	} else { /* audio: FEED, PARTIAL, END */
		j->rc = !sl->ps ? -1 : j->n && ps_process_raw(sl->ps, j->pcm, j->n, FALSE, FALSE) < 0 ? -1 : 0;
		if (j->kind == DG_PARTIAL && !j->rc)
			hyp_of(sl->ps, text, len, conf);
		else if (j->kind == DG_END)
			stream_done(s, j, text, len, conf);
	}
}

static void *worker(void *arg)
{
	struct dg_sphinx *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->quit && !s->head)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit)
			break;
		struct dg_job *j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);
		char text[sizeof j->text];
		double conf = 0;
		run_job(s, j, text, sizeof text, &conf);
		pthread_mutex_lock(&s->mu);
		memcpy(j->text, text, sizeof text);
		j->confidence = conf;
		j->done = 1;
		if (--j->refs == 0) /* the submitter let go meanwhile, or never held it */
			job_free(j);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int dg_sphinx_start(struct dg_sphinx *s)
{
	if (s->started)
		return 0;
	if (pthread_mutex_init(&s->mu, NULL))
		return -1;
	if (pthread_cond_init(&s->cv, NULL)) {
		pthread_mutex_destroy(&s->mu);
		return -1;
	}
	if (pthread_create(&s->thread, NULL, worker, s)) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		return -1;
	}
	s->started = 1;
	return 0;
}

/* Queues a job; refs 2 when the submitter polls for its result. */
static struct dg_job *enqueue(struct dg_sphinx *s, enum dg_kind kind, struct dg_slot *slot, int16_t *pcm, size_t n,
			      int refs)
{
	struct dg_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(pcm);
		return NULL;
	}
	j->kind = kind;
	j->slot = slot;
	j->pcm = pcm;
	j->n = n;
	j->refs = refs;
	pthread_mutex_lock(&s->mu);
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return j;
}

struct dg_job *dg_sphinx_submit(struct dg_sphinx *s, int16_t *pcm16k, size_t n)
{
	return enqueue(s, DG_WHOLE, NULL, pcm16k, n, 2);
}

int dg_job_poll(struct dg_sphinx *s, struct dg_job *j, char *text, size_t len, double *confidence)
{
	int done;
	pthread_mutex_lock(&s->mu);
	done = j->done;
	if (done) {
		size_t l = j->rc ? 0 : strnlen(j->text, sizeof j->text);
		l = l < len ? l : len - 1;
		memcpy(text, j->text, l);
		text[l] = '\0';
		*confidence = j->rc ? 0 : j->confidence;
	}
	pthread_mutex_unlock(&s->mu);
	return done;
}

void dg_job_release(struct dg_sphinx *s, struct dg_job *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&s->mu);
	int last = --j->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last)
		job_free(j);
}

int dg_sphinx_phrases(const struct dg_sphinx *s)
{
	return s->nphrases;
}

/* The acoustic part of the best path's score per frame: the grammar's own
 * transition scores left out, so that the figure does not fall as the
 * grammar grows (more phrases, clause loops). */
static double acoustic_per_frame(ps_decoder_t *ps, int32 total, int nf)
{
	double ascr_sum = 0;
	int seen = 0;
	for (ps_seg_t *seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
		int32 ascr = 0, lscr = 0, lback = 0;
		ps_seg_prob(seg, &ascr, &lscr, &lback);
		ascr_sum += ascr;
		seen = 1;
	}
	return seen ? ascr_sum / nf : (double)total / nf;
}

static void hyp_of(ps_decoder_t *ps, char *text, size_t len, double *confidence)
{
	int32 score = 0;
	*text = '\0';
	*confidence = 0;
	const char *hyp = ps_get_hyp(ps, &score);
	int nf = ps_get_n_frames(ps);
	if (hyp && *hyp && nf > 0) {
		/* The acoustic score per frame (relative to the best senone of
		 * each frame) measures how well the grammar path fits: flite
		 * voices saying grammar phrases score -7..-31 (8 kHz mu-law and
		 * short phrases the worst: "thank you goodbye" in kal16 -30.5),
		 * other sentences forced onto the grammar -36 and below
		 * (tests/test_sphinx.c).  A logistic centred on -33, between the
		 * two, maps that to 0..1. */
		double per_frame = acoustic_per_frame(ps, score, nf);
		snprintf(text, len, "%s", hyp);
		*confidence = 1.0 / (1.0 + exp((-33.0 - per_frame) / 3.0));
	}
}

int dg_sphinx_decode(struct dg_sphinx *s, const int16_t *pcm16k, size_t n, char *text, size_t len,
		     double *confidence)
{
	*text = '\0';
	*confidence = 0;
	if (ps_start_utt(s->ps) < 0)
		return -1;
	if (n && ps_process_raw(s->ps, pcm16k, n, FALSE, TRUE) < 0) {
		ps_end_utt(s->ps);
		return -1;
	}
	if (ps_end_utt(s->ps) < 0)
		return -1;
	hyp_of(s->ps, text, len, confidence);
	return 0;
}

void dg_utt_init(struct dg_utt *u, int rate)
{
	memset(u, 0, sizeof *u);
	u->rate = rate;
}

void dg_utt_free(struct dg_utt *u)
{
	free(u->pcm);
	u->pcm = NULL;
	u->n = u->cap = 0;
}

int dg_utt_append(struct dg_utt *u, const int16_t *x, size_t n)
{
	if (u->n + n > u->cap) {
		size_t nc = u->cap ? u->cap * 2 : (size_t)u->rate * 4;
		while (nc < u->n + n)
			nc *= 2;
		int16_t *p = realloc(u->pcm, nc * sizeof *p);
		if (!p)
			return -1;
		u->pcm = p;
		u->cap = nc;
	}
	memcpy(u->pcm + u->n, x, n * sizeof *x);
	u->n += n;
	return 0;
}

void dg_utt_trim(struct dg_utt *u, int64_t keep_from)
{
	if (keep_from <= u->start)
		return;
	size_t drop = (size_t)(keep_from - u->start);
	if (drop > u->n)
		drop = u->n;
	memmove(u->pcm, u->pcm + drop, (u->n - drop) * sizeof *u->pcm);
	u->n -= drop;
	u->start += (int64_t)drop;
}

/* Samples [from, to) of u (clipped) as a malloc'd 16 kHz copy. */
static int utt_copy16k(const struct dg_utt *u, int64_t from, int64_t to, int16_t **out, size_t *nout)
{
	int64_t end = u->start + (int64_t)u->n;
	if (from < u->start)
		from = u->start;
	if (to > end)
		to = end;
	if (to < from)
		to = from;
	const int16_t *x = u->pcm + (from - u->start);
	size_t n = (size_t)(to - from);
	if (!n) {
		*out = malloc(sizeof **out);
		*nout = 0;
		return *out ? 0 : -1;
	}
	if (u->rate != 16000)
		return vs_resample_alloc(x, n, u->rate, 16000, out, nout);
	*out = malloc(n * sizeof **out);
	if (!*out)
		return -1;
	memcpy(*out, x, n * sizeof **out);
	*nout = n;
	return 0;
}

struct dg_job *dg_utt_submit(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t to)
{
	int16_t *r = NULL;
	size_t nr = 0;
	if (utt_copy16k(u, from, to, &r, &nr))
		return NULL;
	return dg_sphinx_submit(s, r, nr);
}

int dg_utt_decode(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t to, char *text, size_t len,
		  double *confidence)
{
	int16_t *r = NULL;
	size_t nr = 0;
	if (utt_copy16k(u, from, to, &r, &nr))
		return -1;
	int rc = dg_sphinx_decode(s, r, nr, text, len, confidence);
	free(r);
	return rc;
}

/* Samples [*fed, to) of u as 16 kHz, for a streamed utterance.  At 8 kHz
 * the interpolated sample after the last one needs the next input sample,
 * so short of the end the last input sample waits for the next call: the
 * pieces join into exactly what one resampling of the whole would give. */
static int utt_piece16k(const struct dg_utt *u, int64_t *fed, int64_t to, int last, int16_t **out, size_t *nout)
{
	int64_t end = u->start + (int64_t)u->n, from = *fed;
	if (from < u->start)
		from = u->start;
	if (to > end)
		to = end;
	*out = NULL;
	*nout = 0;
	if (to <= from)
		return 0;
	if (u->rate == 16000) {
		if (!(*out = malloc((size_t)(to - from) * sizeof **out)))
			return -1;
		memcpy(*out, u->pcm + (from - u->start), (size_t)(to - from) * sizeof **out);
		*nout = (size_t)(to - from);
		*fed = to;
		return 0;
	}
	if (!last && to - from < 2)
		return 0;
	if (vs_resample_alloc(u->pcm + (from - u->start), (size_t)(to - from), u->rate, 16000, out, nout))
		return -1;
	if (!last)
		*nout -= 2; /* the last input sample's pair: next time */
	*fed = last ? to : to - 1;
	return 0;
}

int dg_stream_rate_ok(int rate)
{
	return rate == 8000 || rate == 16000;
}

struct dg_slot *dg_stream_begin(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t *fed)
{
	if (!s->started || !dg_stream_rate_ok(u->rate))
		return NULL;
	pthread_mutex_lock(&s->mu);
	int room = s->nstreams < s->max_streams;
	s->nstreams += room;
	pthread_mutex_unlock(&s->mu);
	if (!room)
		return NULL;
	struct dg_slot *sl = calloc(1, sizeof *sl);
	if (!sl || !enqueue(s, DG_BEGIN, sl, NULL, 0, 1)) {
		free(sl);
		pthread_mutex_lock(&s->mu);
		s->nstreams--;
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	*fed = from < u->start ? u->start : from;
	return sl;
}

int dg_stream_feed(struct dg_sphinx *s, struct dg_slot *sl, const struct dg_utt *u, int64_t *fed, int64_t to)
{
	int16_t *pcm;
	size_t n;
	if (utt_piece16k(u, fed, to, 0, &pcm, &n))
		return -1;
	if (!n) {
		free(pcm);
		return 0;
	}
	return enqueue(s, DG_FEED, sl, pcm, n, 1) ? 0 : -1;
}

struct dg_job *dg_stream_partial(struct dg_sphinx *s, struct dg_slot *sl, const struct dg_utt *u, int64_t *fed,
				 int64_t to)
{
	int16_t *pcm;
	size_t n;
	if (utt_piece16k(u, fed, to, 0, &pcm, &n))
		return NULL;
	return enqueue(s, DG_PARTIAL, sl, pcm, n, 2);
}

/* The slot belongs to the worker from here on (it frees it). */
static struct dg_job *stream_close(struct dg_sphinx *s, enum dg_kind kind, struct dg_slot *sl, int16_t *pcm,
				   size_t n, int refs)
{
	pthread_mutex_lock(&s->mu);
	s->nstreams--;
	pthread_mutex_unlock(&s->mu);
	struct dg_job *j = enqueue(s, kind, sl, pcm, n, refs);
	if (!j) /* the worker will not see it: its decoder stays lent (all[] frees it) */
		free(sl);
	return j;
}

struct dg_job *dg_stream_end(struct dg_sphinx *s, struct dg_slot *sl, const struct dg_utt *u, int64_t *fed,
			     int64_t to)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	if (utt_piece16k(u, fed, to, 1, &pcm, &n)) {
		stream_close(s, DG_ABORT, sl, NULL, 0, 1);
		return NULL;
	}
	return stream_close(s, DG_END, sl, pcm, n, 2);
}

void dg_stream_abort(struct dg_sphinx *s, struct dg_slot *sl)
{
	if (sl)
		stream_close(s, DG_ABORT, sl, NULL, 0, 1);
}
