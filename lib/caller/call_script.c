/* Caller scripts: INI parsing (inih) and rendering to mu-law audio. */
#include "vstress/caller/call.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/backchannel.h"
#include "vstress/audio/noisebed.h"
#include "vstress/audio/resample.h"
#include "vstress/audio/synth.h"
#include "vstress/telnyx/telnyx_event.h"
#include "vstress/audio/ulaw.h"
#include "vstress/audio/vad.h"
#include "vstress/audio/wav.h"
#include "vstress/ini/ini_file.h"

#define FRAME 160
#define RATE 8000
#define MAX_STEPS 1000
#define MAX_STEP_MS (10 * 60 * 1000)

struct parse_step {
	long num;
	int header_line;
	struct vs_call_step st;
	int has_action;
	int after_set, freq_set, level_set, text_set;
	int timeout_ms;
};

struct parse_ctx {
	const char *name;
	int line; /* of the item being read */
	int section_line;
	/* results */
	struct vs_call_script *s;
	struct parse_step *ps;
	size_t nps, cap;
	char err[512];
	int failed;
	int noise_line, bc_line, net_seed_set;
};

static const char *const step_names[] = {
	[VS_STEP_SAY] = "say",         [VS_STEP_WAV] = "wav",     [VS_STEP_TONE] = "tone",
	[VS_STEP_SILENCE] = "silence", [VS_STEP_NOISE] = "noise", [VS_STEP_DTMF] = "dtmf",
	[VS_STEP_WAIT_REPLY] = "wait_reply", [VS_STEP_BARGE_IN] = "barge_in", [VS_STEP_HANGUP] = "hangup",
};

const char *vs_step_kind_name(enum vs_step_kind k)
{
	if ((unsigned)k >= sizeof(step_names) / sizeof(step_names[0]))
		return "?";
	return step_names[k];
}

static void perr(struct parse_ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(struct parse_ctx *c, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (c->failed)
		return; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, sizeof(c->err), "%s:%d: %s", c->name, line, msg);
	c->failed = 1;
}

int vs_call_parse_ms(const char *s, int *ms)
{
	char *end = NULL;
	double v, mul = 1;

	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "us") == 0)
		mul = 0.001;
	else
		return -1;
	v *= mul;
	if (v > 24.0 * 3600 * 1000)
		return -1;
	*ms = (int)lround(v);
	return 0;
}

int vs_call_parse_db(const char *s, double *db)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v > 0 || v < -150)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end && strcasecmp(end, "db") != 0 && strcasecmp(end, "dbfs") != 0)
		return -1;
	*db = v;
	return 0;
}

static struct parse_step *get_step(struct parse_ctx *c, const char *section)
{
	char *end = NULL;
	long num;

	errno = 0;
	num = strtol(section + 5, &end, 10);
	if (errno || end == section + 5 || *end || num < 1 || num > 1000000) {
		perr(c, c->line, "[%s]: step sections are [step.N] with N >= 1", section);
		return NULL;
	}
	for (size_t i = 0; i < c->nps; i++)
		if (c->ps[i].num == num)
			return &c->ps[i];
	if (c->nps >= MAX_STEPS) {
		perr(c, c->line, "more than %d steps", MAX_STEPS);
		return NULL;
	}
	if (c->nps == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct parse_step *n = realloc(c->ps, ncap * sizeof(*n));

		if (!n) {
			perr(c, c->line, "out of memory");
			return NULL;
		}
		c->ps = n;
		c->cap = ncap;
	}
	memset(&c->ps[c->nps], 0, sizeof(c->ps[0]));
	c->ps[c->nps].num = num;
	c->ps[c->nps].header_line = c->section_line;
	c->ps[c->nps].st.level_dbfs = 0;
	return &c->ps[c->nps++];
}

/* "<words> key=value ...": the words (joined by one space) into text, each
 * key=value to fn.  0 or -1 (perr called). */
static int split_opts(struct parse_ctx *c, const char *what, const char *value, char *text, size_t tlen,
		      int (*fn)(struct parse_ctx *, const char *, const char *))
{
	char buf[512], *save = NULL;

	if (strlen(value) >= sizeof(buf)) {
		perr(c, c->line, "[call] %s: longer than %zu characters", what, sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	text[0] = '\0';
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(t, '=');

		if (eq) {
			*eq = '\0';
			if (fn(c, t, eq + 1) != 0)
				return -1;
		} else if (strlen(text) + strlen(t) + 2 < tlen) {
			if (text[0])
				strcat(text, " ");
			strcat(text, t);
		}
	}
	return 0;
}

static int noise_opt(struct parse_ctx *c, const char *k, const char *v)
{
	if (strcmp(k, "level") == 0) {
		if (vs_call_parse_db(v, &c->s->noise_level_dbfs) != 0 || c->s->noise_level_dbfs > -3 ||
		    c->s->noise_level_dbfs < -120) {
			perr(c, c->line, "[call] noise: level \"%s\" is not a level in -120..-3 dBFS like -30dB", v);
			return -1;
		}
		return 0;
	}
	perr(c, c->line, "[call] noise: unknown option \"%s\" (level)", k);
	return -1;
}

/* noise = cafe|street|white level=-30dB */
static int noise_key(struct parse_ctx *c, const char *value)
{
	char kind[64];
	enum vs_noise_kind k;

	c->s->noise_level_dbfs = -30;
	if (split_opts(c, "noise", value, kind, sizeof(kind), noise_opt) != 0)
		return 0;
	if (vs_noise_kind_parse(kind, &k) != 0) {
		perr(c, c->line, "[call] noise: \"%s\" is not cafe, street or white", kind);
		return 0;
	}
	c->s->noise_kind = (int)k;
	c->noise_line = c->line;
	return 1;
}

static int bc_opt(struct parse_ctx *c, const char *k, const char *v)
{
	int ms;

	if ((strcmp(k, "after") == 0 || strcmp(k, "hold") == 0) && vs_call_parse_ms(v, &ms) == 0 && ms <= 60000) {
		*(k[0] == 'a' ? &c->s->bc_after_ms : &c->s->bc_hold_ms) = ms;
		return 0;
	}
	if (strcmp(k, "after") == 0 || strcmp(k, "hold") == 0)
		perr(c, c->line, "[call] backchannel: %s \"%s\" is not a duration up to 60s", k, v);
	else
		perr(c, c->line, "[call] backchannel: unknown option \"%s\" (after, hold)", k);
	return -1;
}

/* backchannel = mm-hmm after=1s hold=1s */
static int backchannel_key(struct parse_ctx *c, const char *value)
{
	char text[256];

	c->s->bc_after_ms = 1000;
	c->s->bc_hold_ms = 1000;
	if (split_opts(c, "backchannel", value, text, sizeof(text), bc_opt) != 0)
		return 0;
	if (!text[0]) {
		perr(c, c->line, "[call] backchannel: no words (e.g. backchannel = mm-hmm after=1s)");
		return 0;
	}
	free(c->s->bc_text);
	c->s->bc_text = strdup(text);
	c->bc_line = c->line;
	return c->s->bc_text ? 1 : 0;
}

static int call_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct vs_call_script *s = c->s;
	struct vs_call_measure_cfg *m = &s->m;
	int ms;

	if (strcmp(key, "name") == 0) {
		free(s->name);
		s->name = strdup(value);
		return s->name ? 1 : 0;
	}
	if (strcmp(key, "seed") == 0) {
		char *end = NULL;

		errno = 0;
		s->seed = strtoull(value, &end, 0);
		if (errno || end == value || *end) {
			perr(c, c->line, "[call] seed: \"%s\" is not an unsigned integer", value);
			return 0;
		}
		return 1;
	}
	if (strcmp(key, "voice") == 0) {
		if (!vs_synth_has_voice(value)) {
			perr(c, c->line, "[call] voice: unknown flite voice \"%s\" (slt, kal16, kal, rms, awb)", value);
			return 0;
		}
		snprintf(s->voice, sizeof(s->voice), "%s", value);
		return 1;
	}
	if (strcmp(key, "vad_threshold") == 0) {
		if (vs_call_parse_db(value, &m->vad_threshold_dbfs) != 0 || m->vad_threshold_dbfs > -5) {
			perr(c, c->line, "[call] vad_threshold: \"%s\" is not a level like -40dB", value);
			return 0;
		}
		return 1;
	}
	{
		static const struct {
			const char *key;
			size_t off;
			int min, max;
		} durs[] = {
			{"vad_hangover", offsetof(struct vs_call_measure_cfg, vad_hangover_ms), 20, 5000},
			{"gap", offsetof(struct vs_call_measure_cfg, gap_ms), 20, 60000},
			{"turn_end", offsetof(struct vs_call_measure_cfg, turn_end_ms), 40, 60000},
			{"late_frame", offsetof(struct vs_call_measure_cfg, late_ms), 1, 10000},
			{"max_duration", offsetof(struct vs_call_measure_cfg, max_call_ms), 100, 24 * 3600 * 1000},
		};
		for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
			if (strcmp(key, durs[i].key) != 0)
				continue;
			if (vs_call_parse_ms(value, &ms) != 0 || ms < durs[i].min || ms > durs[i].max) {
				perr(c, c->line, "[call] %s: \"%s\" is not a duration in %d..%d ms", key, value, durs[i].min,
				     durs[i].max);
				return 0;
			}
			*(int *)(void *)((char *)m + durs[i].off) = ms;
			return 1;
		}
	}
	if (strcmp(key, "noise") == 0)
		return noise_key(c, value);
	if (strcmp(key, "backchannel") == 0)
		return backchannel_key(c, value);
	perr(c, c->line, "[call]: unknown key \"%s\"", key);
	return 0;
}

static int network_key(struct parse_ctx *c, const char *key, const char *value)
{
	char e[256];

	if (vs_impair_set(&c->s->impair, key, value, e, sizeof(e)) != 0) {
		perr(c, c->line, "[network] %s", e);
		return 0;
	}
	if (strcmp(key, "seed") == 0)
		c->net_seed_set = 1;
	return 1;
}

static int step_key(struct parse_ctx *c, struct parse_step *ps, const char *key, const char *value)
{
	struct vs_call_step *st = &ps->st;
	int kind = -1;
	int ms;

	for (size_t i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++)
		if (strcmp(key, step_names[i]) == 0)
			kind = (int)i;
	if (kind >= 0) {
		if (ps->has_action) {
			perr(c, c->line, "[step.%ld]: second action \"%s\" (already \"%s\" at line %d); one action per step",
			     ps->num, key, vs_step_kind_name(st->kind), st->line);
			return 0;
		}
		ps->has_action = 1;
		st->kind = (enum vs_step_kind)kind;
		st->line = c->line;
		switch (st->kind) {
		case VS_STEP_TONE:
		case VS_STEP_SILENCE:
		case VS_STEP_NOISE:
		case VS_STEP_WAIT_REPLY:
			if (vs_call_parse_ms(value, &ms) != 0 || ms <= 0 || ms > MAX_STEP_MS) {
				perr(c, c->line, "[step.%ld] %s: \"%s\" is not a duration (e.g. 500ms, 2s) up to 10m",
				     ps->num, key, value);
				return 0;
			}
			st->duration_ms = ms;
			break;
		case VS_STEP_DTMF:
			if (!*value || strspn(value, "0123456789*#ABCD") != strlen(value) || strlen(value) > 64) {
				perr(c, c->line, "[step.%ld] dtmf: \"%s\" must be 1-64 of 0-9 * # A-D", ps->num, value);
				return 0;
			}
			break;
		case VS_STEP_SAY:
		case VS_STEP_BARGE_IN:
		case VS_STEP_WAV:
			if (!*value) {
				perr(c, c->line, "[step.%ld] %s: empty", ps->num, key);
				return 0;
			}
			break;
		case VS_STEP_HANGUP:
			break;
		}
		st->arg = strdup(value);
		return st->arg ? 1 : 0;
	}
	if (strcmp(key, "after") == 0 || strcmp(key, "timeout") == 0) {
		if (vs_call_parse_ms(value, &ms) != 0 || ms > MAX_STEP_MS) {
			perr(c, c->line, "[step.%ld] %s: \"%s\" is not a duration", ps->num, key, value);
			return 0;
		}
		if (key[0] == 'a') {
			st->after_ms = ms;
			ps->after_set = 1;
		} else {
			ps->timeout_ms = ms;
		}
		return 1;
	}
	if (strcmp(key, "freq") == 0) {
		char *end = NULL;
		long f = strtol(value, &end, 10);

		if (end == value || (*end && strcasecmp(end, "hz") != 0) || f < 20 || f > 3900) {
			perr(c, c->line, "[step.%ld] freq: \"%s\" is not a frequency in 20..3900 Hz", ps->num, value);
			return 0;
		}
		st->freq_hz = (int)f;
		ps->freq_set = 1;
		return 1;
	}
	if (strcmp(key, "text") == 0) {
		if (!*value || ps->text_set) {
			perr(c, c->line, "[step.%ld] text: %s", ps->num, *value ? "given twice" : "empty");
			return 0;
		}
		st->text = strdup(value);
		ps->text_set = 1;
		return st->text ? 1 : 0;
	}
	if (strcmp(key, "level") == 0) {
		if (vs_call_parse_db(value, &st->level_dbfs) != 0) {
			perr(c, c->line, "[step.%ld] level: \"%s\" is not a level like -30dB", ps->num, value);
			return 0;
		}
		ps->level_set = 1;
		return 1;
	}
	perr(c, c->line, "[step.%ld]: unknown key \"%s\"", ps->num, key);
	return 0;
}

/* One item of the script (lib/ini): a [section] line notes where a step's
 * header is; a key goes to [call] or its [step.N]. */
static int on_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct parse_ctx *c = arg;
	const char *section = it->section;
	struct parse_step *ps;

	(void)err;
	(void)errlen;
	c->line = it->line;
	if (!it->key) {
		c->section_line = it->line;
		return 0;
	}
	if (strcmp(section, "call") == 0)
		call_key(c, it->key, it->value);
	else if (strcmp(section, "network") == 0)
		network_key(c, it->key, it->value);
	else if (strncmp(section, "step.", 5) == 0 && (ps = get_step(c, section)))
		step_key(c, ps, it->key, it->value);
	else if (strncmp(section, "step.", 5) != 0)
		perr(c, c->line, "[%s]: unknown section (expected [call], [network] or [step.N])", section);
	return c->failed ? -1 : 0;
}

static int cmp_step(const void *a, const void *b)
{
	const struct parse_step *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* --- rendering ----------------------------------------------------------- */

/* PCM16 at 8 kHz -> mu-law padded to whole frames; speech edges by VAD. */
static int to_ulaw(struct vs_call_step *st, const int16_t *pcm, size_t n, const struct vs_call_measure_cfg *m)
{
	size_t padded = (n + FRAME - 1) / FRAME * FRAME;
	int16_t *dec = NULL;
	struct vs_vad v;
	struct vs_vad_cfg vc = {.rate = RATE, .threshold_dbfs = m->vad_threshold_dbfs, .hangover_ms = 60000};
	struct vs_vad_event ev[2];
	int rc = -1;

	if (padded == 0)
		padded = FRAME;
	st->ulaw = malloc(padded);
	dec = malloc(padded * sizeof(*dec));
	if (!st->ulaw || !dec)
		goto out;
	vs_ulaw_encode_buf(pcm, n, st->ulaw);
	memset(st->ulaw + n, 0xFF, padded - n);
	st->n = padded;
	/* the edges of what the agent will hear: decode the mu-law */
	vs_ulaw_decode_buf(st->ulaw, padded, dec);
	st->speech_start = st->speech_end = -1;
	vs_vad_init(&v, &vc);
	for (size_t f = 0; f < padded; f += FRAME) {
		int k = vs_vad_feed(&v, dec + f, ev);

		for (int i = 0; i < k; i++) {
			if (ev[i].type == VS_VAD_START && st->speech_start < 0)
				st->speech_start = ev[i].sample;
			if (ev[i].type == VS_VAD_END)
				st->speech_end = ev[i].sample;
		}
	}
	if (vs_vad_flush(&v, ev))
		st->speech_end = ev[0].sample;
	rc = 0;
out:
	free(dec);
	return rc;
}

static int render_step(struct parse_ctx *c, struct parse_step *ps, const char *base_dir)
{
	struct vs_call_script *s = c->s;
	struct vs_call_step *st = &ps->st;
	int16_t *pcm = NULL, *raw = NULL;
	size_t n = 0, rn = 0;
	char err[256];
	int rate = 0;
	int rc = -1;

	switch (st->kind) {
	case VS_STEP_SAY:
	case VS_STEP_BARGE_IN:
		if (vs_synth(st->arg, s->voice, RATE, &pcm, &n, err, sizeof(err)) != 0) {
			perr(c, st->line, "[step.%ld] %s: %s", ps->num, vs_step_kind_name(st->kind), err);
			goto out;
		}
		break;
	case VS_STEP_WAV: {
		char path[1024];

		if (st->arg[0] == '/' || !base_dir)
			snprintf(path, sizeof(path), "%s", st->arg);
		else
			snprintf(path, sizeof(path), "%s/%s", base_dir, st->arg);
		if (vs_wav_read(path, &raw, &rn, &rate, err, sizeof(err)) != 0) {
			perr(c, st->line, "[step.%ld] wav: %s", ps->num, err);
			goto out;
		}
		if (vs_resample_alloc(raw, rn, rate, RATE, &pcm, &n) != 0) {
			perr(c, st->line, "[step.%ld] wav: cannot resample %d Hz", ps->num, rate);
			goto out;
		}
		break;
	}
	case VS_STEP_TONE: {
		double amp = 32767.0 * pow(10.0, (ps->level_set ? st->level_dbfs : -12.0) / 20.0) * sqrt(2.0);
		int f = st->freq_hz ? st->freq_hz : 440;

		if (amp > 32767)
			amp = 32767;
		n = (size_t)st->duration_ms * RATE / 1000;
		pcm = malloc((n ? n : 1) * sizeof(*pcm));
		if (!pcm)
			goto out;
		for (size_t i = 0; i < n; i++)
			pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * f * (double)i / RATE));
		break;
	}
	case VS_STEP_NOISE: {
		/* uniform white noise with the requested RMS: A = rms * sqrt(3) */
		double rms = 32768.0 * pow(10.0, (ps->level_set ? st->level_dbfs : -50.0) / 20.0);
		double amp = rms * sqrt(3.0);
		uint64_t rng = s->seed ^ (uint64_t)ps->num * 0x9E3779B97F4A7C15ull;

		if (amp > 32767)
			amp = 32767;
		n = (size_t)st->duration_ms * RATE / 1000;
		pcm = malloc((n ? n : 1) * sizeof(*pcm));
		if (!pcm)
			goto out;
		for (size_t i = 0; i < n; i++) {
			double u = (double)(vs_splitmix64(&rng) >> 11) / 9007199254740992.0; /* [0,1) */

			pcm[i] = (int16_t)lrint((2 * u - 1) * amp);
		}
		break;
	}
	case VS_STEP_SILENCE:
		n = (size_t)st->duration_ms * RATE / 1000;
		pcm = calloc(n ? n : 1, sizeof(*pcm));
		if (!pcm)
			goto out;
		break;
	default:
		rc = 0;
		goto out;
	}
	if (to_ulaw(st, pcm, n, &s->m) != 0) {
		perr(c, st->line, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(pcm);
	free(raw);
	return rc;
}

#define NOISE_BED_S 10 /* the bed loops every 10 s */

/* The noise bed, the backchannel's audio and the network seed. */
static int render_messy(struct parse_ctx *c)
{
	struct vs_call_script *s = c->s;
	char err[256];

	if (!c->net_seed_set)
		s->impair.seed = s->seed;
	if (s->noise_kind) {
		s->noise_n = (size_t)NOISE_BED_S * RATE;
		if (vs_noisebed_render((enum vs_noise_kind)s->noise_kind, s->noise_level_dbfs, s->seed, s->noise_n,
				       &s->noise_bed, err, sizeof(err)) != 0) {
			perr(c, c->noise_line, "[call] %s", err);
			return -1;
		}
	}
	if (s->bc_text) {
		struct vs_call_step st = {.kind = VS_STEP_SAY};
		int16_t *pcm = NULL;
		size_t n = 0;

		if (vs_backchannel_render(s->bc_text, s->voice, &pcm, &n, err, sizeof(err)) != 0) {
			perr(c, c->bc_line, "[call] backchannel: %s", err);
			return -1;
		}
		if (to_ulaw(&st, pcm, n, &s->m) != 0) {
			free(pcm);
			perr(c, c->bc_line, "out of memory");
			return -1;
		}
		/* mixed as PCM: keep the decoded, frame-padded audio the VAD measured */
		s->bc_n = st.n;
		s->bc_pcm = malloc(st.n * sizeof(*s->bc_pcm));
		if (s->bc_pcm)
			vs_ulaw_decode_buf(st.ulaw, st.n, s->bc_pcm);
		s->bc_speech_start = st.speech_start < 0 ? 0 : st.speech_start;
		free(st.ulaw);
		free(pcm);
		if (!s->bc_pcm || st.speech_start < 0) {
			perr(c, c->bc_line, "[call] backchannel: \"%s\" renders silent", s->bc_text);
			return -1;
		}
	}
	return 0;
}

static void free_steps(struct vs_call_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(steps[i].arg);
		free(steps[i].text);
		free(steps[i].ulaw);
	}
	free(steps);
}

void vs_call_script_free(struct vs_call_script *s)
{
	if (!s)
		return;
	free_steps(s->steps, s->nsteps);
	free(s->noise_bed);
	free(s->bc_text);
	free(s->bc_pcm);
	free(s->name);
	free(s->path);
	free(s);
}

static void *dup_mem(const void *p, size_t n, int *oom)
{
	void *d;

	if (!p)
		return NULL;
	d = malloc(n ? n : 1);
	if (!d) {
		*oom = 1;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

struct vs_call_script *vs_call_script_dup(const struct vs_call_script *s)
{
	struct vs_call_script *d = calloc(1, sizeof(*d));
	int oom = 0;

	if (!d)
		return NULL;
	*d = *s;
	d->path = dup_mem(s->path, s->path ? strlen(s->path) + 1 : 0, &oom);
	d->name = dup_mem(s->name, s->name ? strlen(s->name) + 1 : 0, &oom);
	d->noise_bed = dup_mem(s->noise_bed, s->noise_n * sizeof(*s->noise_bed), &oom);
	d->bc_text = dup_mem(s->bc_text, s->bc_text ? strlen(s->bc_text) + 1 : 0, &oom);
	d->bc_pcm = dup_mem(s->bc_pcm, s->bc_n * sizeof(*s->bc_pcm), &oom);
	d->steps = calloc(s->nsteps ? s->nsteps : 1, sizeof(*d->steps));
	if (!d->steps)
		oom = 1;
	for (size_t i = 0; d->steps && i < s->nsteps; i++) {
		d->steps[i] = s->steps[i];
		d->steps[i].arg = dup_mem(s->steps[i].arg, s->steps[i].arg ? strlen(s->steps[i].arg) + 1 : 0, &oom);
		d->steps[i].ulaw = dup_mem(s->steps[i].ulaw, s->steps[i].n, &oom);
	}
	if (!d->steps)
		d->nsteps = 0;
	if (oom) {
		vs_call_script_free(d);
		return NULL;
	}
	return d;
}

int vs_call_script_parse(const char *text, const char *name, const char *base_dir, struct vs_call_script **out,
			 char *err, size_t errlen)
{
	struct parse_ctx c;
	struct vs_call_script *s = NULL;
	int rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name ? name : "<script>";
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(c.name))) {
		snprintf(c.err, sizeof(c.err), "%s: out of memory", c.name);
		goto out;
	}
	c.s = s;
	snprintf(s->voice, sizeof(s->voice), "slt");
	s->seed = 1;
	s->m.vad_threshold_dbfs = -40;
	s->m.vad_hangover_ms = 60;
	s->m.gap_ms = 200;
	s->m.turn_end_ms = 800;
	s->m.late_ms = 5;
	s->m.max_call_ms = 120000;
	if (vs_ini_parse_text(text, c.name, on_item, &c, c.err, sizeof(c.err)) != 0) {
		c.failed = 1; /* c.err: the syntax error with file:line, or perr's message */
		goto out;
	}
	if (s->m.gap_ms <= s->m.vad_hangover_ms) {
		perr(&c, 1, "[call] gap (%d ms) must exceed vad_hangover (%d ms)", s->m.gap_ms, s->m.vad_hangover_ms);
		goto out;
	}
	if (s->m.turn_end_ms <= s->m.gap_ms) {
		perr(&c, 1, "[call] turn_end (%d ms) must exceed gap (%d ms)", s->m.turn_end_ms, s->m.gap_ms);
		goto out;
	}
	if (c.nps == 0) {
		perr(&c, c.line, "no [step.N] sections");
		goto out;
	}
	qsort(c.ps, c.nps, sizeof(*c.ps), cmp_step);
	for (size_t i = 0; i < c.nps; i++) {
		struct parse_step *ps = &c.ps[i];

		if (!ps->has_action) {
			perr(&c, ps->header_line, "[step.%ld]: no action (say, wav, tone, silence, noise, dtmf, "
						  "wait_reply, barge_in, hangup)", ps->num);
			goto out;
		}
		if (ps->after_set && ps->st.kind != VS_STEP_BARGE_IN) {
			perr(&c, ps->st.line, "[step.%ld]: `after` only applies to barge_in", ps->num);
			goto out;
		}
		if (ps->freq_set && ps->st.kind != VS_STEP_TONE) {
			perr(&c, ps->st.line, "[step.%ld]: `freq` only applies to tone", ps->num);
			goto out;
		}
		if (ps->text_set && ps->st.kind != VS_STEP_WAV) {
			perr(&c, ps->st.line, "[step.%ld]: `text` only applies to wav (say's text is its value)", ps->num);
			goto out;
		}
		if (ps->level_set && ps->st.kind != VS_STEP_TONE && ps->st.kind != VS_STEP_NOISE) {
			perr(&c, ps->st.line, "[step.%ld]: `level` only applies to tone and noise", ps->num);
			goto out;
		}
		if (ps->st.kind == VS_STEP_HANGUP && i + 1 != c.nps) {
			perr(&c, ps->st.line, "[step.%ld]: hangup must be the last step", ps->num);
			goto out;
		}
		if (ps->st.kind == VS_STEP_BARGE_IN) {
			ps->st.duration_ms = ps->timeout_ms ? ps->timeout_ms : 10000;
			if (!ps->after_set)
				ps->st.after_ms = 500;
		} else if (ps->timeout_ms) {
			perr(&c, ps->st.line, "[step.%ld]: `timeout` only applies to barge_in (wait_reply = <timeout>)",
			     ps->num);
			goto out;
		}
		if (render_step(&c, ps, base_dir) != 0)
			goto out;
	}
	if (render_messy(&c) != 0)
		goto out;
	s->steps = calloc(c.nps, sizeof(*s->steps));
	if (!s->steps) {
		perr(&c, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.nps; i++) {
		s->steps[i] = c.ps[i].st;
		memset(&c.ps[i].st, 0, sizeof(c.ps[i].st));
	}
	s->nsteps = c.nps;
	if (!s->name) {
		const char *b = strrchr(c.name, '/');

		s->name = strdup(b ? b + 1 : c.name);
		if (!s->name)
			goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (rc != 0 && err && errlen)
		snprintf(err, errlen, "%s", c.err[0] ? c.err : "out of memory");
	for (size_t i = 0; i < c.nps; i++) {
		free(c.ps[i].st.arg);
		free(c.ps[i].st.text);
		free(c.ps[i].st.ulaw);
	}
	free(c.ps);
	vs_call_script_free(s);
	return rc;
}

int vs_call_script_load(const char *path, struct vs_call_script **out, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *text = NULL, *dir = NULL, *slash;
	long sz;
	int rc = -1;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 || sz > (1 << 20)) {
		snprintf(err, errlen, "%s: cannot read (or larger than 1 MiB)", path);
		goto out;
	}
	text = malloc((size_t)sz + 1);
	dir = strdup(path);
	if (!text || !dir || fread(text, 1, (size_t)sz, f) != (size_t)sz) {
		snprintf(err, errlen, "%s: read failed", path);
		goto out;
	}
	text[sz] = '\0';
	if (strlen(text) != (size_t)sz) {
		snprintf(err, errlen, "%s: contains NUL bytes", path);
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = vs_call_script_parse(text, path, slash ? dir : NULL, out, err, errlen);
out:
	if (f)
		fclose(f);
	free(text);
	free(dir);
	return rc;
}

/* See vstress/caller/call.h. */
uint64_t vs_call_script_min_frames(const struct vs_call_script *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct vs_call_step *st = &s->steps[i];
		switch (st->kind) {
		case VS_STEP_SAY:
		case VS_STEP_WAV:
		case VS_STEP_TONE:
		case VS_STEP_SILENCE:
		case VS_STEP_NOISE:
			n += st->n / 160;
			break;
		case VS_STEP_DTMF:
			n += strlen(st->arg ? st->arg : "") * 10;
			break;
		default:
			break;
		}
	}
	return n;
}
