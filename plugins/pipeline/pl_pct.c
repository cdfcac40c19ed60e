/* pipeline plugin: the nearest-rank percentile every figure of the phase
 * uses (pipeline.h), in a file of its own so that the check files need not
 * call one another. */
#include <math.h>

#include "pipeline.h"

double pl_pct(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}
