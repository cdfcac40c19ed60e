/* The manifest reader (core/config.c): the input is one .ini file; every
 * entry is then read back interpolated (${VAR}, ${VAR:-default}, $$) under
 * a profile named by the input's first line, and the digest is taken. */
#include "fuzz.h"

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("VS_FZ_SET", "value-from-env", 1);
	setenv("VS_FZ_EMPTY", "", 1);
	return 0;
}

static int secret_cb(const char *section, const char *key, void *arg)
{
	(void)section;
	(void)arg;
	return strstr(key, "key") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], digest[80], prof[64] = "";
	struct vs_config c;
	struct vs_err err = {0};
	int fd;

	fd = fz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	/* "; profile NAME" on the first line picks the active profile */
	if (size > 10 && !memcmp(data, "; profile ", 10)) {
		size_t i = 0;
		while (i + 1 < sizeof prof && 10 + i < size && data[10 + i] != '\n')
			prof[i] = (char)data[10 + i], i++;
		prof[i] = '\0';
	}
	vs_config_init(&c);
	if (*prof) {
		free(c.profile);
		c.profile = vs_xstrdup(prof);
	}
	if (vs_config_load(&c, path, &err) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			struct vs_err e2 = {0};
			const char *v = vs_config_get(&c, c.e[i].section, c.e[i].key, &e2);
			int active = !c.e[i].profile || !strcmp(c.e[i].profile, c.profile);
			if (active && !v && !e2.set)
				abort(); /* an entry of an active section reads back */
			if (!vs_config_section(&c, c.e[i].section))
				abort(); /* its section was recorded */
		}
		vs_config_digest(&c, secret_cb, NULL, digest);
		if (strncmp(digest, "sha256:", 7))
			abort();
	} else if (!err.set || !strstr(err.msg, path)) {
		abort(); /* an error names the file */
	}
	/* the same text as one --set assignment */
	{
		char *s = fz_strndup(data, size > 512 ? 512 : size);
		struct vs_err e3 = {0};
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		vs_config_set(&c, s, &e3);
		free(s);
	}
	vs_config_free(&c);
	close(fd);
	return 0;
}
