/* vs_world_main: loads the plugins, calls their world hooks, opens one
 * port per stand-in plus the control port, prints the URLs and serves until
 * SIGINT/SIGTERM. */
#include <dirent.h>
#include <dlfcn.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "world/internal.h"
#include "world/main.h"

static struct world *g_world;

static void on_signal(int sig)
{
	(void)sig;
	if (g_world)
		g_world->stop = 1;
}

static uint64_t hash_name(uint64_t seed, const char *s)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

vs_wctx *world_new_ctx(struct world *W, const char *name)
{
	vs_wctx *wc = calloc(1, sizeof *wc);
	vs_wctx **n = wc ? realloc(W->ctx, (W->nctx + 1) * sizeof *n) : NULL;
	if (!n) {
		free(wc);
		return NULL;
	}
	W->ctx = n;
	wc->W = W;
	snprintf(wc->name, sizeof wc->name, "%s", name);
	const char *us = strchr(name, '_');
	snprintf(wc->alias, sizeof wc->alias, "%s", us ? us + 1 : name);
	wc->rng = hash_name(W->faults.seed, name);
	W->ctx[W->nctx++] = wc;
	return wc;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int in_list(const char *list, const char *name)
{
	if (!list)
		return 1;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* dlopen every plugin of dir and run its world hook. */
static int load_plugins(struct world *W, const char *dir, const char *only, void ***handles, size_t *nh)
{
	DIR *d = opendir(dir);
	if (!d) {
		w_log(W, NULL, VS_LOG_ERROR, "cannot open plugin dir %s", dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 4 || strcmp(de->d_name + l - 3, ".so"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmpstr);
	for (size_t i = 0; i < n; i++) {
		char path[4096], base[256];
		snprintf(base, sizeof base, "%.*s", (int)(strlen(names[i]) - 3), names[i]);
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		free(names[i]);
		if (!in_list(only, base))
			continue;
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			w_log(W, base, VS_LOG_WARN, "dlopen: %s (check its libraries with ldd)", dlerror());
			continue;
		}
		const struct vs_plugin *p = dlsym(h, VS_PLUGIN_SYMBOL);
		size_t need = offsetof(struct vs_plugin, world) + sizeof p->world;
		if (!p || p->abi_version != VS_ABI_VERSION || p->struct_size < need || !p->world) {
			if (p && p->abi_version != VS_ABI_VERSION)
				w_log(W, base, VS_LOG_WARN, "ABI %u, want %u: rebuild it", p->abi_version, VS_ABI_VERSION);
			dlclose(h);
			continue;
		}
		void **nhd = realloc(*handles, (*nh + 1) * sizeof *nhd);
		if (!nhd) {
			dlclose(h);
			continue;
		}
		*handles = nhd;
		(*handles)[(*nh)++] = h;
		vs_wctx *wc = world_new_ctx(W, p->name ? p->name : base);
		if (!wc)
			continue;
		wc->in_hook = 1;
		int rc = p->world(&w_api, wc);
		wc->in_hook = 0;
		if (rc != VS_OK) {
			w_log(W, wc->name, VS_LOG_ERROR, "world hook failed (%d): stand-in not served", rc);
			continue;
		}
		int routes = 0;
		for (struct wroute *r = W->routes; r; r = r->next)
			routes += r->owner == wc;
		if (routes)
			wc->in_hook = 0, wc->err = wc->err; /* served: gets a listener below */
		else
			w_log(W, wc->name, VS_LOG_DEBUG, "no routes");
	}
	free(names);
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: vstress world [--plugin-dir DIR] [--config FILE|DIR]... [--port-base N]\n"
		    "                     [--urls-file PATH] [--only a,b] [--seed N] [--pg-upstream HOST:PORT] [-v]\n"
		    "Serves every plugin's stand-in on 127.0.0.1 until SIGINT/SIGTERM.\n");
}

int vs_world_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plugin-dir", required_argument, NULL, 'p'}, {"config", required_argument, NULL, 'c'},
		{"port-base", required_argument, NULL, 'b'},  {"urls-file", required_argument, NULL, 'u'},
		{"only", required_argument, NULL, 'o'},       {"seed", required_argument, NULL, 's'},
		{"pg-upstream", required_argument, NULL, 'g'}, {"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},             {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct world W;
	const char *plugin_dir = "build/plugins", *urls_file = NULL, *only = NULL, *pg = NULL;
	const char *seed_arg = NULL;
	long port_base = -1;
	void **handles = NULL;
	size_t nh = 0;
	int rc = 1, verbose = 0, quiet = 0;
	if (world_init(&W) < 0)
		return 1;
	W.api = &w_api;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "p:c:b:u:o:s:g:vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': plugin_dir = optarg; break;
		case 'c':
			if (wconf_load(&W.conf, optarg) < 0)
				goto out;
			break;
		case 'b': port_base = strtol(optarg, NULL, 10); break;
		case 'u': urls_file = optarg; break;
		case 'o': only = optarg; break;
		case 's': seed_arg = optarg; break;
		case 'g': pg = optarg; break;
		case 'v': verbose++; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); rc = 2; goto out;
		}
	}
	W.log_level = quiet ? VS_LOG_WARN : VS_LOG_INFO + verbose;
	const char *v;
	if (!seed_arg)
		seed_arg = wconf_get(&W.conf, "world", "seed");
	W.faults.seed = seed_arg ? strtoull(seed_arg, NULL, 10) : 1;
	if (port_base < 0)
		port_base = (v = wconf_get(&W.conf, "world", "port_base")) ? strtol(v, NULL, 10) : 0;
	if (!pg)
		pg = wconf_get(&W.conf, "world", "pg_upstream");
	char err[256];
	if (wfaults_from_conf(&W.faults, &W.conf, err, sizeof err) < 0) {
		w_log(&W, NULL, VS_LOG_ERROR, "%s", err);
		goto out;
	}
	if (world_control_register(&W) < 0 || load_plugins(&W, plugin_dir, only, &handles, &nh) < 0)
		goto out;
	if (world_listen(&W, port_base ? (int)port_base : 0, NULL, NULL) < 0)
		goto out;
	int k = 1;
	for (size_t i = 0; i < W.nctx; i++) {
		vs_wctx *wc = W.ctx[i];
		int routes = 0;
		for (struct wroute *r = W.routes; r; r = r->next)
			routes += r->owner == wc;
		if (!routes)
			continue;
		const char *pp = wconf_get(&W.conf, wc->name, "port");
		int port = pp ? atoi(pp) : port_base ? (int)port_base + k : 0;
		k++;
		if (world_listen(&W, port, wc, NULL) < 0)
			goto out;
	}
	if (pg && *pg) {
		char host[64] = "127.0.0.1";
		int up = 5432;
		const char *colon = strrchr(pg, ':');
		if (colon) {
			snprintf(host, sizeof host, "%.*s", (int)(colon - pg), pg);
			up = atoi(colon + 1);
		} else {
			up = atoi(pg);
		}
		const char *pgp = wconf_get(&W.conf, "world", "pg_port");
		int port = pgp ? atoi(pgp) : port_base ? (int)port_base + k : 0;
		if (world_pgproxy_listen(&W, port, host, up) < 0)
			goto out;
	}
	g_world = &W;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("vstress world: control %s\n", W.control_url);
	json_t *u = world_urls_json(&W);
	const char *name;
	json_t *s;
	json_object_foreach(json_object_get(u, "standins"), name, s)
	{
		if (json_object_get(s, "http"))
			printf("vstress world: %-14s %s %s\n", name, json_string_value(json_object_get(s, "http")),
			       json_string_value(json_object_get(s, "ws")));
		else
			printf("vstress world: %-14s tcp://%s -> %s\n", name, json_string_value(json_object_get(s, "addr")),
			       pg);
	}
	json_object_foreach(json_object_get(u, "env"), name, s)
	{
		if (json_is_string(s))
			printf("  %s=%s\n", name, json_string_value(s));
		else
			printf("  %s=%lld\n", name, (long long)json_integer_value(s));
	}
	json_decref(u);
	/* Test hook (tests/integration/test_interrupt.sh): hold readiness back
	 * so that a signal can land while the world is starting. */
	const char *hold = getenv("VSTRESS_WORLD_TEST_READY_DELAY_MS");
	if (hold && atoi(hold) > 0) {
		printf("vstress world: test hook: readiness delayed by %d ms (VSTRESS_WORLD_TEST_READY_DELAY_MS)\n",
		       atoi(hold));
		fflush(stdout);
		for (int waited = 0; waited < atoi(hold) && !W.stop; waited += 20)
			usleep(20000);
		if (W.stop)
			goto out;
	}
	if (urls_file && world_write_urls(&W, urls_file) < 0) {
		w_log(&W, NULL, VS_LOG_ERROR, "cannot write %s", urls_file);
		goto out;
	}
	printf("vstress world: ready\n");
	fflush(stdout);
	rc = world_run(&W) < 0 ? 1 : 0;
	w_log(&W, NULL, VS_LOG_INFO, "stopping");
out:
	g_world = NULL;
	world_free(&W);
	for (size_t i = 0; i < nh; i++)
		dlclose(handles[i]);
	free(handles);
	return rc;
}
