/* ulaw, resample, wav, vad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vstress/audio/resample.h"
#include "vstress/audio/ulaw.h"
#include "vstress/audio/vad.h"
#include "vstress/audio/wav.h"

/* Known G.711 mu-law values (ITU-T G.191 reference g711.c). */
static void test_ulaw_known(void **state)
{
	static const struct {
		int16_t pcm;
		uint8_t code;
	} enc[] = {
		{0, 0xFF}, {-1, 0x7F}, {1, 0xFF}, {4, 0xFE}, {-4, 0x7F}, {-5, 0x7E}, {1000, 0xCE}, {-1000, 0x4E},
		{32767, 0x80}, {-32768, 0x00}, {32124, 0x80}, {8000, 0xA0}, {-8000, 0x20}, {8200, 0x9F}, {128, 0xEF},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		if (vs_ulaw_encode(enc[i].pcm) != enc[i].code)
			fail_msg("encode(%d) = 0x%02x, want 0x%02x", enc[i].pcm, vs_ulaw_encode(enc[i].pcm), enc[i].code);
	}
	assert_int_equal(vs_ulaw_decode(0x00), -32124);
	assert_int_equal(vs_ulaw_decode(0x80), 32124);
	assert_int_equal(vs_ulaw_decode(0xFF), 0);
	assert_int_equal(vs_ulaw_decode(0x7F), 0);
	assert_int_equal(vs_ulaw_decode(0xCE), 988);
	assert_int_equal(vs_ulaw_decode(0x4E), -988);
	assert_int_equal(vs_ulaw_decode(0xEF), 132);
	assert_int_equal(vs_ulaw_decode(0xA0), 7932);
	assert_int_equal(vs_ulaw_decode(0x9F), 8316);
}

static void test_ulaw_roundtrip(void **state)
{
	(void)state;
	/* decode(encode(decode(c))) == decode(c) for every code (except the -0 code 0x7f, which maps to +0) */
	for (int c = 0; c < 256; c++) {
		int16_t v = vs_ulaw_decode((uint8_t)c);
		uint8_t back = vs_ulaw_encode(v);

		if (c == 0x7F)
			assert_int_equal(back, 0xFF);
		else
			assert_int_equal(back, c);
	}
	/* quantisation error bound: at most half a step (step = 2^(seg+3)) */
	for (int x = -32768; x <= 32767; x += 7) {
		int16_t y = vs_ulaw_decode(vs_ulaw_encode((int16_t)x));
		int ax = x < 0 ? -x : x;
		int bound = ax < 32124 ? (ax / 16 + 16) : 32768 - 32124 + 2;

		if (abs(y - x) > bound)
			fail_msg("roundtrip %d -> %d", x, y);
	}
}

static double tone_rms_db(const int16_t *x, size_t n)
{
	return vs_vad_dbfs(x, n);
}

static void test_resample(void **state)
{
	static const int rates[] = {8000, 16000, 22050, 24000, 44100, 48000};
	(void)state;
	assert_int_equal(vs_resample_len(16000, 16000, 8000), 8000);
	assert_int_equal(vs_resample_len(22050, 22050, 8000), 8000);
	assert_int_equal(vs_resample_len(441, 44100, 48000), 480);
	for (size_t a = 0; a < 6; a++) {
		for (size_t b = 0; b < 6; b++) {
			int ra = rates[a], rb = rates[b];
			size_t n = (size_t)ra; /* one second of a 300 Hz tone */
			int16_t *in = malloc(n * sizeof(*in));
			int16_t *out = NULL;
			size_t m = 0;
			double err = 0;

			for (size_t i = 0; i < n; i++)
				in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 300.0 * (double)i / ra));
			assert_int_equal(vs_resample_alloc(in, n, ra, rb, &out, &m), 0);
			assert_int_equal(m, (size_t)rb);
			/* output matches the ideal tone at the new rate */
			for (size_t i = 10; i + 10 < m; i++) {
				double want = 10000 * sin(2 * M_PI * 300.0 * (double)i / rb);

				err += (out[i] - want) * (out[i] - want);
			}
			err = sqrt(err / (double)m);
			if (err > 400) /* box pre-filter attenuates 300 Hz a little at 48k->8k */
				fail_msg("%d -> %d: rms error %.1f", ra, rb, err);
			assert_true(fabs(tone_rms_db(out, m) - tone_rms_db(in, n)) < 0.6);
			free(in);
			free(out);
		}
	}
	{
		int16_t in[4] = {100, 300, -50, -150}, out[2];

		assert_int_equal(vs_resample(in, 4, 16000, out, 2, 8000), 2);
		assert_int_equal(out[0], 150); /* (100/2 + 100 + 300/2) / 2 */
		assert_int_equal(out[1], 13);  /* (300/2 - 50 - 150/2) / 2 = 12.5 */
		assert_int_equal(vs_resample(in, 4, 16000, out, 1, 8000), -1);
		assert_int_equal(vs_resample(in, 4, 0, out, 2, 8000), -1);
	}
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_wav(void **state)
{
	char path[] = "/tmp/vs_wav_XXXXXX";
	int fd = mkstemp(path);
	int16_t pcm[100], *got = NULL;
	size_t n = 0;
	int rate = 0;
	char err[256];
	uint8_t hdr[64];
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	for (int i = 0; i < 100; i++)
		pcm[i] = (int16_t)(i * 300 - 15000);
	assert_int_equal(vs_wav_write(path, pcm, 100, 8000), 0);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), 0);
	assert_int_equal(n, 100);
	assert_int_equal(rate, 8000);
	assert_memory_equal(got, pcm, sizeof(pcm));
	free(got);

	/* stereo: names fmt.channels */
	{
		FILE *f = fopen(path, "rb");

		assert_int_equal(fread(hdr, 1, 44, f), 44);
		fclose(f);
	}
	hdr[22] = 2;
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fmt.channels: 2"));
	hdr[22] = 1;
	hdr[34] = 8; /* 8-bit */
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fmt.bits_per_sample: 8"));
	hdr[34] = 16;
	hdr[20] = 3; /* float */
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fmt.audio_format: 3"));
	hdr[20] = 1;
	memcpy(hdr, "RIFX", 4);
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RIFF.id"));
	memcpy(hdr, "RIFF", 4);
	memcpy(hdr + 8, "AVI ", 4);
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RIFF.format"));
	memcpy(hdr + 8, "WAVE", 4);
	/* data size larger than the file */
	write_bytes(path, hdr, 44);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "data.size: 200 exceeds"));
	/* truncated header */
	write_bytes(path, hdr, 8);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RIFF header"));
	/* no data chunk */
	hdr[4] = 36 - 8;
	write_bytes(path, hdr, 36);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "data: chunk missing"));
	unlink(path);
	assert_int_equal(vs_wav_read(path, &got, &n, &rate, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* A tone burst starting at an arbitrary sample inside a frame is located to
 * within a couple of samples; the end likewise. */
static void test_vad_sample_edges(void **state)
{
	(void)state;
	for (int start = 1000; start < 1160; start += 37) {
		int len = 4000 + start % 50;
		size_t n = 16000;
		int16_t *x = calloc(n, sizeof(*x));
		struct vs_vad v;
		struct vs_vad_event ev[2];
		int64_t on = -1, off = -1;
		int starts = 0;

		for (int i = 0; i < len; i++)
			x[start + i] = (int16_t)lrint(8000 * sin(2 * M_PI * 440.0 * i / 8000.0));
		vs_vad_init(&v, NULL);
		for (size_t f = 0; f + 160 <= n; f += 160) {
			int k = vs_vad_feed(&v, x + f, ev);

			for (int j = 0; j < k; j++) {
				if (ev[j].type == VS_VAD_START) {
					on = ev[j].sample;
					starts++;
				} else {
					off = ev[j].sample;
				}
			}
		}
		assert_int_equal(starts, 1);
		if (on < start || on > start + 2)
			fail_msg("onset %lld for a tone starting at %d", (long long)on, start);
		if (off < start + len - 3 || off > start + len)
			fail_msg("offset %lld for a tone ending at %d", (long long)off, start + len);
		free(x);
	}
}

static void test_vad_hangover_and_threshold(void **state)
{
	int16_t fr[160];
	struct vs_vad v;
	struct vs_vad_event ev[2];
	struct vs_vad_cfg cfg = {.hangover_ms = 100, .threshold_dbfs = -30};
	int k, total = 0;
	(void)state;

	vs_vad_init(&v, &cfg);
	/* quiet noise at about -50 dBFS never triggers */
	for (int f = 0; f < 50; f++) {
		for (int i = 0; i < 160; i++)
			fr[i] = (int16_t)((i * 7919 + f * 104729) % 201 - 100);
		total += vs_vad_feed(&v, fr, ev);
	}
	assert_int_equal(total, 0);
	for (int i = 0; i < 160; i++)
		fr[i] = (int16_t)(i % 2 ? 5000 : -5000);
	assert_int_equal(vs_vad_feed(&v, fr, ev), 1);
	assert_int_equal(ev[0].type, VS_VAD_START);
	assert_int_equal(ev[0].sample, 50 * 160);
	memset(fr, 0, sizeof(fr));
	/* 100 ms hangover: END reported on the 5th silent frame */
	for (int f = 0; f < 4; f++)
		assert_int_equal(vs_vad_feed(&v, fr, ev), 0);
	k = vs_vad_feed(&v, fr, ev);
	assert_int_equal(k, 1);
	assert_int_equal(ev[0].type, VS_VAD_END);
	assert_int_equal(ev[0].sample, 51 * 160);
	assert_int_equal(vs_vad_flush(&v, ev), 0);
}

/* The VAD's integer shortcuts give what the plain double arithmetic gives:
 * the energy of a frame (summed in 64-bit integers), and "louder than the
 * threshold" (|x| > floor(amp_thr)) for every sample value and a spread of
 * thresholds. */
static void test_vad_integer_paths(void **state)
{
	int16_t f[160];
	unsigned seed = 99;
	(void)state;

	for (int t = 0; t < 2000; t++) {
		double acc = 0;
		int amp = 1 << (t % 16);

		for (int i = 0; i < 160; i++) {
			seed = seed * 1103515245u + 12345u;
			f[i] = (int16_t)((int)(seed >> 8) % (2 * amp + 1) - amp);
			if (t % 97 == 0)
				f[i] = (int16_t)(i & 1 ? 32767 : -32768);
			acc += (double)f[i] * f[i];
		}
		acc /= 160.0;
		double want = acc <= 0 ? -120.0 : 10.0 * log10(acc / (32768.0 * 32768.0));
		assert_true(vs_vad_dbfs(f, 160) == want);
	}
	for (double thr = -100; thr <= 1; thr += 1.1) {
		struct vs_vad_cfg cfg = {.threshold_dbfs = thr};
		struct vs_vad v;

		vs_vad_init(&v, &cfg);
		for (int x = -32768; x <= 32767; x++)
			assert_int_equal(abs(x) > v.amp_floor, fabs((double)x) > v.amp_thr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ulaw_known),   cmocka_unit_test(test_ulaw_roundtrip),
		cmocka_unit_test(test_resample),     cmocka_unit_test(test_wav),
		cmocka_unit_test(test_vad_sample_edges), cmocka_unit_test(test_vad_hangover_and_threshold),
		cmocka_unit_test(test_vad_integer_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
