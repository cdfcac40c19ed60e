/* api plugin: is the target's data scratch?  The cleanup route deletes
 * every expired session, also those of people who are not vstress: on a
 * database that is not scratch it is not called (docs/plugins/api.md). */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include <vstress/callphase/scratch.h>

int api_cleanup_allowed(struct api *a, char *why, size_t len)
{
	const char *url = a->h->opt(a->c, "db_url");
	const char *db_scratch = a->h->conf(a->c, "db", "scratch");
	const char *db_prod = a->h->conf(a->c, "db", "production");
	int allow = 0, setting = vs_scratch_setting(db_scratch), marked;
	char err[400];

	if (a->h->opt_bool(a->c, "allow_cleanup", &allow) < 0 || allow)
		return allow; /* a malformed value is reported as a config error */
	/* the db plugin's declaration about the same database wins */
	if (db_prod && vs_scratch_setting(db_prod) == VS_SCRATCH_YES)
		setting = VS_SCRATCH_NO;
	if (setting == VS_SCRATCH_YES)
		return 1;
	if (setting == VS_SCRATCH_NO) {
		snprintf(why, len, "[db] %s says the target's database is not scratch",
			 db_prod && vs_scratch_setting(db_prod) == VS_SCRATCH_YES ? "production = true" : "scratch = false");
		return 0;
	}
	marked = vs_scratch_marked(url, 5, err, sizeof(err));
	if (marked == 1)
		return 1;
	if (marked == 0)
		snprintf(why, len,
			 "the target's database ([api] db_url) is not one vstress started (no role vstress_scratch) and [db] "
			 "scratch is not true");
	else
		snprintf(why, len, "cannot tell whether the target's database is scratch ([api] db_url): %s", err);
	return 0;
}
