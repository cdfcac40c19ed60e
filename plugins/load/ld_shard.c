/* load plugin: this shard's slice of the batch (vstress run --shard I/N,
 * docs/scale-out.md).  The N slices together are the unsharded batch: the
 * same calls (call g goes to shard g % N + 1), the same scripts per call,
 * the same intended start times (g * ramp), concurrency divided. */
#include "load.h"

#include <stdlib.h>

/* Of `total` things dealt round-robin to n shards, how many shard i gets. */
static long long share(long long total, int i, int n)
{
	return total / n + ((long long)(i - 1) < total % n ? 1 : 0);
}

long long ld_shard_global(const struct ld *p, size_t i)
{
	return (long long)(p->shard_i - 1) + (long long)i * p->shard_n;
}

int ld_shard_apply(struct ld *p)
{
	struct vs_call_script **own;
	size_t k;

	p->shard_i = p->shard_n = 1;
	if (VS_HOST_HAS(p->h, shard))
		p->h->shard(p->c, &p->shard_i, &p->shard_n);
	if (p->shard_n < 1 || p->shard_i < 1 || p->shard_i > p->shard_n)
		p->shard_i = p->shard_n = 1;
	p->total_calls = p->ncalls;
	p->total_concurrency = p->concurrency;
	p->total_ramp_ms = p->ramp_ms;
	p->offset_ms = 0;
	if (p->shard_n == 1)
		return VS_OK;
	p->ncalls = share(p->total_calls, p->shard_i, p->shard_n);
	if (!p->ncalls) {
		p->h->reason(p->c, "shard %d/%d has no call of the %lld (calls < shards)", p->shard_i, p->shard_n,
			     p->total_calls);
		return VS_SKIP;
	}
	p->concurrency = share(p->total_concurrency, p->shard_i, p->shard_n);
	if (p->concurrency < 1)
		p->concurrency = 1;
	p->ramp_ms = p->total_ramp_ms * p->shard_n;
	p->offset_ms = p->total_ramp_ms * (p->shard_i - 1);
	/* local call j is global call (I-1) + j*N, which plays script
	 * ((I-1) + j*N) % n: periodic in j with a period dividing n */
	own = calloc(p->nscripts, sizeof(*own));
	if (!own)
		return VS_ERROR;
	for (k = 0; k < p->nscripts; k++)
		own[k] = p->scripts[(size_t)ld_shard_global(p, k) % p->nscripts];
	/* the scripts stay owned by p->scripts (freed there); the batch plays own */
	p->shard_scripts = own;
	return VS_OK;
}
