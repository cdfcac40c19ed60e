/* setup plugin: the target's own environment (plan 1.1/1.2).  The modules of
 * [setup] target_imports are imported by the target's interpreter ([target]
 * python, else the launch command's python or the venv in [target] cwd),
 * each reported with its version (the distribution owning it, else its
 * __version__); with [setup] requirements = FILE the installed versions are
 * compared with its == pins (setup_pins.c). */
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMPORTS_MARK "VSTRESS-IMPORTS "
#define OUT_MAX (1u << 20)

/* Run by the target's interpreter: argv = modules, then "--", then the
 * distributions whose versions are wanted.  One marked line of JSON. */
static const char PROBE_PY[] =
	"import sys, json, importlib\n"
	"import importlib.metadata as md\n"
	"args = sys.argv[1:]\n"
	"cut = args.index('--') if '--' in args else len(args)\n"
	"mods, dists = args[:cut], args[cut + 1:]\n"
	"try:\n"
	"    owners = md.packages_distributions()\n"
	"except Exception:\n"
	"    owners = {}\n"
	"out = []\n"
	"for m in mods:\n"
	"    r = {'module': m}\n"
	"    try:\n"
	"        mod = importlib.import_module(m)\n"
	"        top = m.split('.')[0]\n"
	"        r['ok'] = True\n"
	"        cands = list(dict.fromkeys(owners.get(top, [])))\n"
	"        if len(cands) > 1:  # a namespace (google.*): the one holding this module's files\n"
	"            rel = m.replace('.', '/')\n"
	"            def holds(d):\n"
	"                try:\n"
	"                    return any(str(f) == rel + '.py' or str(f).startswith(rel + '/') for f in md.files(d) or [])\n"
	"                except Exception:\n"
	"                    return False\n"
	"            cands = [d for d in cands if holds(d)][:1]\n"
	"        for d in cands:\n"
	"            try:\n"
	"                r['version'], r['dist'] = md.version(d), d\n"
	"                break\n"
	"            except Exception:\n"
	"                pass\n"
	"        if 'version' not in r:\n"
	"            v = getattr(mod, '__version__', None) or getattr(sys.modules.get(top), '__version__', None)\n"
	"            if v is not None:\n"
	"                r['version'] = str(v)\n"
	"    except BaseException as e:\n"
	"        r['ok'] = False\n"
	"        r['error'] = (type(e).__name__ + ': ' + str(e))[:300]\n"
	"    out.append(r)\n"
	"inst = {}\n"
	"for d in dists:\n"
	"    try:\n"
	"        inst[d] = md.version(d)\n"
	"    except Exception:\n"
	"        inst[d] = None\n"
	"sys.stdout.flush()\n"
	"print('\\n" IMPORTS_MARK "' + json.dumps({'python': sys.version.split()[0], 'executable': sys.executable,\n"
	"      'modules': out, 'installed': inst}), flush=True)\n";

static int is_python(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "python", 6) && strspn(b + 6, "0123456789.") == strlen(b + 6);
}

/* The target's interpreter into out (malloc'd), or NULL with why. */
static char *target_python(struct setup *s, char *why, size_t len)
{
	const char *py = s->h->conf(s->c, "target", "python"), *mode = s->h->conf(s->c, "target", "mode");
	const char *cmd = s->h->conf(s->c, "target", "command"), *cwd = s->h->conf(s->c, "target", "cwd");
	char **tok = NULL, *found = NULL, buf[PATH_MAX];
	size_t i;

	if (py && *py) {
		found = strdup(py);
		goto abs;
	}
	if (!mode || strcmp(mode, "launch")) {
		snprintf(why, len, "the target is %s (not launched by vstress) and [target] python is unset: its "
			 "interpreter is unknown", mode && *mode ? mode : "not configured");
		return NULL;
	}
	/* `exec .venv/bin/python -m agent`: the first word that is not exec,
	 * env or an assignment */
	tok = setup_split(cmd ? cmd : "", ' ');
	for (i = 0; tok && tok[i]; i++) {
		if (!strcmp(tok[i], "exec") || !strcmp(tok[i], "env") || strchr(tok[i], '='))
			continue;
		if (is_python(tok[i])) {
			if (tok[i][0] != '/' && strchr(tok[i], '/') && cwd && *cwd)
				snprintf(buf, sizeof buf, "%s/%s", cwd, tok[i]);
			else
				snprintf(buf, sizeof buf, "%s", tok[i]);
			found = strdup(buf);
		}
		break;
	}
	setup_strv_free(tok);
	if (!found && cwd && *cwd) {
		snprintf(buf, sizeof buf, "%s/.venv/bin/python", cwd);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	if (!found)
		snprintf(why, len, "[target] command does not start a python and [target] cwd has no .venv: set "
			 "[target] python");
abs:
	/* absolute (it runs in [target] cwd) without resolving links: a venv's
	 * python is a link to the base interpreter, and the venv is in its path */
	if (found && found[0] != '/' && strchr(found, '/') && getcwd(buf, sizeof buf)) {
		char *a = NULL;

		if (asprintf(&a, "%s/%s", buf, found) < 0)
			a = NULL;
		free(found);
		found = a;
	}
	return found;
}

/* Runs python -c PROBE_PY args in cwd; its marked JSON, or NULL with why. */
static json_t *run_probe(struct setup *s, const char *python, const char *cwd, char **args, long long tmo_ms,
			 char *why, size_t len)
{
	int out[2], st = 0;
	char *buf = malloc(OUT_MAX + 1), *mark;
	size_t n = 0, na = 0, i;
	const char **argv;
	uint64_t until;
	json_t *j = NULL;
	pid_t pid;

	/* An interpreter path that cannot run is said before forking: a child
	 * whose exec fails is harder to tell apart (valgrind, for one, runs the
	 * exec itself and exits with its own status). */
	if (strchr(python, '/') && access(python, X_OK) != 0) {
		snprintf(why, len, "%s could not be executed (is it the target's interpreter?): %s", python,
			 strerror(errno));
		free(buf);
		return NULL;
	}
	while (args && args[na])
		na++;
	argv = calloc(na + 4, sizeof(*argv));
	if (!buf || !argv || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(why, len, "out of resources");
		free(buf);
		free(argv);
		return NULL;
	}
	argv[0] = python;
	argv[1] = "-c";
	argv[2] = PROBE_PY;
	for (i = 0; i < na; i++)
		argv[3 + i] = args[i];
	pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);
		dup2(dn, 0);
		dup2(out[1], 1);
		dup2(dn, 2); /* import-time logging (pipecat's banner) is not ours to show */
		if (cwd && *cwd && chdir(cwd) != 0)
			_exit(126);
		if (strchr(python, '/'))
			execv(python, (char *const *)(uintptr_t)argv);
		else
			execvp(python, (char *const *)(uintptr_t)argv); /* a bare name: on the PATH */
		_exit(127);
	}
	close(out[1]);
	free(argv);
	if (pid < 0) {
		close(out[0]);
		free(buf);
		snprintf(why, len, "fork: %s", strerror(errno));
		return NULL;
	}
	until = s->h->now_ns() + (uint64_t)tmo_ms * 1000000ull;
	for (;;) {
		struct pollfd p = {.fd = out[0], .events = POLLIN};
		long long left = (long long)((until - s->h->now_ns()) / 1000000ull);
		ssize_t r;

		if (s->h->now_ns() >= until || s->h->should_stop(s->c)) {
			kill(pid, SIGKILL);
			snprintf(why, len, "%s did not finish the imports within %lld ms", python, tmo_ms);
			goto reap;
		}
		if (poll(&p, 1, (int)(left > 500 ? 500 : left + 1)) <= 0)
			continue;
		r = read(out[0], buf + n, OUT_MAX - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n >= OUT_MAX)
			break;
	}
	buf[n] = '\0';
	mark = strstr(buf, IMPORTS_MARK);
	j = mark ? json_loads(mark + strlen(IMPORTS_MARK), JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	if (!j)
		snprintf(why, len, "%s gave no import report", python);
reap:
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!j && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(why, len, "%s could not be executed (is it the target's interpreter?)", python);
	else if (!j && WIFEXITED(st) && WEXITSTATUS(st) == 126)
		snprintf(why, len, "cannot enter [target] cwd %s", cwd);
	free(buf);
	return j;
}

static void check_modules(struct setup *s, const json_t *rep, const char *python)
{
	const json_t *m;
	size_t i, bad = 0;

	json_array_foreach(json_object_get(rep, "modules"), i, m) {
		const char *mod = json_string_value(json_object_get(m, "module"));
		const char *ver = json_string_value(json_object_get(m, "version"));
		const char *dist = json_string_value(json_object_get(m, "dist"));
		char name[200];

		snprintf(name, sizeof name, "target.import.%s", mod ? mod : "?");
		if (json_is_true(json_object_get(m, "ok")))
			s->h->check(s->c, name, VS_CHECK_PASS, "%s %s", dist ? dist : mod, ver ? ver : "(no version)");
		else {
			bad++;
			s->h->check(s->c, name, VS_CHECK_FAIL, "%s does not import under %s: %s", mod, python,
				    json_string_value(json_object_get(m, "error")));
		}
	}
	s->h->check(s->c, "target.imports", bad ? VS_CHECK_FAIL : VS_CHECK_PASS, "%zu of %zu modules import under %s (Python %s)",
		    json_array_size(json_object_get(rep, "modules")) - bad, json_array_size(json_object_get(rep, "modules")),
		    python, json_string_value(json_object_get(rep, "python")));
}

void setup_imports(struct setup *s)
{
	char *mods = setup_opt(s, "target_imports"), *req = setup_opt(s, "requirements"), *python = NULL;
	char why[512] = "", **args = NULL, **list = NULL;
	struct pin *pins = NULL;
	size_t npins = 0, unpinned = 0, nmods = 0, i, k = 0;
	long long tmo = 120000;
	json_t *rep = NULL;

	if (!*mods && !*req)
		goto out; /* nothing asked */
	if (!(python = target_python(s, why, sizeof why))) {
		if (*mods)
			s->h->check(s->c, "target.imports", VS_CHECK_SKIP, "%s", why);
		if (*req)
			s->h->check(s->c, "target.requirements", VS_CHECK_SKIP, "%s", why);
		goto out;
	}
	if (*req && !(pins = setup_read_pins(req, &npins, &unpinned, why, sizeof why))) {
		s->h->check(s->c, "target.requirements", VS_CHECK_FAIL, "%s", why);
		*req = '\0';
	}
	list = setup_split(mods, ',');
	while (list && list[nmods])
		nmods++;
	args = calloc(nmods + npins + 2, sizeof(*args));
	if (!args || !list)
		goto out;
	for (i = 0; i < nmods; i++)
		args[k++] = list[i];
	args[k++] = (char *)(uintptr_t)"--";
	for (i = 0; i < npins; i++)
		args[k++] = pins[i].name;
	if (s->h->opt_ms(s->c, "import_timeout", &tmo) < 0)
		goto out;
	if (tmo > s->h->remaining_ms(s->c) - 500)
		tmo = s->h->remaining_ms(s->c) - 500;
	rep = tmo > 0 ? run_probe(s, python, s->h->conf(s->c, "target", "cwd"), args, tmo, why, sizeof why) : NULL;
	if (!rep) {
		if (tmo <= 0)
			snprintf(why, sizeof why, "no time left before the deadline");
		if (*mods)
			s->h->check(s->c, "target.imports", VS_CHECK_FAIL, "%s", why);
		if (*req)
			s->h->check(s->c, "target.requirements", VS_CHECK_FAIL, "%s", why);
		goto out;
	}
	if (nmods)
		check_modules(s, rep, python);
	if (*req)
		setup_check_pins(s, rep, req, pins, npins, unpinned);
	json_object_set_new(rep, "interpreter", json_string(python));
	json_object_set(s->data, "target_environment", rep);
out:
	json_decref(rep);
	free(args);
	setup_strv_free(list);
	for (i = 0; i < npins; i++) {
		free(pins[i].name);
		free(pins[i].version);
	}
	free(pins);
	free(python);
	free(mods);
	free(req);
}
