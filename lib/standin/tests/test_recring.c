/* vs_recring: the ring of recordings both directions of the audio path use
 * (the TTS stand-ins' replies, the STT stand-in's streams): which slot a new
 * recording takes, the record_audio and record_max_s keys, the sample room,
 * the text, and the WAV it is served as.  A world table with only the
 * members the ring calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/wav.h"
#include "vstress/standin/recring.h"

struct rec {
	struct vs_recslot slot;
	int mark;
};

static const char *record_audio;
static double max_s = 300, dropped;
static int status;
static char ctype[32];
static uint8_t *body;
static size_t body_len;

static const char *f_conf(vs_wctx *wc, const char *key)
{
	(void)wc;
	return !strcmp(key, "record_audio") ? record_audio : NULL;
}

static double f_conf_double(vs_wctx *wc, const char *key, double def)
{
	(void)wc;
	return !strcmp(key, "record_max_s") ? max_s : def;
}

static void f_count(vs_wctx *wc, const char *name, double delta)
{
	(void)wc;
	if (!strcmp(name, "recordings_dropped"))
		dropped += delta;
}

static void f_status(vs_wresp *rs, int st)
{
	(void)rs;
	status = st;
}

static void f_header(vs_wresp *rs, const char *name, const char *value)
{
	(void)rs;
	if (!strcmp(name, "Content-Type"))
		snprintf(ctype, sizeof ctype, "%s", value);
}

static int f_body(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len)
{
	(void)rs, (void)delay_ms;
	free(body);
	body = malloc(len);
	memcpy(body, data, len);
	body_len = len;
	return 0;
}

static struct vs_world world(void)
{
	struct vs_world w = {.abi_version = VS_WORLD_ABI_VERSION, .size = sizeof w};
	w.conf = f_conf;
	w.conf_double = f_conf_double;
	w.count = f_count;
	w.resp_status = f_status;
	w.resp_header = f_header;
	w.resp_body = f_body;
	return w;
}

static void test_off(void **state)
{
	(void)state;
	struct rec recs[2] = {0};
	struct vs_recring ring = VS_RECRING(recs);
	struct vs_world w = world();
	const char *offs[] = {NULL, "no", "off", "0", "false", ""};
	for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
		record_audio = offs[i];
		assert_false(vs_recring_on(&w, NULL));
		assert_null(vs_recring_open(&ring, &w, NULL, 8000));
	}
	const char *ons[] = {"true", "YES", "On", "1"};
	for (size_t i = 0; i < sizeof ons / sizeof *ons; i++) {
		record_audio = ons[i];
		assert_true(vs_recring_on(&w, NULL));
	}
}

/* a free slot first, then the oldest closed one; none while all are open */
static void test_slot_picking(void **state)
{
	(void)state;
	dropped = 0;
	record_audio = "on";
	struct vs_world w = world();
	struct rec recs[3] = {0};
	struct vs_recring ring = VS_RECRING(recs);
	struct rec *r[3];
	for (int i = 0; i < 3; i++) {
		r[i] = vs_recring_open(&ring, &w, NULL, 8000);
		assert_ptr_equal(r[i], &recs[i]);
		assert_int_equal(r[i]->slot.order, (uint64_t)i + 1);
		r[i]->mark = i + 1;
		vs_recring_text(&r[i]->slot, "hello", 100);
	}
	assert_null(vs_recring_open(&ring, &w, NULL, 8000));
	assert_true(dropped == 1);
	assert_ptr_equal(vs_recring_at(&ring, 1), &recs[1]);
	r[2]->slot.closed = 1;
	r[1]->slot.closed = 1;
	struct rec *n = vs_recring_open(&ring, &w, NULL, 8000);
	assert_ptr_equal(n, &recs[1]); /* order 2, not the last closed */
	assert_int_equal(n->slot.order, 4);
	assert_int_equal(n->mark, 0);
	assert_null(n->slot.text);
	assert_false(n->slot.closed);
	assert_ptr_equal(vs_recring_open(&ring, &w, NULL, 8000), &recs[2]);
	assert_null(vs_recring_open(&ring, &w, NULL, 8000));
	assert_true(dropped == 2);
	assert_null(vs_recring_at(&ring, 3));
	for (size_t i = 0; i < 3; i++) {
		free(recs[i].slot.pcm);
		free(recs[i].slot.text);
	}
}

static void test_room_and_text(void **state)
{
	(void)state;
	struct rec recs[1] = {0};
	struct vs_recring ring = VS_RECRING(recs);
	struct vs_world w = world();
	record_audio = "1";
	max_s = 0.5;
	struct rec *r = vs_recring_open(&ring, &w, NULL, 16000);
	max_s = 300;
	assert_int_equal(r->slot.max, 8000);
	assert_int_equal(vs_recring_room(&r->slot, 100, 64), 100);
	assert_int_equal(r->slot.cap, 128);
	r->slot.n = 100;
	assert_int_equal(vs_recring_room(&r->slot, 7000, 64), 7000);
	assert_int_equal(r->slot.cap, 8192);
	assert_false(r->slot.truncated);
	r->slot.n = 7100;
	assert_int_equal(vs_recring_room(&r->slot, 1000, 64), 900);
	assert_true(r->slot.truncated);
	r->slot.n = 8000;
	assert_int_equal(vs_recring_room(&r->slot, 1, 64), 0);

	vs_recring_text(&r->slot, "good", 16);
	vs_recring_text(&r->slot, "", 16);
	vs_recring_text(&r->slot, NULL, 16);
	vs_recring_text(&r->slot, "morning", 16);
	assert_string_equal(r->slot.text, "good morning");
	vs_recring_text(&r->slot, "sir", 16); /* 12 + 3 + 2 > 16 */
	assert_string_equal(r->slot.text, "good morning");
	vs_recring_text(NULL, "x", 16);
	free(r->slot.pcm);
	free(r->slot.text);
}

static void test_wav(void **state)
{
	(void)state;
	struct vs_world w = world();
	int16_t pcm[] = {0, 1, -1, 32767, -32768, 1234};
	assert_int_equal(vs_recring_wav(&w, NULL, pcm, 6), 0);
	assert_int_equal(status, 200);
	assert_string_equal(ctype, "audio/wav");
	int16_t *got = NULL;
	size_t n = 0;
	int rate = 0;
	char err[128];
	assert_int_equal(vs_wav_parse(body, body_len, &got, &n, &rate, err, sizeof err), 0);
	assert_int_equal(rate, 8000);
	assert_int_equal(n, 6);
	assert_memory_equal(got, pcm, sizeof pcm);
	free(got);
	free(body);
	body = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_off), cmocka_unit_test(test_slot_picking),
					   cmocka_unit_test(test_room_and_text), cmocka_unit_test(test_wav)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
