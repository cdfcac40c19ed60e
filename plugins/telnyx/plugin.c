/* telnyx: descriptor.  The probe (probe*.c) places whole simulated Telnyx
 * calls against the target (stress-test plan Phase 9); the world hook serves
 * the Telnyx Call Control stand-in (standin.c). */
#include "probe.h"
#include "standin.h"
#include "vstress/callphase/calltarget.h"

#define SYSERR_SQL                                                                                   \
	"SELECT count(*) FROM system_errors WHERE component = 'llm' AND error_class = 'all_providers_failed'" \
	" AND occurred_at >= {since}::timestamptz"

const struct vs_option tprobe_options[] = {
	/* stand-in (read by the world) */
	{"api_key", VS_OPT_STRING, NULL, "stand-in: the accepted key (unset: any Bearer key)", VS_OPT_SECRET},
	{"strict_calls", VS_OPT_BOOL, "false", "stand-in: unknown call_control_id answers 422 90015", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
	/* probe */
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL}", "the target's base URL", 0},
	{"webhook_path", VS_OPT_STRING, "/api/telnyx/webhook", "the target's Telnyx webhook path", 0},
	VS_CALLOPT_TELEPHONY,
	{"control_url", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL:-}", "the world's control API (Call Control observed there)", 0},
	{"signing_seed", VS_OPT_STRING, "${VSTRESS_TELNYX_SIGNING_SEED:-}", "base64 Ed25519 seed the target's TELNYX_PUBLIC_KEY belongs to", VS_OPT_SECRET},
	VS_CALLOPT_DB("the target's database (tenant provisioning, system_errors)"),
	{"provision", VS_OPT_BOOL, "false", "create a test tenant for routed_number in setup, remove it in teardown", 0},
	{"tenant_name", VS_OPT_STRING, "vstress telnyx probe", "test tenant name (the run marker is appended)", 0},
	{"tenant_create_sql", VS_OPT_STRING, VS_TENANT_CREATE_SQL, "{number} {fallback} {name} {marker} -> one row: the key", 0},
	{"tenant_remove_sql", VS_OPT_STRING, VS_TENANT_REMOVE_SQL, "{key} {number} {marker}", 0},
	{"routed_number", VS_OPT_STRING, "+15550100001", "a number the target routes to a tenant", 0},
	{"fallback_number", VS_OPT_STRING, "+15550100099", "that number's fallback transfer number", 0},
	{"unknown_number", VS_OPT_STRING, "+15550100404", "a number the target does not know", 0},
	VS_CALLOPT_CALLER("+15557650001"),
	{"webhook_within", VS_OPT_DURATION, "2s", "call.initiated must be answered 2xx within this (Telnyx: 2 s)", 0},
	{"answer_within", VS_OPT_DURATION, "5s", "call.initiated -> answer command", 0},
	{"reject_wait", VS_OPT_DURATION, "1500ms", "how long a rejected webhook is watched for an answer", 0},
	{"first_reply_within", VS_OPT_DURATION, "5s", "stream start -> the agent's greeting", 0},
	{"not_configured_phrase", VS_OPT_STRING, "This number is not configured.", "unknown number: the speak payload", 0},
	{"fallback_phrase", VS_OPT_STRING,
	 "I'm sorry, I'm having trouble right now. Let me transfer you to someone who can help.",
	 "the target's FALLBACK_MESSAGE (logged; matched when spoken through Call Control speak)", 0},
	{"script", VS_OPT_STRING, "conf.d/scripts/telnyx-basic.ini", "caller script of the healthy call", 0},
	{"fallback_script", VS_OPT_STRING, "conf.d/scripts/telnyx-fallback.ini",
	 "caller script of the fallback call (the agent's speech after the question is the fallback)", 0},
	{"fallback_reply_step", VS_OPT_INT, "3", "fallback_script: the [step.N] wait_reply that must hear the fallback", 0},
	{"llm_fault_targets", VS_OPT_LIST, "openai,gemini,anthropic", "fallback: world stand-ins made to fail", 0},
	{"llm_fault", VS_OPT_STRING, "error:status=500", "fallback: the fault installed on each (worldfaults spec)", 0},
	{"system_errors_sql", VS_OPT_STRING, SYSERR_SQL,
	 "fallback: counts the error rows; {since} = the database's now() at setup, {call_control_id}", 0},
	{"errors_wait", VS_OPT_DURATION, "5s", "fallback: how long to wait for the error row", 0},
	{"stream_url_prefix", VS_OPT_STRING, "", "answer stream_url must start with this (default ws(s)://<base_url host:port>/)", 0},
	{"transfer_script", VS_OPT_STRING, "conf.d/scripts/telnyx-transfer.ini",
	 "callcontrol: the caller asks for a person (the agent must transfer to fallback_number)", 0},
	{"goodbye_script", VS_OPT_STRING, "conf.d/scripts/telnyx-goodbye.ini",
	 "callcontrol: the caller says goodbye and stays on the line (the agent must hang up)", 0},
	{"checks", VS_OPT_LIST, "webhook,unknown,signature,replay,fallback",
	 "groups to run: webhook (answer, media, greeting), unknown, signature, replay, fallback, "
	 "callcontrol (transfer, hangup, speak payloads and effects)", 0},
	{0},
};

VS_PLUGIN(.name = "telnyx", .version = "0.2.0",
	  .description = "Telnyx: simulated calls against the target's webhook + media stream (Phase 9); Call Control stand-in",
	  .options = tprobe_options, .setup = tprobe_setup, .run = tprobe_run, .teardown = tprobe_teardown,
	  .world = telnyx_standin, .secrets = (const char *const[]){"TELNYX_API_KEY", NULL});
