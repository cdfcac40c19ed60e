/* vstress world API: what a plugin's stand-in (a local server speaking its
 * provider's wire protocol) is given by the world process.
 *
 * The world calls each plugin's `world` hook once, at start-up, with this
 * table and the plugin's own context.  In the hook the stand-in registers
 * HTTP routes and WebSocket routes; afterwards the world serves them on
 * 127.0.0.1, one port per stand-in (docs/world.md).  Everything runs on the
 * world's single event-loop thread: handlers must not block.
 *
 * The table only grows at its end: check VS_WORLD_HAS(w, member) before
 * using an entry added after abi_version 1.
 *
 * Ownership:
 *  - strings passed in are copied before the call returns;
 *  - strings returned (request fields, config values) are borrowed: request
 *    fields until the handler returns (for a WebSocket, until on_close
 *    returns), config values until the world exits;
 *  - json_t passed to an entry named *_steal or publish() is stolen.
 *
 * Paced output: every response chunk, SSE event and WebSocket message is
 * queued with a delay in milliseconds, counted from the due time of the item
 * queued before it on the same connection (or from now when the queue is
 * idle).  That is how a stand-in models time-to-first-token, per-token gaps
 * and real-time audio.
 */
#ifndef VSTRESS_WORLD_H
#define VSTRESS_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VS_WORLD_ABI_VERSION 1u

typedef struct vs_wreq vs_wreq;   /* one HTTP request (or a WebSocket's upgrade request) */
typedef struct vs_wresp vs_wresp; /* the response being built for it */
typedef struct vs_ws vs_ws;       /* one open WebSocket */

struct vs_world;

/* An HTTP handler fills `rs`.  When it returns, the world ends the response
 * (Content-Length body, or the end of a chunked/SSE stream) and sends it as
 * the queued items fall due.  Returns 0, or -1 for an internal error (the
 * world answers 500). */
typedef int (*vs_http_handler)(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs,
			       void *arg);

/* Builds the provider's own error.  mid_stream == 0: set a status and body
 * on `rs` (nothing was sent yet).  mid_stream != 0: headers (200) and part of
 * a stream were already queued; append the provider's in-stream error with
 * resp_sse()/resp_chunk().  `status` is the HTTP status the fault asked for.
 * Used by the error fault and by resp_error(). */
typedef int (*vs_error_builder)(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status,
				int mid_stream, const char *message);

struct vs_ws_handlers {
	/* Handshake accepted (after faults).  Return non-zero to close. */
	int (*on_open)(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg);
	/* One whole message (fragments joined); binary != 0 for binary. */
	int (*on_message)(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int binary, const void *data,
			  size_t len, void *arg);
	/* The connection is gone (peer close, reset, fault, world exit): free
	 * what ws_set_data() holds.  `code` is the close code seen or sent,
	 * 1006 when none. */
	void (*on_close)(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int code, void *arg);
	/* Optional, before the 101: return 0 to accept, or fill `rs` (e.g.
	 * resp_error(rs, 401, NULL)) and return non-zero to refuse the
	 * handshake with that HTTP response (authentication). */
	int (*on_upgrade)(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg);
};

/* Stream modes for resp_stream(). */
#define VS_STREAM_CHUNKED 1 /* Transfer-Encoding: chunked, content type as set */
#define VS_STREAM_SSE 2     /* the same with Content-Type: text/event-stream */

/* What the scripted dialogue answers (dialogue_reply()).  Borrowed strings,
 * valid until the world exits. */
struct vs_reply {
	const char *text;      /* the reply; "" when only a tool call */
	const char *tool;      /* a tool to call, or NULL */
	const char *tool_args; /* its arguments as JSON text ("{}" when none) */
	const char *rule;      /* the rule that matched, "default" otherwise */
};

typedef void (*vs_event_cb)(void *arg, uint64_t seq, const char *topic, const json_t *event);
typedef void (*vs_ws_timer_cb)(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg);

struct vs_world {
	uint32_t abi_version; /* VS_WORLD_ABI_VERSION */
	uint32_t size;        /* sizeof(struct vs_world) of the world */

	/* --- registration (only inside the world hook) -------------------- */
	/* method "GET", "POST", ... or "*".  pattern is a path: `{name}`
	 * captures one segment up to the next '/' or up to the literal that
	 * follows it (".../{model}:streamGenerateContent"); `{name*}` captures
	 * the rest.  The query string is not part of the match.  A pattern
	 * starting "/_vstress/" is a control route: served on the control
	 * port (and every port) with no faults applied. */
	int (*add_http_route)(vs_wctx *wc, const char *method, const char *pattern, vs_http_handler fn,
			      void *arg);
	int (*add_ws_route)(vs_wctx *wc, const char *pattern, const struct vs_ws_handlers *h, void *arg);
	/* The stand-in's error body builder (see vs_error_builder). */
	int (*set_error_builder)(vs_wctx *wc, vs_error_builder fn);

	/* --- the request ---------------------------------------------------- */
	const char *(*req_method)(const vs_wreq *rq);
	const char *(*req_path)(const vs_wreq *rq);   /* without the query */
	const char *(*req_param)(const vs_wreq *rq, const char *name);  /* a {name} capture */
	const char *(*req_query)(const vs_wreq *rq, const char *name);  /* decoded, first one */
	const char *(*req_header)(const vs_wreq *rq, const char *name); /* case-insensitive */
	const char *(*req_body)(const vs_wreq *rq, size_t *len);         /* NUL-terminated */
	/* The body parsed as JSON (new reference; NULL if not JSON). */
	json_t *(*req_json)(const vs_wreq *rq);

	/* --- the response ------------------------------------------------- */
	void (*resp_status)(vs_wresp *rs, int status);
	void (*resp_header)(vs_wresp *rs, const char *name, const char *value);
	/* A whole body sent with Content-Length after delay_ms. */
	int (*resp_body)(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len);
	/* Status + application/json body; steals `j`. */
	int (*resp_json_steal)(vs_wresp *rs, int status, json_t *j);
	/* Switch to a paced stream (VS_STREAM_*); then queue items. */
	int (*resp_stream)(vs_wresp *rs, int mode);
	int (*resp_chunk)(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len);
	/* One SSE event: "event: <event>\n" (when event != NULL), then
	 * "data: <data>\n\n". */
	int (*resp_sse)(vs_wresp *rs, uint32_t delay_ms, const char *event, const char *data);
	/* The provider's error via the stand-in's builder. */
	int (*resp_error)(vs_wresp *rs, int status, const char *message);

	/* --- WebSocket ------------------------------------------------------ */
	int (*ws_send_text)(vs_ws *ws, uint32_t delay_ms, const char *text, size_t len);
	int (*ws_send_binary)(vs_ws *ws, uint32_t delay_ms, const void *data, size_t len);
	/* Queue a close frame (then the world closes the socket). */
	int (*ws_close)(vs_ws *ws, uint32_t delay_ms, int code, const char *reason);
	void (*ws_set_data)(vs_ws *ws, void *data);
	void *(*ws_data)(const vs_ws *ws);
	/* The upgrade request: headers, query, path captures. */
	const vs_wreq *(*ws_request)(const vs_ws *ws);
	/* Run fn after delay_ms unless the socket closes first.  Returns an
	 * id > 0, or -1. */
	long (*ws_timer)(vs_ws *ws, uint32_t delay_ms, vs_ws_timer_cb fn, void *arg);
	void (*ws_timer_cancel)(vs_ws *ws, long id);
	/* Milliseconds of output still queued (paced but not yet sent). */
	uint64_t (*ws_backlog_ms)(const vs_ws *ws);

	/* --- configuration: the plugin's INI section ------------------------ */
	const char *(*conf)(vs_wctx *wc, const char *key); /* NULL when unset */
	long long (*conf_int)(vs_wctx *wc, const char *key, long long def);
	double (*conf_double)(vs_wctx *wc, const char *key, double def);
	/* Any section's key (e.g. [world]); NULL when unset. */
	const char *(*conf_any)(vs_wctx *wc, const char *section, const char *key);

	/* --- counters, logging, time, randomness ---------------------------- */
	/* Adds to the stand-in's counter `name` (GET /_vstress/stats).
	 * Conventional names: requests, tokens_in, tokens_out, characters,
	 * audio_in_s, audio_out_s, errors. */
	void (*count)(vs_wctx *wc, const char *name, double delta);
	void (*log)(vs_wctx *wc, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	uint64_t (*now_ms)(void); /* CLOCK_MONOTONIC */
	uint64_t (*rand)(vs_wctx *wc); /* seeded from [world] seed and the name */

	/* --- scripted content ----------------------------------------------- */
	/* The dialogue's answer to the caller's last words (docs/world.md).
	 * Returns 0 (out filled; the default reply when no rule matched). */
	int (*dialogue_reply)(vs_wctx *wc, const char *user_text, struct vs_reply *out);

	/* --- events (control API: GET /_vstress/events) --------------------- */
	/* Appends an event (a JSON object, stolen) to the world's log, calls
	 * in-process subscribers of the topic and wakes long-polls.  Returns
	 * its sequence number (> 0). */
	uint64_t (*publish)(vs_wctx *wc, const char *topic, json_t *event);
	/* topic "*" gets every event. */
	int (*subscribe)(vs_wctx *wc, const char *topic, vs_event_cb fn, void *arg);

	/* --- addresses ------------------------------------------------------ */
	/* The stand-in's own base URL, "http://127.0.0.1:P" or "ws://..."
	 * (scheme 'h' or 'w').  Borrowed. */
	const char *(*base_url)(vs_wctx *wc, char scheme);
	/* An environment variable a target should get to reach this stand-in
	 * (written to --urls-file, e.g. OPENAI_BASE_URL).  "{http}" and
	 * "{ws}" in value expand to the base URLs, "{hostport}" to their
	 * host:port alone.  Only inside the hook. */
	int (*export_env)(vs_wctx *wc, const char *name, const char *value);
	/* fn(arg) runs when the world exits, before the plugin is unloaded:
	 * free what the hook allocated.  Only inside the hook. */
	int (*at_exit)(vs_wctx *wc, void (*fn)(void *arg), void *arg);
};

#define VS_WORLD_HAS(w, member) \
	((w)->size >= offsetof(struct vs_world, member) + sizeof(((struct vs_world *)0)->member))

#ifdef __cplusplus
}
#endif
#endif
