/* load plugin: reading the shape options ([load] stages, arrival_rate,
 * arrival, duration, max_in_flight, mode = capacity and its SLO, faults).
 * Bad values are config errors naming the key and the offending token. */
#include "load.h"

#include <vstress/callphase/plugopt.h>

#include <stdio.h>
#include <string.h>

static int fits_timeout(struct ld *p);

static int capacity_conf(struct ld *p)
{
	const struct vs_host *h = p->h;

	if (vs_popt_int(h, p->c, "load", "capacity_start", &p->cap_start, 1) ||
	    vs_popt_int(h, p->c, "load", "capacity_max", &p->cap_max, 1) ||
	    vs_popt_ms(h, p->c, "load", "capacity_hold", &p->cap_hold_ms) ||
	    vs_popt_ms(h, p->c, "load", "capacity_budget", &p->cap_budget_ms) ||
	    vs_popt_ms(h, p->c, "load", "slo_turn_p95", &p->slo_turn_ms) ||
	    vs_popt_ms(h, p->c, "load", "slo_first_reply_p95", &p->slo_first_ms) ||
	    h->opt_double(p->c, "slo_complete_pct", &p->slo_complete_pct) < 0)
		return VS_ECONFIG;
	p->llm_prices = vs_popt_str(h, p->c, "llm_prices");
	p->speech_prices = vs_popt_str(h, p->c, "speech_prices");
	p->cap_min = 0;
	if (vs_popt_str(h, p->c, "capacity_min")[0] && vs_popt_int(h, p->c, "load", "capacity_min", &p->cap_min, 1))
		return VS_ECONFIG;
	if (p->cap_max < p->cap_start || p->cap_max > 1000) {
		h->reason(p->c, "[load] capacity_max = %lld: must be %lld (capacity_start) .. 1000", p->cap_max, p->cap_start);
		return VS_ECONFIG;
	}
	if (p->cap_hold_ms < 1000) {
		h->reason(p->c, "[load] capacity_hold = %lld ms: at least 1s (each level holds its calls this long)",
			  p->cap_hold_ms);
		return VS_ECONFIG;
	}
	if (p->slo_complete_pct < 0 || p->slo_complete_pct > 100) {
		h->reason(p->c, "[load] slo_complete_pct = %g: a percent 0..100", p->slo_complete_pct);
		return VS_ECONFIG;
	}
	return VS_OK;
}

int ld_shape_conf(struct ld *p)
{
	const struct vs_host *h = p->h;
	const char *stages = vs_popt_str(h, p->c, "stages"), *mode = vs_popt_str(h, p->c, "mode"),
		   *arr = vs_popt_str(h, p->c, "arrival"), *faults = vs_popt_str(h, p->c, "faults");
	char err[300];
	double rate = -1;

	p->shape.kind = LD_BATCH;
	if (h->opt_double(p->c, "arrival_rate", &rate) < 0)
		return VS_ECONFIG;
	if (*mode && strcmp(mode, "capacity") && strcmp(mode, "load")) {
		h->reason(p->c, "[load] mode = %s: 'load' (the default) or 'capacity'", mode);
		return VS_ECONFIG;
	}
	p->capacity = !strcmp(mode, "capacity");
	if (p->capacity + (*stages != 0) + (rate >= 0) > 1) {
		h->reason(p->c, "[load] %s: one shape at a time (stages, arrival_rate or mode = capacity)",
			  p->capacity ? (*stages ? "mode = capacity with stages" : "mode = capacity with arrival_rate")
				      : "stages with arrival_rate");
		return VS_ECONFIG;
	}
	if (*stages && ld_stages_parse(stages, &p->shape, err, sizeof(err)) != 0) {
		h->reason(p->c, "%s", err);
		return VS_ECONFIG;
	}
	if (rate >= 0) {
		long long mif = p->concurrency;
		if (rate <= 0 || rate > 1000) {
			h->reason(p->c, "[load] arrival_rate = %g: calls per second, > 0 and <= 1000", rate);
			return VS_ECONFIG;
		}
		if (*arr && strcmp(arr, "poisson") && strcmp(arr, "constant")) {
			h->reason(p->c, "[load] arrival = %s: 'poisson' or 'constant'", arr);
			return VS_ECONFIG;
		}
		if (vs_popt_ms(h, p->c, "load", "duration", &p->shape.dur_ms))
			return VS_ECONFIG;
		if (vs_popt_str(h, p->c, "max_in_flight")[0] &&
		    vs_popt_int(h, p->c, "load", "max_in_flight", &mif, 1))
			return VS_ECONFIG;
		if (p->shape.dur_ms <= 0 || mif > 1000) {
			h->reason(p->c, "[load] duration = %lld ms, max_in_flight = %lld: duration > 0, at most 1000 in flight",
				  p->shape.dur_ms, mif);
			return VS_ECONFIG;
		}
		p->shape.kind = LD_ARRIVAL;
		p->shape.rate = rate;
		p->shape.poisson = strcmp(arr, "constant") != 0;
		p->shape.max_in_flight = (int)mif;
	}
	if (p->capacity && capacity_conf(p) != VS_OK)
		return VS_ECONFIG;
	if (*faults && ld_faults_parse(faults, 0, p, err, sizeof(err)) != 0) {
		h->reason(p->c, "%s", err);
		return VS_ECONFIG;
	}
	return fits_timeout(p);
}

/* A shape that cannot end within the plugin's own timeout is refused now,
 * not killed by the core later. */
static int fits_timeout(struct ld *p)
{
	const char *tv = p->h->conf ? p->h->conf(p->c, "load", "timeout") : NULL;
	long long t = tv ? ld_dur_parse(tv) : -1, need;
	const char *what;

	if (t <= 0)
		return VS_OK;
	if (p->capacity) {
		need = p->cap_budget_ms + p->cap_hold_ms;
		what = "capacity_budget + capacity_hold";
	} else if (p->shape.kind != LD_BATCH) {
		need = p->shape.dur_ms;
		what = p->shape.kind == LD_STAGES ? "the stages" : "duration";
	} else {
		return VS_OK;
	}
	if (need > t) {
		p->h->reason(p->c, "[load] %s last %lld s, more than [load] timeout = %s: raise the timeout", what, need / 1000,
			     tv);
		return VS_ECONFIG;
	}
	return VS_OK;
}

int ld_shape_peak(const struct ld *p)
{
	if (p->capacity)
		return (int)p->cap_max;
	if (p->shape.kind == LD_STAGES)
		return ld_stage_max(&p->shape);
	if (p->shape.kind == LD_ARRIVAL)
		return p->shape.max_in_flight;
	return (int)p->concurrency;
}
