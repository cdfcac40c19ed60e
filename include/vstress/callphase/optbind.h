/* Options read into a plugin's state, for any plugin: a table binding each
 * option to a field (read and bounded in one go), and bounded integers and
 * durations whose reason names the section and key.  Only the host table is
 * needed (no network or audio code is linked in for it). */
#ifndef VSTRESS_CALLPHASE_OPTBIND_H
#define VSTRESS_CALLPHASE_OPTBIND_H

#include <stddef.h>

#include "vstress/plugin.h"

/* opt_int(key) >= min, else a reason "[section] key = v: must be at least
 * min"; 0 or -1 (the host's own reason for a malformed value). */
int vs_popt_int(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, long long *out,
		long long min);
/* opt_ms(key) >= 0; 0 or -1 with a reason. */
int vs_popt_ms(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, long long *out);
/* A table of options read into the fields of one struct: each row names
 * the option, its kind and the field (offsetof): VS_POPT_STR a char *
 * (strdup'd; "" when unset), VS_POPT_STRIP the same without trailing
 * slashes (a base URL), VS_POPT_INT and VS_POPT_MS a long long (a duration
 * in ms; never negative), VS_POPT_DOUBLE a double, VS_POPT_BOOL an int.
 * `min` bounds INT and MS ("[section] key = v: must be at least min");
 * DOUBLE with min 1 must be > 0.  A field whose option is unset keeps its
 * value.  The table ends with a row whose key is NULL. */
enum vs_popt_kind { VS_POPT_STR, VS_POPT_STRIP, VS_POPT_INT, VS_POPT_MS, VS_POPT_DOUBLE, VS_POPT_BOOL };
struct vs_popt_bind {
	const char *key;
	enum vs_popt_kind kind;
	size_t off;
	long long min;
};
#define VS_POPT_ANY (-9223372036854775807LL - 1) /* no lower bound */
/* VS_OK; VS_ECONFIG with a reason (or the host's for a malformed value);
 * VS_ERROR out of memory.  vs_popt_free frees the strings and NULLs them. */
int vs_popt_read(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_popt_bind *b, void *obj);
void vs_popt_free(const struct vs_popt_bind *b, void *obj);
/* The option's value, "" when unset. */
const char *vs_popt_str(const struct vs_host *h, vs_ctx *c, const char *key);
#endif
