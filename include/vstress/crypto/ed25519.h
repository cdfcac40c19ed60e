/* Ed25519 through OpenSSL (EVP_PKEY_ED25519), in Telnyx's encoding:
 * public key = base64 of the raw 32 bytes, signature = base64 of 64 bytes,
 * over the bytes "<timestamp>|<raw body>". */
#ifndef VSTRESS_UTIL_ED25519_H
#define VSTRESS_UTIL_ED25519_H
#include <stddef.h>
#include <stdint.h>

#define VS_ED25519_PUB_LEN 32
#define VS_ED25519_SEED_LEN 32
#define VS_ED25519_SIG_LEN 64
#define VS_ED25519_PUB_B64_LEN 44 /* + NUL */
#define VS_ED25519_SIG_B64_LEN 88 /* + NUL */

struct vs_ed25519_key {
	uint8_t seed[VS_ED25519_SEED_LEN]; /* the RFC 8032 private key */
	uint8_t pub[VS_ED25519_PUB_LEN];
};

/* New random keypair (RAND_bytes); 0 or -1. */
int vs_ed25519_generate(struct vs_ed25519_key *k);
/* Keypair from a 32-byte seed (deterministic, RFC 8032 vectors); 0 or -1. */
int vs_ed25519_from_seed(struct vs_ed25519_key *k, const uint8_t seed[VS_ED25519_SEED_LEN]);
int vs_ed25519_sign(const struct vs_ed25519_key *k, const void *msg, size_t len,
		    uint8_t sig[VS_ED25519_SIG_LEN]);
/* 1 = valid, 0 = invalid, -1 = error (bad key). */
int vs_ed25519_verify(const uint8_t pub[VS_ED25519_PUB_LEN], const void *msg, size_t len,
		      const uint8_t sig[VS_ED25519_SIG_LEN]);
/* Base64 forms.  out must hold VS_ED25519_*_B64_LEN + 1 bytes. */
int vs_ed25519_pub_b64(const struct vs_ed25519_key *k, char out[VS_ED25519_PUB_B64_LEN + 1]);
int vs_ed25519_sign_b64(const struct vs_ed25519_key *k, const void *msg, size_t len,
			char out[VS_ED25519_SIG_B64_LEN + 1]);
/* 1 valid, 0 invalid (also malformed base64 or wrong lengths). */
int vs_ed25519_verify_b64(const char *pub_b64, const void *msg, size_t len, const char *sig_b64);

/* Telnyx webhook signature: sign / verify "<timestamp>|<body>".
 * vs_telnyx_verify also enforces |now - timestamp| <= tolerance_s when
 * tolerance_s > 0 (Telnyx SDK: 300); now == 0 means time(NULL).
 * Returns 1 valid, 0 invalid. */
int vs_telnyx_sign(const struct vs_ed25519_key *k, const char *timestamp, const char *body, size_t body_len,
		   char sig_b64[VS_ED25519_SIG_B64_LEN + 1]);
int vs_telnyx_verify(const char *pub_b64, const char *timestamp, const char *body, size_t body_len,
		     const char *sig_b64, long long now, long long tolerance_s);

#endif
