#!/usr/bin/env bash
# `make install` into a staging folder, then out-of-tree plugins built with
# pkg-config against the installed headers and library, found and run by the
# installed binary: a copy of the skeleton as a plain probe, and a copy of it
# as a new provider (probe + stand-in + declared secret), following the steps
# of docs/plugin-guide.md.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage"

make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$stage" PREFIX=/usr/local >"$tmp/install.log" 2>&1
check "make install succeeds" [ $? = 0 ]
check "binary, headers, pkg-config file and conf.d installed" \
	test -x "$stage/usr/local/bin/vstress" -a -f "$stage/usr/local/include/vstress/plugin.h" \
	-a -f "$stage/usr/local/lib/pkgconfig/vstress.pc" -a -f "$stage/usr/local/share/vstress/conf.d/00-vstress.ini"
check "plugins installed" test -f "$stage/usr/local/lib/vstress/plugins/skeleton.so"
check "the shared libraries' headers, archive and pkg-config file installed" \
	test -f "$stage/usr/local/include/vstress/net/httpc.h" -a -f "$stage/usr/local/include/vstress/probe/llm_probe.h" \
	-a -f "$stage/usr/local/lib/libvstress.a" -a -f "$stage/usr/local/lib/pkgconfig/vstress-lib.pc"

export PKG_CONFIG_PATH="$stage/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
mkdir -p "$tmp/oot"
sed -e 's/"skeleton"/"oot_probe"/' plugins/skeleton/skeleton.c >"$tmp/oot/oot_probe.c"
cp plugins/skeleton/skeleton.h plugins/skeleton/standin.c "$tmp/oot/"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(pkg-config --cflags vstress-lib) "$tmp/oot/oot_probe.c" \
	"$tmp/oot/standin.c" $(pkg-config --libs vstress-lib) -o "$tmp/oot/oot_probe.so" 2>"$tmp/oot/cc.log"
check "an out-of-tree plugin builds with pkg-config" [ -f "$tmp/oot/oot_probe.so" ]
check "it exports exactly one symbol" [ "$(nm -D --defined-only "$tmp/oot/oot_probe.so" | awk '{print $3}' | grep -v '^_')" = vstress_plugin ]
printf '[oot_probe]\nrequests = 5\n' >"$tmp/oot.ini"
"${WRAP[@]}" "$stage/usr/local/bin/vstress" -q -c "$tmp/oot.ini" -P "$tmp/oot" -r "$tmp/r" run
check "the installed binary runs it" [ $? = 0 ]
check "and reports it passed" json "$tmp/r/latest/test_summary.json" \
	'[(p["name"], p["status"]) for p in s["plugins"]] == [("oot_probe", "passed")]'

# ---- a new provider, out of tree (docs/plugin-guide.md, step by step) ------
inst="$stage/usr/local"
sum_installed() { (cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
sum_installed >"$tmp/installed.before"
# Step 1: copy the skeleton's folder (not its in-tree tests and plugin.mk)
# and rename it everywhere: files, descriptor, section, variables.
prov="$tmp/src/oot_echo"
mkdir -p "$prov"
for f in skeleton.c skeleton.h standin.c; do
	sed -e 's/skeleton/oot_echo/g' -e 's/SKELETON/OOT_ECHO/g' "plugins/skeleton/$f" >"$prov/${f/skeleton/oot_echo}"
done
check "step 1: the copy names no skeleton any more" bash -c "! grep -qi skeleton '$prov'/*"
# Steps 2-4 are the code: the declared secret, the stand-in, the probe.
check "step 2: it declares its secret" grep -q '.secrets = (const char \*const\[\]){"OOT_ECHO_API_KEY", NULL}' "$prov/oot_echo.c"
check "step 3: its stand-in exports its URL and a dummy key" \
	grep -q 'export_env(wc, "OOT_ECHO_API_KEY", "oot_echo-dummy-key")' "$prov/standin.c"
# Step 5: build against the installed headers and libvstress.a.
mkdir -p "$tmp/plugins"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(pkg-config --cflags vstress-lib) "$prov"/*.c \
	$(pkg-config --libs vstress-lib) -o "$tmp/plugins/oot_echo.so" 2>"$tmp/cc-echo.log"
check "step 5: the provider builds with pkg-config vstress-lib" [ -f "$tmp/plugins/oot_echo.so" ] || cat "$tmp/cc-echo.log"
check "it exports exactly one symbol" \
	[ "$(nm -D --defined-only "$tmp/plugins/oot_echo.so" | awk '{print $3}' | grep -v '^_')" = vstress_plugin ]
check "vs_httpc came from the installed archive" \
	bash -c "nm '$tmp/plugins/oot_echo.so' | grep -q ' t vs_httpc'"
# Step 6: its one configuration file, beside the installed conf.d.
cat >"$tmp/60-oot_echo.ini" <<'INI'
[oot_echo]
depends = world
requests = 20
rate = 100
[oot_echo:hermetic]
base_url = ${VSTRESS_WORLD_OOT_ECHO_HTTP}
api_key = oot-echo-hermetic-dummy-key
INI
# Timing widens under valgrind and the sanitizers (check.sh): a loopback
# request through a traced world takes tens of ms, over the probe's 50 ms p99.
[ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ] && printf '[oot_echo]\np99_max = 2s\n' >>"$tmp/60-oot_echo.ini"
# Step 7: run it with setup, by the installed binary, against the installed
# conf.d (setup needs no target here: -s setup.depends=).
run_echo() { # results-dir extra-args...
	local r=$1
	shift
	unset DATABASE_URL OOT_ECHO_API_KEY
	"${WRAP[@]}" "$inst/bin/vstress" -q -c "$inst/share/vstress/conf.d" -c "$tmp/60-oot_echo.ini" \
		-P "$inst/lib/vstress/plugins" -P "$tmp/plugins" -s setup.depends= -r "$r" run "$@" >"$r.out" 2>&1
}
run_echo "$tmp/r-echo" --only setup,oot_echo
check "step 7: the run passes" [ $? = 0 ] || cat "$tmp/r-echo.out"
S="$tmp/r-echo/latest/test_summary.json"
check "the world serves its stand-in" json "$tmp/r-echo/latest/world.json" \
	'"oot_echo" in s["standins"] and s["env"]["OOT_ECHO_API_KEY"] == "oot_echo-dummy-key"'
check "its probe talks to it: every answer right" json "$S" \
	'[c["status"] for p in s["plugins"] if p["name"] == "oot_echo" for c in p["checks"] if c["name"] == "answers correct"] == ["pass"]'
check "at its own stand-in its checks judge vstress (subject harness), so the phase is skipped" json "$S" \
	'[(p["status"], {c["subject"] for c in p["checks"]}) for p in s["plugins"] if p["name"] == "oot_echo"] == [("skipped", {"harness"})]'
check "setup reports its secret (exported by its stand-in)" json "$S" \
	'[(c["status"], "by the world" in c["message"], c["subject"]) for p in s["plugins"] if p["name"] == "setup" for c in p["checks"] if c["name"] == "env.oot_echo.OOT_ECHO_API_KEY"] == [("pass", True, "harness")]'
run_echo "$tmp/r-nokey" --only setup
check "without the world, setup says its probes will skip" json "$tmp/r-nokey/latest/test_summary.json" \
	'[(c["status"], c["message"]) for p in s["plugins"] if p["name"] == "setup" for c in p["checks"] if c["name"] == "env.oot_echo.OOT_ECHO_API_KEY"] == [("skip", "OOT_ECHO_API_KEY not set: oot_echo probes will skip")]'
run_echo "$tmp/r-off" --only setup -s oot_echo.enabled=false
check "disabled in the manifest, it is not checked" json "$tmp/r-off/latest/test_summary.json" \
	'not [c for p in s["plugins"] for c in p["checks"] if c["name"].startswith("env.oot_echo")] and [c for p in s["plugins"] for c in p["checks"] if c["name"] == "env.llm_openai.OPENAI_API_KEY"]'
# A declared secret that is no variable name: the plugin is refused, the entry named.
mkdir -p "$tmp/badsec"
sed -e 's/"OOT_ECHO_API_KEY", NULL/"OOT_ECHO_API_KEY", "A||B", NULL/' -e 's/"oot_echo"/"badsec"/' "$prov/oot_echo.c" >"$tmp/badsec/badsec.c"
cp "$prov/oot_echo.h" "$prov/standin.c" "$tmp/badsec/"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE $(pkg-config --cflags vstress-lib) "$tmp/badsec"/*.c $(pkg-config --libs vstress-lib) \
	-o "$tmp/badsec/badsec.so" 2>/dev/null
out=$("$inst/bin/vstress" -c /dev/null -P "$tmp/badsec" list 2>&1)
check "a malformed declared secret makes the plugin unusable, named" \
	grep -q "badsec .*unusable: secret 'A||B' is not a variable name" <<<"$out"
sum_installed >"$tmp/installed.after"
check "adding it touched nothing installed: its folder and one .ini" cmp -s "$tmp/installed.before" "$tmp/installed.after"
finish
