/* skeleton: what the probe (skeleton.c) and the stand-in (standin.c) share:
 * the toy provider's wire protocol.
 *
 *   POST {base_url}/v1/echo   body {"key": "<api key>", "text": "..."}
 *   200 {"echo": "<text>", "chars": <length of text>}
 *   401 {"error": {"message": "..."}}   no or empty key
 *   400 {"error": {"message": "..."}}   no "text" string
 *
 * Copying the folder for a new provider: rename skeleton/SKELETON in every
 * file, then replace the protocol with your provider's. */
#ifndef SKELETON_H
#define SKELETON_H

#include <vstress/plugin.h>
#include <vstress/world.h>

#define SKELETON_PATH "/v1/echo"

/* standin.c: the plugin's `world` hook */
int skeleton_standin(const struct vs_world *w, vs_wctx *wc);

#endif
