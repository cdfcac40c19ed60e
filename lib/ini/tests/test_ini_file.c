/* lib/ini: items in order with their lines, empty sections, long lines read
 * whole and over-long ones refused with file:line, syntax errors, NUL bytes,
 * the callback's own errors, no multi-line continuation, text input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vstress/ini/ini_file.h"

static char path[64];

static void write_file(const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof path, "/tmp/vs-ini-test-%d.ini", (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Records "line:section:key=value" (or "line:[section]") joined by '|'. */
struct log {
	char s[4096];
	size_t longest;
	const char *refuse; /* a key the callback refuses */
};

static int record(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct log *l = arg;
	size_t n = strlen(l->s);

	if (it->key && l->refuse && !strcmp(it->key, l->refuse)) {
		snprintf(err, errlen, "%s:%d: %s refused", it->file, it->line, it->key);
		return -1;
	}
	if (it->value && strlen(it->value) > l->longest)
		l->longest = strlen(it->value);
	if (it->value && strlen(it->value) > 40)
		snprintf(l->s + n, sizeof l->s - n, "%s%d:%s:%s=<%zu>", n ? "|" : "", it->line, it->section, it->key,
			 strlen(it->value));
	else if (it->key)
		snprintf(l->s + n, sizeof l->s - n, "%s%d:%s:%s=%s", n ? "|" : "", it->line, it->section, it->key,
			 it->value);
	else
		snprintf(l->s + n, sizeof l->s - n, "%s%d:[%s]", n ? "|" : "", it->line, it->section);
	return 0;
}

static void test_items_in_order(void **state)
{
	const char *t = "\xEF\xBB\xBF; comment\n# comment\n[empty]\n[a:prof] ; note\nk = v ; inline\nx:y\n"
			"  indented = yes\nurl = http://h/p;q\n\n[b]\nk =\n";
	struct log l = {0};
	char err[256];

	(void)state;
	write_file(t, strlen(t));
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), 0);
	assert_string_equal(l.s, "3:[empty]|4:[a:prof]|5:a:prof:k=v|6:a:prof:x=y|7:a:prof:indented=yes|"
				 "8:a:prof:url=http://h/p;q|10:[b]|11:b:k=");
	memset(&l, 0, sizeof l);
	assert_int_equal(vs_ini_parse_text(t, "inline.ini", record, &l, err, sizeof err), 0);
	assert_non_null(strstr(l.s, "11:b:k="));
	unlink(path);
}

static void test_long_lines(void **state)
{
	size_t n = VS_INI_MAX_LINE + 6000;
	char *t = malloc(n), err[256];
	struct log l = {0};
	int len;

	(void)state;
	/* the longest allowed line, then a long comment and a value with a trailing comment */
	len = snprintf(t, n, "[s]\nk = ");
	memset(t + len, 'x', VS_INI_MAX_LINE - 4);
	len += VS_INI_MAX_LINE - 4;
	len += snprintf(t + len, n - (size_t)len, "\n; comment\nj = ");
	memset(t + len, 'z', 4990);
	len += 4990;
	len += snprintf(t + len, n - (size_t)len, " ; c\nafter = 1\n");
	write_file(t, (size_t)len);
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), 0);
	assert_int_equal(l.longest, VS_INI_MAX_LINE - 4);
	assert_string_equal(l.s, "1:[s]|2:s:k=<65532>|4:s:j=<4990>|5:s:after=1");

	/* one character more is refused, naming the line */
	len = snprintf(t, n, "[s]\nok = 1\nk = ");
	memset(t + len, 'y', VS_INI_MAX_LINE - 3);
	len += VS_INI_MAX_LINE - 3;
	t[len++] = '\n';
	write_file(t, (size_t)len);
	memset(&l, 0, sizeof l);
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3: line longer than 65536 characters"));
	assert_non_null(strstr(err, path));
	free(t);
	unlink(path);
}

static void test_errors(void **state)
{
	struct log l = {0};
	char err[256], name[80];
	const char nul[] = "[s]\nk = a\0b\n";

	(void)state;
	write_file("[ok]\nk = v\n\nnot a key value line\n", 32);
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, ":4: syntax error"));

	write_file("[s]\n[unclosed\n", 14);
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2: syntax error"));

	write_file(nul, sizeof nul - 1);
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2: NUL byte"));

	memset(name, 'n', sizeof name);
	name[0] = '[';
	memcpy(name + 51, "]\nk=1\n", 7);
	write_file(name, strlen(name));
	assert_int_equal(vs_ini_parse_file(path, record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, ":1: section name longer than 49 characters"));

	memset(&l, 0, sizeof l);
	l.refuse = "bad";
	assert_int_equal(vs_ini_parse_text("[s]\ngood = 1\nbad = 2\nlater = 3\n", "t.ini", record, &l, err, sizeof err),
			 -1);
	assert_string_equal(err, "t.ini:3: bad refused");
	assert_string_equal(l.s, "1:[s]|2:s:good=1"); /* stopped at the first error */

	assert_int_equal(vs_ini_parse_file("/nonexistent/x.ini", record, &l, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/x.ini: No such file"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_in_order),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
