/* Scratch databases: where vstress may write rows, or make the agent delete
 * data it did not get from vstress.  A cluster that scripts/pg-throwaway.sh
 * started carries the role vstress_scratch (its mark); any other database
 * is scratch only when the manifest says so ([db] scratch = true). */
#ifndef VSTRESS_CALLPHASE_SCRATCH_H
#define VSTRESS_CALLPHASE_SCRATCH_H

#include <stddef.h>

/* One row, one boolean column: does this cluster carry the mark? */
#define VS_SCRATCH_SQL "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vstress_scratch')"

/* 1 marked, 0 not, -1 cannot tell (connection or query failed: err says
 * why, without the URL's password). */
int vs_scratch_marked(const char *db_url, int connect_timeout_s, char *err, size_t errlen);

/* A `scratch` setting: "auto" (or NULL/empty), "true", "false" (also
 * yes/no/1/0/on/off).  VS_SCRATCH_* or -1 when it is none of them. */
enum { VS_SCRATCH_AUTO = 0, VS_SCRATCH_YES = 1, VS_SCRATCH_NO = 2 };
int vs_scratch_setting(const char *v);

#endif
