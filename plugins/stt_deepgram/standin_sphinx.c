/* Grammar mode of the Deepgram stand-in: pocketsphinx (Debian 12's
 * 0.8+5prealpha API) restricted to a JSGF grammar of the scenario's phrases.
 *
 * Each connection buffers the audio of its current utterance (struct
 * dg_utt) and the utterance is decoded whole at its end (batch cepstral
 * normalisation over the utterance: a streaming decode, normalised by a
 * running mean, lost words of the human recordings).  Decoding runs off the
 * world's event loop on a few threads, each with a decoder of its own, and
 * a final goes before every interim still waiting: with ten callers ending
 * a turn together, their finals no longer queue behind each other's
 * interims on one thread (docs/world.md, "Grammar mode", has the measured
 * costs). */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h> /* -isystem: plugin.mk */

#include "vstress/audio/resample.h"
#include "vstress/ini/ini_file.h"
#include "standin_sphinx.h"

#define DG_SPHINX_MODEL "/usr/share/pocketsphinx/model/en-us"
#define DG_SEARCH "vstress"

#define DG_THREADS_MAX 8
#define DG_ALT_MAX 9 /* alternative pronunciations looked up: word(2) .. word(9) */

struct dg_job {
	int16_t *pcm; /* 16 kHz */
	size_t n;
	int interim; /* waits for every final queued */
	int refs;    /* the submitter's and the worker's */
	int done, rc;
	unsigned seq; /* the how-manieth job decoded (tests read the order) */
	char text[1024];
	double confidence;
	struct dg_job *next;
};

struct dg_worker {
	struct dg_sphinx *s;
	ps_decoder_t *ps; /* workers[0]'s is s->ps */
	pthread_t thread;
};

struct dg_sphinx {
	ps_decoder_t *ps;
	int nphrases;
	/* each worker thread owns its decoder once started */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct dg_worker workers[DG_THREADS_MAX];
	int nthreads, started, quit, locks;
	unsigned decoded;
	struct dg_job *head, *tail;
	char **words; /* the grammar's vocabulary (NULL with grammar_file: the whole dictionary) */
	int nwords;
	char *grammar; /* the JSGF text, or NULL with grammar_file */
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

/* Remembers a grammar word for the other threads' decoders' dictionary. */
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
	if (pthread_mutex_init(&s->mu, NULL)) {
		snprintf(err, errlen, "grammar: cannot create a mutex");
		goto out;
	}
	if (pthread_cond_init(&s->cv, NULL)) {
		pthread_mutex_destroy(&s->mu);
		snprintf(err, errlen, "grammar: cannot create a condition variable");
		goto out;
	}
	s->locks = 1;
	s->nthreads = cfg->threads < 1 ? DG_THREADS_DEFAULT : cfg->threads > DG_THREADS_MAX ? DG_THREADS_MAX : cfg->threads;
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

void dg_sphinx_free(struct dg_sphinx *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->quit = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		for (int i = 0; i < s->started; i++)
			pthread_join(s->workers[i].thread, NULL);
	}
	for (struct dg_job *j = s->head, *nx; j; j = nx) {
		nx = j->next;
		if (--j->refs == 0) {
			free(j->pcm);
			free(j);
		}
	}
	if (s->locks) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	for (int i = 1; i < DG_THREADS_MAX; i++)
		if (s->workers[i].ps)
			ps_free(s->workers[i].ps);
	if (s->ps)
		ps_free(s->ps);
	for (int i = 0; i < s->nwords; i++)
		free(s->words[i]);
	free(s->words);
	free(s->grammar);
	free(s);
}

/* Another thread's decoder: the grammar's words only, their pronunciations
 * (alternatives too) taken from the first decoder's dictionary, 8 ms and
 * 6 MB to build against 90 ms and 28 MB with the whole dictionary (which a
 * grammar_file, whose words we do not parse, still needs). */
static ps_decoder_t *decoder_copy(struct dg_sphinx *s)
{
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
	return ps;
}

/* The next job (under mu): the first final, else the first interim. */
static struct dg_job *next_job(struct dg_sphinx *s)
{
	struct dg_job **pick = &s->head;
	for (struct dg_job **pp = &s->head; *pp; pp = &(*pp)->next)
		if (!(*pp)->interim) {
			pick = pp;
			break;
		}
	struct dg_job *j = *pick;
	*pick = j->next;
	if (s->tail == j) {
		s->tail = NULL;
		for (struct dg_job *k = s->head; k; k = k->next)
			s->tail = k;
	}
	j->next = NULL;
	return j;
}

static int decode_with(ps_decoder_t *ps, const int16_t *pcm16k, size_t n, char *text, size_t len, double *confidence);

static void *worker(void *arg)
{
	struct dg_worker *me = arg;
	struct dg_sphinx *s = me->s;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->quit && !s->head)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit)
			break;
		struct dg_job *j = next_job(s);
		pthread_mutex_unlock(&s->mu);
		char text[sizeof j->text];
		double conf = 0;
		int rc = decode_with(me->ps, j->pcm, j->n, text, sizeof text, &conf);
		pthread_mutex_lock(&s->mu);
		memcpy(j->text, text, sizeof text);
		j->confidence = conf;
		j->rc = rc;
		j->done = 1;
		j->seq = ++s->decoded;
		if (--j->refs == 0) { /* the submitter let go meanwhile */
			free(j->pcm);
			free(j);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int dg_sphinx_start(struct dg_sphinx *s)
{
	if (s->started)
		return 0;
	for (int i = 0; i < s->nthreads; i++) {
		struct dg_worker *w = &s->workers[i];
		w->s = s;
		w->ps = i ? decoder_copy(s) : s->ps;
		if (!w->ps || pthread_create(&w->thread, NULL, worker, w))
			break;
		s->started++;
	}
	return s->started ? 0 : -1;
}

int dg_sphinx_threads(const struct dg_sphinx *s)
{
	return s->started;
}

struct dg_job *dg_sphinx_submit(struct dg_sphinx *s, int16_t *pcm16k, size_t n, int interim)
{
	struct dg_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(pcm16k);
		return NULL;
	}
	j->pcm = pcm16k;
	j->n = n;
	j->interim = interim;
	j->refs = 2;
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

int dg_job_drop(struct dg_sphinx *s, struct dg_job *j)
{
	int dropped = 0;
	pthread_mutex_lock(&s->mu);
	for (struct dg_job **pp = &s->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != j)
			continue;
		*pp = j->next;
		if (s->tail == j)
			s->tail = prev;
		j->next = NULL;
		j->done = dropped = 1;
		j->rc = -1;
		j->refs--; /* the worker's */
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return dropped;
}

void dg_job_release(struct dg_sphinx *s, struct dg_job *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&s->mu);
	int last = --j->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last) {
		free(j->pcm);
		free(j);
	}
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

int dg_sphinx_decode(struct dg_sphinx *s, const int16_t *pcm16k, size_t n, char *text, size_t len,
		     double *confidence)
{
	return decode_with(s->ps, pcm16k, n, text, len, confidence);
}

static int decode_with(ps_decoder_t *ps, const int16_t *pcm16k, size_t n, char *text, size_t len, double *confidence)
{
	int32 score = 0;
	*text = '\0';
	*confidence = 0;
	if (ps_start_utt(ps) < 0)
		return -1;
	if (n && ps_process_raw(ps, pcm16k, n, FALSE, TRUE) < 0) {
		ps_end_utt(ps);
		return -1;
	}
	if (ps_end_utt(ps) < 0)
		return -1;
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

struct dg_job *dg_utt_submit(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t to, int interim)
{
	int16_t *r = NULL;
	size_t nr = 0;
	if (utt_copy16k(u, from, to, &r, &nr))
		return NULL;
	return dg_sphinx_submit(s, r, nr, interim);
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
