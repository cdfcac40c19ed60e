/* cmocka assertions on what a plugin recorded in the fake host; on a
 * mismatch every check (and the plugin's reason) is printed first, so a
 * failing test shows the whole verdict, not one line of it. */
#ifndef VSTRESS_FH_ASSERT_H
#define VSTRESS_FH_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fakehost.h"

static inline void fh_dump(struct fakehost *fh)
{
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *n, *m;
		int st;
		fh_check_at(fh, i, &n, &st, &m);
		fprintf(stderr, "  %s %s: %s\n", st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", n,
			m ? m : "");
	}
	fprintf(stderr, "  reason: %s\n", fh_reason(fh) ? fh_reason(fh) : "");
}

#define assert_status_(fh, name, status)                                                                    \
	do {                                                                                                \
		int st_ = fh_check_status((fh), (name));                                                    \
		if (st_ != (status)) {                                                                      \
			fh_dump(fh);                                                                        \
			fail_msg("check %s: status %d, expected %d (%s)", (name), st_, (status),           \
				 fh_check_message((fh), (name)) ? fh_check_message((fh), (name)) : "absent"); \
		}                                                                                           \
	} while (0)

/* Check name has status; an asserted failure is noted for the audit of
 * failing tests (fh_note_failed, scripts/check-audit.py). */
#define assert_check(fh, name, status)                                                  \
	do {                                                                            \
		assert_status_(fh, name, status);                                       \
		if ((status) == VS_CHECK_FAIL)                                          \
			fh_note_failed((fh), (name));                                   \
	} while (0)

/* Options set in turn: key, value, key, value, ..., then NULL. */
static inline void fh_set_opts_(struct fakehost *fh, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, fh);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		fh_set_opt(fh, k, v);
	}
	va_end(ap);
}
#define fh_set_opts(fh, ...) fh_set_opts_((fh), __VA_ARGS__, (const char *)NULL)

/* Check name has status and its message says text. */
#define assert_check_says(fh, name, status, text)   \
	do {                                        \
		assert_status_(fh, name, status);   \
		assert_message_has(fh, name, text); \
		if ((status) == VS_CHECK_FAIL)      \
			fh_note_failed((fh), (name)); \
	} while (0)

/* Each check of a list (names, then NULL) has status. */
static inline void fh_assert_checks(struct fakehost *fh, int status, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, status);
	while ((name = va_arg(ap, const char *)))
		assert_check(fh, name, status);
	va_end(ap);
}
#define assert_checks(fh, status, ...) fh_assert_checks((fh), (status), __VA_ARGS__, (const char *)NULL)

#define assert_message_has(fh, name, text)                                                                 \
	do {                                                                                               \
		const char *m_ = fh_check_message((fh), (name));                                           \
		if (!m_ || !strstr(m_, (text))) {                                                          \
			fh_dump(fh);                                                                       \
			fail_msg("check %s: message '%s' lacks '%s'", (name), m_ ? m_ : "(absent)", (text)); \
		}                                                                                          \
	} while (0)

#define assert_counter(fh, name, n)                                                                   \
	do {                                                                                          \
		if (fh_counter((fh), (name)) != (n)) {                                                \
			fh_dump(fh);                                                                  \
			fprintf(stderr, "%s\n", fh_log_text(fh));                                     \
			fail_msg("counter %s = %lld, expected %d", (name), (long long)fh_counter((fh), (name)), (n)); \
		}                                                                                     \
	} while (0)

/* A fake host for plugin with the plugin loaded from so_path (asserted). */
static inline struct fakehost *fh_loaded(const char *plugin, const char *so_path)
{
	struct fakehost *fh = fh_new(plugin);
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, so_path), 0);
	return fh;
}

#endif
