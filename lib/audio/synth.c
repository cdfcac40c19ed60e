/* flite text-to-speech, serialised on one mutex (flite is not thread-safe),
 * with a bounded cache of what it rendered (see vstress/audio/synth.h). */
#include "vstress/audio/synth.h"

#include <flite/flite.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/resample.h"

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_kal(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

struct synth_voice {
	const char *name;
	cst_voice *(*reg)(const char *voxdir);
	cst_voice *v;
};

static pthread_mutex_t synth_lock = PTHREAD_MUTEX_INITIALIZER;
static int synth_inited;
static struct synth_voice synth_voices[] = {
	{"slt", register_cmu_us_slt, NULL},   {"kal16", register_cmu_us_kal16, NULL},
	{"kal", register_cmu_us_kal, NULL},   {"rms", register_cmu_us_rms, NULL},
	{"awb", register_cmu_us_awb, NULL},
};

/* --- the cache: (voice, rate, text) -> PCM; least recently used goes first */

#define CACHE_BUCKETS 256

struct centry {
	struct centry *next;
	const struct synth_voice *sv;
	int rate;
	char *text;
	int16_t *pcm;
	size_t n;
	uint64_t used; /* cache_clock when last returned */
};

static struct centry *cache[CACHE_BUCKETS];
static size_t cache_bytes, cache_limit = (size_t)VS_SYNTH_CACHE_DEFAULT, cache_hits, cache_misses;
static uint64_t cache_clock;

static unsigned ckey(const struct synth_voice *sv, int rate, const char *text)
{
	unsigned h = 2166136261u ^ (unsigned)rate ^ (unsigned)(sv - synth_voices);

	while (*text)
		h = (h ^ (unsigned char)*text++) * 16777619u;
	return h % CACHE_BUCKETS;
}

static size_t centry_bytes(const struct centry *e)
{
	return e->n * sizeof(int16_t) + strlen(e->text) + 1 + sizeof(*e);
}

static void cache_drop(struct centry **pp)
{
	struct centry *e = *pp;

	*pp = e->next;
	cache_bytes -= centry_bytes(e);
	free(e->text);
	free(e->pcm);
	free(e);
}

/* Evicts the least recently used entries until `need` more bytes fit. */
static void cache_make_room(size_t need)
{
	while (cache_bytes && cache_bytes + need > cache_limit) {
		struct centry **old = NULL;
		for (size_t b = 0; b < CACHE_BUCKETS; b++)
			for (struct centry **pp = &cache[b]; *pp; pp = &(*pp)->next)
				if (!old || (*pp)->used < (*old)->used)
					old = pp;
		if (!old)
			break;
		cache_drop(old);
	}
}

/* A copy of the cached rendering into *out (1), or 0. */
static int cache_get(const struct synth_voice *sv, int rate, const char *text, int16_t **out, size_t *n)
{
	for (struct centry *e = cache[ckey(sv, rate, text)]; e; e = e->next) {
		if (e->sv != sv || e->rate != rate || strcmp(e->text, text))
			continue;
		if (!(*out = malloc(e->n * sizeof(int16_t))))
			return 0;
		memcpy(*out, e->pcm, e->n * sizeof(int16_t));
		*n = e->n;
		e->used = ++cache_clock;
		return 1;
	}
	return 0;
}

static void cache_put(const struct synth_voice *sv, int rate, const char *text, const int16_t *pcm, size_t n)
{
	struct centry *e = calloc(1, sizeof(*e));
	size_t need;
	unsigned k;

	if (!e || !(e->text = strdup(text)) || !(e->pcm = malloc(n * sizeof(int16_t)))) {
		if (e)
			free(e->text);
		free(e);
		return;
	}
	e->sv = sv;
	e->rate = rate;
	e->n = n;
	memcpy(e->pcm, pcm, n * sizeof(int16_t));
	need = centry_bytes(e);
	if (need > cache_limit) { /* larger than the whole cache (or the cache is off) */
		free(e->text);
		free(e->pcm);
		free(e);
		return;
	}
	cache_make_room(need);
	e->used = ++cache_clock;
	k = ckey(sv, rate, text);
	e->next = cache[k];
	cache[k] = e;
	cache_bytes += need;
}

/* A plugin that links this library is unloaded with dlclose: its copy of
 * the cache goes with it, so the entries are freed then (at exit for the
 * core), not left for the leak checkers as memory nothing points to. */
__attribute__((destructor)) static void cache_free_all(void)
{
	pthread_mutex_lock(&synth_lock);
	for (size_t b = 0; b < CACHE_BUCKETS; b++)
		while (cache[b])
			cache_drop(&cache[b]);
	pthread_mutex_unlock(&synth_lock);
}

void vs_synth_cache_limit(size_t bytes)
{
	pthread_mutex_lock(&synth_lock);
	cache_limit = bytes;
	cache_make_room(0);
	pthread_mutex_unlock(&synth_lock);
}

void vs_synth_cache_stats(struct vs_synth_cache_stats *st)
{
	pthread_mutex_lock(&synth_lock);
	st->hits = cache_hits;
	st->misses = cache_misses;
	st->bytes = cache_bytes;
	st->limit = cache_limit;
	pthread_mutex_unlock(&synth_lock);
}

static void synth_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void synth_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int vs_synth_has_voice(const char *voice)
{
	for (size_t i = 0; i < sizeof(synth_voices) / sizeof(synth_voices[0]); i++)
		if (strcmp(synth_voices[i].name, voice) == 0)
			return 1;
	return 0;
}

int vs_synth(const char *text, const char *voice, int rate, int16_t **out, size_t *n, char *err, size_t errlen)
{
	struct synth_voice *sv = NULL;
	cst_wave *w = NULL;
	int locked = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (!voice)
		voice = "slt";
	if (!text || !*text) {
		synth_err(err, errlen, "synth: empty text");
		goto out;
	}
	if (rate <= 0) {
		synth_err(err, errlen, "synth: bad rate %d", rate);
		goto out;
	}
	for (size_t i = 0; i < sizeof(synth_voices) / sizeof(synth_voices[0]); i++)
		if (strcmp(synth_voices[i].name, voice) == 0)
			sv = &synth_voices[i];
	if (!sv) {
		synth_err(err, errlen, "synth: unknown voice \"%s\" (slt, kal16, kal, rms, awb)", voice);
		goto out;
	}
	pthread_mutex_lock(&synth_lock);
	locked = 1;
	if (cache_get(sv, rate, text, out, n)) {
		cache_hits++;
		rc = 0;
		goto out;
	}
	cache_misses++;
	if (!synth_inited) {
		flite_init();
		synth_inited = 1;
	}
	if (!sv->v)
		sv->v = sv->reg(NULL);
	if (!sv->v) {
		synth_err(err, errlen, "synth: flite could not register voice %s", voice);
		goto out;
	}
	w = flite_text_to_wave(text, sv->v);
	if (!w || w->num_samples <= 0 || w->num_channels != 1) {
		synth_err(err, errlen, "synth: flite produced no audio for \"%.40s\"", text);
		goto out;
	}
	if (vs_resample_alloc(w->samples, (size_t)w->num_samples, w->sample_rate, rate, out, n) != 0) {
		synth_err(err, errlen, "synth: resampling %d -> %d Hz failed", w->sample_rate, rate);
		goto out;
	}
	cache_put(sv, rate, text, *out, *n);
	rc = 0;
out:
	if (w)
		delete_wave(w);
	if (locked)
		pthread_mutex_unlock(&synth_lock);
	return rc;
}
