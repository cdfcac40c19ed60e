#include "runsecrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vstress/crypto/b64.h>

#include "common.h"

int vs_keyfile_generate(const char *path, int force, char pub[VS_ED25519_PUB_B64_LEN + 1], char *err, size_t n)
{
	struct vs_ed25519_key k;
	char seed[64];
	int fd, ok;
	FILE *f;

	if (vs_ed25519_generate(&k) || vs_ed25519_pub_b64(&k, pub) ||
	    vs_b64_encode(k.seed, sizeof(k.seed), seed, sizeof(seed)) < 0) {
		snprintf(err, n, "cannot make an Ed25519 key pair");
		return -1;
	}
	if (force && unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, n, "%s: cannot replace: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, n, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (not overwritten; --force replaces it)" : "");
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "; Telnyx webhook signing key made by `vstress keygen`.  Private: keep it mode 0600.\n"
		   "; public_key is the form Telnyx's portal shows: give it to the agent as TELNYX_PUBLIC_KEY.\n"
		   "; [vstress] telnyx_key_file = this file makes vstress sign with private_seed.\n"
		   "public_key = %s\nprivate_seed = %s\n",
		pub, seed);
	ok = fflush(f) == 0 && fsync(fd) == 0;
	ok &= fclose(f) == 0;
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(&k, sizeof(k));
	if (!ok) {
		snprintf(err, n, "%s: write failed: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int vs_keyfile_load(const char *path, struct vs_ed25519_key *k, char *err, size_t n)
{
	char line[512], pub_given[VS_ED25519_PUB_B64_LEN + 8] = "", pub[VS_ED25519_PUB_B64_LEN + 1];
	uint8_t seed[64];
	int fd, lineno = 0, seed_line = 0, pub_line = 0, rc = -1;
	struct stat st;
	FILE *f;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, n, "%s: %s (make one with `vstress keygen %s`)", path, strerror(errno), path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, n, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, n, "%s: mode %04o is looser than 0600: others may read the signing key (chmod 600 %s)", path,
			 (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *key, *val;
		long len;

		lineno++;
		if (!*s || *s == ';' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, n, "%s:%d: expected key = value", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!strcmp(key, "private_seed")) {
			len = vs_b64_decode(val, strlen(val), seed, sizeof(seed));
			if (len != VS_ED25519_SEED_LEN) {
				snprintf(err, n, "%s:%d: private_seed is not the base64 of 32 bytes", path, lineno);
				goto out;
			}
			seed_line = lineno;
		} else if (!strcmp(key, "public_key")) {
			snprintf(pub_given, sizeof(pub_given), "%s", val);
			pub_line = lineno;
		} else {
			snprintf(err, n, "%s:%d: unknown key '%.40s' (expected public_key, private_seed)", path, lineno, key);
			goto out;
		}
	}
	if (!seed_line) {
		snprintf(err, n, "%s: no private_seed line", path);
		goto out;
	}
	if (vs_ed25519_from_seed(k, seed) || vs_ed25519_pub_b64(k, pub)) {
		snprintf(err, n, "%s:%d: private_seed is not a usable Ed25519 seed", path, seed_line);
		goto out;
	}
	if (pub_line && strcmp(pub, pub_given)) {
		snprintf(err, n, "%s:%d: public_key does not belong to private_seed (line %d)", path, pub_line, seed_line);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(line, sizeof(line));
	if (rc)
		explicit_bzero(k, sizeof(*k));
	fclose(f);
	return rc;
}

int vs_runsecrets_export(struct vs_config *cfg, char *err, size_t n)
{
	struct vs_err cerr = {0};
	const char *file = vs_config_get(cfg, "vstress", "telnyx_key_file", &cerr);
	struct vs_ed25519_key k;
	char pub[VS_ED25519_PUB_B64_LEN + 1], seed[64], tok[49];
	unsigned char raw[24];
	size_t i;

	if (cerr.set) {
		snprintf(err, n, "[vstress] telnyx_key_file: %s", cerr.msg);
		return -1;
	}
	if (file && *file) {
		if (vs_keyfile_load(file, &k, err, n))
			return -1;
	} else if (vs_ed25519_generate(&k)) { /* a fresh pair per run */
		snprintf(err, n, "cannot make the run's Ed25519 signing key");
		return -1;
	}
	if (vs_ed25519_pub_b64(&k, pub) || vs_b64_encode(k.seed, sizeof(k.seed), seed, sizeof(seed)) < 0) {
		snprintf(err, n, "cannot encode the signing key");
		return -1;
	}
	setenv("VSTRESS_TELNYX_PUBLIC_KEY", pub, 1);
	setenv("VSTRESS_TELNYX_SIGNING_SEED", seed, 1);
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(&k, sizeof(k));
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		snprintf(err, n, "getrandom: %s (no control token for the world)", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(tok + 2 * i, 3, "%02x", raw[i]);
	setenv("VSTRESS_WORLD_TOKEN", tok, 1);
	return 0;
}

int vs_runsecrets_withheld(const char *e)
{
	return !strncmp(e, "VSTRESS_TELNYX_SIGNING_SEED=", 28) || !strncmp(e, "VSTRESS_WORLD_TOKEN=", 20);
}
