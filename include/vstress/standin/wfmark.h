/* Waterfall marks (docs/waterfall.md): what a stand-in publishes on the
 * world's event bus so that a run can tell where each caller turn's time
 * went.  Times are CLOCK_MONOTONIC nanoseconds, the caller's clock on the
 * same host.  Topics: wf.stt (a final transcript), wf.llm (one completion),
 * wf.tts (one synthesis request). */
#ifndef VSTRESS_STANDIN_WFMARK_H
#define VSTRESS_STANDIN_WFMARK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vstress/world.h"

#define VS_WF_TEXT_MAX 2000 /* longest text a mark carries */

uint64_t vs_wf_now_ns(void);
/* A JSON string of at most VS_WF_TEXT_MAX bytes of s (cut at a UTF-8
 * boundary); "" for NULL. */
json_t *vs_wf_text(const char *s);
/* Publishes ev (stolen) under topic when the world offers publish(). */
void vs_wf_publish(const struct vs_world *w, vs_wctx *wc, const char *topic, json_t *ev);

/* wf.tts for one synthesis request, sent with its first audio (now):
 * conn the context id, req_ns when its first text arrived, text what it
 * was asked to say until then. */
void vs_wf_tts(const struct vs_world *w, vs_wctx *wc, const char *conn, uint64_t req_ns, const char *text);
/* Appends t to *buf (space-separated, at most VS_WF_TEXT_MAX bytes kept). */
void vs_wf_text_append(char **buf, const char *t);

struct vs_st_turn;
/* wf.llm for one completion answered with t: the request arrived at req_ns;
 * its first and last content tokens are due first_ms and last_ms after it
 * (the response queue's schedule); user: the request's user metadata
 * (OpenAI `user`, Anthropic `metadata.user_id`), NULL none. */
void vs_wf_llm(const struct vs_world *w, vs_wctx *wc, const struct vs_st_turn *t, const char *id, uint64_t req_ns,
	       uint64_t first_ms, uint64_t last_ms, const char *user);

#endif
