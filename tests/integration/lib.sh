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
