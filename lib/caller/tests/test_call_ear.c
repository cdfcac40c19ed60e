/* The caller's ear (call_ear.c) plays the agent's audio out in 20 ms frames:
 * silence until the queue's first sample is due, the queue, then silence.
 * A plain per-sample model of that rule is checked against what the ear
 * heard, over random pushes, advances and clears (ring wraps and growth
 * included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caller/call_int.h"

struct model {
	int16_t *q; /* queued samples, oldest first */
	size_t head, len;
	int64_t qstart, pos;
	int16_t *heard;
	size_t nheard;
};

static void model_push(struct model *m, int64_t now, const int16_t *x, size_t n)
{
	if (m->len == 0) {
		m->head = 0;
		m->qstart = now > m->pos ? now : m->pos;
	}
	memcpy(m->q + m->head + m->len, x, n * sizeof(*x));
	m->len += n;
}

static void model_advance(struct model *m, int64_t now)
{
	while (m->pos + CALL_FRAME <= now) {
		for (int j = 0; j < CALL_FRAME; j++) {
			int16_t v = 0;

			if (m->len && m->pos + j >= m->qstart) {
				v = m->q[m->head++];
				m->len--;
				m->qstart++;
			}
			m->heard[m->nheard++] = v;
		}
		m->pos += CALL_FRAME;
	}
}

static void test_playout(void **state)
{
	enum { SECONDS = 120, MAXN = CALL_RATE * SECONDS };
	struct vs_call_measure_cfg mc = {.vad_threshold_dbfs = -40, .vad_hangover_ms = 60};
	struct call_ear e;
	struct model m = {0};
	int16_t x[4000];
	unsigned seed = 7;
	int64_t now = 0, value = 1;
	(void)state;

	m.q = malloc(MAXN * 4 * sizeof(*m.q));
	m.heard = malloc(MAXN * sizeof(*m.heard));
	assert_non_null(m.q);
	assert_non_null(m.heard);
	assert_int_equal(call_ear_init(&e, &mc), 0);
	assert_int_equal(call_ear_keep(&e, MAXN), 0);
	while (now < MAXN - 8000) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 16;

		if (r % 3 == 0) { /* a reply arrives: up to 0.5 s, sometimes a burst of several s */
			size_t n = 1 + (r >> 2) % (r & 0x40 ? 4000 : 400);

			for (size_t i = 0; i < n; i++)
				x[i] = (int16_t)(value++ % 30000 + 1);
			if (m.head + m.len + n > (size_t)MAXN * 4)
				break;
			assert_int_equal(call_ear_push(&e, now, x, n), 0);
			model_push(&m, now, x, n);
		} else if (r % 17 == 1) { /* barge-in: the agent clears */
			assert_int_equal(call_ear_clear(&e, now), 0);
			m.len = 0;
		} else { /* time passes, not always on a frame boundary */
			now += (int64_t)((r >> 3) % 700);
			call_ear_advance(&e, now);
			model_advance(&m, now);
		}
	}
	assert_int_equal(e.nheard, m.nheard);
	assert_true(m.nheard > (size_t)CALL_RATE * 60);
	assert_memory_equal(e.heard, m.heard, m.nheard * sizeof(*m.heard));
	call_ear_free(&e);
	free(m.q);
	free(m.heard);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_playout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
