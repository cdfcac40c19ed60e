/* b64, Ed25519 (RFC 8032 vectors), Telnyx webhook envelopes and signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/crypto/b64.h"
#include "vstress/crypto/ed25519.h"
#include "vstress/crypto/scrub.h"
#include "vstress/telnyx/telnyx_event.h"

static void hex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void test_b64(void **state)
{
	static const char *vec[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
				       {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
				       {"foobar", "Zm9vYmFy"}};
	char enc[32];
	uint8_t dec[32];
	(void)state;
	for (size_t i = 0; i < 7; i++) {
		size_t n = strlen(vec[i][0]);

		assert_int_equal(vs_b64_encode(vec[i][0], n, enc, sizeof(enc)), (long)strlen(vec[i][1]));
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(vs_b64_decode(vec[i][1], strlen(vec[i][1]), dec, sizeof(dec)), (long)n);
		assert_memory_equal(dec, vec[i][0], n);
	}
	assert_int_equal(vs_b64_decode("Zm9v", 4, dec, 2), -1);   /* cap */
	assert_int_equal(vs_b64_decode("Zm9*", 4, dec, 32), -1);  /* bad char */
	assert_int_equal(vs_b64_decode("Z", 1, dec, 32), -1);     /* 1 mod 4 */
	assert_int_equal(vs_b64_decode("Zm=", 3, dec, 32), -1);   /* bad padding */
	assert_int_equal(vs_b64_decode("Zh==", 4, dec, 32), -1);  /* non-canonical bits */
	assert_int_equal(vs_b64_decode("====", 4, dec, 32), -1);
	assert_int_equal(vs_b64_encode("abc", 3, enc, 4), -1);
}

/* The bit-at-a-time decoder b64.c had before its four-at-a-time one: the
 * reference the fast one must agree with, on every input and cap. */
static int ref_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static long ref_decode(const char *in, size_t len, uint8_t *o, size_t cap)
{
	size_t n = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((pad && (len + pad) % 4 != 0) || len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = ref_val(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			o[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)n;
}

static void test_b64_agrees(void **state)
{
	static const char pool[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=A*\"\x80 ";
	unsigned seed = 12345;
	char in[64], enc[128];
	uint8_t a[64], b[64], raw[48];
	(void)state;
	for (int t = 0; t < 50000; t++) {
		size_t len = (seed = seed * 1103515245u + 12345u) >> 16 & 31, cap = (seed >> 8) % 26;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly the alphabet, sometimes '=', a bad byte or a space */
			in[i] = pool[(seed >> 16) % (seed & 0x100 ? 64 : sizeof pool - 1)];
		}
		long ra = ref_decode(in, len, a, cap), rb = vs_b64_decode(in, len, b, cap);

		assert_int_equal(rb, ra);
		if (ra > 0)
			assert_memory_equal(a, b, (size_t)ra);
	}
	for (size_t n = 0; n <= sizeof raw; n++) { /* every length round-trips */
		for (size_t i = 0; i < n; i++)
			raw[i] = (uint8_t)(i * 37 + n);
		long e = vs_b64_encode(raw, n, enc, sizeof enc);

		assert_int_equal(e, (long)vs_b64_enc_len(n));
		assert_int_equal(ref_decode(enc, (size_t)e, a, sizeof a), (long)n);
		assert_int_equal(vs_b64_decode(enc, (size_t)e, b, sizeof b), (long)n);
		assert_memory_equal(a, raw, n);
		assert_memory_equal(b, raw, n);
	}
}

/* RFC 8032 section 7.1, TEST 1 and TEST 2. */
static void test_ed25519_rfc8032(void **state)
{
	static const struct {
		const char *sk, *pk, *msg, *sig;
	} v[] = {
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		 "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint8_t sk[32], pk[32], sig[64], got[64], msg[8];
		size_t mlen = strlen(v[i].msg) / 2;
		struct vs_ed25519_key k;

		hex(v[i].sk, sk, 32);
		hex(v[i].pk, pk, 32);
		hex(v[i].sig, sig, 64);
		hex(v[i].msg, msg, mlen);
		assert_int_equal(vs_ed25519_from_seed(&k, sk), 0);
		assert_memory_equal(k.pub, pk, 32);
		assert_int_equal(vs_ed25519_sign(&k, msg, mlen, got), 0);
		assert_memory_equal(got, sig, 64);
		assert_int_equal(vs_ed25519_verify(pk, msg, mlen, sig), 1);
		sig[10] ^= 1;
		assert_int_equal(vs_ed25519_verify(pk, msg, mlen, sig), 0);
	}
}

static void test_ed25519_b64(void **state)
{
	struct vs_ed25519_key k;
	char pub[VS_ED25519_PUB_B64_LEN + 1], sig[VS_ED25519_SIG_B64_LEN + 1];
	(void)state;
	assert_int_equal(vs_ed25519_generate(&k), 0);
	assert_int_equal(vs_ed25519_pub_b64(&k, pub), 0);
	assert_int_equal(strlen(pub), 44);
	assert_int_equal(vs_ed25519_sign_b64(&k, "hello", 5, sig), 0);
	assert_int_equal(strlen(sig), 88);
	assert_int_equal(vs_ed25519_verify_b64(pub, "hello", 5, sig), 1);
	assert_int_equal(vs_ed25519_verify_b64(pub, "hellO", 5, sig), 0);
	assert_int_equal(vs_ed25519_verify_b64("AAAA", "hello", 5, sig), 0);
	assert_int_equal(vs_ed25519_verify_b64(pub, "hello", 5, "not base64!"), 0);
}

static json_t *load(const char *body)
{
	json_error_t e;
	json_t *j = json_loads(body, 0, &e);

	assert_non_null(j);
	return j;
}

static const char *jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static void test_envelopes(void **state)
{
	struct vs_telnyx_call c;
	struct vs_ed25519_key k;
	uint64_t rng = 42;
	char pub[64];
	static const struct {
		enum vs_telnyx_ev ev;
		const char *name;
		const char *field, *value;
	} evs[] = {
		{VS_TEV_CALL_INITIATED, "call.initiated", "state", "parked"},
		{VS_TEV_CALL_ANSWERED, "call.answered", "state", "answered"},
		{VS_TEV_CALL_HANGUP, "call.hangup", "hangup_cause", "normal_clearing"},
		{VS_TEV_STREAMING_STARTED, "streaming.started", "stream_url", "ws://127.0.0.1:9/media"},
		{VS_TEV_STREAMING_STOPPED, "streaming.stopped", "stream_url", "ws://127.0.0.1:9/media"},
		{VS_TEV_DTMF_RECEIVED, "call.dtmf.received", "digit", "5"},
	};
	(void)state;
	assert_int_equal(vs_ed25519_generate(&k), 0);
	assert_int_equal(vs_ed25519_pub_b64(&k, pub), 0);
	vs_telnyx_call_init(&c, &rng, NULL, "+13125550100");
	c.stream_url = "ws://127.0.0.1:9/media";
	assert_int_equal(strncmp(c.call_control_id, "v3:", 3), 0);
	assert_int_equal(strlen(c.call_control_id), 57);
	assert_int_equal(strlen(c.call_leg_id), 36);
	assert_int_equal(c.from[0], '+');
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		struct vs_telnyx_event_opts o = {.digit = "5", .delivered_to = "http://127.0.0.1/webhook", .attempt = 2};
		char *body = vs_telnyx_event_build(evs[i].ev, &c, &o, &rng);
		struct vs_telnyx_headers h;
		json_t *j, *data, *payload;

		assert_non_null(body);
		j = load(body);
		data = json_object_get(j, "data");
		payload = json_object_get(data, "payload");
		assert_string_equal(jstr(data, "event_type", NULL), evs[i].name);
		assert_string_equal(jstr(data, "record_type", NULL), "event");
		assert_int_equal(strlen(jstr(data, "id", NULL)), 36);
		assert_int_equal(strlen(jstr(data, "occurred_at", NULL)), 27);
		assert_string_equal(jstr(payload, "call_control_id", NULL), c.call_control_id);
		assert_string_equal(jstr(payload, "call_leg_id", NULL), c.call_leg_id);
		assert_string_equal(jstr(payload, "call_session_id", NULL), c.call_session_id);
		assert_string_equal(jstr(payload, "connection_id", NULL), c.connection_id);
		assert_true(json_is_null(json_object_get(payload, "client_state")));
		assert_string_equal(jstr(payload, evs[i].field, NULL), evs[i].value);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "meta"), "attempt")), 2);
		assert_string_equal(jstr(j, "meta", "delivered_to"), "http://127.0.0.1/webhook");
		if (evs[i].ev == VS_TEV_CALL_INITIATED) {
			assert_string_equal(jstr(payload, "direction", NULL), "incoming");
			assert_string_equal(jstr(payload, "to", NULL), "+13125550100");
			assert_string_equal(jstr(payload, "offered_codecs", NULL), "PCMU,G729");
		}
		if (evs[i].ev == VS_TEV_CALL_HANGUP) {
			assert_string_equal(jstr(payload, "hangup_source", NULL), "caller");
			assert_string_equal(jstr(payload, "sip_hangup_cause", NULL), "200");
			assert_non_null(json_object_get(payload, "call_quality_stats"));
		}
		if (evs[i].ev == VS_TEV_CALL_ANSWERED)
			assert_int_equal(json_integer_value(json_object_get(payload, "sampling_rate")), 8000);
		/* signature over "timestamp|body", verified by verify() */
		assert_int_equal(vs_telnyx_sign_headers(&k, 0, body, strlen(body), &h), 0);
		assert_int_equal(vs_telnyx_verify(pub, h.timestamp, body, strlen(body), h.signature, 0, 300), 1);
		/* tampered body, other timestamp, stale timestamp: rejected */
		body[strlen(body) - 2] ^= 1;
		assert_int_equal(vs_telnyx_verify(pub, h.timestamp, body, strlen(body), h.signature, 0, 300), 0);
		body[strlen(body) - 2] ^= 1;
		assert_int_equal(vs_telnyx_verify(pub, "1", body, strlen(body), h.signature, 0, 0), 0);
		assert_int_equal(vs_telnyx_verify(pub, h.timestamp, body, strlen(body), h.signature,
						  atoll(h.timestamp) + 301, 300),
				 0);
		assert_int_equal(vs_telnyx_verify(pub, h.timestamp, body, strlen(body), h.signature,
						  atoll(h.timestamp) - 301, 300),
				 0);
		json_decref(j);
		free(body);
	}
	/* fixed signing payload: sign "1700000000|{}" and verify by hand */
	{
		struct vs_telnyx_headers h;

		assert_int_equal(vs_telnyx_sign_headers(&k, 1700000000, "{}", 2, &h), 0);
		assert_string_equal(h.timestamp, "1700000000");
		assert_int_equal(vs_ed25519_verify_b64(pub, "1700000000|{}", 13, h.signature), 1);
	}
}

static void test_uuid_replayable(void **state)
{
	uint64_t a = 7, b = 7;
	char u1[37], u2[37];
	(void)state;
	vs_uuid4(u1, &a);
	vs_uuid4(u2, &b);
	assert_string_equal(u1, u2);
	assert_int_equal(u1[14], '4');
	assert_true(strchr("89ab", u1[19]) != NULL);
}

static void test_scrub(void **state)
{
	char out[64];
	(void)state;
	/* every occurrence, the length written */
	assert_int_equal(vs_scrub("user:s3cret@h s3cret.", "s3cret", 3, out, sizeof out), 15);
	assert_string_equal(out, "user:***@h ***.");
	/* short secrets and no secret leave the text alone */
	vs_scrub("a b a", "a", 3, out, sizeof out);
	assert_string_equal(out, "a b a");
	vs_scrub("text", NULL, 3, out, sizeof out);
	assert_string_equal(out, "text");
	/* cut to the buffer, never past it */
	assert_int_equal(vs_scrub("x password", "password", 3, out, 6), 5);
	assert_string_equal(out, "x ***");
	assert_int_equal(vs_scrub("abc", "zz", 1, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64), cmocka_unit_test(test_b64_agrees),       cmocka_unit_test(test_ed25519_rfc8032), cmocka_unit_test(test_ed25519_b64),
		cmocka_unit_test(test_envelopes), cmocka_unit_test(test_uuid_replayable), cmocka_unit_test(test_scrub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
