/* Small helpers shared by the core. */
#ifndef VS_COMMON_H
#define VS_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#define VS_FREE(p) do { free(p); (p) = NULL; } while (0)
#define VS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An error message owned by the caller of a function taking `struct vs_err *`.
 * Functions fill it on failure; the first message wins. */
struct vs_err {
	char msg[1024];
	int set;
};

void vs_err_set(struct vs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc-or-die helpers: an allocation failure in the core is not
 * recoverable in any useful way, so they print and exit(2). */
void *vs_xmalloc(size_t n);
void *vs_xcalloc(size_t n, size_t m);
void *vs_xrealloc(void *p, size_t n);
char *vs_xstrdup(const char *s);
char *vs_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Levenshtein distance, capped: used for "did you mean" suggestions. */
int vs_edit_distance(const char *a, const char *b);

/* Duration text (250ms, 2s, 1.5m, 1h, bare number = ms) -> milliseconds.
 * Returns 0, or -1 when malformed. */
int vs_parse_ms(const char *s, long long *out_ms);
int vs_parse_int(const char *s, long long *out);
int vs_parse_double(const char *s, double *out);
int vs_parse_bool(const char *s, int *out);
/* *ok = (v op t), op one of < <= > >= ==; -1 for another op. */
int vs_check_compare(double v, const char *op, double t, int *ok);

/* Write `len` bytes to `path` atomically (temp file in the same folder,
 * fsync, rename).  Returns 0 or -errno. */
int vs_write_atomic(const char *path, const char *data, size_t len);

/* mkdir -p; returns 0 or -errno. */
int vs_mkdirs(const char *path, unsigned mode);

#endif
