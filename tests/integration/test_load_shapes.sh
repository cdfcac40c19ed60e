#!/usr/bin/env bash
# The load plugin's shapes for real (docs/plugins/load.md "Load shapes"),
# on loopback against the C echo target launched by vstress, its Call
# Control answering through the world's Telnyx stand-in:
#  - stages: the calls in progress (measured from the calls' own start and
#    end times) follow the ramp, the plateau and the ramp-down;
#  - arrival_rate: constant and seeded Poisson counts over the window, the
#    gaps, and arrivals dropped at max_in_flight;
#  - capacity search against the echo target's --delay-per-call fault
#    (reply delay 500 ms + 400 ms per other open stream: turn p95 1.7 s at
#    4 calls, 2.1 s at 5, so the capacity under the 2 s SLO is 4);
#  - the soak figures, through a profile that extends another;
#  - the echo target's own faults (late replies, a second answer, one stream
#    URL for all, calls counted as errors, a busy core) fail turn.p95,
#    race.answers, race.stream_urls, agent.errors and cpu.mean;
#  - bad values: config errors naming the key and the offending token.
# About 2 min (capacity ~65 s of it); under the sanitizers about 40 s
# (no capacity, no soak).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

. tests/integration/loadshape/lib.sh
load_suite "load shapes"
HELP="$HELP"'
def in_progress(t):  # from the calls own start/end times, not the scheduler
    return sum(1 for c in calls if c["started_ms"] <= t < c["ended_ms"])
'

# ---- stages ------------------------------------------------------------------
run stages --set "load.stages=3s:4, 4s:4, 3s:1"
check "stages: ran" ran stages
check "stages: in progress follows the ramp 0->4 over 3 s, holds 4 for 4 s, then only falls" py "$T/stages.json" <<PY
$HELP
up = [in_progress(t) for t in (400, 1150, 1900, 2650)]   # target 1, 2, 3, 4 (rounded)
want = [1, 2, 3, 4]
assert all(abs(u - w) <= 1 for u, w in zip(up, want)) and up == sorted(up), up
plateau = [in_progress(3200 + 100 * k) for k in range(38)]
assert sum(1 for q in plateau if q == 4) >= 34 and max(plateau) == 4, plateau
assert max(in_progress(t) for t in range(7000, 10000, 100)) <= 4
assert all(c["started_ms"] < 10050 for c in calls), [c["started_ms"] for c in calls]
PY
check "stages: three stage checks, each with its calls, percentiles and completion" py "$T/stages.json" <<PY
$HELP
st = summ["stages"]
assert [s["stage"] for s in st] == [1, 2, 3] and all(s["calls"] >= 1 for s in st), st
assert st[1]["max_in_progress"] == 4 and st[0]["target_to"] == 4 and st[2]["target_to"] == 1
for k in ("stage.1", "stage.2", "stage.3"):
    assert ck[k]["status"] == "pass", ck[k]
    assert "turn p95" in ck[k]["message"] and "first reply p95" in ck[k]["message"]
assert all(400 <= s["turn_p95_ms"] <= 1500 for s in st), st
assert ck["calls.complete"]["status"] == "pass" and ck["concurrency.reached"]["status"] == "pass"
PY

# ---- arrival rate ------------------------------------------------------------
run constant --set load.arrival_rate=4 --set load.arrival=constant --set load.duration=4s --set load.max_in_flight=30
check "arrival constant: 16 arrivals in 4 s at 4/s, 250 ms apart, none dropped" py "$T/constant.json" <<PY
$HELP
a = summ["arrival"]
assert a["arrivals"] == 16 and a["dropped"] == 0 and len(calls) == 16, a
st = sorted(c["started_ms"] for c in calls)
gaps = [b - a for a, b in zip(st, st[1:])]
assert all(200 <= g <= 300 for g in gaps), gaps
assert ck["arrival.dropped"]["status"] == "pass" and ck["calls.complete"]["status"] == "pass"
PY
run poisson --seed 4242 --set load.arrival_rate=4 --set load.duration=4s --set load.max_in_flight=30
check "arrival poisson (seeded): count within 16 +- 10 (2.5 sd), gaps spread (not constant)" py "$T/poisson.json" <<PY
$HELP
import statistics
a = summ["arrival"]
assert a["kind"] == "poisson" and 6 <= a["arrivals"] <= 26 and a["dropped"] == 0, a
st = sorted(c["started_ms"] for c in calls)
gaps = [b - a for a, b in zip(st, st[1:])]
assert statistics.pstdev(gaps) > 0.4 * statistics.mean(gaps), gaps
PY
# three calls at once against an echo target with agent faults of its own:
# replies 2.5 s late (turn_within 2 s), two answer commands per call, one
# stream URL for every call, every call counted as an error on its /metrics,
# a thread eating one core (bound: half a core, in % of this machine)
ECHO_ARGS="--delay 2500 --answer-twice --error-metrics --spin" \
	run faulty --set load.calls=3 --set load.concurrency=3 \
	--set load.metrics_path=/metrics --set target.signal.calls=agent_calls_total \
	--set 'target.signal.calls_failed=agent_calls_total{outcome="error"}' \
	--set load.cpu_max_pct="$(python3 -c 'import os; print(50 / os.cpu_count())')"
check "faulty echo target: ran" ran faulty
fails() { # NAME CHECK TEXT: in run NAME, CHECK failed saying TEXT (recorded for the audit)
	py "$T/$1.json" "$2" "$3" <<PY
$HELP
c = ck[sys.argv[2]]
assert c["status"] == "fail" and sys.argv[3] in c["message"], c
PY
}
check "replies 2.5 s late fail turn.p95" fails faulty turn.p95 "> 2000 ms"
noted_fail load turn.p95
check "two answer commands per call fail race.answers" fails faulty race.answers ": 2 answer commands"
noted_fail load race.answers
check "one stream URL for every call fails race.stream_urls" fails faulty race.stream_urls "both got ws://127.0.0.1:"
noted_fail load race.stream_urls
check "calls the agent counts as errors fail agent.errors" fails faulty agent.errors 'outcome="error"'
noted_fail load agent.errors
check "a target eating a core fails cpu.mean (bound half a core)" fails faulty cpu.mean "of the machine >"
noted_fail load cpu.mean
run dropped --set load.arrival_rate=4 --set load.arrival=constant --set load.duration=2s --set load.max_in_flight=1
check "arrival over max_in_flight 1: arrivals dropped and counted, arrival.dropped fails" py "$T/dropped.json" <<PY
$HELP
a = summ["arrival"]
assert a["arrivals"] == 8 and a["dropped"] >= 5 and len(calls) == 8 - a["dropped"], a
assert ck["arrival.dropped"]["status"] == "fail" and "dropped at max_in_flight 1" in ck["arrival.dropped"]["message"]
PY
noted_fail load arrival.dropped

# The capacity search and the soak are minutes of real-time calls: they run
# once, in the plain build; under the sanitizers the shapes above and the bad
# values below drive the same parsers and scheduler.
if [ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ]; then
	for what in "capacity" "capacity without the fault" "soak"; do
		n=$((n + 1))
		echo "ok $n # SKIP $what: real-time calls run once, in the plain build"
	done
else
# ---- capacity ----------------------------------------------------------------
ECHO_ARGS="--delay-per-call 400" run capacity --set load.mode=capacity --set load.capacity_hold=4s \
	--set load.capacity_max=8 --set load.capacity_min=5
check "capacity: ran" ran capacity
check "capacity: holds 4 (turn p95 ~1.7 s), breaks at 5 (p95 ~2.1 s): the known capacity; capacity_min 5 fails" py "$T/capacity.json" <<PY
$HELP
cap = summ["capacity"]
assert cap["holds"] == 4 and cap["breaks"] == 5, cap
lv = {l["concurrency"]: l for l in cap["levels"]}
assert [l["concurrency"] for l in cap["levels"]] == [1, 2, 4, 8, 6, 5], list(lv)
assert 1600 <= lv[4]["turn_p95_ms"] < 2000 and lv[5]["turn_p95_ms"] >= 2000, (lv[4], lv[5])
m = ck["capacity.found"]["message"]
assert ck["capacity.found"]["status"] == "fail" and m.startswith("holds 4 concurrent calls at turn p95 1.") and "breaks at 5: turn p95 2." in m, m
assert ck["capacity.per_call"]["status"] == "pass" and cap["cpu_pct_per_call"] >= 0, ck["capacity.per_call"]
# the echo target calls no provider: the world billed nothing, said so
assert ck["capacity.cost_per_call"]["status"] == "skip" and "billed nothing" in ck["capacity.cost_per_call"]["message"], ck["capacity.cost_per_call"]
assert "calls.complete" not in ck and "turn.p95" not in ck
PY
noted_fail load capacity.found
run capacity_max --set load.mode=capacity --set load.capacity_hold=2s --set load.capacity_max=2
check "capacity without the fault: holds the top level 2, capacity.found passes" py "$T/capacity_max.json" <<PY
$HELP
assert summ["capacity"]["holds"] == 2 and summ["capacity"]["breaks"] is None
assert ck["capacity.found"]["status"] == "pass" and "capacity_max 2 reached without a break" in ck["capacity.found"]["message"]
PY

# ---- soak, through a profile extending another -------------------------------
run soak --profile soaktest
check "soak (profile soaktest extends soakbase): 6 s of stages, RSS every 2 s, slope, fds, threads" py "$T/soak.json" <<PY
$HELP
sk = summ["soak"]
# a mark every 2 s from the start to the end (6 s of stages + the last calls' end)
t = [m["t_min"] * 60 for m in sk["marks"]]
assert sk["mark_ms"] == 2000 and len(t) >= 4 and all(abs(b - a - 2) < 0.01 for a, b in zip(t, t[1:-1])), t
assert [s["stage"] for s in summ["stages"]] == [1, 2]
for k in ("soak.memory", "soak.fds", "soak.threads"):
    assert ck[k]["status"] in ("pass", "fail") and ck[k]["message"], ck[k]
assert ck["soak.fds"]["status"] == "pass" and ck["soak.threads"]["status"] == "pass"
assert "MB/hour" in ck["soak.memory"]["message"]
PY
fi

# ---- bad values --------------------------------------------------------------
bad() { # NAME EXPECTED ARGS...: the load plugin a config_error whose reason has EXPECTED
	local name=$1 want=$2
	shift 2
	run "$name" "$@"
	py "$T/$name.json" "$want" <<'PY' || { echo "# exit $(cat "$T/$name.rc")"; sed 's/^/#   /' "$T/$name.out"; return 1; }
import json, sys
ld = json.load(open(sys.argv[1]))
assert ld["status"] == "config_error" and sys.argv[2] in ld["reason"], (ld["status"], ld.get("reason"))
print("#", ld["reason"])
PY
}
check "stages '30s:5, 6x:3': error names the key and the token" bad b1 "[load] stages: '6x:3'" --set "load.stages=30s:5, 6x:3"
check "stages '10s:many': error names the target" bad b2 "target 'many'" --set "load.stages=10s:many"
check "arrival = burst: error names the key" bad b3 "[load] arrival = burst" --set load.arrival_rate=2 --set load.arrival=burst
check "stages with arrival_rate: one shape at a time" bad b4 "one shape at a time" --set load.stages=1s:1 --set load.arrival_rate=2
check "faults 'at 2x for 1s': error names the token" bad b5 "at '2x' is not a duration" --set "load.faults=at 2x for 1s: openai error"
check "faults with a bad world spec: error names it" bad b6 "unknown kind 'explode'" --set "load.faults=at 2s for 1s: openai explode"
check "mode = fast: error names the key" bad b7 "[load] mode = fast" --set load.mode=fast
check "tenant_faults without tenants = 2: refused" bad b9 "tenant_faults needs tenants = 2" --set "load.tenant_faults=at 1s for 1s: openai error"
check "tenants = 2 without provision: refused (vstress creates both tenants)" bad b10 "set provision = true" --set load.tenants=2
check "tenant_faults on a TTS: refused (only LLM requests carry the tenant)" bad b11 "only an LLM stand-in's requests" --set load.tenants=2 --set load.provision=true --set "load.tenant_faults=at 1s for 1s: cartesia error"
check "stages longer than the timeout: refused at setup" bad b8 "more than [load] timeout = 140s" --set "load.stages=2m:2, 1m:1"

# ---- the shipped profiles validate -------------------------------------------
for prof in hundred soak; do
	check "conf.d --profile $prof: check-config accepts it" vs check-config --profile "$prof"
done
finish
