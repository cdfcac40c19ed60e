/* World faults for probes: compact specs "kind[:param=value]..." (e.g.
 * "error:status=429:rate=0.5", "close:after_messages=3") installed through
 * the world's control API (POST /_vstress/faults) and removed after. */
#ifndef VSTRESS_UTIL_WORLDFAULTS_H
#define VSTRESS_UTIL_WORLDFAULTS_H

#include <stddef.h>

typedef struct json_t json_t;

/* One spec to a fault object for target (numbers stay numbers); NULL and
 * err set when malformed. */
json_t *vs_wfault_parse(const char *spec, const char *target, char *err, size_t errlen);
/* Comma-separated specs: installs them all.  0 with *ids (a JSON array of
 * the world's ids, to pass to vs_wfaults_remove), or -1 with err. */
int vs_wfaults_install(const char *control, const char *target, const char *specs, json_t **ids, char *err,
		       size_t errlen);
/* Deletes the faults in ids (NULL is fine) and frees ids. */
void vs_wfaults_remove(const char *control, json_t *ids);
/* Splits a comma-separated list: trimmed, empty items skipped.  Returns the
 * count; *items is one malloc'd block (free(*items)). */
size_t vs_split_list(const char *list, char ***items);

#endif
