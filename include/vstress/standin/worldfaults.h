/* The one client of the world's faults (docs/world.md "Faults"), for every
 * `faults =`-style option.  One syntax: a comma-separated list of keyed
 * specs "kind[:param=value]...", e.g.
 *   error:status=429:rate=0.5, close:after_messages=3, stall:rate=0.1
 * (numbers stay numbers; a value holds no ',' or ':').  Installed through
 * the world's control API (POST /_vstress/faults) and removed after. */
#ifndef VSTRESS_UTIL_WORLDFAULTS_H
#define VSTRESS_UTIL_WORLDFAULTS_H

#include <stddef.h>

typedef struct json_t json_t;

/* One spec to a fault object for target; NULL with err naming the spec and
 * the field when malformed (no kind, an unknown kind, not param=value, a
 * rate outside 0..1, a count that is not a whole number). */
json_t *vs_wfault_parse(const char *spec, const char *target, char *err, size_t errlen);
/* Comma-separated specs to a JSON array (empty for none), or NULL with err. */
json_t *vs_wfaults_parse(const char *specs, const char *target, char *err, size_t errlen);
/* Installs an array of fault objects: 0 with *ids (a JSON array of the
 * world's ids, for vs_wfaults_remove), or -1 with err. */
int vs_wfaults_post(const char *control, json_t *faults, json_t **ids, char *err, size_t errlen);
/* vs_wfaults_parse, then vs_wfaults_post. */
int vs_wfaults_install(const char *control, const char *target, const char *specs, json_t **ids, char *err,
		       size_t errlen);
/* Deletes the faults in ids (NULL is fine) and frees ids; returns how many
 * could not be deleted. */
int vs_wfaults_remove(const char *control, json_t *ids);
/* Splits a comma-separated list: trimmed, empty items skipped.  Returns the
 * count; *items is one malloc'd block (free(*items)). */
size_t vs_split_list(const char *list, char ***items);
/* 1 when item is one of the list's items (as vs_split_list splits it). */
int vs_list_has(const char *list, const char *item);

#endif
