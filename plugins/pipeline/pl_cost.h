/* pipeline plugin: exact cost tracking and the agent's handoff overhead,
 * from what the world's stand-ins billed (event topic "billing") against
 * what the agent recorded for each call (docs/plugins/pipeline.md). */
#ifndef VSTRESS_PL_COST_H
#define VSTRESS_PL_COST_H

#include <jansson.h>

#include <vstress/plugin.h>

struct pl;

struct pl_cost {
	const char *sql, *llm_prices, *speech_prices;
	double tol_pct, tol_usd;
	long long settle_ms, overhead_ms; /* overhead_ms < 0: not judged */
	long long *seq0, *seq1;           /* per call: the event log before and after it (-1: unknown) */
};

#define PL_COST_SQL                                                                                   \
	"SELECT provider, COALESCE(sum(cost_usd), 0)::float8 FROM provider_usage WHERE call_control_id = $1 " \
	"GROUP BY provider"

/* Option rows (in pl_options). */
#define PL_COST_OPTIONS                                                                                            \
	{"cost_sql", VS_OPT_STRING, PL_COST_SQL,                                                                    \
	 "check cost.exact: the agent's cost per provider for call $1 (rows: provider, USD); the reference agent's " \
	 "provider_usage by default",                                                                               \
	 0},                                                                                                        \
	{"llm_prices", VS_OPT_STRING, "conf.d/prices.ini", "price table of the LLMs ([prices:<provider>])", 0},      \
	{"speech_prices", VS_OPT_STRING, "conf.d/prices-speech.ini",                                                \
	 "price table of TTS (price_per_1k_chars) and STT (price_per_minute)", 0},                                  \
	{"cost_tolerance_pct", VS_OPT_DOUBLE, "1", "check cost.exact: a mismatch over this percent fails", 0},     \
	{"cost_tolerance_usd", VS_OPT_DOUBLE, "0.001", "check cost.exact: a mismatch over this many USD fails", 0}, \
	{"cost_settle", VS_OPT_DURATION, "2s", "after the last call, for the agent's last usage rows and streams", 0}, \
	{"agent_overhead_within", VS_OPT_DURATION, NULL,                                                            \
	 "check agent_overhead: p95 of the stand-in's last token -> the agent's TTS request for that text (unset: " \
	 "figure only)",                                                                                            \
	 0}

/* Reads the options (setup); VS_OK or VS_ECONFIG with the reason. */
int pl_cost_conf(struct pl *p);
/* The world's event log position now; -1 when the world does not answer. */
long long pl_cost_seq(const struct pl *p);
/* After the calls: checks cost.exact and agent_overhead; attaches "costs". */
void pl_cost_checks(struct pl *p);
void pl_cost_free(struct pl_cost *k);
/* Every billing event after since (pages of 1000); NULL when the world
 * does not answer. */
json_t *pl_billing_since(const struct pl *p, long long since);
/* Where an event belongs in time: its sequence number, an STT stream's
 * opening for a stream billed at its close. */
long long pl_billing_key(const json_t *e);

#endif
