/* The world's event bus: what stand-ins publish (calls answered, commands,
 * transcripts, faults drawn) kept in order with a sequence number, and handed
 * to every subscriber as it is published.  The control API's long-polls are
 * one such subscriber (world/control.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world/internal.h"

#define W_MAX_EVENTS 20000 /* the oldest go first */

uint64_t world_publish(struct world *W, const char *topic, json_t *ev)
{
	uint64_t seq = W->next_seq++;
	json_t *e = json_pack("{s:I,s:s,s:I,s:o}", "seq", (json_int_t)seq, "topic", topic, "time_ms",
			      (json_int_t)(w_now_ms() - W->started_ms), "data", ev ? ev : json_object());
	if (!e)
		return 0;
	json_array_append_new(W->events, e);
	if (json_array_size(W->events) > W_MAX_EVENTS)
		json_array_remove(W->events, 0);
	for (size_t i = 0; i < W->nsubs; i++)
		if (!strcmp(W->subs[i].topic, "*") || !strcmp(W->subs[i].topic, topic))
			W->subs[i].fn(W->subs[i].arg, seq, topic, json_object_get(e, "data"));
	return seq;
}

int world_subscribe(struct world *W, const char *topic, vs_event_cb fn, void *arg)
{
	if (!fn)
		return -1;
	struct wsub *n = realloc(W->subs, (W->nsubs + 1) * sizeof *n);
	if (!n)
		return -1;
	W->subs = n;
	snprintf(n[W->nsubs].topic, sizeof n[W->nsubs].topic, "%s", topic ? topic : "*");
	n[W->nsubs].fn = fn;
	n[W->nsubs].arg = arg;
	W->nsubs++;
	return 0;
}
