/* api plugin: the target's HTTP API (stress-test plan Phases 3 and 7.3):
 * health, the session auth flow, every parameterless GET endpoint of its
 * OpenAPI document, and the /api rate limiter. */
#ifndef VSTRESS_API_H
#define VSTRESS_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <vstress/plugin.h>

#define API_VERSION "1.0.0"

/* Endpoint classes: one latency histogram each. */
enum api_class { API_HEALTH = 0, API_AUTH, API_ENDPOINT, API_RATELIMIT, API_NCLASS };

struct api_resp {
	long status;        /* HTTP status, 0 on a transport error */
	char *body;         /* NUL-terminated, at most max_body bytes */
	size_t len;
	int too_big;        /* the body exceeded max_body (transfer aborted) */
	int has_retry_after;
	char retry_after[64];
	double ms;          /* wall time of the request */
	char err[256];      /* transport error, "" when a response came */
};

struct api_token {
	char *value;
	uint64_t born_ns; /* when the login answered */
};

struct api {
	const struct vs_host *h;
	vs_ctx *c;
	char *base; /* base_url without a trailing slash */
	char *health_path, *health_body, *login_path, *login_body, *username, *password, *token_field,
		*verify_path, *logout_path, *protected_path, *cleanup_path, *openapi_path, *rl_path;
	char **exclude;
	size_t nexclude;
	long long health_status, unauth_status, ttl_ms, max_wait_ms, req_timeout_ms, max_body;
	long long rl_limit, rl_extra, rl_concurrency, rl_window_ms;
	long long rl_rpm, rl_duration_ms, rl_health_every_ms; /* the paced run (api_paced.c) */
	char *rl_paces;                                       /* "constant,poisson" */
	double pace;
	vs_pacer *pacer;
	int metric[API_NCLASS];
	void *curl; /* CURL *, reused: keep-alive */
	struct api_token tok;
	int down;            /* the target did not answer at all */
	char down_why[300];
	json_t *data;
	struct api_call *call; /* the call during the paced run (api_call.c); NULL before setup */
};

/* api_conf.c: options (the core interpolates ${VAR} in values and defaults;
 * these copies are ours to free). */
extern const struct vs_option api_options[];
int api_conf_load(struct api *a);
void api_conf_free(struct api *a);

/* api_scratch.c: may the agent be made to delete data vstress did not give
 * it (cleanup_path)?  1 yes; 0 no, with why. */
int api_cleanup_allowed(struct api *a, char *why, size_t len);

/* api_http.c */
int api_http_init(struct api *a);
void api_http_free(struct api *a);
/* One paced request; 0 when a response came (any status), -1 on a
 * transport error or when stopping (r->err says which).  token may be NULL;
 * body (JSON) may be NULL.  The latency goes to the class's histogram. */
int api_request(struct api *a, enum api_class cls, const char *method, const char *path, const char *token,
		const char *body, struct api_resp *r);
void api_resp_free(struct api_resp *r);
/* For the multi interface (api_ratelimit.c): set up an easy handle for one
 * request writing into r through sink (a struct api_sink); the caller frees
 * *hdrs.  And the error text of a failed transfer. */
struct curl_slist;
struct api_sink {
	struct api_resp *r;
	size_t cap, max;
};
int api_prepare(struct api *a, void *easy, const char *method, const char *url, const char *token, const char *body,
		struct api_resp *r, struct api_sink *sink, struct curl_slist **hdrs);
void api_transfer_error(struct api *a, int code, const char *errbuf, struct api_resp *r);
/* "GET /health: 200" or "GET /health: connection refused" into buf. */
const char *api_resp_what(const struct api_resp *r, const char *method, const char *path, char *buf, size_t len);
/* The first bytes of the body, printable, for messages. */
/* 1 when s is one or more decimal digits (a Retry-After in seconds). */
int api_numeric(const char *s);
const char *api_snippet(const struct api_resp *r, char *buf, size_t len);
long long api_timeout_ms(struct api *a);
int api_status_class(long status);

/* api_json.c */
/* 0 when every key of `want` is in `got` with an equal value (objects
 * recursively, other values with json_equal); else 1 and a message. */
int api_json_subset(json_t *want, json_t *got, const char *path, char *msg, size_t len);
/* Value at a dotted path ("data.token"), borrowed; NULL when absent. */
json_t *api_json_path(json_t *root, const char *dotted);
/* The template with {username} / {password} replaced by their JSON-escaped
 * text; malloc'd, NULL on OOM. */
char *api_fill_template(const char *tmpl, const char *username, const char *password);
/* Compact dump, at most len-1 chars, "..." when cut. */
const char *api_json_short(json_t *j, char *buf, size_t len);

/* the phases */
void api_health(struct api *a);
void api_auth(struct api *a);
void api_openapi(struct api *a);
void api_ratelimit(struct api *a);
void api_paced(struct api *a); /* 7.3 at the stated rate (api_paced.c) */
/* api_call.c: one call on a thread while the paced run goes on.  setup:
 * VS_OK (a missing world or seed only makes ratelimit.call_during skip),
 * VS_ECONFIG (reason set); start: once, why logged; judge: joins the call
 * and checks it (or skips with the reason); free: teardown. */
struct api_call;
int api_call_setup(struct api *a);
void api_call_start(struct api *a, const char *why);
void api_call_judge(struct api *a, uint64_t paced_from, uint64_t paced_to);
void api_call_free(struct api *a);
/* auth helpers shared by the phases (api_auth.c) */
int api_login(struct api *a, struct api_token *t, char *why, size_t len);
void api_token_free(struct api_token *t);
/* a.tok, logged in again when older than half the session TTL; NULL if none */
const char *api_fresh_token(struct api *a);
/* sleep ms, returns -1 when should_stop() turned true */
int api_sleep_ms(struct api *a, long long ms);

#endif
