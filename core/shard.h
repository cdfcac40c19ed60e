/* Shards: `vstress run --shard I/N` runs the I-th of N deterministic slices
 * of the plugins that divide their calls ([vstress] shard_split, default
 * "load"); the others run on shard 1 only unless --shard-all or
 * [vstress] shard_all = true (docs/scale-out.md). */
#ifndef VS_SHARD_H
#define VS_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"

#define VS_SHARD_MAX 1024
#define VS_SHARD_SKIP_REASON "runs on shard 1 only"

/* "I/N", 1 <= I <= N <= VS_SHARD_MAX: 0, or -1 with err. */
int vs_shard_parse(const char *s, int *index, int *count, char *err, size_t errlen);
/* The plugin divides its calls across the shards ([vstress] shard_split). */
int vs_shard_splits(const struct vs_run *run, const char *plugin);
/* The plugin does not run on this shard: sharded, not split, not shard 1,
 * not --shard-all. */
int vs_shard_skips(const struct vs_run *run, const char *plugin);
/* "split", "shard1" or "every": how the plugin ran in a sharded run; NULL
 * when the run is not sharded. */
const char *vs_shard_mode(const struct vs_run *run, const char *plugin);
/* The seed of shard index (1-based) of a run: the run's seed itself for 1
 * of 1, else mixed with the index (deterministic). */
uint64_t vs_shard_seed(uint64_t run_seed, int index, int count);

#endif
