/* Processes that escape their process group (setsid, a double fork) are
 * still vstress's descendants: as a child subreaper, vstress inherits them
 * when their parent dies, and kills those left at the end of a run. */
#ifndef VS_REAP_H
#define VS_REAP_H

#include <stddef.h>

/* Become the subreaper of everything started from here on. */
void vs_reap_init(void);
/* SIGKILL and reap every child of ours still alive (none should be: the
 * runner and the services wait for theirs), repeatedly, as killed ones'
 * children are reparented to us.  Their "name(pid)" go to names (comma
 * separated, cut to len); returns how many. */
int vs_reap_strays(char *names, size_t len);

#endif
