/* Helpers of the api plugin's tests: the plugin in a fake host pointed at a
 * target, and check assertions that print every failed check. */
#ifndef VSTRESS_APITEST_H
#define VSTRESS_APITEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fakehost.h"
#include "target.h"

static inline const char *at_so(const char *name)
{
	static char path[512];
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	snprintf(path, sizeof(path), "%s/%s.so", dir && *dir ? dir : "build/plugins", name);
	return path;
}

static inline void at_dump(struct fakehost *fh)
{
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *n, *m;
		int st;
		fh_check_at(fh, i, &n, &st, &m);
		fprintf(stderr, "  %s %s: %s\n", st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", n, m);
	}
}

/* The api plugin aimed at url with the hermetic test settings of the agent
 * (tgt_agent_start): TTL 2 s, 30 requests per 2 s window. */
static inline struct fakehost *at_host(const char *url)
{
	struct fakehost *fh = fh_new("api");
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, at_so("api")), 0);
	if (url) /* NULL: the default (fh_set_opt(.., NULL) would hide it) */
		fh_set_opt(fh, "base_url", url);
	fh_set_opt(fh, "password", TGT_PASSWORD);
	fh_set_opt(fh, "session_ttl", "2s");
	fh_set_opt(fh, "max_wait", "10s");
	fh_set_opt(fh, "rate_limit_per_minute", "30");
	fh_set_opt(fh, "rate_limit_extra", "15");
	fh_set_opt(fh, "rate_window", "2s");
	fh_set_opt(fh, "concurrency", "8");
	fh_set_opt(fh, "request_timeout", "3s");
	fh_set_deadline_ms(fh, 60000);
	return fh;
}

#define assert_check(fh, name, status)                                                                      \
	do {                                                                                                \
		int st_ = fh_check_status((fh), (name));                                                    \
		if (st_ != (status)) {                                                                      \
			at_dump(fh);                                                                        \
			fail_msg("check %s: status %d, expected %d (%s)", (name), st_, (status),           \
				 fh_check_message((fh), (name)) ? fh_check_message((fh), (name)) : "absent"); \
		}                                                                                           \
	} while (0)

#define assert_message_has(fh, name, text)                                                         \
	do {                                                                                       \
		const char *m_ = fh_check_message((fh), (name));                                   \
		if (!m_ || !strstr(m_, (text))) {                                                  \
			at_dump(fh);                                                               \
			fail_msg("check %s: message '%s' lacks '%s'", (name), m_ ? m_ : "(absent)", (text)); \
		}                                                                                  \
	} while (0)

static inline size_t at_failed(struct fakehost *fh)
{
	return fh_checks_with_status(fh, VS_CHECK_FAIL);
}

#endif
