# Shared by the load-shape suites (test_load_shapes.sh, test_load_network.sh),
# after tests/integration/lib.sh: `load_suite NAME` skips (TAP) under a
# wrapper (real-time calls; they run in the normal and SAN builds) or without
# the echo target, and makes the scratch folder $T, removed at exit.
# run NAME ARGS...: vstress run --only load into $T/NAME, the load plugin's
# JSON in $T/NAME.json; ran NAME: that run left its JSON (else the output is
# shown); $HELP: the Python prelude of a check over that JSON.
M=tests/integration/loadshape/manifest.ini
load_suite() { # NAME
	if [ -n "${VSTRESS_WRAP:-}" ]; then
		echo "ok 1 # SKIP $1: real-time calls under a wrapper (${VSTRESS_WRAP%% *}); they run in the normal and SAN builds"
		echo "1..1"
		exit 0
	fi
	ECHO=${VS_ECHO_TARGET:-$BUILD/tests/echo_target}
	if [ ! -x "$ECHO" ]; then
		echo "ok 1 # SKIP $1: no echo target at $ECHO (make tests)"
		echo "1..1"
		exit 0
	fi
	export VSTRESS_TEST_ECHO ECHO_ARGS=
	VSTRESS_TEST_ECHO=$(readlink -f "$ECHO")
	T=$(mktemp -d /tmp/vs-load.XXXXXX)
	trap 'rm -rf "$T"' EXIT
}
run() {
	local name=$1
	shift
	vs run -c "$M" -r "$T/$name" -q --only load "$@" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
	python3 - "$T/$name" >"$T/$name.json" 2>/dev/null <<'PY'
import glob, json, sys
s = json.load(open(glob.glob(sys.argv[1] + "/*/test_summary.json")[0]))
print(json.dumps(next(p for p in s["plugins"] if p["name"] == "load")))
PY
}
ran() { [ -s "$T/$1.json" ] || { echo "# $1: exit $(cat "$T/$1.rc")"; sed 's/^/#   /' "$T/$1.out"; return 1; }; }
py() { python3 - "$@"; }
HELP='
import json, sys
ld = json.load(open(sys.argv[1]))
ck = {c["name"]: c for c in ld["checks"]}
calls = ld["data"]["calls"]
summ = ld["data"]["summary"]
'
