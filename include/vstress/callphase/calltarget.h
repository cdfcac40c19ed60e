/* What every call-placing plugin (pipeline, load, resources, errors) reads
 * the same way: the target's URLs, the world's control API and signing
 * seed, the target's PID, the caller and routed numbers and the test
 * tenant, with the option table rows that declare them and the skip
 * reasons when the target or the world is missing; what each holds from
 * setup to teardown (the call engine, the test tenant); the calls' common
 * configuration and the warm-up calls. */
#ifndef VSTRESS_CALLPHASE_CALLTARGET_H
#define VSTRESS_CALLPHASE_CALLTARGET_H

#include <stdint.h>
#include <sys/types.h>

#include "vstress/plugin.h"
#include "vstress/caller/telnyx_call.h"

/* The test tenant of the reference agent's tenants and phone_numbers. */
#define VS_TENANT_CREATE_SQL                                                                                \
	"WITH t AS (INSERT INTO tenants (name, fallback_number) VALUES ({name}, {fallback}) RETURNING id), "    \
	"n AS (INSERT INTO phone_numbers (number, tenant_id, fallback_number) SELECT {number}, id, {fallback} " \
	"FROM t) SELECT id FROM t"
#define VS_TENANT_REMOVE_SQL "DELETE FROM tenants WHERE id = {key}::bigint AND name LIKE '%' || {marker} || '%'"

/* Option rows, in the order a plugin's table lists them. */
#define VS_CALLOPT_TARGET(base_help)                                                   \
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL:-}", base_help, 0},             \
	{"webhook_path", VS_OPT_STRING, "/api/telnyx/webhook", "where Telnyx webhooks are POSTed", 0}, \
	VS_CALLOPT_TELEPHONY
/* How the agent answers ([target] telephony, texml_url, texml_method,
 * public_url, exported by the core as VSTRESS_TARGET_*). */
#define VS_CALLOPT_TELEPHONY                                                                                       \
	{"telephony", VS_OPT_STRING, "${VSTRESS_TARGET_TELEPHONY:-auto}",                                           \
	 "call_control, texml, or auto (call.initiated first; an answer in XML is followed as TeXML)", 0},          \
	{"texml_url", VS_OPT_STRING, "${VSTRESS_TARGET_TEXML_URL:-}",                                               \
	 "where TeXML is fetched: a URL or a path on base_url (unset: the webhook URL)", 0},                         \
	{"texml_method", VS_OPT_STRING, "${VSTRESS_TARGET_TEXML_METHOD:-POST}", "POST (form) or GET (query)", 0},   \
	{"public_url", VS_OPT_STRING, "${VSTRESS_TARGET_PUBLIC_URL:-}",                                              \
	 "the public prefix of the agent's stream URLs (wss://abc.ngrok.io), connected at ws(s)://<base_url host>", 0}
#define VS_CALLOPT_WORLD(control_help, pid_help)                                                \
	{"control_url", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL:-}", control_help, 0},               \
	{"signing_seed", VS_OPT_STRING, "${VSTRESS_TELNYX_SIGNING_SEED:-}",                          \
	 "the run's Ed25519 webhook signing seed, base64 (unset: skip)", VS_OPT_SECRET},             \
	{"target_pid", VS_OPT_INT, "${VSTRESS_TARGET_PID:-0}", pid_help, 0}
/* The call's own rows: how long the target may take to answer, the caller's
 * number and the target's database (vs_calltarget_read reads the last two;
 * db_url is a secret wherever it is declared). */
#define VS_CALLOPT_ANSWER \
	{"answer_timeout", VS_OPT_DURATION, "5s", "call.initiated -> the target's answer command", 0}
#define VS_CALLOPT_CALLER(number) {"caller_number", VS_OPT_STRING, number, "the caller (from)", 0}
#define VS_CALLOPT_DB(help) {"db_url", VS_OPT_STRING, "${DATABASE_URL:-}", help, VS_OPT_SECRET}
#define VS_CALLOPT_PROVISION                                                                                    \
	{"provision", VS_OPT_BOOL, "false",                                                                      \
	 "create a test tenant routing routed_number in setup, remove it in teardown (false: the number is routed " \
	 "already)",                                                                                             \
	 0}
#define VS_CALLOPT_TENANT(name, routed, fallback)                                                                    \
	{"tenant_name", VS_OPT_STRING, name, "test tenant name (the run marker is appended)", 0},                         \
	{"routed_number", VS_OPT_STRING, routed, "the dialled number (to), routed to the test tenant", 0},                \
	{"fallback_number", VS_OPT_STRING, fallback, "the test tenant's fallback transfer number", 0},                    \
	{"tenant_create_sql", VS_OPT_STRING, VS_TENANT_CREATE_SQL,                                                       \
	 "creates the tenant and its number; {name} {number} {fallback} {marker} are SQL literals; returns the key", 0}, \
	{"tenant_remove_sql", VS_OPT_STRING, VS_TENANT_REMOVE_SQL, "removes what create made; {key} {number} {marker}", 0}

struct vs_calltarget {
	const char *base_url;         /* "" when unset */
	char webhook_url[1024];       /* base_url + webhook_path */
	char metrics_url[1024];       /* base_url + metrics_path (vs_calltarget_path); "" when not read */
	const char *control_url, *signing_seed, *caller, *routed, *fallback, *db_url;
	pid_t pid;                    /* 0: not given */
	int provision;
	struct vs_tenant_cfg tcfg;    /* the test tenant, from the tenant_* options */
	struct vs_tcall_texml tel;    /* telephony and TeXML (pointers into the buffers below) */
	char texml_url[1024], local_url[256];
	/* from setup to teardown (vs_calltarget_open, vs_calltarget_close) */
	struct vs_call_engine *eng;   /* NULL: none */
	struct vs_tenant tenant;      /* created when provision */
};

/* The VS_CALLOPT_TELEPHONY options into tel (and its buffers), base_url
 * giving the local address public_url maps onto; 0, or -1 with the
 * host's reason naming the bad value. */
int vs_calltarget_telephony(const struct vs_host *h, vs_ctx *c, const char *base_url, const char *webhook_url,
			    struct vs_tcall_texml *tel, char *texml_url, size_t tlen, char *local_url, size_t llen);

/* Reads the options above and caller_number and db_url (every
 * call-placing plugin declares them); 0, or -1 when provision or target_pid
 * is malformed (the host's reason). */
int vs_calltarget_read(const struct vs_host *h, vs_ctx *c, struct vs_calltarget *t);
/* out = base_url + the path in option key (e.g. metrics_path, for a plugin
 * that declares it); "" when that path is empty. */
void vs_calltarget_path(const struct vs_host *h, vs_ctx *c, const struct vs_calltarget *t, const char *key, char *out,
			size_t len);
/* VS_OK when the target and the world are known; VS_SKIP with the reason
 * naming [section] otherwise.  no_control: what cannot happen without the
 * world's control API, e.g. "calls need the world (depends = world)". */
int vs_calltarget_skip(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_calltarget *t,
		       const char *no_control);

/* Attach mode ([target] mode = attach: VSTRESS_TARGET_MODE=attach): the
 * agent was not started by vstress, so its environment may not point at
 * the world.  vs_calltarget_skip logs what a phase needs from it; after a
 * call, vs_calltarget_attach_unmet returns VS_SKIP (reason set) when that
 * call shows a need unmet: the webhook refused as unsigned/forged (401/403:
 * its TELNYX_PUBLIC_KEY is not the run's key), or answered 2xx while the
 * world's telnyx stand-in saw no request at all (its TELNYX_API_BASE is not
 * the world).  VS_OK otherwise, and always when not attached. */
int vs_calltarget_attached(void);
int vs_calltarget_attach_unmet(const struct vs_host *h, vs_ctx *c, const char *control_url,
			       const struct vs_tcall_result *r);

/* A connection to the target's database (libpq's PGconn; 5 s connect
 * timeout), or NULL with err "cannot connect to the target's database: ..."
 * (or naming db_url when url is empty). */
struct pg_conn *vs_targetdb_open(const char *url, char *err, size_t errlen);
/* The first column of the first row of sql ($1..$n: params, never
 * spliced into the text) in the target's database as an integer (NULL:
 * 0); -1 with err (the server's message, or "no row returned"). */
long long vs_targetdb_value(const char *url, const char *sql, int nparams, const char *const *params, char *err,
			    size_t errlen);

/* Setup's last step, once the options are read: the call engine for
 * max_calls calls at once (TLS unverified: the world's stand-ins), then the
 * test tenant when t->provision (vs_popt_tenant).  VS_OK, or the error
 * with the reason. */
int vs_calltarget_open(const struct vs_host *h, vs_ctx *c, const char *section, int max_calls,
		       struct vs_calltarget *t);
/* Teardown: removes what vs_calltarget_open created and frees the engine
 * (NULL: none). */
void vs_calltarget_close(const struct vs_host *h, vs_ctx *c, struct vs_calltarget *t);

/* One call's configuration towards this target: the signed webhook (a good
 * signature), the world's control API, caller -> routed number, the answer
 * awaited answer_timeout_ms; seed makes its ids. */
struct vs_tcall_cfg vs_calltarget_call(const struct vs_calltarget *t, long long answer_timeout_ms, uint64_t seed);
/* n unmeasured calls of script, one at a time (pause_ms between them),
 * before the measured ones: a fresh agent's first call loads its models and
 * is no steady state.  Logged, attached as data.warmup, not checked.
 * Returns VS_OK, or VS_SKIP (reason set) when the first call shows an
 * attached agent missing what it needs (vs_calltarget_attach_unmet). */
int vs_calltarget_warm_up(const struct vs_host *h, vs_ctx *c, struct vs_call_engine *eng,
			  const struct vs_call_script *script, const struct vs_tcall_cfg *base, long long n,
			  long long pause_ms);
/* For a phase without warm-up calls: attached, one such unmeasured call
 * (vs_calltarget_warm_up with n = 1), so an agent that cannot take the
 * run's calls skips the phase naming what it lacks; launched, nothing. */
int vs_calltarget_attach_probe(const struct vs_host *h, vs_ctx *c, struct vs_call_engine *eng,
			       const struct vs_call_script *script, const struct vs_tcall_cfg *base);

#endif
