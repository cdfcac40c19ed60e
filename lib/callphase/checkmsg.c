/* Check messages naming offenders: see vstress/callphase/checkmsg.h. */
#include "vstress/callphase/checkmsg.h"

#include <stdarg.h>
#include <stdio.h>

void vs_checkmsg_add(struct vs_checkmsg *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, sizeof(b->s) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof(b->s) - b->len ? (size_t)n : sizeof(b->s) - b->len - 1;
}

void vs_checkmsg_item(struct vs_checkmsg *b, const char *fmt, ...)
{
	char one[300];
	va_list ap;

	if (++b->items > VS_CHECKMSG_SHOW)
		return;
	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	vs_checkmsg_add(b, "%s%s", b->items > 1 ? "; " : "", one);
}

const char *vs_checkmsg_more(struct vs_checkmsg *b)
{
	if (b->items > VS_CHECKMSG_SHOW)
		vs_checkmsg_add(b, " (+%d more)", b->items - VS_CHECKMSG_SHOW);
	return b->s;
}
