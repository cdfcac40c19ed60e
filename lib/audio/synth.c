/* flite text-to-speech, serialised on one mutex (flite is not thread-safe). */
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
	rc = 0;
out:
	if (w)
		delete_wave(w);
	if (locked)
		pthread_mutex_unlock(&synth_lock);
	return rc;
}
