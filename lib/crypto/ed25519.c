/* Ed25519 via OpenSSL EVP (EVP_PKEY_ED25519), Telnyx encodings. */
#include "vstress/crypto/ed25519.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/crypto/b64.h"

int vs_ed25519_from_seed(struct vs_ed25519_key *k, const uint8_t seed[VS_ED25519_SEED_LEN])
{
	EVP_PKEY *pk = NULL;
	size_t len = VS_ED25519_PUB_LEN;
	int rc = -1;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, VS_ED25519_SEED_LEN);
	if (!pk)
		goto out;
	if (EVP_PKEY_get_raw_public_key(pk, k->pub, &len) != 1 || len != VS_ED25519_PUB_LEN)
		goto out;
	memcpy(k->seed, seed, VS_ED25519_SEED_LEN);
	rc = 0;
out:
	EVP_PKEY_free(pk);
	return rc;
}

int vs_ed25519_generate(struct vs_ed25519_key *k)
{
	uint8_t seed[VS_ED25519_SEED_LEN];
	int rc = -1;

	if (RAND_bytes(seed, sizeof(seed)) != 1)
		goto out;
	rc = vs_ed25519_from_seed(k, seed);
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

int vs_ed25519_sign(const struct vs_ed25519_key *k, const void *msg, size_t len, uint8_t sig[VS_ED25519_SIG_LEN])
{
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	size_t siglen = VS_ED25519_SIG_LEN;
	int rc = -1;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, VS_ED25519_SEED_LEN);
	md = EVP_MD_CTX_new();
	if (!pk || !md)
		goto out;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, pk) != 1)
		goto out;
	if (EVP_DigestSign(md, sig, &siglen, msg, len) != 1 || siglen != VS_ED25519_SIG_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return rc;
}

int vs_ed25519_verify(const uint8_t pub[VS_ED25519_PUB_LEN], const void *msg, size_t len,
		      const uint8_t sig[VS_ED25519_SIG_LEN])
{
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int rc = -1;

	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, VS_ED25519_PUB_LEN);
	md = EVP_MD_CTX_new();
	if (!pk || !md)
		goto out;
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1)
		goto out;
	rc = EVP_DigestVerify(md, sig, VS_ED25519_SIG_LEN, msg, len) == 1 ? 1 : 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return rc;
}

int vs_ed25519_pub_b64(const struct vs_ed25519_key *k, char out[VS_ED25519_PUB_B64_LEN + 1])
{
	return vs_b64_encode(k->pub, VS_ED25519_PUB_LEN, out, VS_ED25519_PUB_B64_LEN + 1) < 0 ? -1 : 0;
}

int vs_ed25519_sign_b64(const struct vs_ed25519_key *k, const void *msg, size_t len,
			char out[VS_ED25519_SIG_B64_LEN + 1])
{
	uint8_t sig[VS_ED25519_SIG_LEN];

	if (vs_ed25519_sign(k, msg, len, sig) != 0)
		return -1;
	return vs_b64_encode(sig, sizeof(sig), out, VS_ED25519_SIG_B64_LEN + 1) < 0 ? -1 : 0;
}

int vs_ed25519_verify_b64(const char *pub_b64, const void *msg, size_t len, const char *sig_b64)
{
	uint8_t pub[VS_ED25519_PUB_LEN + 3], sig[VS_ED25519_SIG_LEN + 3];

	if (!pub_b64 || !sig_b64)
		return 0;
	if (vs_b64_decode(pub_b64, strlen(pub_b64), pub, sizeof(pub)) != VS_ED25519_PUB_LEN)
		return 0;
	if (vs_b64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig)) != VS_ED25519_SIG_LEN)
		return 0;
	return vs_ed25519_verify(pub, msg, len, sig) == 1;
}

/* "<timestamp>|<body>" in a malloc'd buffer. */
static char *signed_payload(const char *timestamp, const char *body, size_t body_len, size_t *len)
{
	size_t tl = strlen(timestamp);
	char *p = malloc(tl + 1 + body_len + 1);

	if (!p)
		return NULL;
	memcpy(p, timestamp, tl);
	p[tl] = '|';
	memcpy(p + tl + 1, body, body_len);
	p[tl + 1 + body_len] = '\0';
	*len = tl + 1 + body_len;
	return p;
}

int vs_telnyx_sign(const struct vs_ed25519_key *k, const char *timestamp, const char *body, size_t body_len,
		   char sig_b64[VS_ED25519_SIG_B64_LEN + 1])
{
	size_t len = 0;
	char *p = signed_payload(timestamp, body, body_len, &len);
	int rc = -1;

	if (!p)
		goto out;
	rc = vs_ed25519_sign_b64(k, p, len, sig_b64);
out:
	free(p);
	return rc;
}

int vs_telnyx_verify(const char *pub_b64, const char *timestamp, const char *body, size_t body_len,
		     const char *sig_b64, long long now, long long tolerance_s)
{
	size_t len = 0;
	char *p = NULL;
	char *end = NULL;
	long long ts;
	int rc = 0;

	if (!timestamp || !*timestamp || !body)
		goto out;
	ts = strtoll(timestamp, &end, 10);
	if (!end || *end)
		goto out;
	if (tolerance_s > 0) {
		long long d;

		if (now == 0)
			now = (long long)time(NULL);
		d = now - ts;
		if (d > tolerance_s || d < -tolerance_s)
			goto out;
	}
	p = signed_payload(timestamp, body, body_len, &len);
	if (!p)
		goto out;
	rc = vs_ed25519_verify_b64(pub_b64, p, len, sig_b64);
out:
	free(p);
	return rc;
}
