#!/usr/bin/env bash
# make bench-load: the load phase itself (vstress run --only load) at 1,000
# concurrent calls against the C echo target (tests/echo_target), launched by
# vstress with its Call Control answering through the world's Telnyx
# stand-in (the manifest of tests/integration/loadshape/).  Each call is four
# caller turns of tones with 2 s pauses (bench/load-call.ini, ~14 s); the
# calls start 5 ms apart, so all of them are in progress at once.  At the end
# every call's frames sent are matched with the frames the target counted on
# that call's stream (its --stats-out file, written as it exits).
#   BENCH_LOAD_CALLS=1000  BENCH_LOAD_RAMP=5ms
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${BENCH_LOAD_CALLS:-1000}
RAMP=${BENCH_LOAD_RAMP:-5ms}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VSTRESS_TEST_ECHO ECHO_ARGS="--stats-out $tmp/target-stats.json"
VSTRESS_TEST_ECHO=$(readlink -f "$BUILD/tests/echo_target")
start=$(date +%s.%N)
"$BUILD/vstress" run -c tests/integration/loadshape/manifest.ini -r "$tmp/run" -q --only load \
	--set "load.calls=$N" --set "load.concurrency=$N" --set "load.ramp=$RAMP" \
	--set load.scripts=bench/load-call.ini --set load.timeout=140s --set load.capacity_budget=0s \
	--set load.max_late_pct=5 >"$tmp/out" 2>&1
rc=$?
wall=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
python3 - "$tmp" "$N" "$wall" "$rc" <<'PY'
import glob, json, sys
tmp, n, wall, rc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    s = json.load(open(glob.glob(tmp + "/run/*/test_summary.json")[0]))
    ld = next(p for p in s["plugins"] if p["name"] == "load")
    st = json.load(open(tmp + "/target-stats.json"))["streams"]
except (IndexError, OSError, StopIteration, ValueError) as e:
    print(f"bench-load: no result ({e}); vstress exited {rc}:")
    print(open(tmp + "/out").read()[-2000:])
    sys.exit(1)
ck = {c["name"]: c for c in ld["checks"]}
calls = [c["call"] for c in ld["data"]["calls"]]
sent = sum(c["media"]["frames_sent"] for c in calls)
counted = sum(st.get(c["media"].get("stream_id") or "", {}).get("frames", 0) for c in calls)
exact = sum(1 for c in calls if st.get(c["media"].get("stream_id") or "", {}).get("frames") == c["media"]["frames_sent"])
print(f"load: {n} calls started 5 ms apart against the echo target, {wall} s")
for k in ("calls.complete", "concurrency.reached", "pacing.late_frames", "first_reply.p95", "turn.p95", "cpu.mean"):
    if k in ck:
        print(f"  {ck[k]['status']:5} {k}: {ck[k].get('message', '')[:200]}")
print(f"  frames: {sent} sent by the callers, {counted} counted by the target "
      f"({100.0 * counted / sent if sent else 0:.3f} %); {exact} of {len(calls)} calls matched frame for frame")
ok = len(calls) == n and sent and counted == sent and exact == n and all(
    ck[k]["status"] == "pass" for k in ("calls.complete", "concurrency.reached", "pacing.late_frames"))
print("bench-load:", "every call complete, all at once, every frame accounted" if ok else "NOT all accounted")
sys.exit(0 if ok else 1)
PY
