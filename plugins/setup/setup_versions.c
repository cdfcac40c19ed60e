/* setup plugin: the Telnyx signing key, and the versions of vstress and of
 * every plugin found beside this one (read from their descriptors). */
#include "setup.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/crypto/b64.h>

void setup_telnyx(struct setup *s)
{
	char *key = setup_opt(s, "telnyx_public_key");
	unsigned char raw[64];
	long n;

	if (!key || !*key) {
		s->h->check(s->c, "telnyx.public_key", VS_CHECK_SKIP,
			    "VSTRESS_TELNYX_PUBLIC_KEY not set ([setup] telnyx_public_key): webhook signing checks will skip");
		goto out;
	}
	n = vs_b64_decode(key, strlen(key), raw, sizeof(raw));
	if (n == 32)
		s->h->check(s->c, "telnyx.public_key", VS_CHECK_PASS, "Ed25519 public key configured (base64 of 32 bytes)");
	else if (n < 0)
		s->h->check(s->c, "telnyx.public_key", VS_CHECK_FAIL, "Telnyx public key is not base64 (%zu chars)",
			    strlen(key));
	else
		s->h->check(s->c, "telnyx.public_key", VS_CHECK_FAIL,
			    "Telnyx public key decodes to %ld bytes, expected 32 (Ed25519)", n);
out:
	free(key);
}

/* The folder this plugin was loaded from. */
static int own_dir(char *out, size_t len)
{
	Dl_info info;
	const char *slash;

	if (!dladdr((void *)setup_versions, &info) || !info.dli_fname)
		return -1;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return snprintf(out, len, ".") < 0 ? -1 : 0;
	if ((size_t)(slash - info.dli_fname) >= len)
		return -1;
	memcpy(out, info.dli_fname, (size_t)(slash - info.dli_fname));
	out[slash - info.dli_fname] = '\0';
	return 0;
}

static void plugin_versions(struct setup *s, const char *dir, json_t *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];
		void *so;
		const struct vs_plugin *p;

		if (n < 4 || strcmp(de->d_name + n - 3, ".so"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		so = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
		if (!so) {
			s->h->log(s->c, VS_LOG_WARN, "version of %s: %s", de->d_name, dlerror());
			continue;
		}
		p = dlsym(so, VS_PLUGIN_SYMBOL);
		if (p && p->abi_version == VS_ABI_VERSION && p->struct_size >= offsetof(struct vs_plugin, description) &&
		    p->name && p->version)
			json_object_set_new(out, p->name, json_string(p->version));
		dlclose(so);
	}
	closedir(d);
}

void setup_versions(struct setup *s)
{
	char *dir = setup_opt(s, "plugin_dir"), here[PATH_MAX];
	json_t *v = json_object(), *plugins = json_object();

	if ((!dir || !*dir) && own_dir(here, sizeof(here)) == 0) {
		free(dir);
		dir = strdup(here);
	}
	if (dir && *dir)
		plugin_versions(s, dir, plugins);
	json_object_set_new(v, "vstress", json_string(VS_VERSION));
	json_object_set_new(v, "abi", json_integer(s->h->abi_version));
	json_object_set_new(v, "host_table_size", json_integer(s->h->size));
	json_object_set_new(v, "plugin_dir", json_string(dir ? dir : ""));
	/* facts for the report, not a verdict: nothing here could fail (issue 13) */
	s->h->log(s->c, VS_LOG_INFO, "vstress %s (ABI %u), %zu plugins in %s", VS_VERSION, s->h->abi_version,
		  json_object_size(plugins), dir && *dir ? dir : "(unknown folder)");
	json_object_set_new(v, "plugins", plugins);
	json_object_set_new(s->data, "versions", v);
	free(dir);
}
