/* INI files through inih with one set of settings: see vstress/ini/ini_file.h. */
#include "vstress/ini/ini_file.h"

#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* inih's buffer holds a line, its "\r\n" and a NUL. */
#define BUF_LINE (VS_INI_MAX_LINE + 3)

struct src {
	FILE *f;          /* a file, or */
	const char *text; /* a string */
	const char *name;
	int line;
	int failed;
	char section[VS_INI_MAX_SECTION + 1];
	vs_ini_fn fn;
	void *arg;
	char *err;
	size_t errlen;
};

static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

/* Debian's libinih exposes its compile-time options as globals.  The buffer
 * is allocated once at its full size, so each reader call gets a whole line
 * (and an over-long line is caught by the reader, never split by inih). */
static void settings(void)
{
	static char start_comments[] = ";#", inline_comments[] = ";";

	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = BUF_LINE;
	ini_max_line = BUF_LINE;
	ini_allow_multiline = false;
	ini_allow_bom = true;
	ini_allow_inline_comments = true;
	ini_start_comment_prefixes = start_comments;
	ini_inline_comment_prefixes = inline_comments;
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
}

static void fail(struct src *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct src *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->failed = 1;
	if (!s->errlen)
		return;
	n = snprintf(s->err, s->errlen, "%s:%d: ", s->name, s->line);
	if (n < 0 || (size_t)n >= s->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int call(struct src *s, const char *section, const char *key, const char *value)
{
	struct vs_ini_item it = {s->name, s->line, section, key, value};

	if (s->errlen)
		s->err[0] = '\0';
	if (s->fn(s->arg, &it, s->err, s->errlen) == 0)
		return 0;
	if (s->errlen && !s->err[0])
		fail(s, "rejected");
	s->failed = 1;
	return -1;
}

/* A [section] line, seen as inih will: the name up to ']', unless an inline
 * comment comes first (then inih reports the syntax error). */
static int section_line(struct src *s, const char *p)
{
	const char *end;
	size_t n;

	if (s->line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '[')
		return 0;
	for (end = p + 1; *end && *end != ']'; end++)
		if (*end == ';' && (end[-1] == ' ' || end[-1] == '\t'))
			return 0;
	if (*end != ']')
		return 0;
	n = (size_t)(end - p - 1);
	if (n > VS_INI_MAX_SECTION) {
		fail(s, "section name longer than %d characters", VS_INI_MAX_SECTION);
		return -1;
	}
	memcpy(s->section, p + 1, n);
	s->section[n] = '\0';
	return call(s, s->section, NULL, NULL);
}

static int next_char(struct src *s)
{
	if (s->f)
		return getc(s->f);
	return *s->text ? (unsigned char)*s->text++ : EOF;
}

/* inih's line reader: one whole line a call, counted. */
static char *reader(char *str, int num, void *stream)
{
	struct src *s = stream;
	int n = 0, c = EOF;

	if (s->failed || num < 2)
		return NULL;
	while (n < num - 1 && (c = next_char(s)) != EOF) {
		str[n++] = (char)c;
		if (c == '\n' || c == '\0')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	s->line++;
	if (c == '\0') {
		fail(s, "NUL byte");
		return NULL;
	}
	if (n - (str[n - 1] == '\n') > VS_INI_MAX_LINE) {
		fail(s, "line longer than %d characters", VS_INI_MAX_LINE);
		return NULL;
	}
	if (section_line(s, str) < 0)
		return NULL;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct src *s = user;

	if (s->failed)
		return 0;
	return call(s, section, name, value ? value : "") == 0;
}

static int parse(struct src *s)
{
	int rc;

	pthread_once(&settings_once, settings);
	if (s->errlen)
		s->err[0] = '\0';
	rc = ini_parse_stream(reader, s, handler, s);
	if (s->failed)
		return -1;
	if (rc > 0) {
		s->line = rc;
		fail(s, "syntax error (expected [section] or key = value)");
		return -1;
	}
	if (rc < 0) {
		snprintf(s->err, s->errlen, "%s: out of memory", s->name);
		return -1;
	}
	return 0;
}

int vs_ini_parse_file(const char *path, vs_ini_fn fn, void *arg, char *err, size_t errlen)
{
	struct src s = {.name = path, .fn = fn, .arg = arg, .err = err, .errlen = errlen};
	int rc;

	s.f = fopen(path, "r");
	if (!s.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = parse(&s);
	fclose(s.f);
	return rc;
}

int vs_ini_parse_text(const char *text, const char *name, vs_ini_fn fn, void *arg, char *err, size_t errlen)
{
	struct src s = {.text = text ? text : "", .name = name, .fn = fn, .arg = arg, .err = err, .errlen = errlen};

	return parse(&s);
}
