/* vstress merge OUT_DIR SHARD_DIR...: the results of the N shards of one
 * run (vstress run --shard I/N) merged exactly into one results folder
 * (docs/scale-out.md). */
#ifndef VS_MERGE_H
#define VS_MERGE_H

/* args: OUT_DIR SHARD_DIR...; returns the exit code: 0 the merged run
 * passed, 1 it failed, 2 usage or refused shards (a message on stderr). */
int vs_merge_main(int nargs, char **args, int verbose);

#endif
