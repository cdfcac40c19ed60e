#!/usr/bin/env bash
# Smoke test of bench/calls (bench/README.md): 50 calls x 2 s through the
# call engine against bench/peers/echo_srv, once on one event loop and once
# on two; each must end every call cleanly with >= 99.9 % of its frames
# echoed back (calls --check).  Functional only: no timing is judged here
# (make bench measures; this machine is shared).  About 6 s.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ "${VSTRESS_VALGRIND:-0}" = 1 ] || [[ "${VSTRESS_WRAP:-}" == *valgrind* ]]; then
	echo "ok 1 # SKIP bench smoke: real-time calls cannot run under valgrind"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp -d)
epid=
trap '[ -n "$epid" ] && kill "$epid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$BUILD/bench/peers/echo_srv" >"$tmp/echo.out" 2>&1 &
epid=$!
for _ in $(seq 50); do grep -q LISTENING "$tmp/echo.out" && break; sleep 0.1; done
port=$(awk '/LISTENING/{print $2}' "$tmp/echo.out")
n=0
for engines in 1 2; do
	n=$((n + 1))
	if out=$("$BUILD/bench/calls" --url "ws://127.0.0.1:${port:-1}/" --calls 50 --seconds 2 --engines "$engines" \
		--check 2>&1); then
		echo "ok $n - 50 calls x 2 s on $engines engine loop(s): all clean, frames echoed"
	else
		echo "not ok $n - 50 calls x 2 s on $engines engine loop(s)"
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
