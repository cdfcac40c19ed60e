/* Manifest parsing: order, overlay, interpolation, line numbers, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"

static char dir[] = "/tmp/vs-test-config.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char *p = vs_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = vs_xasprintf("rm -rf %s", dir);
	int rc;

	(void)state;
	rc = system(cmd);
	free(cmd);
	strcpy(dir, "/tmp/vs-test-config.XXXXXX");
	return rc;
}

static void test_lexical_order_and_override(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};
	const struct vs_entry *e;

	(void)state;
	write_file("20-b.ini", "[db]\nurl = second\n");
	write_file("10-a.ini", "[db]\nurl = first\nextra = kept\n");
	write_file("notes.txt", "[db]\nurl = ignored\n");
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), 0);
	assert_string_equal(vs_config_get(&c, "db", "url", &err), "second");
	assert_string_equal(vs_config_get(&c, "db", "extra", &err), "kept");
	e = vs_config_entry(&c, "db", "url");
	assert_non_null(strstr(e->file, "20-b.ini"));
	assert_int_equal(e->line, 2);
	assert_int_equal(c.nfiles, 2);
	vs_config_free(&c);
}

static void test_profile_overlay(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};

	(void)state;
	write_file("p.ini", "[llm:live]\nmodel = real\n[llm]\nmodel = stub\nrate = 5\n");
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), 0);
	assert_string_equal(vs_config_get(&c, "llm", "model", &err), "stub");
	free(c.profile);
	c.profile = vs_xstrdup("live");
	/* The overlay wins even though the base section comes later. */
	assert_string_equal(vs_config_get(&c, "llm", "model", &err), "real");
	assert_string_equal(vs_config_get(&c, "llm", "rate", &err), "5");
	vs_config_free(&c);
}

/* [vstress:P] extends = Q: Q's overlays apply under P, P's nearer. */
static void test_profile_extends(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};

	(void)state;
	write_file("p.ini", "[load:soak]\ncalls = 4\n[vstress:soak]\nextends = hermetic\n[load:hermetic]\ncalls = 2\n"
			    "provision = true\n[load]\ncalls = 10\nprovision = false\nramp = 1s\n"
			    "[vstress:loop]\nextends = loop\n");
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), 0);
	assert_string_equal(vs_config_get(&c, "load", "calls", &err), "2"); /* hermetic by default */
	free(c.profile);
	c.profile = vs_xstrdup("soak");
	assert_string_equal(vs_config_get(&c, "load", "calls", &err), "4");
	assert_string_equal(vs_config_get(&c, "load", "provision", &err), "true");
	assert_string_equal(vs_config_get(&c, "load", "ramp", &err), "1s");
	free(c.profile);
	c.profile = vs_xstrdup("loop"); /* extends itself: bounded, no hang */
	assert_string_equal(vs_config_get(&c, "load", "calls", &err), "10");
	/* --set beats the overlays (a short soak: --set load.stages=...) */
	free(c.profile);
	c.profile = vs_xstrdup("soak");
	assert_int_equal(vs_config_set(&c, "load.calls=7", &err), 0);
	assert_string_equal(vs_config_get(&c, "load", "calls", &err), "7");
	vs_config_free(&c);
}

static void test_interpolation(void **state)
{
	struct vs_err err = {0};
	char *s;

	(void)state;
	setenv("VS_T_SET", "value", 1);
	unsetenv("VS_T_UNSET");
	setenv("VS_T_EMPTY", "", 1);
	s = vs_interpolate("a=${VS_T_SET} b=${VS_T_UNSET} c=${VS_T_UNSET:-dflt} d=${VS_T_EMPTY:-e} $$5", &err);
	assert_non_null(s);
	assert_string_equal(s, "a=value b= c=dflt d=e $5");
	free(s);
	s = vs_interpolate("broken ${VS_T_SET", &err);
	assert_null(s);
	assert_true(err.set);
	assert_non_null(strstr(err.msg, "unterminated ${"));
}

static void test_errors_name_file_and_line(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};
	char line[5000];

	(void)state;
	write_file("bad.ini", "[ok]\nk = v\n\nnot a key value line\n");
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), -1);
	assert_non_null(strstr(err.msg, "bad.ini:4: syntax error"));
	vs_config_free(&c);
	teardown(NULL);
	setup(NULL);

	/* Lines longer than inih's own buffer are read whole. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "k = ", 4);
	{
		char *text = vs_xasprintf("[s]\n; %s\n%s ; trailing comment\nafter = 1\n", line, line);

		write_file("long.ini", text);
		free(text);
	}
	memset(&err, 0, sizeof(err));
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), 0);
	assert_int_equal(strlen(vs_config_get(&c, "s", "k", &err)), sizeof(line) - 1 - 4);
	assert_int_equal(vs_config_entry(&c, "s", "k")->line, 3);
	assert_string_equal(vs_config_get(&c, "s", "after", &err), "1");
	vs_config_free(&c);
	teardown(NULL);
	setup(NULL);

	{
		char *huge = vs_xmalloc(70000);
		char *text;

		memset(huge, 'y', 69999);
		huge[69999] = '\0';
		text = vs_xasprintf("[s]\nk = %s\n", huge);
		write_file("huge.ini", text);
		free(text);
		free(huge);
	}
	memset(&err, 0, sizeof(err));
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), -1);
	assert_non_null(strstr(err.msg, "huge.ini:2: line longer than 65536 characters"));
	vs_config_free(&c);
	teardown(NULL);
	setup(NULL);

	write_file("outside.ini", "k = v\n");
	memset(&err, 0, sizeof(err));
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), -1);
	assert_non_null(strstr(err.msg, "outside.ini:1: key 'k' outside any [section]"));
	vs_config_free(&c);
}

static void test_empty_section_recorded(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};
	const struct vs_section *s;

	(void)state;
	write_file("e.ini", "; comment\n\n[alone]\n[other]\nk=1\n");
	vs_config_init(&c);
	assert_int_equal(vs_config_load(&c, dir, &err), 0);
	s = vs_config_section(&c, "alone");
	assert_non_null(s);
	assert_int_equal(s->line, 3);
	vs_config_free(&c);
}

static void test_set_and_digest(void **state)
{
	struct vs_config c;
	struct vs_err err = {0};
	char d1[80], d2[80];

	(void)state;
	vs_config_init(&c);
	assert_int_equal(vs_config_set(&c, "db.url=postgres://x", &err), 0);
	assert_string_equal(vs_config_get(&c, "db", "url", &err), "postgres://x");
	assert_int_equal(vs_config_set(&c, "nodot=1", &err), -1);
	/* a dotted key (an option family) stays in its section */
	assert_int_equal(vs_config_set(&c, "target.env.SMART_TURN_ENABLED=true", &err), 0);
	assert_string_equal(vs_config_get(&c, "target", "env.SMART_TURN_ENABLED", &err), "true");
	assert_null(vs_config_get(&c, "target.env", "SMART_TURN_ENABLED", &err));
	vs_config_digest(&c, NULL, NULL, d1);
	assert_int_equal(vs_config_set(&c, "db.url=postgres://y", &err), 0);
	vs_config_digest(&c, NULL, NULL, d2);
	assert_string_not_equal(d1, d2);
	assert_int_equal(strncmp(d1, "sha256:", 7), 0);
	assert_int_equal(strlen(d1), 7 + 64);
	vs_config_free(&c);
}

static void test_parsers(void **state)
{
	long long v;
	int b;
	double d;

	(void)state;
	assert_int_equal(vs_parse_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(vs_parse_ms("1.5s", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(vs_parse_ms("2m", &v), 0);
	assert_int_equal(v, 120000);
	assert_int_equal(vs_parse_ms("40", &v), 0);
	assert_int_equal(v, 40);
	assert_int_equal(vs_parse_ms("-1s", &v), -1);
	assert_int_equal(vs_parse_ms("5 parsecs", &v), -1);
	assert_int_equal(vs_parse_bool("On", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(vs_parse_bool("maybe", &b), -1);
	assert_int_equal(vs_parse_int("12x", &v), -1);
	assert_int_equal(vs_parse_double("nan", &d), -1);
	assert_int_equal(vs_edit_distance("requets", "requests"), 1);
	assert_int_equal(vs_edit_distance("", "abc"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lexical_order_and_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_overlay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_extends, setup, teardown),
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_section_recorded, setup, teardown),
		cmocka_unit_test(test_set_and_digest),
		cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
