/* A fake vstress host for plugin unit tests (collectd's plugin_mock idea).
 *
 * It implements every entry of `struct vs_host` without the core: options
 * and [section] keys are set by the test, verdicts, counters, metrics, the
 * reason and the log text are kept in memory for the test to query.
 *
 *   struct fakehost *fh = fh_new("db");
 *   fh_set_opt(fh, "url", getenv("DATABASE_URL"));
 *   fh_load(fh, "build/plugins/db.so");
 *   int rc = fh_run(fh);              setup -> run -> teardown, like the core
 *   fh_check_status(fh, "connect");   VS_CHECK_PASS / _FAIL / _SKIP, -1 absent
 *   fh_free(fh);
 *
 * Set FH_VERBOSE=1 in the environment to see the plugin's log on stderr.
 */
#ifndef VSTRESS_FAKEHOST_H
#define VSTRESS_FAKEHOST_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"

struct fakehost;

struct fakehost *fh_new(const char *plugin_name);
void fh_free(struct fakehost *fh);

/* Configuration; values are copied.  A NULL value unsets.  0 or -1. */
int fh_set_opt(struct fakehost *fh, const char *key, const char *value);
int fh_set_conf(struct fakehost *fh, const char *section, const char *key, const char *value);
void fh_set_seed(struct fakehost *fh, uint64_t seed);
/* should_stop() turns true ms milliseconds after fh_run() starts. */
void fh_set_deadline_ms(struct fakehost *fh, int64_t ms);
/* What h->shard() answers (default 1 of 1). */
void fh_set_shard(struct fakehost *fh, int index, int count);
/* 1 (default) redacts VS_OPT_SECRET option values from log, reason and
 * check messages like the core does; 0 keeps the raw text, to test a
 * plugin's own redaction. */
void fh_set_redact(struct fakehost *fh, int on);

/* What h->declared_secrets() hands out, in call order: a plugin of the run
 * and the secrets it declares (copied); fh_declare_plugin reads them from a
 * built plugin's descriptor (nothing is added when it declares none).
 * fh_declare_plugin returns 0, or -1 when the file is no plugin. */
void fh_declare(struct fakehost *fh, const char *plugin, const char *const *secrets);
int fh_declare_plugin(struct fakehost *fh, const char *so_path);

const struct vs_host *fh_host(struct fakehost *fh);
vs_ctx *fh_ctx(struct fakehost *fh);

/* dlopen(RTLD_NOW|RTLD_LOCAL) + dlsym(VS_PLUGIN_SYMBOL), checks abi_version,
 * struct_size and the name.  0 or -1 (the reason is on stderr). */
int fh_load(struct fakehost *fh, const char *so_path);
const struct vs_plugin *fh_plugin(struct fakehost *fh);
/* setup -> run (only when setup returned VS_OK) -> teardown (always).
 * Returns setup's rc when it was not VS_OK, else run's rc, else teardown's. */
int fh_run(struct fakehost *fh);

/* --- queries (strings are borrowed until fh_free) ------------------------- */
/* Status of the last check recorded under name, -1 if none. */
int fh_check_status(struct fakehost *fh, const char *name);
const char *fh_check_message(struct fakehost *fh, const char *name);
/* Subject (VS_SUBJECT_TARGET / _HARNESS) of the last check under name, -1 if none. */
int fh_check_subject(struct fakehost *fh, const char *name);
size_t fh_check_count(struct fakehost *fh);
/* A test asserted that check name failed: "plugin name" is appended to the
 * file VSTRESS_FAILED_CHECKS_LOG names, when set (scripts/check-audit.py
 * lists the target checks no test made fail).  assert_check does it. */
void fh_note_failed(struct fakehost *fh, const char *name);
/* The i-th recorded check, in order; -1 when out of range. */
int fh_check_at(struct fakehost *fh, size_t i, const char **name, int *status, const char **message);
/* Number of checks with the given status. */
size_t fh_checks_with_status(struct fakehost *fh, int status);
int64_t fh_counter(struct fakehost *fh, const char *name);
/* Values recorded into the metric (record, record_latency); 0 / NULL if none. */
size_t fh_metric_count(struct fakehost *fh, const char *name);
const int64_t *fh_metric_values(struct fakehost *fh, const char *name, size_t *n);
const char *fh_metric_unit(struct fakehost *fh, const char *name);
const char *fh_reason(struct fakehost *fh);
int fh_log_contains(struct fakehost *fh, const char *substr);
const char *fh_log_text(struct fakehost *fh);
/* 1 if substr occurs in the log, the reason, a check message or an
 * attached json value's dump. */
int fh_anywhere_contains(struct fakehost *fh, const char *substr);
/* Directory behind artifact(); created on first use, removed by fh_free. */
const char *fh_artifact_dir(struct fakehost *fh);
/* Borrowed json_t attached under key (last one wins), or NULL. */
json_t *fh_attached(struct fakehost *fh, const char *key);
/* host->progress calls so far (none are dropped here); *last the latest
 * (label not kept), *bad how many had counts that do not add up. */
size_t fh_progress(struct fakehost *fh, struct vs_progress *last, int *bad);

#endif
