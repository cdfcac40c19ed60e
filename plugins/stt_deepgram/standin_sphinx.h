/* The Deepgram stand-in's grammar mode (standin_sphinx.c): a pocketsphinx
 * decoder restricted to a JSGF grammar of the scenario's phrases, and the
 * per-connection utterance buffer it decodes at each segment end. */
#ifndef STT_DEEPGRAM_STANDIN_SPHINX_H
#define STT_DEEPGRAM_STANDIN_SPHINX_H
#include <stddef.h>
#include <stdint.h>

/* The grammar's decoders: the first (dg_sphinx_decode, used sequentially
 * before dg_sphinx_start) and, once started, one per decoding thread. */
struct dg_sphinx;

/* Reports one line (a dropped phrase, ...) to the caller's log. */
typedef void (*dg_sphinx_log_fn)(void *arg, const char *msg);

struct dg_sphinx_cfg {
	const char *phrases;      /* '|' separated (may be NULL) */
	const char *phrases_file; /* one a line, or manifest "<wav>|<text>" lines; wins over phrases */
	const char *scripts;      /* caller scripts or folders of them (comma-separated): their lines join */
	const char *grammar_file; /* a JSGF file; wins over all the above (used as is) */
	const char *model_dir;    /* NULL: /usr/share/pocketsphinx/model/en-us */
	const char *sphinx_log;   /* pocketsphinx's own log file; NULL: /dev/null */
	dg_sphinx_log_fn log;     /* dropped phrases are reported here once */
	void *log_arg;
	int threads; /* decoding threads (each a decoder of its own); < 1: the default */
};
#define DG_THREADS_DEFAULT 2

/* Loads the model and the dictionary, builds the grammar
 * `<clause> = ( c1 | c2 | ... ); public <utt> = <clause>+;` from the
 * phrases split at , . ; : ? ! (lower-cased, punctuation but apostrophes
 * stripped).  A phrase with a word that is not
 * in the dictionary is reported through cfg->log and dropped; no phrase
 * left is an error.  Returns 0, or -1 with err filled. */
int dg_sphinx_new(const struct dg_sphinx_cfg *cfg, struct dg_sphinx **out, char *err, size_t errlen);
void dg_sphinx_free(struct dg_sphinx *s);
/* Number of clauses in the grammar (0 for a grammar_file). */
int dg_sphinx_phrases(const struct dg_sphinx *s);

/* Decodes one whole utterance of 16 kHz PCM16.  text gets the hypothesis
 * ("" when nothing was recognised), *confidence its posterior probability
 * (0..1).  Returns 0, or -1. */
int dg_sphinx_decode(struct dg_sphinx *s, const int16_t *pcm16k, size_t n, char *text, size_t len,
		     double *confidence);

/* The decoding threads: after dg_sphinx_start() only they use the decoders
 * (no more dg_sphinx_decode()/dg_utt_decode() from the caller);
 * dg_sphinx_free() stops them.  Finals are decoded in submission order,
 * each before every interim still waiting; jobs submitted before
 * dg_sphinx_start() wait for it. */
struct dg_job;
int dg_sphinx_start(struct dg_sphinx *s);
/* Queues pcm16k (malloc'd, stolen) for decoding; NULL when out of memory.
 * An interim is taken only when no final waits. */
struct dg_job *dg_sphinx_submit(struct dg_sphinx *s, int16_t *pcm16k, size_t n, int interim);
/* 1 and the result filled when the job is decoded, 0 while it waits. */
int dg_job_poll(struct dg_sphinx *s, struct dg_job *j, char *text, size_t len, double *confidence);
/* The submitter lets go of the job (decoded or not). */
void dg_job_release(struct dg_sphinx *s, struct dg_job *j);
/* Takes a job no thread has started out of the queue: it is then done with
 * no result (rc -1).  1 if it was dropped, 0 if a thread has it. */
int dg_job_drop(struct dg_sphinx *s, struct dg_job *j);
int dg_sphinx_threads(const struct dg_sphinx *s); /* the decoding threads started */

/* Per-connection audio of the current utterance, at the stream's rate,
 * with a short pre-roll kept while nobody speaks. */
struct dg_utt {
	int rate;
	int16_t *pcm;
	size_t n, cap;
	int64_t start; /* absolute index (stream samples) of pcm[0] */
};
void dg_utt_init(struct dg_utt *u, int rate);
void dg_utt_free(struct dg_utt *u);
int dg_utt_append(struct dg_utt *u, const int16_t *x, size_t n);
/* Forget audio before absolute sample `keep_from`. */
void dg_utt_trim(struct dg_utt *u, int64_t keep_from);
/* Decode samples [from, to) (absolute, clipped to what is buffered),
 * resampled to 16 kHz.  Returns 0, or -1. */
int dg_utt_decode(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t to, char *text, size_t len,
		  double *confidence);
/* The same on a decoding thread: a job (NULL when out of memory). */
struct dg_job *dg_utt_submit(struct dg_sphinx *s, const struct dg_utt *u, int64_t from, int64_t to, int interim);

#endif
