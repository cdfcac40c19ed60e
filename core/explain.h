/* vstress --explain: the slowest caller turns' waterfalls of a results
 * folder as a text table (docs/waterfall.md). */
#ifndef VSTRESS_EXPLAIN_H
#define VSTRESS_EXPLAIN_H

#include <stdio.h>

#define VS_EXPLAIN_TOP 10 /* turns in the table */

/* Prints to f the `top` slowest turns of every phase that recorded
 * waterfalls in dir/test_summary.json, and each phase's per-stage
 * percentiles.  0, or -1 with err ("FILE:LINE:COL: ..." on bad JSON). */
int vs_explain(FILE *f, const char *dir, int top, char *err, size_t errlen);

#endif
