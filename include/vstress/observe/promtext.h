/* Reading a target's Prometheus text exposition (GET /metrics): the sum of
 * every series of a metric whose labels include a given set.  Enough for
 * gauges and counters; histograms are read through their _sum/_count. */
#ifndef VSTRESS_UTIL_PROMTEXT_H
#define VSTRESS_UTIL_PROMTEXT_H

#include <stddef.h>

/* Sum of the values of every series named `name` whose labels contain all
 * of `want` (a label list as in the exposition, e.g. `breaker="openai"` or
 * `provider="openai",error_class="auth"`; NULL or "" matches every series).
 * Returns the number of series that matched (0: the metric is absent, *sum
 * is 0); comments, malformed lines and NaN values are skipped. */
int vs_prom_sum(const char *text, const char *name, const char *want, double *sum);

#endif
