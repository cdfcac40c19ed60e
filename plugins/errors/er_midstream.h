/* errors plugin, the pipeline-failure scenarios (plan 6.3): a provider's
 * WebSocket fails mid-stream during a call.  Their options (one macro, so
 * er_conf.c's table gains one line). */
#ifndef VSTRESS_ER_MIDSTREAM_H
#define VSTRESS_ER_MIDSTREAM_H

#define ER_MIDSTREAM_OPTIONS                                                                                          \
	{"pipeline_script", VS_OPT_STRING, "conf.d/scripts/errors-pipeline.ini",                                     \
	 "the caller script of the pipeline-failure calls", 0},                                                       \
	{"pipeline_dead_air", VS_OPT_DURATION, "6s",                                                                 \
	 "check: the longest silence the caller sits in after a turn (until the agent speaks or hands off)", 0},     \
	{"pipeline_min_reply", VS_OPT_DURATION, "600ms",                                                             \
	 "check (continue scenarios): every reply carries at least this much speech (a reply cut after its first "  \
	 "chunk does not)",                                                                                          \
	 0},                                                                                                          \
	{"fallback_words", VS_OPT_STRING, "having trouble",                                                          \
	 "words of the agent's fallback message (case-insensitive), looked for in the TTS stand-ins' text and in "  \
	 "Call Control speak commands",                                                                              \
	 0},                                                                                                          \
	{"handoff_transfer", VS_OPT_BOOL, "true",                                                                    \
	 "check: a handoff scenario's call is transferred to the tenant's fallback_number", 0},                     \
	{"pipeline_error_sql", VS_OPT_STRING,                                                                        \
	 "SELECT count(*) FROM system_errors WHERE call_control_id = {call} AND occurred_at >= {since}",            \
	 "rows the agent wrote for the faulted call ({call}: its call_control_id; empty: not checked)", 0},         \
	{"pipeline_recover_within", VS_OPT_DURATION, "30s",                                                          \
	 "check: the fault removed (and its refuse_for over) -> a normal call within this", 0},                     \
	{"stt_loss_standin", VS_OPT_STRING, "stt_deepgram", "the STT stand-in that drops the stream", 0},           \
	{"stt_loss_fault", VS_OPT_STRING, "close:after_messages=2:close_code=1011:refuse_for=8s",                    \
	 "mid-utterance: the STT's socket closes 1011 after 2 messages, reconnects refused for 8 s", 0},            \
	{"stt_loss_expect", VS_OPT_STRING, "handoff", "handoff (fallback message + transfer) or continue", 0},      \
	{"tts_error_standin", VS_OPT_STRING, "tts_cartesia", "the TTS stand-in that errors mid-reply", 0},          \
	{"tts_error_fault", VS_OPT_STRING, "error:after_messages=1:status=500",                                      \
	 "Cartesia's error message after its first audio chunk", 0},                                                 \
	{"tts_error_expect", VS_OPT_STRING, "continue",                                                              \
	 "continue (the reply carries on through the fallback TTS) or handoff", 0},                                  \
	{"tts_stall_standin", VS_OPT_STRING, "tts_elevenlabs", "the TTS stand-in that stalls mid-reply", 0},        \
	{"tts_stall_fault", VS_OPT_STRING, "stall:after_messages=2", "two messages, then silence on an open socket", \
	 0},                                                                                                          \
	{"tts_stall_primary_fault", VS_OPT_STRING, "error:status=500",                                               \
	 "fault on tts_standin meanwhile, so the stalling (fallback) TTS voices the reply", 0},                     \
	{"tts_stall_expect", VS_OPT_STRING, "handoff", "handoff or continue", 0}

struct er;
/* Runs the pipeline-failure scenarios named in `which` (stt_loss,
 * tts_error, tts_stall). */
void er_midstream_scenarios(struct er *e, int which);
#define ER_MID_STT_LOSS 1
#define ER_MID_TTS_ERROR 2
#define ER_MID_TTS_STALL 4

#endif
