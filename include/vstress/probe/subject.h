/* Whom a direct provider probe judges.  Pointed at a real provider (live),
 * its checks are about the system under test's provider; pointed at one of
 * the world's stand-ins (hermetic), every figure it measures is the
 * stand-in's own configuration (its latency, its transcript, its scripted
 * reply), a self-check of vstress: subject harness (docs/results-schema.md). */
#ifndef VSTRESS_PROBE_SUBJECT_H
#define VSTRESS_PROBE_SUBJECT_H

#include "vstress/plugin.h"

/* 1 when url starts with a base URL one of the world's stand-ins serves
 * (an environment variable VSTRESS_WORLD_<NAME>_HTTP or _WS of this run),
 * else 0. */
int vs_probe_at_standin(const char *url);

/* Sets the subject of the calling thread's checks for the rest of the
 * plugin from where url points (harness at a stand-in, else target), logs
 * the choice, and returns the subject set. */
int vs_probe_subject(const struct vs_host *h, vs_ctx *c, const char *url);

#endif
