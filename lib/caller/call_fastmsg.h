/* The agent's plain `media` message without a JSON tree (call_fastmsg.c). */
#ifndef VS_CALLER_CALL_FASTMSG_H
#define VS_CALLER_CALL_FASTMSG_H

#include <stddef.h>
#include <stdint.h>

/* 0: text is a plain media message; its payload decoded into out (cap
 * bytes), *outlen set.  1: anything else (the full parser decides). */
int call_fast_media(const char *text, size_t len, uint8_t *out, size_t cap, size_t *outlen);

#endif
