/* Every INI file of vstress (the manifest, caller scripts, prices, schema,
 * dialogue, adversarial data) is read here, through inih with one set of
 * settings: lines of up to VS_INI_MAX_LINE characters (inih's own options,
 * set at run time in Debian's build), no multi-line continuation, ';' or '#'
 * comments at the start of a line, ';' after whitespace inline, a UTF-8 BOM
 * allowed.  Lines are counted, so every error names file:line.  Link -linih. */
#ifndef VSTRESS_INI_INI_FILE_H
#define VSTRESS_INI_INI_FILE_H

#include <stddef.h>

#define VS_INI_MAX_LINE 65536
#define VS_INI_MAX_SECTION 49 /* inih's MAX_SECTION less its NUL */

/* One [section] line or one key = value line, in file order. */
struct vs_ini_item {
	const char *file;    /* the name given for messages (usually the path) */
	int line;            /* 1-based */
	const char *section; /* "" before the first [section] */
	const char *key;     /* NULL on a [section] line (so empty sections are seen) */
	const char *value;   /* NULL on a [section] line; "" for `key =` */
};

/* Returns 0 to go on, or -1 to stop after writing the whole message
 * (normally starting "file:line: ") into err. */
typedef int (*vs_ini_fn)(void *arg, const struct vs_ini_item *it, char *err, size_t errlen);

/* Parses path, calling fn for each item.  0, or -1 with err set: the file
 * cannot be opened, a syntax error or over-long line (file:line), or what
 * fn wrote. */
int vs_ini_parse_file(const char *path, vs_ini_fn fn, void *arg, char *err, size_t errlen);

/* The same over a NUL-terminated string; name stands for the file in messages. */
int vs_ini_parse_text(const char *text, const char *name, vs_ini_fn fn, void *arg, char *err, size_t errlen);

#endif
