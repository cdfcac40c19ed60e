/* Internal structures of the world process (only the world's own files). */
#ifndef VSTRESS_WORLD_INT_H
#define VSTRESS_WORLD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "vstress/plugin.h"
#include "vstress/world.h"
#include "world/main.h"

#define W_MAX_HDR 64
#define W_MAX_PARAM 8
#define W_MAX_QS 32
#define W_MAX_BODY (32u << 20)

struct wbuf {
	char *p;
	size_t len, cap;
};
int wbuf_add(struct wbuf *b, const void *d, size_t n);
int wbuf_printf(struct wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wbuf_consume(struct wbuf *b, size_t n);
void wbuf_free(struct wbuf *b);

struct wkv {
	char *k, *v;
};

/* --- configuration (world/conf.c): entries handed over by the core ---- */
struct wconf_ent {
	char *section, *key, *value;
};
struct wconf {
	struct wconf_ent *e;
	size_t n, cap;
};
int wconf_add(struct wconf *c, const char *section, const char *key, const char *value);
const char *wconf_get(const struct wconf *c, const char *section, const char *key);
void wconf_free(struct wconf *c);
int w_parse_ms(const char *s, double *out); /* "250ms", "2s", "1.5m", bare = ms */

/* --- faults (world/faults.c) ------------------------------------------ */
enum wfault_kind {
	WF_LATENCY = 0,
	WF_ERROR,
	WF_STALL,
	WF_CLOSE,
	WF_RESET,
	WF_MALFORMED,
	WF_TRICKLE,
	WF_REFUSE,
	WF_CUT, /* postgres proxy: cut every open connection */
	WF_NKINDS
};

struct wfault {
	uint64_t id;
	char target[64];
	enum wfault_kind kind;
	double rate;          /* fraction of requests/connections, 0..1 */
	uint64_t added_ms, start_ms, end_ms; /* end 0 = no end */
	long long max_hits, hits;
	/* parameters */
	int status;
	char message[256];
	char dist[16];                /* fixed|uniform|normal */
	double ms, min_ms, max_ms, mean_ms, stddev_ms;
	long long after_bytes, after_messages; /* -1 = unset */
	int close_code;
	long long chunk_bytes;  /* trickle */
	double interval_ms;     /* trickle */
	double refuse_for_ms;   /* once it fires: refuse connections this long (0 none) */
	uint64_t rng;
	/* rate < 1: the k-th hit lands at a seeded position inside the k-th
	 * block of 1/rate matching requests (see wfault_due) */
	long long seen, next_hit, blocks;
	char origin[16]; /* "config" or "api" */
	char body_has[128]; /* non-empty: only HTTP requests whose body holds this text (e.g. one tenant's prompt) */
};

/* What fired for one request or connection. */
struct wfault_hit {
	double latency_ms;
	int error_status; /* 0 none */
	char error_message[256];
	int stall, refuse, malformed, cut;
	long long close_after_bytes, close_after_msgs, reset_after_bytes, reset_after_msgs;
	long long error_after_msgs; /* mid-stream error; -1 = before anything */
	long long malformed_after_msgs;
	long long stall_after_msgs; /* mid-stream stall; -1 = before anything */
	double refuse_for_ms;       /* a fired fault asked for refused reconnects */
	char refuse_target[64];
	int close_code;
	long long trickle_bytes;
	double trickle_ms;
	int any;
};

struct wfaults {
	struct wfault *f;
	size_t n, cap;
	uint64_t next_id;
	uint64_t seed;
};
int wfault_from_json(struct wfaults *fs, const json_t *j, const char *origin, char *err, size_t errlen);
int wfaults_from_conf(struct wfaults *fs, const struct wconf *c, char *err, size_t errlen);
json_t *wfaults_to_json(const struct wfaults *fs);
int wfaults_delete(struct wfaults *fs, const char *target, uint64_t id); /* count removed */
/* Draws every active fault of `target` (aliases included) for one request
 * (or connection when at_connect).  Returns hit->any. */
int wfaults_draw(struct wfaults *fs, const char *target, const char *alias, int at_connect,
		 struct wfault_hit *hit);
/* The same for one HTTP request with its body: a fault with body_has
 * fires only here, when the body holds that text. */
int wfaults_draw_req(struct wfaults *fs, const char *target, const char *alias, const char *body, size_t body_len,
		     struct wfault_hit *hit);
/* Adds a rate-1 refuse fault on target for ms (a fired fault's refuse_for). */
int wfaults_refuse_for(struct wfaults *fs, const char *target, double ms);
/* Is a rate-1 refuse fault active for target right now? */
int wfaults_refusing(struct wfaults *fs, const char *target, const char *alias);
const char *wfault_kind_name(enum wfault_kind k);
void wfault_hit_init(struct wfault_hit *h);
uint64_t w_splitmix(uint64_t *s);
double w_unit(uint64_t *s);

/* --- dialogue (world/dialogue.c) --------------------------------------- */
struct wdialogue;
/* The dialogue of an INI file (read with lib/ini); NULL path: the empty
 * dialogue.  NULL with a message naming file:line on a bad file. */
struct wdialogue *wdialogue_load(const char *path, char *err, size_t errlen);
void wdialogue_reply(const struct wdialogue *d, const char *user_text, struct vs_reply *out);
void wdialogue_free(struct wdialogue *d);

/* --- server (world/server.c; output queues in world/conn.c, timers in world/timers.c)  */
struct world;
struct wconn;

struct wroute {
	struct wroute *next;
	char method[12];
	char *pattern;
	int is_ws;
	vs_http_handler fn;
	struct vs_ws_handlers wsh;
	void *arg;
	vs_wctx *owner; /* NULL for core control routes */
};

struct wcounter {
	char name[48];
	double v;
};

struct vs_wctx {
	struct world *W;
	char name[64];
	char alias[64]; /* name after its first '_' (llm_openai -> openai) */
	struct wlistener *ls;
	vs_error_builder err;
	vs_ws_error_builder ws_err;
	struct wcounter *ctr;
	size_t nctr, capctr;
	uint64_t rng;
	char url_http[192], url_ws[192];
	struct wkv env[8];
	size_t nenv;
	void (*exit_fn)(void *);
	void *exit_arg;
	int in_hook;
};

struct wlistener {
	struct wlistener *next;
	int fd;
	int port;
	int closed_for_refuse;
	vs_wctx *owner; /* NULL = control */
	int pgproxy;    /* a Postgres fault proxy */
	int ep_added;   /* fd is in the loop's epoll set (0 again when fd is closed) */
	char up_host[64];
	int up_port;
};

struct vs_wreq {
	char *method, *path, *query, *version;
	struct wkv hdr[W_MAX_HDR];
	int nhdr;
	struct wkv param[W_MAX_PARAM];
	int nparam;
	struct wkv qs[W_MAX_QS];
	int nqs;
	char *body;
	size_t body_len;
	char *storage; /* one allocation holding the strings above */
};

struct vs_wresp {
	struct wconn *c;
	vs_wctx *wc;
	int status;
	struct wbuf hdrs;
	int mode; /* 0 body, VS_STREAM_* */
	int started, ended, deferred, in_err, dropped;
	long long msgs;
};

struct vs_ws {
	struct wconn *c;
	vs_wctx *wc;
	const struct wroute *route;
	void *data;
	struct wbuf frag;
	int frag_op;
	int close_sent, closed_cb;
	uint64_t base_extra_ms;
};

#define W_TIMER_BUCKETS 1024

struct wtimer {
	struct wtimer *idnext; /* the id index's chain */
	size_t hidx;           /* position in the heap */
	long id;
	uint64_t due;
	struct wconn *c;
	void (*fn)(struct world *W, struct wconn *c, void *arg1, void *arg2);
	void *arg1, *arg2;
	vs_ws_timer_cb wsfn; /* for ws_timer() */
};

struct wpoll_wait; /* a long-poll waiting for an event (world/control.c) */

struct world {
	const struct vs_world *api; /* the table handed to stand-ins (world/api.c, set by main.c) */
	/* a connection goes away (set by world/control.c for its long-polls) */
	void (*on_conn_gone)(struct world *W, struct wconn *c);
	struct wconf conf;
	struct wfaults faults;
	struct wlistener *listeners;
	struct wconn *conns;
	int epfd; /* the loop's epoll set (world_run) */
	struct wroute *control_routes;
	struct wroute *routes; /* stand-in routes, owner set */
	vs_wctx **ctx;
	size_t nctx;
	struct wtimer **theap; /* min-heap on (due, id): world/timers.c */
	size_t ntimers, captimers;
	struct wtimer *tbyid[W_TIMER_BUCKETS];
	long next_timer;
	int log_level;
	volatile int stop;
	char control_url[192];
	/* [world] listen's address (default 127.0.0.1), [world] public_url
	 * (the scheme://host the URLs it exports name instead of the bound
	 * address), [world] pg_proxy_listen's address (default 127.0.0.1) */
	char bind_addr[64], public_url[160], pg_bind_addr[64];
	/* bearer token every /_vstress/ request must carry (issue 12);
	 * token_generated: made here (standalone), so the URLs file holds it */
	char token[80];
	int token_generated;
	/* events */
	json_t *events; /* array of {seq,topic,time_ms,data} */
	uint64_t next_seq;
	struct wsub {
		char topic[64];
		vs_event_cb fn;
		void *arg;
	} *subs;
	size_t nsubs;
	struct wpoll_wait *waits;
	struct wkv dialogue_cache[16];
	struct wdialogue *dialogues[16];
	size_t ndialogues;
	uint64_t started_ms;
};

extern const struct vs_world w_api;

uint64_t w_now_ms(void);
uint64_t w_now_ns(void); /* CLOCK_MONOTONIC, ns */
void w_log(struct world *W, const char *who, int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int world_init(struct world *W);
void world_free(struct world *W);
vs_wctx *world_new_ctx(struct world *W, const char *name);
int world_listen(struct world *W, int port, vs_wctx *owner, struct wlistener **out);
int world_pgproxy_listen(struct world *W, int port, const char *up_host, int up_port);
int world_run(struct world *W);
long world_timer_add(struct world *W, struct wconn *c, uint64_t delay_ms,
		     void (*fn)(struct world *, struct wconn *, void *, void *), void *a1, void *a2);
void world_timer_cancel(struct world *W, long id);
/* The timer fires fn (a stand-in's ws_timer) instead of its fn. */
void world_timer_set_ws(struct world *W, long id, vs_ws_timer_cb fn);
/* When the earliest timer is due (0: none). */
uint64_t world_timers_next(const struct world *W);
void world_timers_free(struct world *W);
/* Drops the stand-in (ws_timer) timers of a WebSocket whose on_close ran:
 * their argument is the stand-in's per-connection state, freed there. */
void world_timers_drop_ws(struct world *W, struct wconn *c);
void world_timers_drop_conn(struct world *W, struct wconn *c);
void world_timers_run(struct world *W); /* fire what is due */
void world_counter_add(vs_wctx *wc, const char *name, double d);
int world_route_add(struct world *W, vs_wctx *owner, const char *method, const char *pattern, int is_ws,
		    vs_http_handler fn, const struct vs_ws_handlers *h, void *arg);
int w_route_match(const char *pattern, const char *path, struct vs_wreq *rq);

/* response helpers used by the core */
void wresp_status(vs_wresp *rs, int status);
void wresp_header(vs_wresp *rs, const char *name, const char *value);
int wresp_body(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len);
int wresp_json_steal(vs_wresp *rs, int status, json_t *j);
void wresp_finish(vs_wresp *rs); /* end a deferred response now */
const char *wreq_query(const vs_wreq *rq, const char *name);
const char *wreq_param(const vs_wreq *rq, const char *name); /* a route capture */
const char *wreq_header(const vs_wreq *rq, const char *name);

/* control API (world/control.c) */
int world_control_register(struct world *W);
/* world/events.c: the event bus */
uint64_t world_publish(struct world *W, const char *topic, json_t *ev);
int world_subscribe(struct world *W, const char *topic, vs_event_cb fn, void *arg);
json_t *world_urls_json(struct world *W);
/* world/token.c: W->token from VSTRESS_WORLD_TOKEN, else a random one
 * (token_generated); 0, or -1 with err.  world_token_ok: does auth read
 * "Bearer <token>" (constant-time)? */
int world_token_init(struct world *W, char *err, size_t errlen);
int world_token_ok(const struct world *W, const char *auth);
int world_write_urls(struct world *W, const char *path);

/* pgproxy (world/pgproxy.c) */
int wpg_accept(struct world *W, struct wlistener *ls, int cfd);
void wpg_cut_all(struct world *W, struct wlistener *ls);

#endif
