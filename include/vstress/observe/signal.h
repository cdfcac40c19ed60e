/* The agent's signals, declared in [target] signal.<name>: which series of
 * its Prometheus page (GET /metrics) says what.  A declaration is a series
 * name or a selector, `name{label="v",...}`; a reading sums every sample of
 * that name carrying all the selector's labels (plus, optionally, labels a
 * check adds, e.g. which breaker), or lists them by one label's value.
 * Empty means "this agent has no such signal": the checks that need it skip,
 * naming the key to set. */
#ifndef VSTRESS_OBSERVE_SIGNAL_H
#define VSTRESS_OBSERVE_SIGNAL_H

#include <stddef.h>

/* The signals vstress reads ([target] signal.<name>); the reference agent's
 * series are the defaults in conf.d/05-target.ini. */
#define VS_SIGNAL_NAMES                                                                                    \
	"active_calls", "calls", "calls_failed", "breaker_state", "breaker_transitions", "failovers",      \
		"provider_errors", "db_errors", "db_timeouts", "pool_size", "pool_idle", "background_tasks", \
		"vad_seconds", "turn_analyzer_seconds"

/* NULL-terminated list of VS_SIGNAL_NAMES. */
extern const char *const vs_signal_names[];
int vs_signal_known(const char *name);

#define VS_SIGNAL_MAX_LABELS 8

struct vs_signal {
	char key[64];   /* "[target] signal.<name>": what a skip or an error names */
	char name[128]; /* the series name; "" when not declared */
	size_t nlabels;
	struct {
		char k[64], v[192]; /* v unescaped */
	} labels[VS_SIGNAL_MAX_LABELS];
};

/* Parse a declaration of signal `sig` (e.g. "active_calls").  NULL or blank
 * text gives an undeclared signal (s->name ""), not an error.  On a bad
 * selector: -1 and err says what, naming the key and the column. */
int vs_signal_parse(const char *sig, const char *text, struct vs_signal *s, char *err, size_t errlen);
/* A bare label list `k="v",...` (no name, no braces): the labels a check
 * adds to a signal (e.g. which breaker).  -1 with err on bad syntax. */
int vs_signal_parse_labels(const char *text, struct vs_signal *s, char *err, size_t errlen);

static inline int vs_signal_declared(const struct vs_signal *s)
{
	return s && s->name[0];
}

/* Sum of every sample of the signal's series (name + suffix, e.g. "_sum" or
 * "_count" of a histogram; NULL: none) whose labels contain the selector's
 * and `extra`'s (NULL: none).  Returns how many samples matched: 0 when
 * absent or undeclared (*sum 0). */
int vs_signal_sum(const struct vs_signal *s, const char *page, const char *suffix, const struct vs_signal *extra,
		  double *sum);

/* Per value of `label` among the matching samples: fn(value, sum over the
 * samples with that value).  Returns the number of distinct values. */
typedef void (*vs_signal_each_fn)(const char *value, double sum, void *arg);
int vs_signal_by_label(const struct vs_signal *s, const char *page, const char *label, vs_signal_each_fn fn,
		       void *arg);

/* Why a check has no reading of the signal, for its skip: "not declared
 * (set [target] signal.X)" when empty, else "<selector> is absent from the
 * target's metrics ([target] signal.X)". */
const char *vs_signal_why(const struct vs_signal *s, char *buf, size_t len);

/* The declaration back as text ("name{k=\"v\"}"), for messages. */
const char *vs_signal_str(const struct vs_signal *s, char *buf, size_t len);

#endif
