/* vstress plugin ABI.
 *
 * A plugin is a shared object exporting exactly one symbol, VS_PLUGIN_SYMBOL,
 * a `const struct vs_plugin` built with VS_PLUGIN(...).  The core checks
 * abi_version and struct_size before reading anything else.
 *
 * Plugins never link against core symbols: everything the core offers comes
 * through `const struct vs_host *`, a table that only grows at its end.  A
 * plugin built against a newer header checks VS_HOST_HAS(host, member) before
 * calling an entry an older core may lack.
 *
 * Ownership, for every entry below:
 *  - strings passed in by the plugin are copied by the core before returning;
 *  - strings returned by the core are borrowed and stay valid until the
 *    plugin's teardown returns, unless stated otherwise;
 *  - json_t passed to attach() is stolen (the core takes the reference).
 *
 * Lifecycle, in one forked child per plugin (or in-process with --no-fork):
 *   setup -> run -> teardown.  teardown always runs, also after setup failed
 *   or run was interrupted by the deadline, and must cope with *state == NULL
 *   or a half-built state.  Hooks return an enum vs_rc.
 */
#ifndef VSTRESS_PLUGIN_H
#define VSTRESS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VS_ABI_VERSION 1u
#define VS_PLUGIN_SYMBOL "vstress_plugin"

typedef struct json_t json_t; /* jansson; plugins include <jansson.h> themselves */
typedef struct vs_ctx vs_ctx; /* opaque, owned by the core */
typedef struct vs_pacer vs_pacer;
struct vs_world;             /* include/vstress/world.h: the stand-in server API */
typedef struct vs_wctx vs_wctx; /* opaque, owned by the world */

/* Hook return codes; the plugin's final status is derived from them and from
 * its checks (any failed check makes a plugin "failed"). */
enum vs_rc {
	VS_OK = 0,      /* ran; status comes from its checks */
	VS_FAIL = 1,    /* failed (reason() says why) */
	VS_SKIP = 2,    /* cannot run here, e.g. a missing API key (reason() required) */
	VS_ECONFIG = 3, /* bad configuration */
	VS_ERROR = 4,   /* internal error in the plugin */
};

enum vs_check_status { VS_CHECK_PASS = 0, VS_CHECK_FAIL = 1, VS_CHECK_SKIP = 2 };

/* What a check judges (docs/results-schema.md).  Only target checks decide
 * a phase's status, the run's exit code and JUnit failures; a failed
 * harness check makes the phase "error" (the measurement is not to be
 * trusted); a phase with no target check that passed or failed is
 * "skipped". */
enum vs_check_subject {
	VS_SUBJECT_TARGET = 0,  /* the system under test (the default) */
	VS_SUBJECT_HARNESS = 1, /* vstress's own machinery: pacing, stand-ins, fault accounting */
};

enum vs_log_level { VS_LOG_ERROR = 0, VS_LOG_WARN = 1, VS_LOG_INFO = 2, VS_LOG_DEBUG = 3 };

enum vs_opt_type {
	VS_OPT_STRING = 0,
	VS_OPT_INT,      /* decimal, optional sign */
	VS_OPT_DOUBLE,
	VS_OPT_BOOL,     /* true/false/yes/no/on/off/1/0 */
	VS_OPT_DURATION, /* number with unit: 250ms, 2s, 1.5m; bare number = ms */
	VS_OPT_LIST,     /* comma separated */
};

#define VS_OPT_REQUIRED 0x1u /* must be set (no default) */
#define VS_OPT_SECRET 0x2u   /* never printed: redacted in logs, describe, results */

/* One accepted key of the plugin's INI section.  Terminated by {0}.  A key
 * ending in ".*" declares a family: every key with that prefix is accepted
 * (e.g. "env.*" accepts env.llm_openai), read with opt() by its full name. */
struct vs_option {
	const char *key;
	enum vs_opt_type type;
	const char *def;  /* default as INI text; NULL = unset */
	const char *help; /* one line */
	unsigned flags;   /* VS_OPT_* */
};

/* Option rows of a provider plugin that is a probe and a stand-in (its
 * options are read by both): the provider's key, from environment variable
 * env (`any`: what the stand-in accepts when it is unset), and the
 * stand-in's port. */
#define VS_OPT_PROVIDER_KEY(env, any)                                                                      \
	{"api_key", VS_OPT_STRING, "${" env "}",                                                           \
	 "probe: the key sent (empty: skip); stand-in: the accepted key (unset: any " any ")", VS_OPT_SECRET}
#define VS_OPT_STANDIN_PORT {"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0}

/* The check comparison operators accepted by check_value(). */
#define VS_LT "<"
#define VS_LE "<="
#define VS_GT ">"
#define VS_GE ">="
#define VS_EQ "=="

/* Live progress of a call-placing phase (host->progress).  Counts are
 * totals so far; p95_ms < 0 when not known yet; label is a short free
 * text ("calls", "requests"), copied.  Set size = sizeof(struct
 * vs_progress): later versions only append fields. */
struct vs_progress {
	uint32_t size;
	int64_t started;   /* calls (requests) started */
	int64_t completed; /* finished, successfully or not */
	int64_t in_flight; /* started, not finished */
	int64_t failed;    /* of completed, those that failed */
	double p95_ms;     /* current p95 latency of the completed ones, or < 0 */
	const char *label;
};

struct vs_host {
	uint32_t abi_version; /* VS_ABI_VERSION of the core */
	uint32_t size;        /* sizeof(struct vs_host) of the core */

	/* --- configuration ------------------------------------------------ */
	/* Effective value of one of the plugin's declared options (after
	 * profile overlay, ${VAR} interpolation and defaults), or NULL when
	 * unset.  Borrowed. */
	const char *(*opt)(vs_ctx *c, const char *key);
	/* Typed readers: 0 on success (also when unset: *out keeps its value
	 * and 1 is returned), -1 on a malformed value, which is also reported
	 * as a config error naming file:line. */
	int (*opt_int)(vs_ctx *c, const char *key, long long *out);
	int (*opt_double)(vs_ctx *c, const char *key, double *out);
	int (*opt_bool)(vs_ctx *c, const char *key, int *out);
	int (*opt_ms)(vs_ctx *c, const char *key, long long *out_ms);
	/* Any key of any section ([vstress], [target], another plugin), after
	 * overlay and interpolation; NULL when unset.  Borrowed. */
	const char *(*conf)(vs_ctx *c, const char *section, const char *key);

	/* --- logging and verdicts ----------------------------------------- */
	/* To the plugin's log file (results/<run>/<plugin>.log) and, at the
	 * run's verbosity, to the terminal.  Secrets from VS_OPT_SECRET
	 * options are redacted from the text. */
	void (*log)(vs_ctx *c, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/* The reason shown with a skip, failure or error.  Last call wins. */
	void (*reason)(vs_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* Record a named check with an explicit verdict. */
	void (*check)(vs_ctx *c, const char *name, int status, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));
	/* Record a check whose verdict is `measured <op> threshold`
	 * (op is one of VS_LT ... VS_EQ); returns the verdict. */
	int (*check_value)(vs_ctx *c, const char *name, double measured, const char *op, double threshold,
			   const char *unit);

	/* --- metrics -------------------------------------------------------- */
	/* A histogram metric; the same name returns the same id.  unit is part
	 * of the reported key names (e.g. "ms" -> p99_ms).  Values are
	 * recorded in that unit as integers: use "us" or "ns" for fine
	 * latencies.  Returns -1 on error. */
	int (*metric)(vs_ctx *c, const char *name, const char *unit);
	void (*record)(vs_ctx *c, int metric, int64_t value);
	/* Latency measured from the intended start (coordinated omission
	 * corrected): records end-intended into `metric`, and end-start into
	 * the companion "<name>_uncorrected".  Times from now_ns(); the metric's
	 * unit must be "ns", "us" or "ms". */
	void (*record_latency)(vs_ctx *c, int metric, uint64_t intended_ns, uint64_t start_ns, uint64_t end_ns);
	/* A named counter (monotonic sum). */
	void (*count)(vs_ctx *c, const char *name, int64_t delta);

	/* --- time and deadline ---------------------------------------------- */
	uint64_t (*now_ns)(void); /* CLOCK_MONOTONIC */
	/* Non-zero once the deadline is near or vstress is stopping: return
	 * from run() promptly. */
	int (*should_stop)(vs_ctx *c);
	/* Milliseconds left before the plugin's deadline (<= 0 when past). */
	int64_t (*remaining_ms)(vs_ctx *c);
	/* The run's seed, mixed with the plugin name: replayable randomness. */
	uint64_t (*seed)(vs_ctx *c);

	/* --- pacing (wrk2-style) -------------------------------------------- */
	/* rate in events per second; poisson != 0 gives exponential gaps drawn
	 * from the run's seed.  The pacer is owned by the caller. */
	vs_pacer *(*pacer_new)(vs_ctx *c, double rate_per_s, int poisson);
	/* Sleeps until the next intended start (or returns at once when
	 * behind) and returns that intended start in now_ns() time; returns 0
	 * when should_stop() became true while waiting. */
	uint64_t (*pacer_wait)(vs_pacer *p);
	void (*pacer_free)(vs_pacer *p);

	/* --- results --------------------------------------------------------- */
	/* Path for an artifact file named `name` in the run's results folder
	 * (results/<run>/<name>); the file is listed in the summary.  Returns
	 * 0, or -1 if buf is too small or name is not a plain file name. */
	int (*artifact)(vs_ctx *c, const char *name, char *buf, size_t len);
	/* Attach structured data to the plugin's "data" object under key;
	 * steals the reference. */
	void (*attach)(vs_ctx *c, const char *key, json_t *steal);

	/* --- appended entries: check VS_HOST_HAS() before use ---------------- */
	/* The value at percentile p (0..100) of a metric recorded so far, in
	 * its unit; count_out (if non-NULL) receives the number of samples.
	 * Returns -1 for an unknown metric. */
	int64_t (*percentile)(vs_ctx *c, int metric, double p, int64_t *count_out);

	/* --- sharding (vstress run --shard I/N) and re-evaluable checks -------
	 * The slice of the calls this plugin places: *index 1..*count.  For a
	 * plugin named in [vstress] shard_split (default "load") it is the run's
	 * --shard; for every other plugin 1 of 1 (it runs whole).  Shard I of N
	 * places the calls whose index i satisfies i % N == I - 1. */
	void (*shard)(vs_ctx *c, int *index, int *count);
	/* A check on percentile p (0..100) of a metric recorded so far, in the
	 * metric's unit: `value <op> threshold`; skip when the metric holds no
	 * sample.  The check records its source ({"metric", "percentile"}) so
	 * `vstress merge` recomputes it from the merged histogram.  note (a
	 * printf format, may be NULL) is appended to this run's message.
	 * Returns the verdict. */
	int (*check_metric)(vs_ctx *c, const char *name, int metric, double p, const char *op, double threshold,
			    const char *note, ...) __attribute__((format(printf, 7, 8)));
	/* A check on counters: value = scale * num / den (den NULL: scale *
	 * num); skip when den is 0.  Counters are read as counted so far;
	 * count() them before.  Recorded with its source ({"numerator",
	 * "denominator", "scale"}) for `vstress merge`.  Returns the verdict. */
	int (*check_counters)(vs_ctx *c, const char *name, const char *num, const char *den, double scale,
			      const char *op, double threshold, const char *unit, const char *note, ...)
		__attribute__((format(printf, 9, 10)));
	/* A check with an explicit verdict and message that also records what
	 * was measured against what (value, op, threshold, unit in the summary,
	 * as check_value does), e.g. a p95 with a richer message.  The verdict
	 * is the plugin's: it is not recomputed from the numbers. */
	void (*check_measured)(vs_ctx *c, const char *name, int status, double measured, const char *op,
			       double threshold, const char *unit, const char *fmt, ...)
		__attribute__((format(printf, 8, 9)));
	/* Live progress for the terminal: cheap, call it as often as you like
	 * (the core forwards at most 4 updates a second; the last one before
	 * the phase ends may be dropped).  Shown on stderr only, refreshed in
	 * place on a terminal; never part of the results.  Ignored with
	 * --no-fork. */
	void (*progress)(vs_ctx *c, const struct vs_progress *p);
	/* The secrets the plugins of this run declare (struct vs_plugin
	 * .secrets), for the setup plugin's key check: for i = 0, 1, ... the
	 * i-th plugin declaring any, in the registry's (name) order; returns
	 * its name and sets *secrets to its NULL-terminated list, or returns
	 * NULL past the last one.  "Of this run": every loaded plugin the
	 * manifest does not disable, and every one the run selects (--only),
	 * whether or not this run's selection runs it.  Borrowed. */
	const char *(*declared_secrets)(vs_ctx *c, size_t i, const char *const **secrets);
	/* The subject (enum vs_check_subject) of every check this thread
	 * records from now on, until set again; returns the previous one so a
	 * helper can restore it.  Per thread: a plugin's worker threads start
	 * at VS_SUBJECT_TARGET.  Use VS_SUBJECT() to cope with an older core. */
	int (*subject)(vs_ctx *c, int subject);
};

/* True when the core's table is large enough to contain `member`. */
#define VS_HOST_HAS(h, member) \
	((h)->size >= offsetof(struct vs_host, member) + sizeof(((struct vs_host *)0)->member))

/* check_measured when the core has it, else the same check without the
 * numbers (an older core). */
#define VS_CHECK_MEASURED(h, c, name, status, measured, op, threshold, unit, ...)                         \
	do {                                                                                              \
		if (VS_HOST_HAS(h, check_measured))                                                       \
			(h)->check_measured(c, name, status, measured, op, threshold, unit, __VA_ARGS__); \
		else                                                                                      \
			(h)->check(c, name, status, __VA_ARGS__);                                         \
	} while (0)

/* Set the subject of the checks recorded next (see vs_host.subject);
 * evaluates to the previous subject, VS_SUBJECT_TARGET on an older core
 * (whose checks all count as target checks). */
#define VS_SUBJECT(h, c, s) (VS_HOST_HAS(h, subject) ? (h)->subject(c, s) : VS_SUBJECT_TARGET)

struct vs_plugin {
	uint32_t abi_version; /* == VS_ABI_VERSION, checked first */
	uint32_t struct_size; /* == sizeof(struct vs_plugin) at build time */
	const char *name;     /* == .so basename == INI section */
	const char *version;  /* the plugin's own version, copied to results */
	const char *description;
	const char *const *requires;     /* NULL-terminated plugin names, or NULL */
	const struct vs_option *options; /* {0}-terminated, or NULL */
	int (*setup)(const struct vs_host *h, vs_ctx *c, void **state);
	int (*run)(const struct vs_host *h, vs_ctx *c, void *state);
	int (*teardown)(const struct vs_host *h, vs_ctx *c, void *state);
	/* Optional: register this plugin's stand-in (a local server speaking
	 * its provider's wire protocol) with the world process.  Called once
	 * in the world process, never in the plugin's run child.  Read only
	 * when struct_size covers it. */
	int (*world)(const struct vs_world *w, vs_wctx *wc);
	/* Optional: the environment variables this plugin needs to reach its
	 * real provider, NULL-terminated; "A|B" means either one will do
	 * (GOOGLE_API_KEY|GEMINI_API_KEY).  The setup plugin checks them for
	 * every plugin of the run; the plugin's own stand-in exports dummies
	 * for a hermetic target (w->export_env).  Read only when struct_size
	 * covers it (VS_PLUGIN_HAS). */
	const char *const *secrets;
};

/* True when descriptor p is large enough to contain `member`. */
#define VS_PLUGIN_HAS(p, member) \
	((p)->struct_size >= offsetof(struct vs_plugin, member) + sizeof(((struct vs_plugin *)0)->member))

#define VS_PLUGIN(...)                                                          \
	__attribute__((visibility("default"))) const struct vs_plugin vstress_plugin = { \
		.abi_version = VS_ABI_VERSION,                                      \
		.struct_size = sizeof(struct vs_plugin),                            \
		__VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif
