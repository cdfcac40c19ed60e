/* Per-plugin results, fed by events (JSON objects) from the plugin's child
 * over a pipe, or directly with --no-fork; and the run summary. */
#ifndef VS_RESULTS_H
#define VS_RESULTS_H

#include <jansson.h>
#include <stddef.h>

#include "run.h"

/* test_summary.json's schema (docs/results-schema.md); merge reads 1 and 2. */
#define VS_SCHEMA_VERSION 2

struct vs_result {
	char *name;
	char *version;
	const char *status; /* passed failed skipped config_error error timed_out crashed no_result interrupted */
	char *reason;
	char *started_at; /* ISO 8601 UTC */
	double duration_ms;
	json_t *checks;    /* array */
	json_t *metrics;   /* object: name -> summary */
	json_t *counters;  /* object */
	json_t *artifacts; /* array of file names */
	json_t *data;      /* object */
	json_t *config_errors; /* array of messages */
	int ended;   /* the child reported its end */
	int rc;      /* rc of run (or setup when it failed) */
	int teardown_rc;
	int nfail, npass, nskip;    /* target checks (subject "target") */
	int hfail, hpass, hskip;    /* harness checks (subject "harness") */
	char *log_file;
	size_t bytes;      /* event bytes received */
	int bad_events;
	const char *sharding; /* "split", "shard1", "every" in a sharded run; NULL otherwise (static) */
	int shard_skipped;    /* skipped: it runs on shard 1 only */
};

void vs_result_init(struct vs_result *r, const char *name, const char *version);
void vs_result_free(struct vs_result *r);
/* Take one event (borrowed); returns 0, or -1 for a malformed one. */
int vs_result_ingest(struct vs_result *r, json_t *ev);
void vs_result_set(struct vs_result *r, const char *status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Count one check (a summary's check object, borrowed) by its subject and
 * status; returns 0, or -1 when it has no status. */
int vs_result_count_check(struct vs_result *r, const json_t *check);
/* The subjects' say in a plugin's status, after its own verdict: a failed
 * harness check makes a passed or failed plugin "error" (the measurement is
 * not to be trusted); a passed plugin without any target check that passed
 * or failed is "skipped", with the reasons.  Run and merge both use it. */
void vs_result_judge_subjects(struct vs_result *r);

/* Status names, and whether a status counts as a failure of the run. */
int vs_status_is_failure(const char *status);
/* Counts a plugin status into the run's passed, skipped or failed (every
 * other status), as the run and the merge report them. */
void vs_status_tally(const char *status, int *passed, int *skipped, int *failed);

/* Write results/<run>/test_summary.json and junit.xml atomically.
 * run_status: passed, failed, interrupted or config_error. */
int vs_summary_write(struct vs_run *run, struct vs_result *res, size_t n, const char *run_status,
		     const char *started_at, double duration_ms, const char *digest, json_t *services_steal);

char *vs_iso_now(void);

#endif
