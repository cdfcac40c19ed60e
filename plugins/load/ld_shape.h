/* load plugin: the load's shape.  The plan's batch (calls x concurrency,
 * ramp), k6-style stages for a closed model ("30s:5, 60s:20": ramp linearly
 * to 5 calls in progress over 30 s, then to 20 over 60 s), or an open model
 * (arrival_rate calls a second, constant or seeded Poisson gaps, at most
 * max_in_flight in progress). */
#ifndef VSTRESS_LOAD_SHAPE_H
#define VSTRESS_LOAD_SHAPE_H

#include <stddef.h>
#include <stdint.h>

enum ld_shape_kind { LD_BATCH, LD_STAGES, LD_ARRIVAL };

struct ld_stage {
	long long dur_ms; /* 0: a step to target at once */
	int target;       /* calls in progress at the stage's end */
};

struct ld_shape {
	enum ld_shape_kind kind;
	struct ld_stage *st;
	size_t nst;
	int start;           /* calls in progress when the first stage begins (0) */
	double rate;         /* LD_ARRIVAL: calls per second */
	int poisson;         /* exponential gaps, else constant 1/rate */
	long long dur_ms;    /* LD_ARRIVAL: arrivals for this long; LD_STAGES: sum of the stages */
	int max_in_flight;   /* LD_ARRIVAL: an arrival over this bound is dropped (counted) */
};

/* "30s:5, 60s:20" -> stages; 0, or -1 with err naming the key and the
 * offending token. */
int ld_stages_parse(const char *spec, struct ld_shape *s, char *err, size_t errlen);
/* "250ms", "30s", "1.5m", "1h", "20" (ms) -> ms; -1 when malformed. */
long long ld_dur_parse(const char *tok);
/* The closed model's target at t ms from the start (linear within a
 * stage, rounded); -1 after the last stage. */
int ld_stage_target(const struct ld_shape *s, double t_ms);
/* The stage running at t ms (the last one after the end). */
size_t ld_stage_at(const struct ld_shape *s, double t_ms);
/* Start of stage k, ms. */
long long ld_stage_from(const struct ld_shape *s, size_t k);
/* Largest target of the stages. */
int ld_stage_max(const struct ld_shape *s);
/* The gap to the next arrival, ms; rng is the caller's state (seeded). */
double ld_arrival_gap(const struct ld_shape *s, uint64_t *rng);
void ld_shape_free(struct ld_shape *s);

#endif
