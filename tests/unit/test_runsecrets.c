/* Unit tests for core/runsecrets.c (issue 12): `vstress keygen` files are
 * written 0600 and never overwritten without force, read back to the same
 * key, and refused with file:line when loose, malformed or mismatched; the
 * errors never quote the key material. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsecrets.h"

static char dir[64], path[128];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/vs-rsec-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/telnyx.key", dir);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* The value of "key = " in path (static buffer). */
static const char *value(const char *key)
{
	static char v[128];
	char line[256];
	FILE *f = fopen(path, "r");

	v[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && sscanf(line + strlen(key), " = %127s", v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void rewrite(const char *from, const char *to)
{
	char buf[2048], cmd[400];
	FILE *f = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	char *hit;

	fclose(f);
	buf[n] = '\0';
	hit = strstr(buf, from);
	assert_non_null(hit);
	snprintf(cmd, sizeof(cmd), "%s", hit + strlen(from));
	snprintf(hit, sizeof(buf) - (size_t)(hit - buf), "%s%s", to, cmd);
	f = fopen(path, "w");
	fputs(buf, f);
	fclose(f);
	chmod(path, 0600);
}

static void generate_and_load(void **st)
{
	char pub[VS_ED25519_PUB_B64_LEN + 1], pub2[VS_ED25519_PUB_B64_LEN + 1], err[400];
	struct vs_ed25519_key k;
	struct stat sb;
	(void)st;

	assert_int_equal(vs_keyfile_generate(path, 0, pub, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_string_equal(value("public_key"), pub);
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), 0);
	assert_int_equal(vs_ed25519_pub_b64(&k, pub2), 0);
	assert_string_equal(pub, pub2);
	/* no overwrite without force; force replaces */
	assert_int_equal(vs_keyfile_generate(path, 0, pub2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(vs_keyfile_generate(path, 1, pub2, err, sizeof(err)), 0);
	assert_string_not_equal(pub, pub2);
}

static void refusals(void **st)
{
	char pub[VS_ED25519_PUB_B64_LEN + 1], err[400], seed[128];
	struct vs_ed25519_key k;
	(void)st;

	unlink(path);
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vstress keygen"));
	assert_int_equal(vs_keyfile_generate(path, 0, pub, err, sizeof(err)), 0);
	snprintf(seed, sizeof(seed), "%s", value("private_seed"));

	chmod(path, 0640);
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "looser than 0600"));
	chmod(path, 0600);

	rewrite("\npublic_key = ", "\npublic_key = A");
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":4: public_key does not belong to private_seed"));
	assert_null(strstr(err, seed));

	assert_int_equal(vs_keyfile_generate(path, 1, pub, err, sizeof(err)), 0);
	snprintf(seed, sizeof(seed), "%s", value("private_seed"));
	rewrite("\nprivate_seed = ", "\nprivate_seed = !!");
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":5: private_seed is not the base64 of 32 bytes"));
	assert_null(strstr(err, seed + 4));

	assert_int_equal(vs_keyfile_generate(path, 1, pub, err, sizeof(err)), 0);
	rewrite("\nprivate_seed = ", "\nprivat_seed = ");
	assert_int_equal(vs_keyfile_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":5: unknown key 'privat_seed'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_and_load),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
