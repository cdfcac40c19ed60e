/* The STT probe's sample manifest and its audio in the wire format: see
 * vstress/probe/sttprobe.h. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/resample.h"
#include "vstress/audio/ulaw.h"
#include "vstress/audio/wav.h"
#include "vstress/probe/sttprobe.h"

static int load_audio(struct vs_stt_sample *s, const char *path, int rate, int mulaw, char *err, size_t errlen)
{
	int16_t *pcm = NULL, *rs = NULL;
	size_t n = 0, rn = 0;
	int in_rate = 0, rc = -1;
	char e[200];
	if (vs_wav_read(path, &pcm, &n, &in_rate, e, sizeof e)) {
		snprintf(err, errlen, "%s: %s", path, e);
		goto out;
	}
	if (vs_resample_alloc(pcm, n, in_rate, rate, &rs, &rn)) {
		snprintf(err, errlen, "%s: cannot resample %d -> %d Hz", path, in_rate, rate);
		goto out;
	}
	s->len = mulaw ? rn : rn * 2;
	s->audio = malloc(s->len ? s->len : 1);
	if (!s->audio) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (mulaw)
		vs_ulaw_encode_buf(rs, rn, s->audio);
	else
		for (size_t i = 0; i < rn; i++) {
			s->audio[2 * i] = (uint8_t)(rs[i] & 0xff);
			s->audio[2 * i + 1] = (uint8_t)((uint16_t)rs[i] >> 8);
		}
	s->seconds = (double)rn / rate;
	rc = 0;
out:
	free(pcm);
	free(rs);
	return rc;
}

void vs_stt_samples_free(struct vs_stt_sample *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].ref);
		free(s[i].audio);
		free(s[i].hyp);
	}
	free(s);
}

int vs_stt_manifest_load(const char *path, int rate, int mulaw, struct vs_stt_sample **out, size_t *n, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096], dirbuf[1024], full[1400];
	struct vs_stt_sample *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = -1;
	*out = NULL;
	*n = 0;
	if (!f) {
		snprintf(err, errlen, "samples %s: cannot open", path);
		return -1;
	}
	snprintf(dirbuf, sizeof dirbuf, "%s", path);
	const char *dir = dirname(dirbuf);
	for (int ln = 1; fgets(line, sizeof line, f); ln++) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		char *bar = strchr(line, '|');
		if (!bar || bar == line || !bar[1]) {
			snprintf(err, errlen, "%s:%d: expected <wav>|<transcript>", path, ln);
			goto out;
		}
		*bar = '\0';
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			struct vs_stt_sample *nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			v = nv;
		}
		struct vs_stt_sample *s = &v[cnt];
		memset(s, 0, sizeof *s);
		cnt++;
		if (strlen(line) >= sizeof s->file) {
			snprintf(err, errlen, "%s:%d: file name too long", path, ln);
			goto out;
		}
		memcpy(s->file, line, strlen(line) + 1);
		s->index = (int)cnt - 1;
		s->ref = strdup(bar + 1);
		snprintf(full, sizeof full, "%.1000s/%.255s", dir, s->file);
		if (!s->ref || load_audio(s, s->file[0] == '/' ? s->file : full, rate, mulaw, err, errlen))
			goto out;
	}
	if (!cnt) {
		snprintf(err, errlen, "samples %s: no samples", path);
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = 0;
out:
	fclose(f);
	vs_stt_samples_free(v, cnt);
	return rc;
}
