/* Results of a simulated Telnyx call: copy, JSON, clear, command counts. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "telnyx_call_int.h"
#include "vstress/caller/telnyx_call.h"

static int dup_arr(void **dst, const void *src, size_t n, size_t sz)
{
	*dst = NULL;
	if (!n || !src)
		return 0;
	*dst = malloc(n * sz);
	if (!*dst)
		return -1;
	memcpy(*dst, src, n * sz);
	return 0;
}

int tc_copy_media(struct vs_call_result *dst, const struct vs_call_result *src)
{
	int rc = 0;

	vs_call_result_clear(dst);
	*dst = *src;
	rc |= dup_arr((void **)&dst->turns, src->turns, src->nturns, sizeof(*src->turns));
	rc |= dup_arr((void **)&dst->gaps, src->gaps, src->ngaps, sizeof(*src->gaps));
	rc |= dup_arr((void **)&dst->false_triggers, src->false_triggers, src->nfalse, sizeof(*src->false_triggers));
	rc |= dup_arr((void **)&dst->barges, src->barges, src->nbarges, sizeof(*src->barges));
	rc |= dup_arr((void **)&dst->segs, src->segs, src->nsegs, sizeof(*src->segs));
	rc |= dup_arr((void **)&dst->backchannels, src->backchannels, src->nbackchannels, sizeof(*src->backchannels));
	rc |= dup_arr((void **)&dst->heard, src->heard, src->nheard, sizeof(*src->heard));
	if (rc) {
		vs_call_result_clear(dst);
		return -1;
	}
	return 0;
}

void vs_tcall_result_clear(struct vs_tcall_result *r)
{
	if (!r)
		return;
	vs_call_result_clear(&r->media);
	json_decref(r->commands);
	r->commands = NULL;
	json_decref(r->texml_log);
	r->texml_log = NULL;
}

int vs_tcall_count_action(const struct vs_tcall_result *r, const char *action, const json_t **body_out)
{
	size_t i;
	json_t *c;
	int n = 0;

	if (body_out)
		*body_out = NULL;
	json_array_foreach(r->commands, i, c) {
		const char *a = json_string_value(json_object_get(c, "action"));
		if (!a || strcmp(a, action) != 0)
			continue;
		if (!n && body_out)
			*body_out = json_object_get(c, "body");
		n++;
	}
	return n;
}

json_t *vs_tcall_result_json(const struct vs_tcall_result *r)
{
	json_t *j = json_pack("{s:s,s:i,s:f,s:s,s:i,s:b,s:f,s:s,s:b,s:b,s:s,s:b,s:O?,s:s}", "call_control_id",
			      r->call_control_id, "webhook_status", r->webhook_status, "webhook_ms", r->webhook_ms,
			      "webhook_body", r->webhook_body, "replay_status", r->replay_status, "answered", r->answered,
			      "answer_ms", r->answered ? r->answer_ms : -1.0, "stream_url", r->stream_url,
			      "media_started", r->media_started, "agent_hangup", r->agent_hangup, "hangup_source",
			      r->hangup_source, "media_stopped", r->media_stopped, "commands", r->commands, "error",
			      r->error);
	if (j && r->webhook_problem[0])
		json_object_set_new(j, "webhook_problem", json_string(r->webhook_problem));
	if (j && r->texml[0])
		json_object_set_new(j, "texml", json_string(r->texml));
	if (j && r->telephony[0])
		json_object_set_new(j, "telephony", json_string(r->telephony));
	if (j && r->stream_url_local[0] && strcmp(r->stream_url_local, r->stream_url) != 0)
		json_object_set_new(j, "stream_url_local", json_string(r->stream_url_local));
	if (j && r->texml_problem[0])
		json_object_set_new(j, "texml_problem", json_string(r->texml_problem));
	if (j && r->texml_log)
		json_object_set_new(j, "texml_log", json_incref(r->texml_log));
	if (j && r->media_started)
		json_object_set_new(j, "media", vs_call_result_json(&r->media));
	return j;
}
