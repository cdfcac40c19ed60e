/* Telnyx webhook events (lib/telnyx/telnyx_event.c): the caller-controlled
 * strings of an event (numbers, client_state, stream URL, direction, ids,
 * DTMF digit, hangup cause, delivered_to) come from the input's lines; every
 * event type is built, must parse back as the documented envelope, and is
 * signed as a delivery would be. */
#include "fuzz.h"

#include <jansson.h>

#include "vstress/crypto/ed25519.h"
#include "vstress/telnyx/telnyx_event.h"

#define NF 10

static struct vs_ed25519_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[VS_ED25519_SEED_LEN] = {1, 2, 3};
	(void)argc;
	(void)argv;
	if (vs_ed25519_from_seed(&key, seed) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *f[NF] = {0}, *p;
	struct vs_telnyx_call c;
	uint64_t rng = 42;
	int nf = 0;

	if (size > 16 * 1024)
		return 0;
	text = fz_strndup(data, size);
	for (p = text; nf < NF && p; nf++) {
		f[nf] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
#define F(i) (nf > (i) && *f[i] ? f[i] : NULL)
	vs_telnyx_call_init(&c, &rng, F(0), F(1));
	c.client_state = F(2);
	c.stream_url = F(3);
	c.direction = F(4);
	struct vs_telnyx_event_opts o = {
		.event_id = F(5), .occurred_at = F(6), .digit = F(7), .hangup_cause = F(8), .delivered_to = F(9),
		.attempt = size ? data[0] % 5 : 0,
	};
	for (int ev = VS_TEV_CALL_INITIATED; ev <= VS_TEV_DTMF_RECEIVED; ev++) {
		char *body = vs_telnyx_event_build((enum vs_telnyx_ev)ev, &c, &o, &rng);
		if (!body)
			continue; /* e.g. a string that is not UTF-8: no event */
		json_error_t je;
		json_t *j = json_loads(body, 0, &je);
		const char *name = json_string_value(json_object_get(json_object_get(j, "data"), "event_type"));
		if (!j || !name || strcmp(name, vs_telnyx_event_name((enum vs_telnyx_ev)ev)))
			abort(); /* what we send is the envelope we document */
		json_decref(j);
		struct vs_telnyx_headers h;
		if (vs_telnyx_sign_headers(&key, 1700000000, body, strlen(body), &h) != 0 || !h.signature[0])
			abort();
		free(body);
	}
	free(text);
	return 0;
}
