/* Speech quality helpers for the TTS/STT probes: word error rate and a
 * validity verdict for synthesised audio. */
#ifndef VSTRESS_UTIL_SPEECHQ_H
#define VSTRESS_UTIL_SPEECHQ_H

#include <stddef.h>
#include <stdint.h>

/* Word-level edit counts between a reference and a hypothesis, after
 * normalisation: lowercase, apostrophes dropped ("don't" = "dont"), any
 * other character that is not a letter or digit separates words. */
struct vs_wer {
	long ref_words, hyp_words;
	long sub, del, ins; /* edits = sub + del + ins */
};

/* 0, or -1 when out of memory.  Overall WER over many samples is
 * sum(edits) / sum(ref_words), not the mean of per-sample rates. */
int vs_wer_count(const char *ref, const char *hyp, struct vs_wer *out);
long vs_wer_edits(const struct vs_wer *w);
/* edits / ref_words; an empty reference gives 0 (empty hyp) or 1. */
double vs_wer_rate(const struct vs_wer *w);
/* Normalised words joined by single spaces, written to buf. */
void vs_wer_normalise(const char *text, char *buf, size_t len);

enum vs_aenc { VS_AENC_S16LE = 0, VS_AENC_MULAW = 1 };

struct vs_audio_check {
	/* inputs */
	int enc, rate;
	size_t chars;               /* characters of the text spoken */
	double min_ms_per_char;     /* plausible duration bounds for the text */
	double max_ms_per_char;
	double floor_dbfs;          /* RMS at or below this is silence */
	/* outputs */
	long samples;
	double seconds, rms_dbfs;
	int valid;
	char why[160];              /* the first problem found, "" when valid */
};

/* Judges len bytes of audio: the byte count must be whole samples of enc,
 * not silent, and its duration within chars * [min, max] ms (bounds of 0
 * are not checked).  Returns a->valid. */
int vs_audio_judge(const uint8_t *buf, size_t len, struct vs_audio_check *a);

#endif
