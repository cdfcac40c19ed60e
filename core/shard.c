#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"

int vs_shard_parse(const char *s, int *index, int *count, char *err, size_t errlen)
{
	char *end;
	long i, n;

	errno = 0;
	i = s ? strtol(s, &end, 10) : 0;
	if (!s || end == s || *end != '/' || errno)
		goto bad;
	s = end + 1;
	n = strtol(s, &end, 10);
	if (end == s || *end || errno)
		goto bad;
	if (n < 1 || n > VS_SHARD_MAX || i < 1 || i > n) {
		snprintf(err, errlen, "--shard %ld/%ld: need 1 <= I <= N <= %d", i, n, VS_SHARD_MAX);
		return -1;
	}
	*index = (int)i;
	*count = (int)n;
	return 0;
bad:
	snprintf(err, errlen, "--shard '%s' is not I/N (e.g. 2/3)", s ? s : "");
	return -1;
}

int vs_shard_splits(const struct vs_run *run, const char *plugin)
{
	struct vs_err err = {0};
	const char *v = vs_config_get(run->cfg, "vstress", "shard_split", &err);
	char *copy, *tok, *save;
	int hit = 0;

	if (!v)
		v = "load";
	copy = vs_xstrdup(v);
	for (tok = strtok_r(copy, ", ", &save); tok && !hit; tok = strtok_r(NULL, ", ", &save))
		hit = !strcmp(tok, plugin);
	free(copy);
	return hit;
}

int vs_shard_skips(const struct vs_run *run, const char *plugin)
{
	return run->shard_count > 1 && run->shard_index != 1 && !run->shard_all && !vs_shard_splits(run, plugin);
}

const char *vs_shard_mode(const struct vs_run *run, const char *plugin)
{
	if (run->shard_count < 1)
		return NULL;
	if (vs_shard_splits(run, plugin))
		return "split";
	return run->shard_all ? "every" : "shard1";
}

uint64_t vs_shard_seed(uint64_t run_seed, int index, int count)
{
	uint64_t z;

	if (count <= 1)
		return run_seed;
	/* splitmix64 of (seed, index): distinct, replayable per shard */
	z = run_seed + 0x9e3779b97f4a7c15ull * (uint64_t)index;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) & 0x7fffffffffffffffull;
}
