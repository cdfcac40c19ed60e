/* vs_world_main: takes the resolved configuration and the loaded plugins
 * from the core (world/main.h), calls their world hooks, opens one port per
 * stand-in plus the control port, prints the URLs and serves until
 * SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

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

/* Runs the world hook of every plugin the core handed over. */
static void run_hooks(struct world *W, const struct vs_world_setup *s)
{
	for (size_t i = 0; i < s->nplugins; i++) {
		const struct vs_plugin *p = s->plugins[i].desc;
		vs_wctx *wc = world_new_ctx(W, s->plugins[i].name);
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
		if (!routes)
			w_log(W, wc->name, VS_LOG_DEBUG, "no routes");
	}
}

/* "ADDR" or "ADDR:PORT" (IPv4) into addr and *port (-1: none); -1 on bad. */
static int parse_listen(const char *v, char *addr, size_t n, long *port)
{
	const char *colon = strrchr(v, ':');
	size_t alen = colon ? (size_t)(colon - v) : strlen(v);
	unsigned char probe[4];
	char *end;

	*port = -1;
	if (alen == 0 || alen >= n)
		return -1;
	snprintf(addr, n, "%.*s", (int)alen, v);
	if (inet_pton(AF_INET, addr, probe) != 1)
		return -1;
	if (colon) {
		*port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || *port < 0 || *port > 65535)
			return -1;
	}
	return 0;
}

/* [world] listen, public_url and pg_proxy_listen (docs/world.md). */
static int world_addr_conf(struct world *W, long *listen_port)
{
	const char *v = wconf_get(&W->conf, "world", "listen");
	long pgport;

	if (v && *v && parse_listen(v, W->bind_addr, sizeof W->bind_addr, listen_port) < 0) {
		w_log(W, NULL, VS_LOG_ERROR, "[world] listen = '%s': expected an IPv4 ADDR or ADDR:PORT", v);
		return -1;
	}
	v = wconf_get(&W->conf, "world", "pg_proxy_listen");
	if (v && *v && (parse_listen(v, W->pg_bind_addr, sizeof W->pg_bind_addr, &pgport) < 0 || pgport >= 0)) {
		w_log(W, NULL, VS_LOG_ERROR, "[world] pg_proxy_listen = '%s': expected an IPv4 ADDR (the port is pg_port)", v);
		return -1;
	}
	v = wconf_get(&W->conf, "world", "public_url");
	if (v && *v) {
		const char *host = strstr(v, "://");
		if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) || !host[3] || host[3] == '/' ||
		    strchr(host + 3, ':') || strlen(v) >= sizeof W->public_url) {
			w_log(W, NULL, VS_LOG_ERROR,
			      "[world] public_url = '%s': expected http(s)://HOST with no port (each stand-in's port is added)", v);
			return -1;
		}
		snprintf(W->public_url, sizeof W->public_url, "%s", v);
	}
	return 0;
}

int vs_world_main(const struct vs_world_setup *setup)
{
	struct world W;
	const char *urls_file = setup->urls_file, *pg = setup->pg_upstream, *seed_arg = setup->seed;
	long port_base = setup->port_base;
	int rc = 1;
	if (world_init(&W) < 0)
		return 1;
	W.api = &w_api;
	for (size_t i = 0; i < setup->nconf; i++)
		if (wconf_add(&W.conf, setup->conf[i].section, setup->conf[i].key, setup->conf[i].value) < 0)
			goto out;
	W.log_level = setup->verbose < 0 ? VS_LOG_WARN : VS_LOG_INFO + setup->verbose;
	const char *v;
	if (!seed_arg)
		seed_arg = wconf_get(&W.conf, "world", "seed");
	W.faults.seed = seed_arg ? strtoull(seed_arg, NULL, 10) : 1;
	long listen_port = -1;
	char terr[160];
	if (world_addr_conf(&W, &listen_port) < 0)
		goto out;
	if (world_token_init(&W, terr, sizeof terr) < 0) {
		w_log(&W, NULL, VS_LOG_ERROR, "%s", terr);
		goto out;
	}
	if (port_base < 0 && listen_port >= 0)
		port_base = listen_port; /* [world] listen = ADDR:PORT: control on PORT, stand-ins on PORT+1... */
	if (port_base < 0)
		port_base = (v = wconf_get(&W.conf, "world", "port_base")) ? strtol(v, NULL, 10) : 0;
	if (!pg)
		pg = wconf_get(&W.conf, "world", "pg_upstream");
	char err[256];
	if (wfaults_from_conf(&W.faults, &W.conf, err, sizeof err) < 0) {
		w_log(&W, NULL, VS_LOG_ERROR, "%s", err);
		goto out;
	}
	if (world_control_register(&W) < 0)
		goto out;
	run_hooks(&W, setup);
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

	printf("vstress world: control %s (bearer token: %s)\n", W.control_url,
	       W.token_generated ? (urls_file ? "in the URLs file" : "none given; control API unusable")
				 : "VSTRESS_WORLD_TOKEN");
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
	return rc;
}
