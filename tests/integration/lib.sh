# TAP helpers for the integration tests of the vstress binary.
BUILD=${BUILD:-build}
VS=("${VSTRESS_WRAP_ARR[@]}")
n=0 failed=0
# VSTRESS_WRAP (e.g. valgrind ...) runs the binary under a wrapper.
read -r -a WRAP <<<"${VSTRESS_WRAP:-}"
vs() { "${WRAP[@]}" "$BUILD/vstress" "$@"; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
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
finish() { echo "1..$n"; [ "$failed" = 0 ]; }
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
