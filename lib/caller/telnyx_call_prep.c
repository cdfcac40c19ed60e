/* What a Telnyx call checks before it starts (the config, the signing
 * key) and the judgement of an XML answer to call.initiated under
 * call_control: used by the call flow (lib/caller/callflow.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telnyx_call_int.h"
#include "vstress/crypto/b64.h"
#include "vstress/telnyx/texml.h"

/* The key the target must accept (GOOD, STALE) or another one (FORGED). */
int tc_load_key(struct tc *t, char *err, size_t errlen)
{
	uint8_t seed[VS_ED25519_SEED_LEN];
	const char *s = t->cfg->signing_seed_b64;
	enum vs_tcall_signature sig = t->cfg->signature;

	if (sig == VS_SIG_NONE)
		return 0;
	if (sig == VS_SIG_FORGED) {
		for (size_t i = 0; i < sizeof(seed); i += 8) {
			uint64_t v = vs_splitmix64(&t->rng);
			memcpy(seed + i, &v, 8);
		}
	} else if (!s || !*s || vs_b64_decode(s, strlen(s), seed, sizeof(seed)) != (long)sizeof(seed)) {
		snprintf(err, errlen, "signing seed missing or not 32 bytes of base64");
		return -1;
	}
	if (vs_ed25519_from_seed(&t->key, seed) != 0) {
		snprintf(err, errlen, "bad signing seed");
		return -1;
	}
	t->have_key = 1;
	return 0;
}

/* call.initiated answered with XML: what the TeXML parser makes of it. */
void tc_judge_texml(struct vs_tcall_result *out, const char *body, size_t len)
{
	struct vs_texml_doc d;
	char err[200], verbs[260];

	if (!len || !vs_texml_looks_xml(body, len))
		return;
	if (vs_texml_parse(body, len, NULL, &d, err, sizeof(err)) != 0) {
		snprintf(out->texml, sizeof(out->texml), "agent answered the webhook with XML that is not usable TeXML: %s",
			 err);
	} else {
		vs_texml_describe(&d, verbs, sizeof(verbs));
		snprintf(out->texml, sizeof(out->texml),
			 "agent answered with TeXML (%s); this run expects call_control (set [target] telephony = "
			 "texml or auto)",
			 d.n ? verbs : "an empty <Response>");
	}
	vs_texml_free(&d);
}

int tc_check_cfg(const struct vs_tcall_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg->webhook_url || !*cfg->webhook_url) {
		snprintf(err, errlen, "webhook_url is required");
		return -1;
	}
	if (!cfg->control_url || !*cfg->control_url) {
		snprintf(err, errlen, "control_url is required");
		return -1;
	}
	return 0;
}


void tc_result_init(struct vs_tcall_result *out)
{
	memset(out, 0, sizeof(*out));
	out->media.first_reply_ms = -1;
	out->speak_ended_ms = out->agent_hangup_ms = -1;
}
