/* A check's message that names its offenders: "item; item; ... (+N more)",
 * at most VS_CHECKMSG_SHOW items spelled out, bounded, never failing. */
#ifndef VSTRESS_CALLPHASE_CHECKMSG_H
#define VSTRESS_CALLPHASE_CHECKMSG_H

#include <stddef.h>

#define VS_CHECKMSG_SHOW 4 /* offenders named in a message */

struct vs_checkmsg {
	char s[768];
	size_t len;
	int items;
};

/* Appends formatted text (cut at the buffer's end). */
void vs_checkmsg_add(struct vs_checkmsg *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Counts one offender; spells out the first VS_CHECKMSG_SHOW, "; " between. */
void vs_checkmsg_item(struct vs_checkmsg *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, with " (+N more)" when offenders were left out. */
const char *vs_checkmsg_more(struct vs_checkmsg *b);

#endif
