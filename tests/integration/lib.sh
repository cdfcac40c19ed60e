# TAP helpers for the integration tests of the vstress binary.
BUILD=${BUILD:-build}
VS=("${VSTRESS_WRAP_ARR[@]}")
n=0 failed=0
# VSTRESS_WRAP (e.g. valgrind ...) runs the binary under a wrapper.
read -r -a WRAP <<<"${VSTRESS_WRAP:-}"
vs() { "${WRAP[@]}" "$BUILD/vstress" "$@"; }
ok() { n=$((n + 1)); last_ok=1; echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); last_ok=0; failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { # description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# json FILE PYTHON-EXPR: evaluates EXPR with `s` = the parsed file; true -> exit 0
json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"s": s})
if not ok:
    print("# json check failed:", sys.argv[2], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
# A test that made a target check fail says so for scripts/check-audit.py:
# "PLUGIN CHECK" is appended to $VSTRESS_FAILED_CHECKS_LOG (set by
# scripts/check.sh).  noted_fail PLUGIN CHECK: right after the `check` (or
# ok) that asserted the check failed; recorded only when that test passed.
noted_fail() {
	[ "${last_ok:-0}" = 1 ] && [ -n "${VSTRESS_FAILED_CHECKS_LOG:-}" ] && echo "$1 $2" >>"$VSTRESS_FAILED_CHECKS_LOG"
	return 0
}
# check_fails SUMMARY PLUGIN CHECK [PYTHON-CONDITION on c]: the run's check
# failed (and c, the check's JSON, meets the condition); recorded as above.
check_fails() {
	python3 - "$@" <<'PY' || return 1
import json, os, sys
path, plugin, name = sys.argv[1:4]
cs = [c for p in json.load(open(path))["plugins"] if p["name"] == plugin for c in p["checks"] if c["name"] == name]
if not (len(cs) == 1 and cs[0]["status"] == "fail" and eval(sys.argv[4] if len(sys.argv) > 4 else "True", {"c": cs[0]})):
    print("# %s %s: %s" % (plugin, name, json.dumps(cs)[:500]), file=sys.stderr)
    sys.exit(1)
if os.environ.get("VSTRESS_FAILED_CHECKS_LOG"):
    with open(os.environ["VSTRESS_FAILED_CHECKS_LOG"], "a") as f:
        f.write("%s %s\n" % (plugin, name))
PY
}
finish() { echo "1..$n"; [ "$failed" = 0 ]; }
# Real-time calls run once, in the plain build: under a wrapper (valgrind)
# they cannot be paced, and under the sanitizers (VSTRESS_SLOW_RUNTIME) they
# would spend the same wall-clock minutes again to prove what the plain run
# proved; the code they drive is under the sanitizers in its unit and fuzz
# tests.  `realtime_once NAME WHERE` skips (TAP) there, WHERE naming that
# coverage.  (test_hostile is the exception: hostile input is the
# sanitizers' business, so it runs under them too.)
realtime_once() { # NAME WHERE
	if [ -n "${VSTRESS_WRAP:-}" ] || [ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ]; then
		echo "ok 1 # SKIP $1: real-time calls run once, in the plain build ($2)"
		echo "1..1"
		exit 0
	fi
}
# The suites that place real-time calls through the reference agent start
# with `realtime_agent_suite NAME WHY`: a scratch folder in $tmp, removed at
# exit; they skip (TAP) without the agent's venv, under a wrapper or the
# sanitizers (real-time calls run once, in the plain build; WHY says where
# the same code is covered there), and without a PostgreSQL: the suite's
# DATABASE_URL, else a throwaway one in $pgdir, stopped at exit.
AGENT=examples/reference-agent
pgdir=
skip_all() { echo "ok 1 # SKIP $1"; echo "1..1"; exit 0; }
realtime_cleanup() {
	[ -n "$pgdir" ] && scripts/pg-throwaway.sh stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp"
}
realtime_agent_suite() { # NAME WHY
	tmp=$(mktemp -d)
	trap realtime_cleanup EXIT
	[ -x "$AGENT/.venv/bin/python" ] || skip_all "$1: the reference agent's venv ($AGENT/.venv) is not installed"
	if [ -n "${VSTRESS_WRAP:-}" ] || [ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ]; then
		skip_all "$1: real-time calls run once, in the plain build ($2)"
	fi
	if [ -z "${DATABASE_URL:-}" ]; then
		local out
		out=$(scripts/pg-throwaway.sh start) || skip_all "$1: no throwaway PostgreSQL"
		eval "$out"
		pgdir=$VSTRESS_PG_DIR
	fi
}
