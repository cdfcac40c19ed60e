/* Internals of vstress merge (core/merge.c, core/merge_plugin.c). */
#ifndef VS_MERGE_INT_H
#define VS_MERGE_INT_H

#include <jansson.h>
#include <stddef.h>

#include "results.h"

struct vs_mshard {
	char *dir;    /* the shard's results folder */
	char *file;   /* dir/test_summary.json */
	json_t *root; /* the summary */
	int index;    /* 1..count */
};

/* One plugin's entries across the shards (NULL where a shard has none). */
struct vs_mplugin {
	const char *name;
	json_t **e;  /* [nshards], borrowed */
	size_t nshards;
	const struct vs_mshard *shards;
};

/* The plugin entry took part in the shard's run (not "runs on shard 1 only"). */
int vs_merge_participates(const json_t *e);
/* Merge one plugin into res (initialised by the caller); copies and
 * concatenates its artifacts and log into out_dir.  0, or -1 with err
 * naming the shard's file and field. */
int vs_merge_plugin(const struct vs_mplugin *mp, struct vs_result *res, const char *out_dir, char *err,
		    size_t errlen);
/* out_dir/name from shards[pi[0..np)].dir/name: JSON documents become one
 * JSON array in shard order, other files are concatenated, each part after
 * a line naming its shard (a single part is copied as is). */
int vs_merge_concat(const struct vs_mshard *shards, const size_t *pi, size_t np, const char *name,
		    const char *out_dir);
/* A status name as a static string (results.h statuses), NULL if unknown. */
const char *vs_merge_status(const char *s);

#endif
