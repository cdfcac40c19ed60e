/* The option table binding (vstress/callphase/optbind.h) over a small host
 * whose options are a key=value list: fields are filled by kind, unset
 * options keep the field, bounds and malformed values are config errors
 * with a reason naming the section and key, and free releases the strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/callphase/optbind.h"

static const char *const *opts; /* key, value, key, value, ..., NULL */
static char why[256];

static const char *opt(vs_ctx *c, const char *key)
{
	(void)c;
	for (size_t i = 0; opts[i]; i += 2)
		if (!strcmp(opts[i], key))
			return opts[i + 1];
	return NULL;
}

static int num(const char *key, double *out, int ms)
{
	const char *v = opt(NULL, key);
	char *end;
	double d;

	if (!v)
		return 1;
	d = strtod(v, &end);
	if (end == v || (ms ? strcmp(end, "") && strcmp(end, "ms") && strcmp(end, "s") : *end != '\0')) {
		snprintf(why, sizeof(why), "malformed %s", key);
		return -1;
	}
	*out = ms && !strcmp(end, "s") ? d * 1000 : d;
	return 0;
}

/* num() into a long long: the host's integer and duration readers */
static int num_ll(const char *key, long long *out, int ms)
{
	double d = 0;
	int rc = num(key, &d, ms);
	if (rc == 0)
		*out = (long long)d;
	return rc;
}

static int opt_int(vs_ctx *c, const char *key, long long *out)
{
	(void)c;
	return num_ll(key, out, 0);
}

static int opt_ms(vs_ctx *c, const char *key, long long *out)
{
	(void)c;
	return num_ll(key, out, 1);
}

static int opt_double(vs_ctx *c, const char *key, double *out)
{
	(void)c;
	return num(key, out, 0);
}

static int opt_bool(vs_ctx *c, const char *key, int *out)
{
	const char *v = opt(c, key);
	if (!v)
		return 1;
	*out = !strcmp(v, "true");
	return 0;
}

static void reason(vs_ctx *c, const char *fmt, ...)
{
	va_list ap;
	(void)c;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static const struct vs_host host = {.opt = opt, .opt_int = opt_int, .opt_double = opt_double, .opt_bool = opt_bool,
				    .opt_ms = opt_ms, .reason = reason};

struct st {
	char *base, *name;
	long long n, wait_ms, unset;
	double rate;
	int on;
};

static const struct vs_popt_bind binds[] = {
	{"base_url", VS_POPT_STRIP, offsetof(struct st, base), 0},
	{"name", VS_POPT_STR, offsetof(struct st, name), 0},
	{"n", VS_POPT_INT, offsetof(struct st, n), 1},
	{"wait", VS_POPT_MS, offsetof(struct st, wait_ms), 0},
	{"unset", VS_POPT_INT, offsetof(struct st, unset), VS_POPT_ANY},
	{"rate", VS_POPT_DOUBLE, offsetof(struct st, rate), 1},
	{"on", VS_POPT_BOOL, offsetof(struct st, on), 0},
	{0},
};

static int read_with(const char *const *o, struct st *s)
{
	opts = o;
	why[0] = '\0';
	return vs_popt_read(&host, NULL, "sec", binds, s);
}

static void every_kind_is_read(void **state)
{
	static const char *const o[] = {"base_url", "http://x:1//", "name", "ann", "n", "3", "wait", "2s",
					"rate", "0.5", "on", "true", NULL};
	struct st s = {.unset = -1};
	(void)state;
	assert_int_equal(read_with(o, &s), VS_OK);
	assert_string_equal(s.base, "http://x:1");
	assert_string_equal(s.name, "ann");
	assert_int_equal(s.n, 3);
	assert_int_equal(s.wait_ms, 2000);
	assert_int_equal(s.unset, -1); /* unset: the field keeps its value */
	assert_true(s.rate == 0.5);
	assert_int_equal(s.on, 1);
	vs_popt_free(binds, &s);
	assert_null(s.base);
	assert_null(s.name);
}

static void unset_string_is_empty(void **state)
{
	static const char *const o[] = {"n", "1", "rate", "1", NULL};
	struct st s = {0};
	(void)state;
	assert_int_equal(read_with(o, &s), VS_OK);
	assert_string_equal(s.base, "");
	assert_string_equal(s.name, "");
	vs_popt_free(binds, &s);
}

static void bounds_name_the_key(void **state)
{
	static const char *const low[] = {"n", "0", "rate", "1", NULL};
	static const char *const neg[] = {"n", "1", "wait", "-5ms", "rate", "1", NULL};
	static const char *const zero_rate[] = {"n", "1", "rate", "0", NULL};
	static const char *const bad[] = {"n", "many", NULL};
	struct st s[4] = {{0}};
	(void)state;
	assert_int_equal(read_with(low, &s[0]), VS_ECONFIG);
	assert_string_equal(why, "[sec] n = 0: must be at least 1");
	assert_int_equal(read_with(neg, &s[1]), VS_ECONFIG);
	assert_string_equal(why, "[sec] wait: negative duration");
	assert_int_equal(read_with(zero_rate, &s[2]), VS_ECONFIG);
	assert_string_equal(why, "[sec] rate = 0: must be > 0");
	assert_int_equal(read_with(bad, &s[3]), VS_ECONFIG);
	assert_string_equal(why, "malformed n"); /* the host's own reason */
	for (int i = 0; i < 4; i++)
		vs_popt_free(binds, &s[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_is_read),
		cmocka_unit_test(unset_string_is_empty),
		cmocka_unit_test(bounds_name_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
