/* vstress: command line. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "artifacts.h"
#include "config.h"
#include "pacer.h"
#include "plan.h"
#include "reap.h"
#include "registry.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "runner.h"
#include "services.h"
#include "merge.h"
#include "shard.h"
#include "worldcfg.h"
#include "runsecrets.h"
#include "explain.h"

#define EXIT_PASS 0
#define EXIT_CHECKS 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 3

#include "world/main.h"


struct cli {
	const char *cmd;
	const char **configs;
	size_t nconfigs;
	const char **sets;
	size_t nsets;
	const char **plugin_dirs;
	size_t ndirs;
	const char *profile;
	const char *results;
	const char *seed;
	const char *timeout;
	char **only;
	char **skip;
	int no_deps, strict, no_fork, verbose;
	const char *arg; /* describe NAME */
	const char *shard; /* --shard I/N */
	int shard_all;
	char **args; /* merge OUT_DIR SHARD_DIR... */
	int nargs;
	/* world only */
	const char *urls_file, *port_base, *pg_upstream, *resolved;
	int force; /* keygen only */
	int explain; /* --explain: the slowest turns' waterfalls (after run, or of a results folder) */
};

static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vstress [options] COMMAND\n"
		"\n"
		"commands:\n"
		"  run                 run the selected plugins, write results/<run-id>/test_summary.json\n"
		"                      and report.html\n"
		"  list                discovered plugins, versions, dependencies, enabled or not and why\n"
		"  describe PLUGIN     a plugin's options, defaults and help\n"
		"  check-config        validate the manifest and print the run order\n"
		"  world               start the stand-in world alone and print its URLs (the manifest and\n"
		"                      plugins found as for run; every plugin with a stand-in is served)\n"
		"  keygen FILE         write a Telnyx signing key pair to FILE (mode 0600; --force replaces);\n"
		"                      prints the public key ([vstress] telnyx_key_file = FILE signs with it)\n"
		"  merge OUT SHARD...  merge the results folders of a sharded run into OUT (docs/scale-out.md)\n"
		"  report DIR          (re)write DIR/report.html from DIR/test_summary.json\n"
		"  explain DIR         the slowest caller turns' latency waterfalls of a results folder\n"
		"                      (also: vstress --explain DIR; vstress run --explain prints them after the run)\n"
		"\n"
		"options:\n"
		"  -c, --config DIR|FILE   manifest (repeatable; default ./conf.d); later overrides earlier\n"
		"  -s, --set SEC.KEY=VAL   override one manifest value (repeatable)\n"
		"  -P, --plugin-dir DIR    search DIR for plugins first (repeatable; also VSTRESS_PLUGIN_PATH)\n"
		"  -p, --profile NAME      overlay [section:NAME] sections (default: [vstress] profile or hermetic)\n"
		"      --only A,B          run only these (and their dependencies unless --no-deps)\n"
		"      --skip X,Y          do not run these; their dependents are skipped\n"
		"      --no-deps           with --only: do not pull in dependencies\n"
		"  -r, --results DIR       results root (default: [vstress] results_dir or ./results)\n"
		"      --seed N            seed for every random choice (default: time based, recorded)\n"
		"      --timeout DUR       default per-plugin timeout (default 300s)\n"
		"      --strict            skipped plugins fail the run\n"
		"      --no-fork           run plugins in-process (for gdb); no deadline enforcement\n"
		"      --explain           run: print the slowest caller turns' waterfalls after the run\n"
		"      --shard I/N         run the I-th of N slices of the calls ([vstress] shard_split plugins);\n"
		"                          the other plugins run on shard 1 only\n"
		"      --shard-all         with --shard: the other plugins run (whole) on every shard\n"
		"  -v, --verbose           more output (-vv: debug); -q, --quiet: only the verdict\n"
		"world options:\n"
		"      --urls-file PATH    write the stand-ins' URLs there (.json, else KEY=VALUE lines)\n"
		"      --port-base N       control on N, stand-ins on N+1... (default [world] port_base; 0 ephemeral)\n"
		"      --pg-upstream H:P   run the Postgres fault proxy in front of H:P\n"
		"      --resolved FILE|-   take the resolved configuration and plugin list vstress run wrote\n"
		"                          (instead of -c/-s/-p/-P)\n"
		"  -h, --help              this text;  -V, --version: the version\n"
		"\n"
		"exit codes: 0 all passed (skips allowed unless --strict), 1 a check or plugin failed,\n"
		"            2 usage or configuration error, 3 interrupted\n");
}

static char **split_list(const char *s)
{
	char *copy = vs_xstrdup(s), *tok, *save;
	char **out = NULL;
	size_t n = 0;

	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		out = vs_xrealloc(out, (n + 2) * sizeof(*out));
		out[n++] = vs_xstrdup(tok);
		out[n] = NULL;
	}
	free(copy);
	return out;
}

static void free_list(char **l)
{
	size_t i;

	for (i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = vs_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},   {"set", required_argument, NULL, 's'},
		{"plugin-dir", required_argument, NULL, 'P'}, {"profile", required_argument, NULL, 'p'},
		{"only", required_argument, NULL, 'O'},     {"skip", required_argument, NULL, 'S'},
		{"no-deps", no_argument, NULL, 'D'},        {"results", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 'E'},     {"timeout", required_argument, NULL, 'T'},
		{"strict", no_argument, NULL, 'X'},         {"no-fork", no_argument, NULL, 'F'},
		{"verbose", no_argument, NULL, 'v'},        {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
		{"shard", required_argument, NULL, 'H'},    {"shard-all", no_argument, NULL, 'A'},
		{"urls-file", required_argument, NULL, 'U'}, {"port-base", required_argument, NULL, 'B'},
		{"pg-upstream", required_argument, NULL, 'G'}, {"resolved", required_argument, NULL, 'R'},
		{"force", no_argument, NULL, 'f'},         {"explain", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0}};
	int ch;

	/* Options may come before or after the command (GNU permutation). */
	while ((ch = getopt_long(argc, argv, "c:s:P:p:r:vqhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': push(&cli->configs, &cli->nconfigs, optarg); break;
		case 's': push(&cli->sets, &cli->nsets, optarg); break;
		case 'P': push(&cli->plugin_dirs, &cli->ndirs, optarg); break;
		case 'p': cli->profile = optarg; break;
		case 'O': free_list(cli->only); cli->only = split_list(optarg); break;
		case 'S': free_list(cli->skip); cli->skip = split_list(optarg); break;
		case 'D': cli->no_deps = 1; break;
		case 'r': cli->results = optarg; break;
		case 'E': cli->seed = optarg; break;
		case 'T': cli->timeout = optarg; break;
		case 'X': cli->strict = 1; break;
		case 'F': cli->no_fork = 1; break;
		case 'H': cli->shard = optarg; break;
		case 'A': cli->shard_all = 1; break;
		case 'U': cli->urls_file = optarg; break;
		case 'B': cli->port_base = optarg; break;
		case 'G': cli->pg_upstream = optarg; break;
		case 'R': cli->resolved = optarg; break;
		case 'f': cli->force = 1; break;
		case 'W': cli->explain = 1; break;
		case 'v': cli->verbose = cli->verbose < 0 ? 1 : cli->verbose + 1; break;
		case 'q': cli->verbose = -1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("vstress %s (plugin ABI %u)\n", VS_VERSION, VS_ABI_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	cli->cmd = argv[optind];
	if (optind + 1 < argc)
		cli->arg = argv[optind + 1];
	cli->args = argv + optind + 1;
	cli->nargs = argc - optind - 1;
	if ((cli->urls_file || cli->port_base || cli->pg_upstream || cli->resolved) && strcmp(cli->cmd, "world")) {
		fprintf(stderr, "vstress: --urls-file, --port-base, --pg-upstream and --resolved are options of world\n");
		return -1;
	}
	if (cli->force && strcmp(cli->cmd, "keygen")) {
		fprintf(stderr, "vstress: --force is an option of keygen\n");
		return -1;
	}
	if (optind + 2 < argc && strcmp(cli->cmd, "merge")) {
		fprintf(stderr, "vstress: unexpected argument '%s'\n", argv[optind + 2]);
		return -1;
	}
	return 0;
}

/* ---- setup shared by the commands -------------------------------------- */

struct env {
	struct vs_config cfg;
	struct vs_registry reg;
};

static void add_builtin_dirs(struct vs_registry *r)
{
	char exe[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
		{
			char *p = vs_xasprintf("%s/plugins", dir);
			struct stat st;

			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
				vs_registry_add_dir(r, p);
			free(p);
		}
	}
	vs_registry_add_dir(r, VS_PREFIX "/lib/vstress/plugins");
}

static int load_env(struct cli *cli, struct env *env)
{
	struct vs_err err = {0};
	const char *v;
	char *path, *tok, *save;
	struct stat st;
	size_t i;

	vs_config_init(&env->cfg);
	vs_registry_init(&env->reg);
	if (!cli->nconfigs) {
		if (stat("conf.d", &st) == 0 && vs_config_load(&env->cfg, "conf.d", &err))
			goto bad;
	}
	for (i = 0; i < cli->nconfigs; i++)
		if (vs_config_load(&env->cfg, cli->configs[i], &err))
			goto bad;
	for (i = 0; i < cli->nsets; i++)
		if (vs_config_set(&env->cfg, cli->sets[i], &err))
			goto bad;
	/* The profile: command line, else [vstress] profile (base section only). */
	free(env->cfg.profile);
	env->cfg.profile = NULL;
	v = cli->profile ? cli->profile : vs_config_get(&env->cfg, "vstress", "profile", &err);
	env->cfg.profile = vs_xstrdup(v && *v ? v : "hermetic");
	if (err.set)
		goto bad;

	for (i = 0; i < cli->ndirs; i++)
		vs_registry_add_dir(&env->reg, cli->plugin_dirs[i]);
	if ((v = getenv("VSTRESS_PLUGIN_PATH")) && *v) {
		path = vs_xstrdup(v);
		for (tok = strtok_r(path, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
			vs_registry_add_dir(&env->reg, tok);
		free(path);
	}
	if ((v = vs_config_get(&env->cfg, "vstress", "plugin_dir", &err)) && *v) {
		path = vs_xstrdup(v);
		for (tok = strtok_r(path, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
			vs_registry_add_dir(&env->reg, tok);
		free(path);
	}
	add_builtin_dirs(&env->reg);
	vs_registry_scan(&env->reg);
	return 0;
bad:
	fprintf(stderr, "vstress: %s\n", err.msg);
	return -1;
}

static void free_env(struct env *env)
{
	vs_config_free(&env->cfg);
	vs_registry_free(&env->reg);
}

/* Required options of selected plugins must have a value. */
static size_t check_required(struct vs_config *c, struct vs_plan *plan, char **msgs, size_t max, size_t n)
{
	size_t i;
	const struct vs_option *o;
	struct vs_err err = {0};
	const char *v;
	const struct vs_section *s;

	for (i = 0; i < plan->n; i++) {
		if (!plan->items[i].pl->desc)
			continue;
		for (o = plan->items[i].pl->desc->options; o && o->key; o++) {
			if (!(o->flags & VS_OPT_REQUIRED))
				continue;
			v = vs_config_get(c, plan->items[i].name, o->key, &err);
			if (v && *v)
				continue;
			s = vs_config_section(c, plan->items[i].name);
			if (n < max)
				msgs[n++] = s ? vs_xasprintf("%s:%d: [%s] missing required option '%s' (%s)", s->file,
							     s->line, plan->items[i].name, o->key, o->help ? o->help : "")
					      : vs_xasprintf("[%s] missing required option '%s' (no [%s] section)",
							     plan->items[i].name, o->key, plan->items[i].name);
		}
	}
	return n;
}

static int prepare(struct cli *cli, struct env *env, struct vs_plan *plan)
{
	struct vs_selection sel = {.only = cli->only, .skip = cli->skip, .no_deps = cli->no_deps};
	struct vs_err err = {0};
	char *msgs[64];
	size_t n, i;

	n = vs_validate(&env->cfg, &env->reg, msgs, VS_ARRAY_LEN(msgs));
	if (vs_plan_build(&env->cfg, &env->reg, &sel, plan, &err)) {
		if (n < VS_ARRAY_LEN(msgs))
			msgs[n++] = vs_xstrdup(err.msg);
	} else {
		n = check_required(&env->cfg, plan, msgs, VS_ARRAY_LEN(msgs), n);
	}
	for (i = 0; i < n; i++) {
		fprintf(stderr, "vstress: %s\n", msgs[i]);
		free(msgs[i]);
	}
	if (n)
		vs_plan_free(plan);
	return n ? -1 : 0;
}

/* ---- list / describe / check-config ------------------------------------- */

static int cmd_list(struct cli *cli, struct env *env)
{
	struct vs_plan plan = {0};
	struct vs_selection sel = {.only = cli->only, .skip = cli->skip, .no_deps = cli->no_deps};
	struct vs_err err = {0};
	size_t i, j;
	int planned = vs_plan_build(&env->cfg, &env->reg, &sel, &plan, &err) == 0;

	printf("%-16s %-9s %-24s %-s\n", "PLUGIN", "VERSION", "REQUIRES", "STATE");
	for (i = 0; i < env->reg.n; i++) {
		struct vs_loaded *l = &env->reg.p[i];
		const struct vs_plugin *d = l->desc;
		char req[256] = "";
		const char *const *r;
		const char *state = "not in the manifest (no section)";
		char *why = NULL;

		for (r = d ? d->requires : NULL; r && *r; r++) {
			if (*req)
				strncat(req, ",", sizeof(req) - strlen(req) - 1);
			strncat(req, *r, sizeof(req) - strlen(req) - 1);
		}
		if (!d) {
			why = vs_xasprintf("unusable: %s", l->error);
			state = why;
		} else if (planned) {
			for (j = 0; j < plan.n; j++)
				if (!strcmp(plan.items[j].name, l->name))
					break;
			if (j < plan.n)
				state = plan.items[j].skip_reason ? plan.items[j].skip_reason : "enabled";
			else if (vs_config_section(&env->cfg, l->name))
				state = cli->only ? "not selected (--only)" : "disabled in the manifest or --skip";
		}
		printf("%-16s %-9s %-24s %s\n", l->name, d && d->version ? d->version : "-", *req ? req : "-", state);
		if (cli->verbose > 0)
			printf("%16s %s%s%s\n", "", l->path, l->shadows ? " (shadows " : "",
			       l->shadows ? l->shadows : "");
		if (l->shadows)
			printf("%16s note: %s is shadowed by %s\n", "", l->shadows, l->path);
		free(why);
	}
	if (!planned)
		printf("\nmanifest: %s\n", err.msg);
	vs_plan_free(&plan);
	return 0;
}

static const char *const opt_types[] = {"string", "int", "number", "bool", "duration", "list"};

static int cmd_describe(struct cli *cli, struct env *env)
{
	struct vs_loaded *l;
	const struct vs_option *o;
	const char *const *r;
	struct vs_err err = {0};
	const char *v;

	if (!cli->arg) {
		fprintf(stderr, "vstress: describe needs a plugin name\n");
		return EXIT_USAGE;
	}
	l = vs_registry_find(&env->reg, cli->arg);
	if (!l) {
		const char *s = vs_registry_suggest(&env->reg, cli->arg);

		fprintf(stderr, "vstress: no plugin named '%s'%s%s%s\n", cli->arg, s ? "; did you mean '" : "",
			s ? s : "", s ? "'?" : "");
		return EXIT_USAGE;
	}
	if (!l->desc) {
		fprintf(stderr, "vstress: %s (%s): %s\n", l->name, l->path, l->error);
		return EXIT_USAGE;
	}
	printf("%s %s\n  %s\n  file: %s\n", l->desc->name, l->desc->version ? l->desc->version : "",
	       l->desc->description ? l->desc->description : "", l->path);
	printf("  requires:");
	for (r = l->desc->requires; r && *r; r++)
		printf(" %s", *r);
	printf("%s\n", l->desc->requires && *l->desc->requires ? "" : " (nothing)");
	if (VS_PLUGIN_HAS(l->desc, secrets) && l->desc->secrets && *l->desc->secrets) {
		printf("  secrets (checked by setup; A|B: either):");
		for (r = l->desc->secrets; *r; r++)
			printf(" %s", *r);
		printf("\n");
	}
	printf("\n  options ([%s] section; also enabled, depends, timeout, path):\n", l->desc->name);
	for (o = l->desc->options; o && o->key; o++) {
		v = vs_config_get(&env->cfg, l->desc->name, o->key, &err);
		printf("    %-22s %-8s default: %s%s\n", o->key, opt_types[o->type],
		       (o->flags & VS_OPT_SECRET) && o->def ? "(secret)" : o->def ? o->def : "(none)",
		       o->flags & VS_OPT_REQUIRED ? "  [required]" : "");
		if (o->help)
			printf("    %-22s %s\n", "", o->help);
		if (v)
			printf("    %-22s manifest: %s\n", "", (o->flags & VS_OPT_SECRET) ? (*v ? "(set, secret)" : "(empty)") : v);
	}
	return 0;
}

static int cmd_check_config(struct cli *cli, struct env *env)
{
	struct vs_plan plan = {0};
	size_t i, j;

	if (prepare(cli, env, &plan))
		return EXIT_USAGE;
	printf("profile %s; %zu config file(s); run order:\n", env->cfg.profile, env->cfg.nfiles);
	for (i = 0; i < plan.n; i++) {
		printf("  %zu. %s", i + 1, plan.items[i].name);
		for (j = 0; j < plan.items[i].ndeps; j++)
			printf("%s%s", j ? ", " : " (after ", plan.items[i].deps[j]);
		printf("%s%s%s\n", plan.items[i].ndeps ? ")" : "", plan.items[i].skip_reason ? ": will be skipped: " : "",
		       plan.items[i].skip_reason ? plan.items[i].skip_reason : "");
	}
	vs_plan_free(&plan);
	return 0;
}

/* ---- run ------------------------------------------------------------------ */

static int is_secret(const char *section, const char *key, void *arg)
{
	struct env *env = arg;
	struct vs_loaded *l = vs_registry_find(&env->reg, section);
	const struct vs_option *o = l && l->desc ? vs_plugin_option(l->desc, key) : NULL;

	/* Unknown keys and [target] env.* may hold keys too: keep them out. */
	if (!strncmp(key, "env.", 4))
		return 1;
	return o ? (o->flags & VS_OPT_SECRET) != 0 : 0;
}

/* ", harness 12/12" after a phase's target counts, when it has harness checks. */
static const char *harness_note(const struct vs_result *r, char *buf, size_t len)
{
	int n = r->hpass + r->hfail + r->hskip;

	if (!n)
		return "";
	snprintf(buf, len, "; harness %d passed, %d failed", r->hpass, r->hfail);
	return buf;
}

static const char *status_color(const char *s)
{
	if (!strcmp(s, "passed"))
		return "\033[32m";
	if (!strcmp(s, "skipped"))
		return "\033[33m";
	return "\033[31m";
}

static int dep_gate(struct vs_services *sv, struct vs_plan *plan, size_t idx, struct vs_result *res)
{
	struct vs_item *it = &plan->items[idx];
	const char *why;
	size_t i, j;

	if (it->skip_reason) {
		vs_result_set(res, "skipped", "%s", it->skip_reason);
		return 1;
	}
	for (i = 0; i < it->ndeps; i++)
		if (vs_is_service(it->deps[i]) && (why = vs_service_unavailable(sv, it->deps[i]))) {
			vs_result_set(res, "skipped", "dependency %s is not available: %s", it->deps[i], why);
			return 1;
		}
	for (i = 0; i < it->ndeps; i++)
		for (j = 0; j < idx; j++)
			/* a dependency that runs on shard 1 only was proven there */
			if (!strcmp(plan->items[j].name, it->deps[i]) && strcmp(res[(long)j - (long)idx].status, "passed") &&
			    !res[(long)j - (long)idx].shard_skipped) {
				vs_result_set(res, "skipped", "dependency %s did not pass (%s)", it->deps[i],
					      res[(long)j - (long)idx].status);
				return 1;
			}
	return 0;
}

static int setup_run(struct cli *cli, struct env *env, struct vs_run *run, const char *digest)
{
	struct vs_err err = {0};
	const char *v;
	long long ll;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	memset(run, 0, sizeof(*run));
	run->cfg = &env->cfg;
	run->interrupted = &interrupted;
	run->verbose = cli->verbose;
	run->no_fork = cli->no_fork;
	run->tty = isatty(STDERR_FILENO);
	/* NO_COLOR (no-color.org): present and not empty; TERM=dumb has no ANSI */
	run->color = run->tty && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
		     !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
	/* progress refreshed in place; otherwise plain lines (also with -v:
	 * the plugins' log lines reach the terminal between refreshes) */
	run->live = run->color && cli->verbose == 0;
	run->strict = cli->strict;
	v = vs_config_get(&env->cfg, "vstress", "strict", &err);
	if (v && !vs_parse_bool(v, &rc) && rc)
		run->strict = 1;
	if (cli->shard) {
		char serr[160];

		if (vs_shard_parse(cli->shard, &run->shard_index, &run->shard_count, serr, sizeof(serr))) {
			fprintf(stderr, "vstress: %s\n", serr);
			return -1;
		}
	} else if (cli->shard_all) {
		fprintf(stderr, "vstress: --shard-all needs --shard I/N\n");
		return -1;
	}
	run->shard_all = cli->shard_all;
	v = vs_config_get(&env->cfg, "vstress", "shard_all", &err);
	if (v && vs_parse_bool(v, &rc)) {
		fprintf(stderr, "vstress: [vstress] shard_all = '%s' is not a boolean\n", v);
		return -1;
	}
	if (v && rc)
		run->shard_all = 1;
	run->sigfigs = 3;
	v = vs_config_get(&env->cfg, "vstress", "hist_sigfigs", &err);
	if (v && (vs_parse_int(v, &ll) || ll < 1 || ll > 5)) {
		fprintf(stderr, "vstress: [vstress] hist_sigfigs = '%s' must be 1..5\n", v);
		return -1;
	}
	if (v)
		run->sigfigs = (int)ll;
	run->timeout_ms = 300000;
	v = cli->timeout ? cli->timeout : vs_config_get(&env->cfg, "vstress", "timeout", &err);
	if (v && vs_parse_ms(v, &run->timeout_ms)) {
		fprintf(stderr, "vstress: timeout '%s' is not a duration (e.g. 90s)\n", v);
		return -1;
	}
	run->grace_ms = 5000;
	v = vs_config_get(&env->cfg, "vstress", "kill_grace", &err);
	if (v && vs_parse_ms(v, &run->grace_ms)) {
		fprintf(stderr, "vstress: [vstress] kill_grace '%s' is not a duration\n", v);
		return -1;
	}
	run->progress_ms = 10000;
	v = vs_config_get(&env->cfg, "vstress", "progress_interval", &err);
	if (v && (vs_parse_ms(v, &run->progress_ms) || run->progress_ms < 100)) {
		fprintf(stderr, "vstress: [vstress] progress_interval = '%s' must be a duration of at least 100ms\n", v);
		return -1;
	}
	v = cli->seed ? cli->seed : vs_config_get(&env->cfg, "vstress", "seed", &err);
	if (v && *v) {
		if (vs_parse_int(v, &ll)) {
			fprintf(stderr, "vstress: seed '%s' is not an integer\n", v);
			return -1;
		}
		run->seed = (uint64_t)ll;
	} else if (run->shard_count) {
		/* every shard of a run must draw from one run seed: without --seed,
		 * the configuration's digest gives it (each shard then mixes in its
		 * index, core/shard.c) */
		run->seed = vs_hash64(digest) & 0x7fffffffffffffffull;
	} else {
		run->seed = (uint64_t)now ^ vs_now_ns() ^ ((uint64_t)getpid() << 32);
		run->seed &= 0x7fffffffffffffffull;
	}
	v = cli->results ? cli->results : vs_config_get(&env->cfg, "vstress", "results_dir", &err);
	run->results_root = vs_xstrdup(v && *v ? v : "results");
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	run->run_id = vs_xasprintf("%s-%ld", stamp, (long)getpid());
	run->dir = vs_xasprintf("%s/%s", run->results_root, run->run_id);
	if ((rc = vs_mkdirs(run->dir, 0755))) {
		fprintf(stderr, "vstress: cannot create %s: %s\n", run->dir, strerror(-rc));
		return -1;
	}
	return 0;
}

static long long item_timeout(struct vs_run *run, struct vs_item *it)
{
	struct vs_err err = {0};
	const char *v = vs_config_get(run->cfg, it->name, "timeout", &err);
	long long ms;

	return v && !vs_parse_ms(v, &ms) ? ms : run->timeout_ms;
}

static int cmd_run(struct cli *cli, struct env *env)
{
	struct vs_plan plan = {0};
	struct vs_run run;
	struct vs_result *res = NULL;
	struct vs_services sv;
	char digest[80], *started = NULL;
	const char *run_status;
	int harness_failed;
	char hn[64];
	size_t i;
	int failed = 0, skipped = 0, passed = 0, rc = EXIT_USAGE;
	uint64_t t0 = vs_now_ns();

	json_t *extra = NULL;

	memset(&run, 0, sizeof(run));
	if (prepare(cli, env, &plan))
		return EXIT_USAGE;
	{
		char kerr[600];

		if (vs_runsecrets_export(&env->cfg, kerr, sizeof(kerr))) {
			fprintf(stderr, "vstress: %s\n", kerr);
			return EXIT_USAGE;
		}
	}
	vs_config_digest(&env->cfg, is_secret, env, digest);
	if (setup_run(cli, env, &run, digest))
		goto out;
	vs_runner_install_signals(&interrupted);
	extra = json_object();
	json_object_set_new(extra, "shard",
			    run.shard_count ? json_pack("{s:i,s:i,s:b}", "index", run.shard_index, "count",
							run.shard_count, "all", run.shard_all)
					    : json_null());
	run.summary_extra = extra;
	run.reg = &env->reg;
	run.plan = &plan;
	vs_reap_init();
	started = vs_iso_now();
	res = vs_xcalloc(plan.n ? plan.n : 1, sizeof(*res));
	if (run.verbose >= 0)
		fprintf(stderr, "vstress %s: run %s%s%s, profile %s, seed %llu, %zu plugin(s)\n", VS_VERSION, run.run_id,
			run.shard_count ? ", shard " : "", run.shard_count ? cli->shard : "", env->cfg.profile,
			(unsigned long long)run.seed, plan.n);
	vs_services_start(&sv, &run, &plan, &env->reg);
	for (i = 0; i < plan.n; i++) {
		struct vs_item *it = &plan.items[i];

		it->timeout_ms = item_timeout(&run, it);
		vs_result_init(&res[i], it->name, it->pl->desc ? it->pl->desc->version : NULL);
		res[i].sharding = vs_shard_mode(&run, it->name);
		if (interrupted) {
			vs_result_set(&res[i], "skipped", "not run: vstress was interrupted");
		} else if (vs_shard_skips(&run, it->name)) {
			vs_result_set(&res[i], "skipped", VS_SHARD_SKIP_REASON);
			res[i].shard_skipped = 1;
		} else if (!it->pl->desc) {
			vs_result_set(&res[i], "error", "%s: %s", it->pl->path, it->pl->error);
		} else if (!dep_gate(&sv, &plan, i, &res[i])) {
			vs_runner_run(&run, it, &res[i], (int)i + 1, (int)plan.n);
		}
		if (run.live)
			fprintf(stderr, "\r\033[K");
		if (run.verbose >= 0)
			fprintf(stderr, "[%zu/%zu] %-16s %s%-12s%s %7.1fs  %d passed, %d failed%s%s%s\n", i + 1, plan.n,
				it->name, run.color ? status_color(res[i].status) : "", res[i].status,
				run.color ? "\033[0m" : "", res[i].duration_ms / 1000.0, res[i].npass, res[i].nfail,
				harness_note(&res[i], hn, sizeof(hn)), res[i].reason ? "  - " : "",
				res[i].reason ? res[i].reason : "");
		vs_status_tally(res[i].status, &passed, &skipped, &failed);
	}
	vs_services_stop(&sv, &run);
	{
		char strays[512];
		int n = vs_reap_strays(strays, sizeof(strays));

		if (n)
			fprintf(stderr, "vstress: killed %d process(es) that escaped their process group: %s\n", n, strays);
	}
	if ((plan.needs_target && !sv.target.started) || (plan.needs_world && !sv.world.started))
		failed++; /* a service the run needed did not come up */
	for (i = 0, harness_failed = 0; i < plan.n; i++)
		harness_failed |= res[i].hfail > 0;
	/* error: a harness check failed, so some verdict rests on a measurement
	 * vstress cannot vouch for (docs/results-schema.md) */
	run_status = interrupted			     ? "interrupted"
		     : harness_failed			     ? "error"
		     : (failed || (run.strict && skipped)) ? "failed"
							     : "passed";
	{
		struct vs_err merr = {0};
		const char *spec = vs_config_get(&env->cfg, "vstress", "merge_artifacts", &merr);
		if (merr.set || vs_artifacts_merge(run.dir, spec, &merr) != 0)
			fprintf(stderr, "vstress: %s\n", merr.msg);
	}
	if (vs_summary_write(&run, res, plan.n, run_status, started, (vs_now_ns() - t0) / 1e6, digest,
			     vs_services_json(&sv))) {
		fprintf(stderr, "vstress: cannot write the summary in %s\n", run.dir);
		rc = EXIT_CHECKS;
	} else {
		rc = interrupted ? EXIT_INTERRUPTED : strcmp(run_status, "passed") ? EXIT_CHECKS : EXIT_PASS;
	}
	{
		char rerr[1024];
		int rep_ok = vs_report_write(run.dir, rerr, sizeof(rerr)) == 0;

		if (!rep_ok)
			fprintf(stderr, "vstress: report: %s\n", rerr);
		fprintf(stderr, "%s: %d passed, %d failed, %d skipped; summary: %s/test_summary.json%s%s%s\n", run_status,
			passed, failed, skipped, run.dir, rep_ok ? ", report: " : "", rep_ok ? run.dir : "",
			rep_ok ? "/report.html" : "");
		if (cli->explain && vs_explain(stdout, run.dir, VS_EXPLAIN_TOP, rerr, sizeof(rerr)))
			fprintf(stderr, "vstress: explain: %s\n", rerr);
	}
	for (i = 0; i < plan.n; i++)
		vs_result_free(&res[i]);
	vs_services_free(&sv);
out:
	json_decref(extra);
	free(res);
	free(started);
	free(run.run_id);
	free(run.dir);
	free(run.results_root);
	vs_plan_free(&plan);
	return rc;
}

/* ---- world ---------------------------------------------------------------- */

static void world_warn_unusable(json_t *given)
{
	json_t *u;
	size_t i;

	json_array_foreach(json_object_get(given, "unusable"), i, u)
		fprintf(stderr, "vstress world: %s (%s): %s\n", json_string_value(json_object_get(u, "name")),
			json_string_value(json_object_get(u, "path")), json_string_value(json_object_get(u, "error")));
}

/* Serves what `given` (core/worldcfg.h) describes: its plugins are loaded
 * again through the registry (dlopen, the ABI checks), by explicit path. */
static int world_serve(struct cli *cli, json_t *given)
{
	json_t *conf = json_object_get(given, "conf"), *plugins = json_object_get(given, "plugins"), *o;
	size_t nconf = json_array_size(conf), np = json_array_size(plugins), i, k = 0;
	struct vs_world_entry *ent = vs_xcalloc(nconf ? nconf : 1, sizeof(*ent));
	struct vs_world_plugin *pl = vs_xcalloc(np ? np : 1, sizeof(*pl));
	struct vs_world_setup ws = {0};
	struct vs_registry reg;
	long long pb = -1;
	int rc = EXIT_USAGE;

	vs_registry_init(&reg);
	if (cli->port_base && (vs_parse_int(cli->port_base, &pb) || pb < 0 || pb > 65535)) {
		fprintf(stderr, "vstress world: --port-base '%s' is not a port\n", cli->port_base);
		goto out;
	}
	json_array_foreach(conf, i, o) {
		ent[i].section = json_string_value(json_array_get(o, 0));
		ent[i].key = json_string_value(json_array_get(o, 1));
		ent[i].value = json_string_value(json_array_get(o, 2));
		if (!ent[i].section || !ent[i].key || !ent[i].value) {
			fprintf(stderr, "vstress world: conf[%zu] is not [section, key, value]\n", i);
			goto out;
		}
	}
	json_array_foreach(plugins, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *path = json_string_value(json_object_get(o, "path"));
		struct vs_loaded *l;

		if (!name || !path) {
			fprintf(stderr, "vstress world: plugins[%zu] has no name or path\n", i);
			goto out;
		}
		l = vs_registry_load_path(&reg, name, path);
		if (!l->desc)
			fprintf(stderr, "vstress world: %s (%s): %s: no stand-in\n", name, path, l->error);
		else if (vs_plugin_has_world(l->desc))
			pl[k++] = (struct vs_world_plugin){.name = l->desc->name, .desc = l->desc};
	}
	ws.conf = ent;
	ws.nconf = nconf;
	ws.plugins = pl;
	ws.nplugins = k;
	ws.urls_file = cli->urls_file;
	ws.seed = cli->seed;
	ws.pg_upstream = cli->pg_upstream;
	ws.port_base = (long)pb;
	ws.verbose = cli->verbose;
	rc = vs_world_main(&ws);
out:
	vs_registry_free(&reg);
	free(ent);
	free(pl);
	return rc;
}

/* `vstress world`: the manifest and the plugins resolved as for run, or
 * taken whole from --resolved (what vstress run hands the world it spawns). */
static int cmd_world(struct cli *cli)
{
	struct vs_err err = {0};
	json_error_t jerr;
	json_t *given = NULL;
	struct env env;
	int rc = EXIT_USAGE;

	if (cli->resolved) {
		if (cli->nconfigs || cli->nsets || cli->ndirs || cli->profile || cli->only) {
			fprintf(stderr, "vstress world: --resolved is the whole configuration: no -c, -s, -p, -P or --only\n");
			return EXIT_USAGE;
		}
		given = !strcmp(cli->resolved, "-") ? json_loadf(stdin, 0, &jerr) : json_load_file(cli->resolved, 0, &jerr);
		if (!json_is_object(given)) {
			fprintf(stderr, "vstress world: %s:%d: %s\n", cli->resolved, jerr.line, given ? "not an object" : jerr.text);
			json_decref(given);
			return EXIT_USAGE;
		}
	} else {
		if (load_env(cli, &env) == 0)
			given = vs_worldcfg_resolve(&env.cfg, &env.reg, cli->only, &err);
		free_env(&env);
		if (!given) {
			if (err.set)
				fprintf(stderr, "vstress world: %s\n", err.msg);
			return EXIT_USAGE;
		}
	}
	world_warn_unusable(given);
	rc = world_serve(cli, given);
	json_decref(given);
	return rc;
}

/* `vstress keygen FILE [--force]`: a stable Telnyx signing identity.  Only
 * the public half is printed. */
static int cmd_keygen(struct cli *cli)
{
	char pub[VS_ED25519_PUB_B64_LEN + 1], err[600];

	if (!cli->arg) {
		fprintf(stderr, "vstress: keygen needs a file name (vstress keygen FILE [--force])\n");
		return EXIT_USAGE;
	}
	if (vs_keyfile_generate(cli->arg, cli->force, pub, err, sizeof(err))) {
		fprintf(stderr, "vstress keygen: %s\n", err);
		return EXIT_USAGE;
	}
	printf("public key: %s\n", pub);
	printf("key file:   %s (mode 0600; the private seed is not shown)\n", cli->arg);
	printf("use it:     [vstress] telnyx_key_file = %s; the agent's TELNYX_PUBLIC_KEY = the public key\n", cli->arg);
	return EXIT_PASS;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	struct env env;
	int rc = EXIT_USAGE;

	if (parse_cli(argc, argv, &cli))
		goto out;
	if (!strcmp(cli.cmd, "world")) {
		rc = cmd_world(&cli);
		goto out;
	}
	if (!strcmp(cli.cmd, "keygen")) { /* needs no manifest */
		rc = cmd_keygen(&cli);
		goto out;
	}
	if (!strcmp(cli.cmd, "merge")) {
		rc = vs_merge_main(cli.nargs, cli.args, cli.verbose);
		goto out;
	}
	if (!strcmp(cli.cmd, "explain") || (cli.explain && strcmp(cli.cmd, "run"))) { /* needs no manifest */
		const char *dir = !strcmp(cli.cmd, "explain") ? cli.arg : cli.cmd;
		char xerr[1024];
		if (!dir) {
			fprintf(stderr, "vstress: explain needs a results folder (e.g. results/latest)\n");
		} else if (vs_explain(stdout, dir, VS_EXPLAIN_TOP, xerr, sizeof(xerr))) {
			fprintf(stderr, "vstress: explain: %s\n", xerr);
			rc = EXIT_USAGE;
		} else {
			rc = EXIT_PASS;
		}
		goto out;
	}
	if (!strcmp(cli.cmd, "report")) { /* needs no manifest */
		char rerr[1024];
		if (!cli.arg) {
			fprintf(stderr, "vstress: report needs a results folder (e.g. results/latest)\n");
		} else if (vs_report_write(cli.arg, rerr, sizeof(rerr))) {
			fprintf(stderr, "vstress: report: %s\n", rerr);
			rc = EXIT_USAGE;
		} else {
			printf("%s/report.html\n", cli.arg);
			rc = EXIT_PASS;
		}
		goto out;
	}
	if (load_env(&cli, &env)) {
		free_env(&env);
		goto out;
	}
	if (!strcmp(cli.cmd, "run"))
		rc = cmd_run(&cli, &env);
	else if (!strcmp(cli.cmd, "list"))
		rc = cmd_list(&cli, &env);
	else if (!strcmp(cli.cmd, "describe"))
		rc = cmd_describe(&cli, &env);
	else if (!strcmp(cli.cmd, "check-config"))
		rc = cmd_check_config(&cli, &env);
	else {
		fprintf(stderr, "vstress: unknown command '%s' (run, list, describe, check-config, world, keygen, merge, report)\n", cli.cmd);
		rc = EXIT_USAGE;
	}
	free_env(&env);
out:
	free(cli.configs);
	free(cli.sets);
	free(cli.plugin_dirs);
	free_list(cli.only);
	free_list(cli.skip);
	return rc;
}
