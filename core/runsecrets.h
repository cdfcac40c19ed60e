/* The run's secrets (issue 12): the Ed25519 key that signs its Telnyx
 * webhooks and the bearer token of the world's control API.
 *
 * Key file (`vstress keygen FILE`), mode 0600, INI-like:
 *   public_key   = base64 of the raw 32-byte public key (as Telnyx's portal shows it)
 *   private_seed = base64 of the 32-byte RFC 8032 seed
 * Neither value is ever printed by these functions; errors name the file
 * and line, never the material. */
#ifndef VS_RUNSECRETS_H
#define VS_RUNSECRETS_H

#include <stddef.h>

#include <vstress/crypto/ed25519.h>

#include "config.h"

/* A new key pair written to path (O_EXCL; force: replace an existing file).
 * pub gets the public key.  0, or -1 with err. */
int vs_keyfile_generate(const char *path, int force, char pub[VS_ED25519_PUB_B64_LEN + 1], char *err, size_t n);
/* Reads and checks a key file: a regular file, no group/other permission,
 * both lines present and the public key the seed's.  0, or -1 with err. */
int vs_keyfile_load(const char *path, struct vs_ed25519_key *k, char *err, size_t n);
/* Sets VSTRESS_TELNYX_PUBLIC_KEY / VSTRESS_TELNYX_SIGNING_SEED from
 * [vstress] telnyx_key_file (a fresh pair per run when unset) and
 * VSTRESS_WORLD_TOKEN (fresh per run).  0, or -1 with err. */
int vs_runsecrets_export(struct vs_config *cfg, char *err, size_t n);
/* Is NAME=... an entry the target must not inherit? */
int vs_runsecrets_withheld(const char *env_entry);

#endif
