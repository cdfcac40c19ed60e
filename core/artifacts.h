/* Merged artifacts of a run (core/artifacts.c). */
#ifndef VSTRESS_ARTIFACTS_H
#define VSTRESS_ARTIFACTS_H

#include "common.h"

/* spec: comma list of out=pattern (file names in dir, one '*' in pattern).
 * Each out becomes {"<what * matched>": <that file's JSON>, ...}; an
 * unparseable file is kept as {"error","file","line"}.  0, or -1 with err
 * (the other items are still merged). */
int vs_artifacts_merge(const char *dir, const char *spec, struct vs_err *err);

#endif
