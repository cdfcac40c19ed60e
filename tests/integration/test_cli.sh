#!/usr/bin/env bash
# The real binary against golden manifests and hostile fixture plugins.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FX=(-P "$BUILD/fixtures" -P "$BUILD/plugins")
empty="$tmp/empty.ini"
: >"$empty"

# --- basics -------------------------------------------------------------
out=$(vs --version)
check "--version prints the version" grep -q "^vstress [0-9]" <<<"$out"
vs --help >/dev/null
check "--help exits 0" [ $? = 0 ]
vs bogus >/dev/null 2>&1
check "unknown command exits 2" [ $? = 2 ]

# --- golden bad manifests: exact message, exit 2 --------------------------
for f in tests/manifests/bad/*.ini; do
	want=$(sed -n 's/^; expect: //p' "$f")
	got=$(vs -c "$f" "${FX[@]}" check-config 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 2 ] && grep -qxF "vstress: $want" <<<"$got"; then
		ok "bad manifest $(basename "$f"): exact message"
	else
		not_ok "bad manifest $(basename "$f"): exact message" "rc=$rc want 'vstress: $want' got '$got'"
	fi
done

# --- list / describe --------------------------------------------------------
out=$(vs -c "$empty" "${FX[@]}" list)
check "list shows a wrong-ABI plugin as unusable" grep -q "fx_badabi .*unusable: built for plugin ABI 99" <<<"$out"
check "list shows a non-plugin .so" grep -q "fx_nodesc .*not a vstress plugin" <<<"$out"
check "list shows the skeleton's version" grep -qE "^skeleton +1\.0\.0" <<<"$out"
check "list shows requirements" grep -qE "^fx_needs_fail +0\.0\.1 +fx_fail" <<<"$out"
out=$(vs -c "$empty" "${FX[@]}" describe skeleton)
check "describe lists options with defaults and help" grep -q "requests .*int .*default: 50" <<<"$out"
out=$(vs -c "$empty" "${FX[@]}" describe skeletn 2>&1)
check "describe suggests the nearest name" grep -q "did you mean 'skeleton'" <<<"$out"

# --- a passing run and its results -------------------------------------------
vs -q -c conf.d "${FX[@]}" -r "$tmp/r1" run --only skeleton
check "run --only skeleton exits 0" [ $? = 0 ]
S="$tmp/r1/latest/test_summary.json"
check "results/latest points at the run" [ -f "$S" ]
check "summary: schema, status, run id" json "$S" \
	's["schema_version"] == 2 and s["status"] == "passed" and s["run_id"] and s["config_digest"].startswith("sha256:")'
check "summary: skeleton passed with checks" json "$S" \
	'[p["status"] for p in s["plugins"]] == ["passed"] and s["plugins"][0]["checks_passed"] == 2'
check "summary: latency metric with percentiles and histogram" json "$S" \
	'(lambda m: m["count"] == 50 and m["p50_us"] <= m["p99_us"] <= m["max_us"] and m["hist"].startswith("VSH1:"))(s["plugins"][0]["metrics"]["latency"])'
check "summary: uncorrected companion metric" json "$S" '"latency_uncorrected" in s["plugins"][0]["metrics"]'
check "junit.xml written" grep -q '<testsuite name="skeleton"' "$tmp/r1/latest/junit.xml"
check "per-plugin log written" grep -q "greeting: hello" "$tmp/r1/latest/skeleton.log"
check "no temp files left" bash -c "! ls $tmp/r1/latest/ | grep -q tmp"

out=$(vs -q -c conf.d "${FX[@]}" -r "$tmp/rx" run --only skeleton --explain 2>/dev/null)
check "run --explain: says plainly when no phase recorded waterfalls (docs/waterfall.md)" \
	grep -q "no phase recorded per-turn waterfalls" <<<"$out"
out=$(vs --explain "$tmp/r1/latest" 2>&1)
check "--explain DIR (and explain DIR) read a results folder" \
	bash -c "[ $? = 0 ] && grep -q 'no phase recorded' <<<'$out' && '$BUILD/vstress' explain '$tmp/r1/latest' | grep -q 'no phase recorded'"

vs -q -c conf.d "${FX[@]}" -r "$tmp/nf" run --only skeleton --no-fork
check "--no-fork runs the plugin in-process with the same results" json "$tmp/nf/latest/test_summary.json" \
	's["status"] == "passed" and s["plugins"][0]["checks_passed"] == 2 and s["plugins"][0]["metrics"]["latency"]["count"] == 50'

# A check that fails makes the run exit 1.
vs -q -c conf.d -s skeleton.p99_max=0ms "${FX[@]}" -r "$tmp/r2" run --only skeleton
check "a failed check exits 1" [ $? = 1 ]
check "failed check recorded with value and threshold" json "$tmp/r2/latest/test_summary.json" \
	'(lambda c: c["status"] == "fail" and c["threshold"] == 0 and c["op"] == "<")([c for c in s["plugins"][0]["checks"] if c["name"] == "p99 latency"][0])'

# --- hostile fixtures: every one classified, the summary still valid -----------
vs -q -c tests/manifests/hostile.ini "${FX[@]}" -r "$tmp/h" run
check "hostile run exits 1" [ $? = 1 ]
H="$tmp/h/latest/test_summary.json"
expect_status() { json "$H" "[p for p in s['plugins'] if p['name'] == '$1'][0]['status'] == '$2'"; }
for pair in fx_pass:passed fx_fail:failed fx_skip:skipped fx_segv:crashed fx_abort:crashed fx_loop:timed_out \
	fx_sleep:timed_out fx_exit0:no_result fx_badabi:error fx_nodesc:error fx_big:passed fx_needs_fail:skipped; do
	check "hostile: ${pair%%:*} is ${pair#*:}" expect_status "${pair%%:*}" "${pair#*:}"
done
check "hostile: crash reason names the signal" json "$H" \
	'[p for p in s["plugins"] if p["name"] == "fx_segv"][0]["reason"].startswith("killed by SIGSEGV")'
check "hostile: what a crashing plugin reported is kept" json "$H" \
	'[p for p in s["plugins"] if p["name"] == "fx_segv"][0]["checks"][0]["name"] == "reported before"'
check "hostile: skip reason kept" json "$H" \
	'[p for p in s["plugins"] if p["name"] == "fx_skip"][0]["reason"] == "no API key (set FX_KEY)"'
check "hostile: dependent of a failed plugin says why" json "$H" \
	'[p for p in s["plugins"] if p["name"] == "fx_needs_fail"][0]["reason"] == "dependency fx_fail did not pass (failed)"'
check "hostile: megabytes of output do not lose events" json "$H" \
	'[p for p in s["plugins"] if p["name"] == "fx_big"][0]["checks_passed"] == 2001'
check "hostile: the run completes with a summary" json "$H" 's["status"] == "failed" and len(s["plugins"]) == 12'
# Children are forks of vstress: they carry its command line, with the results dir.
no_procs() { ! pgrep -f "[v]stress.*$1" >/dev/null; }
no_procs_cmd() { ! pgrep -f "[${1:0:1}]${1:1}" >/dev/null; }
check "hostile: no process left behind" no_procs "$tmp/h"


# --- selection ------------------------------------------------------------------
sel="$tmp/sel.ini"
printf '[vstress]\ntimeout = 10s\n[fx_pass]\n[fx_fail]\n[fx_needs_fail]\n' >"$sel"
vs -q -c "$sel" "${FX[@]}" -r "$tmp/s1" run --only fx_needs_fail
check "--only pulls in dependencies" json "$tmp/s1/latest/test_summary.json" \
	'[p["name"] for p in s["plugins"]] == ["fx_fail", "fx_needs_fail"]'
vs -q -c "$sel" "${FX[@]}" -r "$tmp/s2" run --only fx_needs_fail --no-deps
check "--no-deps runs the plugin alone" json "$tmp/s2/latest/test_summary.json" \
	'[(p["name"], p["status"]) for p in s["plugins"]] == [("fx_needs_fail", "passed")]'
vs -q -c "$sel" "${FX[@]}" -r "$tmp/s3" run --skip fx_fail
check "--skip skips dependents with the reason" json "$tmp/s3/latest/test_summary.json" \
	'[(p["name"], p["status"], p["reason"]) for p in s["plugins"]] == [("fx_pass", "passed", None), ("fx_needs_fail", "skipped", "dependency fx_fail was skipped (--skip)")]'
printf '[fx_skip]\n' >"$tmp/skip.ini"
vs -q -c "$tmp/skip.ini" "${FX[@]}" -r "$tmp/s4" run
check "a skip passes the run" [ $? = 0 ]
vs -q -c "$tmp/skip.ini" "${FX[@]}" -r "$tmp/s5" run --strict
check "--strict makes a skip fail the run" [ $? = 1 ]

# --- options: interpolation, profiles, overrides, secrets --------------------------
o="$tmp/opts.ini"
printf '[fx_opts]\nname = ${FX_NAME:-dflt}\ntoken = s3cr3t-token-value\n[fx_opts:live]\ncount = 9\n' >"$o"
vs -q -c "$o" "${FX[@]}" -r "$tmp/o1" run
check "\${VAR:-default} uses the default when unset" json "$tmp/o1/latest/test_summary.json" \
	'"count=3 pause=10ms name=dflt" in s["plugins"][0]["checks"][0]["message"]'
FX_NAME=fromenv vs -q -c "$o" "${FX[@]}" -r "$tmp/o2" run --profile live
check "environment value and profile overlay" json "$tmp/o2/latest/test_summary.json" \
	'"count=9 pause=10ms name=fromenv" in s["plugins"][0]["checks"][0]["message"] and s["profile"] == "live"'
check "option defaults are interpolated too" json "$tmp/o1/latest/test_summary.json" \
	'"where=nowhere" in s["plugins"][0]["checks"][0]["message"]'
FX_WHERE=here vs -q -c "$o" "${FX[@]}" -r "$tmp/o4" run
check "an option default takes the environment's value" json "$tmp/o4/latest/test_summary.json" \
	'"where=here" in s["plugins"][0]["checks"][0]["message"]'
check "secrets never reach results or logs" bash -c "! grep -rq 's3cr3t-token-value' $tmp/o1 $tmp/o2"
check "secrets are redacted, not dropped" grep -q "the token is \*\*\*" "$tmp/o1/latest/fx_opts.log"
printf '[fx_opts]\ncount = 5\n' >"$tmp/over.ini"
vs -q -c "$o" -c "$tmp/over.ini" -s fx_opts.pause=20ms "${FX[@]}" -r "$tmp/o3" run
check "a later file and --set override earlier values" json "$tmp/o3/latest/test_summary.json" \
	'"count=5 pause=20ms" in s["plugins"][0]["checks"][0]["message"]'

# --- duplicates and exports ----------------------------------------------------------
mkdir -p "$tmp/dup"
cp "$BUILD/fixtures/fx_pass.so" "$tmp/dup/"
out=$(vs -c "$empty" -P "$tmp/dup" "${FX[@]}" list)
check "a duplicate plugin name is reported as shadowed" grep -q "note: $BUILD/fixtures/fx_pass.so is shadowed by $tmp/dup/fx_pass.so" <<<"$out"
exports_ok=1
for so in "$BUILD"/plugins/*.so; do
	syms=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_' | sort -u)
	[ "$syms" = "vstress_plugin" ] || { exports_ok=0; echo "# $so exports: $syms"; }
done
check "every plugin exports exactly one symbol" [ $exports_ok = 1 ]

# --- interruption ---------------------------------------------------------------------
printf '[vstress]\ntimeout = 30s\n[fx_sleep]\n[fx_pass]\n' >"$tmp/int.ini"
"$BUILD/vstress" -q -c "$tmp/int.ini" "${FX[@]}" -r "$tmp/i" run &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
check "SIGINT exits 3" [ $rc = 3 ]
check "SIGINT still writes a summary marked interrupted" json "$tmp/i/latest/test_summary.json" \
	's["status"] == "interrupted" and s["interrupted"] and [p["status"] for p in s["plugins"]] == ["interrupted", "skipped"]'
check "no child left after SIGINT" no_procs "$tmp/i"

# --- services: the target, launched and stopped by the core ----------------------------
t="$tmp/target.ini"
cat >"$t" <<'INI'
[world]
enabled = false
[target]
mode = launch
command = exec python3 -m http.server --bind 127.0.0.1 ${VSTRESS_TARGET_PORT}
base_url = http://127.0.0.1:${VSTRESS_TARGET_PORT}
health_path = /
ready_timeout = 20s
env.VS_FROM_MANIFEST = yes
[fx_pass]
depends = target
INI
vs -q -c "$t" "${FX[@]}" -r "$tmp/t1" run
check "a launched target: dependents run" [ $? = 0 ]
check "summary records the target as ready" json "$tmp/t1/latest/test_summary.json" \
	's["services"]["target"]["status"] == "ready" and s["plugins"][0]["status"] == "passed"'
check "target output captured in target.log" grep -q "GET / HTTP" "$tmp/t1/latest/target.log"
check "the target is stopped after the run" no_procs_cmd "http.server --bind 127.0.0.1"
sed -e 's/^command = .*/command = echo no such agent; exit 3/' "$t" >"$tmp/target_bad.ini"
vs -q -c "$tmp/target_bad.ini" "${FX[@]}" -r "$tmp/t2" run
check "a target that dies fails the run" [ $? = 1 ]
check "its dependents are skipped with the target's own words" json "$tmp/t2/latest/test_summary.json" \
	'"exited before" in s["plugins"][0]["reason"] and "no such agent" in s["plugins"][0]["reason"] and s["plugins"][0]["status"] == "skipped"'

# --- services: [world] database_url puts the world's Postgres fault proxy in front --------
# of the target's database (protocol-blind: no Postgres needed to see the wiring)
pgt="$tmp/pgproxy.ini"
cat >"$pgt" <<INI
[world]
database_url = postgresql://u:pw@127.0.0.1:5999/db?sslmode=disable
[target]
mode = launch
command = env > "$tmp/tenv.txt"; exec python3 -m http.server --bind 127.0.0.1 \${VSTRESS_TARGET_PORT}
base_url = http://127.0.0.1:\${VSTRESS_TARGET_PORT}
health_path = /
ready_timeout = 20s
env.DATABASE_URL = \${VSTRESS_WORLD_DATABASE_URL:-}
[fx_pass]
depends = target
INI
vs -q -c "$pgt" "${FX[@]}" -r "$tmp/pg1" run
check "database_url: the run passes" [ $? = 0 ]
check "database_url: the world runs the Postgres proxy in front of its host:port" json "$tmp/pg1/latest/world.json" \
	's["standins"]["postgres"]["upstream"] == "127.0.0.1" and s["standins"]["postgres"]["port"] != 5999'
pport=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["standins"]["postgres"]["port"])' "$tmp/pg1/latest/world.json" 2>/dev/null)
check "database_url: the target's DATABASE_URL goes through the proxy (credentials, database, parameters kept)" \
	grep -qxF "DATABASE_URL=postgresql://u:pw@127.0.0.1:$pport/db?sslmode=disable" "$tmp/tenv.txt"
check "database_url: VSTRESS_WORLD_POSTGRES_ADDR is the proxy" grep -qxF "VSTRESS_WORLD_POSTGRES_ADDR=127.0.0.1:$pport" "$tmp/tenv.txt"
sed -i 's|^database_url = .*|database_url = postgresql:///db?host=/tmp/nowhere|' "$pgt"
vs -q -c "$pgt" "${FX[@]}" -r "$tmp/pg2" run 2>/dev/null
check "a unix-socket database_url: no proxy (it is TCP only)" json "$tmp/pg2/latest/world.json" '"postgres" not in s["standins"]'
check "a unix-socket database_url: the target gets the URL unchanged" \
	grep -qxF "DATABASE_URL=postgresql:///db?host=/tmp/nowhere" "$tmp/tenv.txt"

# --- a plugin named like a file of the run (errors.log) gets plugin-<name>.log ----------
printf '[errors]\n' >"$tmp/errors.ini"
VSTRESS_TARGET_URL= vs -q -c "$tmp/errors.ini" "${FX[@]}" -r "$tmp/el" --only errors run
check "the errors plugin's log is plugin-errors.log, not the run's errors.log" json "$tmp/el/latest/test_summary.json" \
	's["plugins"][0]["log"] == "plugin-errors.log"'
check "plugin-errors.log holds the plugin's own lines" grep -q "errors 1.0.0: setup" "$tmp/el/latest/plugin-errors.log"

# --- merge_artifacts: one document from the plugins' own files ----------------------------
printf '[vstress]\nmerge_artifacts = res.json=res_*.json, bad.json=res_a.json\n[fx_artifacts]\n' >"$tmp/merge.ini"
vs -q -c "$tmp/merge.ini" "${FX[@]}" -r "$tmp/ma" --only fx_artifacts run 2>"$tmp/ma.err"
check "merge_artifacts: res.json keyed by what * matched" json "$tmp/ma/latest/res.json" \
	's["a"] == {"n": 1} and s["b"] == [2, 3] and sorted(s) == ["a", "b", "c"]'
check "merge_artifacts: a broken file is kept with where it broke" json "$tmp/ma/latest/res.json" \
	's["c"]["file"] == "res_c.json" and s["c"]["line"] >= 1 and s["c"]["error"]'
check "merge_artifacts: a pattern without '*' is named, the rest still merged" \
	grep -q "merge_artifacts: 'bad.json=res_a.json' must be out=pattern" "$tmp/ma.err"
check "merge_artifacts: the plugin's own files stay" [ -f "$tmp/ma/latest/res_a.json" ]

# --- report.html: written by every run, rewritten by `vstress report` ----------------------
printf '[fx_fail]\n' >"$tmp/rep.ini"
vs -c "$tmp/rep.ini" "${FX[@]}" -r "$tmp/rep" --only fx_fail run 2>"$tmp/rep.err"
check "a failed run still writes report.html, with its verdict" \
	grep -q '<div class="verdict failed" id="verdict-text">failed</div>' "$tmp/rep/latest/report.html"
check "the run's last line names the report" grep -q "report: $tmp/rep/.*/report.html" "$tmp/rep.err"
rm -f "$tmp/rep/latest/report.html"
out=$(vs report "$tmp/rep/latest" 2>&1)
check "vstress report DIR rewrites it (exit 0)" [ $? = 0 -a -s "$tmp/rep/latest/report.html" ]
printf '{"status": "passed",\n "plugins": [1, }\n' >"$tmp/rep/latest/test_summary.json"
out=$(vs report "$tmp/rep/latest" 2>&1)
rc=$?
[ $rc = 2 ] && grep -q "test_summary.json:2:" <<<"$out"
check "vstress report on a malformed summary: exit 2, file and line named" [ $? = 0 ]
out=$(vs report "$tmp/nonexistent" 2>&1)
rc=$?
[ $rc = 2 ] && grep -q "$tmp/nonexistent/test_summary.json" <<<"$out"
check "vstress report on a missing summary: exit 2, the file named" [ $? = 0 ]

finish
