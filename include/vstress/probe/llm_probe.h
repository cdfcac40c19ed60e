/* The streaming LLM probe shared by the llm_openai, llm_gemini and
 * llm_anthropic plugins (linked statically from libvsutil.a into each
 * .so).  The same code path runs against the world's stand-ins (hermetic)
 * and the real endpoints (live): only base_url and api_key differ.
 *
 * A plugin supplies a `struct llm_wire` (its provider's request, SSE event
 * and error body formats); the engine does the rest: options, paced
 * concurrent requests on one curl multi handle, time to first token and
 * total latency, classification, usage and cost (conf.d/prices.ini), world
 * faults for the probe's duration, checks, counters and the artifact
 * llm_results_<provider>.json.  docs/plugins/llm.md. */
#ifndef VSTRESS_UTIL_LLM_PROBE_H
#define VSTRESS_UTIL_LLM_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "vstress/plugin.h"

/* Result classes: every request ends in exactly one. */
enum llm_class {
	LLM_OK = 0,
	LLM_AUTH,         /* 401/403, Gemini 400 API_KEY_INVALID */
	LLM_RATE_LIMIT,   /* 429 */
	LLM_QUOTA,        /* insufficient_quota, "credit balance is too low" */
	LLM_SERVER_ERROR, /* 5xx, 529 overloaded, in-stream overloaded/api errors */
	LLM_TIMEOUT,      /* no first byte, or the stream stalled */
	LLM_MALFORMED,    /* unparseable SSE/JSON, no end marker, too large */
	LLM_CLIENT_ERROR, /* other 4xx */
	LLM_NETWORK,      /* refused, reset or closed before any response */
	LLM_NCLASS
};
const char *llm_class_name(int cls);
/* The class an HTTP status means when the body says nothing more. */
int llm_class_of_status(long status);

struct llm_result {
	int cls; /* enum llm_class; -1 until classified */
	long status;
	uint64_t intended_ns, start_ns, first_ns, end_ns; /* first_ns: first content delta, 0 if none */
	long tokens_in, tokens_out;
	int usage; /* the provider reported usage */
	int done;  /* its end marker ([DONE], message_stop, finishReason) came */
	char *text; /* the reply (up to LLM_TEXT_MAX bytes) */
	size_t tlen, tcap;
	double cost_usd;
	char msg[400]; /* the provider's error message, or what went wrong */
};
#define LLM_TEXT_MAX (256u * 1024u)

/* For wire parsers: append reply text (the first call stamps first_ns). */
void llm_result_text(struct llm_result *r, const char *s, size_t n);
/* Stamp the first token without text (a tool call's first fragment). */
void llm_result_first(struct llm_result *r);
/* Classify with a message; the first classification wins. */
void llm_result_fail(struct llm_result *r, int cls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One stream chunk's data as a JSON object (the caller json_decref's it),
 * or NULL when there is nothing more to read in it: not an object (r fails
 * malformed: "unparseable <what> (...): <data>"), or, with on_error, an
 * in-stream "error" object (on_error(r, 200, that object)). */
json_t *llm_chunk_obj(struct llm_result *r, const char *data, size_t len, const char *what,
		      void (*on_error)(struct llm_result *r, long status, const json_t *e));
/* An HTTP error body whose JSON has an "error" object: on_error(r, status,
 * that object); anything else fails r by the status's class with "HTTP
 * <status> (not <what>): <body>". */
void llm_error_body_obj(struct llm_result *r, long status, const char *body, size_t len, const char *what,
			void (*on_error)(struct llm_result *r, long status, const json_t *e));
void llm_result_free(struct llm_result *r);

/* What a request carries.  messages: [{"role":"user"|"assistant","content":"text"}]. */
struct llm_req {
	const char *base_url; /* no trailing slash */
	const char *api_key;
	const char *model;
	const char *system; /* NULL: none */
	const json_t *messages;
	long max_tokens;
};

struct llm_wire {
	const char *provider; /* "openai": [prices:openai], llm_results_openai.json */
	const char *key_env;  /* "OPENAI_API_KEY": named in the skip reason */
	const char *standin;  /* "llm_openai": the faults' target */
	const char *end_marker; /* named when a stream ends without it */
	/* URL, extra headers (auth, version) and JSON body of one streaming
	 * request; 0 or -1. */
	int (*request)(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body);
	/* One SSE event of a 2xx stream (event is "" without an event: line). */
	void (*event)(struct llm_result *r, const char *event, const char *data, size_t len);
	/* A non-2xx answer: classify and keep the provider's message. */
	void (*error_body)(struct llm_result *r, long status, const char *body, size_t len);
};

/* The stand-in options every LLM plugin declares (read by the world). */
#define LLM_STANDIN_OPTIONS                                                                                        \
	{"ttft_ms", VS_OPT_DURATION, "300", "stand-in: time to first token", 0},                                   \
	{"token_ms", VS_OPT_DURATION, "30", "stand-in: gap between tokens", 0},                                    \
	{"dialogue", VS_OPT_STRING, NULL, "stand-in: dialogue file (default [world] dialogue)", 0},                 \
	{"after_tool_reply", VS_OPT_STRING, NULL, "stand-in: reply after a tool result", 0},                        \
	VS_OPT_STANDIN_PORT

/* setup/run/teardown hooks of a plugin that is the probe and nothing more:
 * LLM_PROBE_HOOKS(oa_wire) defines static llm_hook_setup, llm_hook_run and
 * llm_hook_teardown for its descriptor. */
#define LLM_PROBE_HOOKS(WIRE)                                                                                      \
	static int llm_hook_setup(const struct vs_host *h, vs_ctx *c, void **state)                                \
	{                                                                                                          \
		struct llm_probe *p = NULL;                                                                        \
		int rc = llm_probe_setup(h, c, &(WIRE), &p);                                                       \
		*state = p;                                                                                        \
		return rc;                                                                                         \
	}                                                                                                          \
	static int llm_hook_run(const struct vs_host *h, vs_ctx *c, void *state)                                   \
	{                                                                                                          \
		(void)h, (void)c;                                                                                  \
		return llm_probe_run(state);                                                                       \
	}                                                                                                          \
	static int llm_hook_teardown(const struct vs_host *h, vs_ctx *c, void *state)                              \
	{                                                                                                          \
		(void)h, (void)c;                                                                                  \
		llm_probe_free(state);                                                                             \
		return VS_OK;                                                                                      \
	}

/* Options every probe declares (after its stand-in options); the plugin
 * adds api_key itself (shared with its stand-in). */
#define LLM_PROBE_OPTIONS(BASE, MODEL, REQUESTS)                                                                   \
	{"base_url", VS_OPT_STRING, BASE, "probe: provider base URL (hermetic: the world's stand-in)", 0},         \
	{"model", VS_OPT_STRING, MODEL, "probe: model", 0},                                                        \
	{"requests", VS_OPT_INT, REQUESTS, "probe: streaming requests to send", 0},                                \
	{"concurrency", VS_OPT_INT, "10", "probe: requests in flight at most", 0},                                  \
	{"rate", VS_OPT_DOUBLE, "5", "probe: request starts per second (0: as fast as concurrency allows)", 0},   \
	{"prompt", VS_OPT_STRING, "Hi, what are your opening hours on Monday?", "probe: the caller's turn", 0},    \
	{"system", VS_OPT_STRING,                                                                                  \
	 "You are a friendly receptionist for Acme Dental answering the phone. Keep answers short.",               \
	 "probe: system prompt", 0},                                                                               \
	{"max_tokens", VS_OPT_INT, "100", "probe: max output tokens", 0},                                          \
	{"request_timeout", VS_OPT_DURATION, "30s", "probe: whole request, bounded by the deadline", 0},           \
	{"idle_timeout", VS_OPT_DURATION, "20s", "probe: no byte for this long = stalled (whole seconds)", 0},     \
	{"respond_within", VS_OPT_DURATION, "5s", "probe: p95 total latency of ok requests at most", 0},           \
	{"ttft_within", VS_OPT_DURATION, "2s", "probe: p95 time to first token at most", 0},                       \
	{"max_response", VS_OPT_INT, "4194304", "probe: bytes of one response at most", 0},                        \
	{"keep_errors", VS_OPT_INT, "3", "probe: provider messages kept per class", 0},                            \
	{"faults", VS_OPT_STRING, NULL,                                                                            \
	 "probe, hermetic only: world faults for a second, faulted pass after the clean one: "                     \
	 "kind[:param=value]...,... e.g. error:status=500:rate=0.1", 0},                                           \
	{"fault_requests", VS_OPT_INT, NULL, "probe: requests of the faulted pass (default: requests)", 0},         \
	{"fault_concurrency", VS_OPT_INT, NULL, "probe: concurrency of the faulted pass (default: concurrency)", 0}, \
	{"fault_rate", VS_OPT_DOUBLE, NULL, "probe: starts per second of the faulted pass (default: rate)", 0},     \
	{"fault_request_timeout", VS_OPT_DURATION, NULL,                                                           \
	 "probe: request_timeout of the faulted pass (default: request_timeout)", 0},                              \
	{"control_url", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL}", "probe: the world's control API", 0},           \
	{"prices", VS_OPT_STRING, "conf.d/prices.ini", "probe: price table (USD per 1M tokens)", 0},               \
	{"artifact", VS_OPT_STRING, NULL, "probe: results file (default llm_results_<provider>.json)", 0}

struct llm_price {
	char model[96];
	double in_per_m, out_per_m;
	char read[32]; /* the date the list price was read */
};

struct llm_fault {
	char label[96]; /* as given, for messages */
	int expect;     /* the class it should produce, LLM_OK when only slower */
};

struct llm_probe {
	const struct vs_host *h;
	vs_ctx *c;
	const struct llm_wire *w;
	char *base_url, *api_key, *model, *prompt, *system, *control_url, *faults, *prices_path, *artifact;
	long long requests, concurrency, max_tokens, timeout_ms, idle_ms, within_ms, ttft_ms, max_response,
		keep_errors;
	double rate;
	/* the faulted pass (when faults is set): its size, concurrency, rate
	 * and request timeout; default the clean pass's */
	long long fault_requests, fault_concurrency, fault_timeout_ms;
	double fault_rate;
	struct llm_price price;
	int have_price;
	struct llm_fault fault[16];
	size_t nfault;
	json_t *fault_ids; /* installed fault ids, deleted at the end */
	int m_ttft, m_total;
};

/* One request of a batch. */
struct llm_job {
	const char *system;
	const json_t *messages;
	struct llm_result r;
};

/* setup: reads the options; VS_SKIP with "<KEY_ENV> not set" when api_key
 * is empty, VS_ECONFIG on a bad value (prices, faults).  *out is set as
 * soon as it exists. */
int llm_probe_setup(const struct vs_host *h, vs_ctx *c, const struct llm_wire *w, struct llm_probe **out);
/* The probe: a clean pass of `requests` paced requests (no faults); then,
 * when faults is set, a faulted pass of `fault_requests` with the faults
 * installed (removed after, also on error).  Metrics, counters, checks per
 * pass (the faulted pass's checks and counters prefixed "faults.", its
 * metrics and data suffixed "_faults"), one artifact with a "pass" per
 * request.  VS_OK (verdict from checks), VS_FAIL with the provider's
 * message when the quota/credit is exhausted. */
int llm_probe_run(struct llm_probe *p);
void llm_probe_free(struct llm_probe *p);

/* Runs jobs on the multi handle, at most conc at once; paced at p->rate
 * when paced != 0.  Every job ends classified.  0, or -1 on an internal
 * error. */
int llm_exec(struct llm_probe *p, struct llm_job *jobs, size_t n, size_t conc, int paced);
/* A messages array with one user turn (new reference). */
json_t *llm_user_turn(const char *text);

/* Parts (lib/probe/llm_*.c) */
int llm_prices_load(const char *path, const char *provider, const char *model, struct llm_price *out, char *err,
		    size_t errlen);
int llm_faults_parse(struct llm_probe *p, json_t **out, char *err, size_t errlen);
int llm_faults_install(struct llm_probe *p, json_t *faults, char *err, size_t errlen);
void llm_faults_remove(struct llm_probe *p);

#endif
