/* RIFF/WAVE PCM16 mono reader/writer; errors name the field at fault. */
#include "vstress/audio/wav.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAV_MAX_FILE (256u * 1024u * 1024u)

static void wav_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void wav_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int vs_wav_parse(const uint8_t *buf, size_t len, int16_t **samples, size_t *n, int *rate, char *err,
		 size_t errlen)
{
	size_t pos = 12;
	int have_fmt = 0;
	uint32_t sr = 0;
	int16_t *pcm = NULL;
	int rc = -1;

	*samples = NULL;
	*n = 0;
	if (len < 12) {
		wav_err(err, errlen, "RIFF header: file is %zu bytes, need at least 12", len);
		goto out;
	}
	if (memcmp(buf, "RIFF", 4) != 0) {
		wav_err(err, errlen, "RIFF.id: expected \"RIFF\"");
		goto out;
	}
	if (memcmp(buf + 8, "WAVE", 4) != 0) {
		wav_err(err, errlen, "RIFF.format: expected \"WAVE\"");
		goto out;
	}
	while (pos + 8 <= len) {
		const uint8_t *ck = buf + pos;
		uint32_t size = rd32(ck + 4);
		size_t avail = len - pos - 8;

		if (memcmp(ck, "fmt ", 4) == 0) {
			uint16_t fmt, ch, bits, align;

			if (size < 16 || avail < 16) {
				wav_err(err, errlen, "fmt.size: %u (need 16 bytes, %zu present)", size, avail);
				goto out;
			}
			fmt = rd16(ck + 8);
			ch = rd16(ck + 10);
			sr = rd32(ck + 12);
			align = rd16(ck + 20);
			bits = rd16(ck + 22);
			if (fmt == 0xFFFE && size >= 40 && avail >= 40)
				fmt = rd16(ck + 8 + 24); /* WAVE_FORMAT_EXTENSIBLE sub-format */
			if (fmt != 1) {
				wav_err(err, errlen, "fmt.audio_format: %u (only 1 = PCM is supported)", fmt);
				goto out;
			}
			if (ch != 1) {
				wav_err(err, errlen, "fmt.channels: %u (only mono is supported)", ch);
				goto out;
			}
			if (bits != 16) {
				wav_err(err, errlen, "fmt.bits_per_sample: %u (only 16 is supported)", bits);
				goto out;
			}
			if (sr < 1000 || sr > 384000) {
				wav_err(err, errlen, "fmt.sample_rate: %u (out of range 1000..384000)", sr);
				goto out;
			}
			if (align != 2) {
				wav_err(err, errlen, "fmt.block_align: %u (expected 2)", align);
				goto out;
			}
			have_fmt = 1;
		} else if (memcmp(ck, "data", 4) == 0) {
			size_t bytes = size;

			if (!have_fmt) {
				wav_err(err, errlen, "fmt: missing before the data chunk");
				goto out;
			}
			/* 0 and 0xffffffff are written by streaming encoders */
			if (size == 0xFFFFFFFFu || (size == 0 && avail > 0))
				bytes = avail;
			if (bytes > avail) {
				wav_err(err, errlen, "data.size: %u exceeds the %zu bytes left in the file", size, avail);
				goto out;
			}
			if (bytes % 2) {
				wav_err(err, errlen, "data.size: %zu is odd for 16-bit samples", bytes);
				goto out;
			}
			pcm = malloc(bytes ? bytes : 1);
			if (!pcm) {
				wav_err(err, errlen, "data: out of memory for %zu bytes", bytes);
				goto out;
			}
			for (size_t i = 0; i < bytes / 2; i++)
				pcm[i] = (int16_t)rd16(ck + 8 + 2 * i);
			*samples = pcm;
			*n = bytes / 2;
			*rate = (int)sr;
			pcm = NULL;
			rc = 0;
			goto out;
		}
		if (size > avail)
			break;
		pos += 8 + (size_t)size + (size & 1);
	}
	wav_err(err, errlen, have_fmt ? "data: chunk missing" : "fmt: chunk missing");
out:
	free(pcm);
	return rc;
}

int vs_wav_read(const char *path, int16_t **samples, size_t *n, int *rate, char *err, size_t errlen)
{
	FILE *f = NULL;
	uint8_t *buf = NULL;
	long sz;
	int rc = -1;

	*samples = NULL;
	*n = 0;
	f = fopen(path, "rb");
	if (!f) {
		wav_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		wav_err(err, errlen, "%s: cannot size file: %s", path, strerror(errno));
		goto out;
	}
	if ((unsigned long)sz > WAV_MAX_FILE) {
		wav_err(err, errlen, "%s: %ld bytes is larger than the %u-byte limit", path, sz, WAV_MAX_FILE);
		goto out;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf) {
		wav_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		wav_err(err, errlen, "%s: short read", path);
		goto out;
	}
	if (vs_wav_parse(buf, (size_t)sz, samples, n, rate, err, errlen) != 0) {
		/* prefix the path, keep the field name */
		char tmp[256];

		if (err && errlen) {
			snprintf(tmp, sizeof(tmp), "%s", err);
			wav_err(err, errlen, "%s: %s", path, tmp);
		}
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int vs_wav_write(const char *path, const int16_t *samples, size_t n, int rate)
{
	uint8_t hdr[44];
	FILE *f = NULL;
	uint32_t bytes;
	int rc = -1;

	if (n > (0xFFFFFFFFu - 36) / 2 || rate <= 0) {
		errno = EINVAL;
		goto out;
	}
	bytes = (uint32_t)(n * 2);
	memcpy(hdr, "RIFF", 4);
	wr32(hdr + 4, 36 + bytes);
	memcpy(hdr + 8, "WAVEfmt ", 8);
	wr32(hdr + 16, 16);
	wr16(hdr + 20, 1);
	wr16(hdr + 22, 1);
	wr32(hdr + 24, (uint32_t)rate);
	wr32(hdr + 28, (uint32_t)rate * 2);
	wr16(hdr + 32, 2);
	wr16(hdr + 34, 16);
	memcpy(hdr + 36, "data", 4);
	wr32(hdr + 40, bytes);
	f = fopen(path, "wb");
	if (!f)
		goto out;
	if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint8_t s[2];

		wr16(s, (uint16_t)samples[i]);
		if (fwrite(s, 1, 2, f) != 2)
			goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	return rc;
}
