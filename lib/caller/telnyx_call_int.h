/* Internals shared by telnyx_call.c and telnyx_call_result.c. */
#ifndef VSTRESS_TELNYX_CALL_INT_H
#define VSTRESS_TELNYX_CALL_INT_H

#include "vstress/caller/call.h"

/* Deep copy of a media result into dst (cleared first); 0 or -1. */
int tc_copy_media(struct vs_call_result *dst, const struct vs_call_result *src);
void tc_sleep_ms(int ms);

#endif
