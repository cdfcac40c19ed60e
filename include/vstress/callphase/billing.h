/* The world's billing events (topic "billing", docs/world.md) and what they
 * cost: the event log's position, the events after a position, and each
 * event's price from the LLM price table and the speech price table.  Used
 * by the pipeline's cost.exact and the load's cost per call at capacity. */
#ifndef VSTRESS_CALLPHASE_BILLING_H
#define VSTRESS_CALLPHASE_BILLING_H

#include <stddef.h>

#include <jansson.h>

#define VS_BILLING_NPROV 8

/* The speech price table (price_per_1k_chars, price_per_minute per
 * [tts_x] / [stt_x] section) and the LLM price table's path. */
struct vs_prices {
	const char *llm_path, *speech_path;
	double per_char[VS_BILLING_NPROV], per_sec[VS_BILLING_NPROV];
	char name[VS_BILLING_NPROV][32];
	int n;
};

/* The billing log's last sequence number at control_url; -1 when the world
 * does not answer. */
long long vs_billing_seq(const char *control_url);
/* Every billing event after since (pages of 1000); NULL when the world does
 * not answer. */
json_t *vs_billing_since(const char *control_url, long long since);
/* Where an event belongs in time: its sequence number, or an STT stream's
 * opening for a stream billed at its close. */
long long vs_billing_key(const json_t *e);
/* Reads the speech table (llm_path is read per event); 0, or -1 with err
 * naming file:line. */
int vs_prices_load(struct vs_prices *pr, const char *llm_path, const char *speech_path, char *err, size_t errlen);
/* USD of one event's data (0 for events that cost nothing, e.g. "open");
 * -1 with err when the provider or model has no price. */
double vs_billing_usd(const struct vs_prices *pr, const json_t *data, char *err, size_t errlen);

#endif
