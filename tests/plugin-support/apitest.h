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
#include "fh_assert.h"
#include "target.h"

static inline const char *at_so(const char *name)
{
	static char path[512];
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	snprintf(path, sizeof(path), "%s/%s.so", dir && *dir ? dir : "build/plugins", name);
	return path;
}

/* The api plugin aimed at url with the hermetic test settings of the agent
 * (tgt_agent_start): TTL 2 s, 30 requests per 2 s window. */
static inline struct fakehost *at_host(const char *url)
{
	struct fakehost *fh = fh_loaded("api", at_so("api"));
	if (url) /* NULL: the default (fh_set_opt(.., NULL) would hide it) */
		fh_set_opt(fh, "base_url", url);
	fh_set_opt(fh, "password", TGT_PASSWORD);
	fh_set_opt(fh, "session_ttl", "2s");
	fh_set_opt(fh, "max_wait", "10s");
	fh_set_opt(fh, "rate_limit_per_minute", "30");
	fh_set_opt(fh, "rate_limit_extra", "15");
	fh_set_opt(fh, "rate_window", "2s");
	fh_set_opt(fh, "concurrency", "8");
	fh_set_opt(fh, "rate_duration", "0"); /* the paced run: its own test (plugins/api/tests/test_paced.c) */
	fh_set_opt(fh, "request_timeout", "3s");
	fh_set_deadline_ms(fh, 60000);
	return fh;
}

static inline size_t at_failed(struct fakehost *fh)
{
	return fh_checks_with_status(fh, VS_CHECK_FAIL);
}

#endif
