#!/usr/bin/env bash
# The load plugin's network impairments per stage and for the whole run
# (docs/plugins/load.md "Network impairments"), on loopback against the C
# echo target (the loadshape manifest of test_load_shapes.sh):
#  - stages 3s:2, 4s:3 with stage_network = 2: loss=20%: stage 2's calls lose caller frames, stage
#    1's lose none; the stage check and data.stages report our figures next
#    to the agent's; every impaired call carries its spec and seed;
#  - the same run again (same --seed): the same seeds, the same losses;
#  - network for the whole batch impairs every call;
#  - bad specs: config errors naming the key and the token.
# About 1 min.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

. tests/integration/loadshape/lib.sh
realtime_once "load network" "the impairment specs and the impairer are under the sanitizers in test_impair"
load_suite "load network"
HELP="$HELP"'
def imp(c):  # the call result JSON: the media leg "impairment", or None
    def find(o):
        if isinstance(o, dict):
            if "impairment" in o:
                return o["impairment"]
            for v in o.values():
                r = find(v)
                if r is not None:
                    return r
        return None
    return find(c)
def stage_of(c):
    st = summ["stages"]
    return next(s["stage"] for s in st if s["from_ms"] <= c["started_ms"] < s["to_ms"])
'

STAGED=(--seed 42 --set "load.stages=3s:2, 4s:3" --set "load.stage_network=2: loss=20%")
run staged "${STAGED[@]}"
check "stage_network: ran" ran staged
check "stage_network: stage 2's calls lose caller frames, stage 1's none; figures in stage.2 and data.stages" py "$T/staged.json" <<PY
$HELP
st = summ["stages"]
assert st[0]["network"] is None and st[1]["network"]["spec"].find("loss=20%") >= 0, st
n2 = st[1]["network"]
assert n2["calls"] >= 1 and n2["frames"] > 0, n2
frac = n2["lost"] / n2["frames"]
assert 0.08 <= frac <= 0.35, (frac, n2)
assert "our network impairment" in ck["stage.2"]["message"] and "caller frames lost" in ck["stage.2"]["message"]
assert "our network impairment" not in ck["stage.1"]["message"], ck["stage.1"]["message"]
s1 = [c for c in calls if stage_of(c) == 1]
s2 = [c for c in calls if stage_of(c) == 2]
assert s1 and s2
assert all(imp(c) is None for c in s1), [imp(c) for c in s1]
assert all(imp(c) is not None and "seed=" in imp(c)["spec"] for c in s2), [imp(c) for c in s2]
assert sum(imp(c)["lost"] for c in s2) == n2["lost"] and n2["calls"] == len(s2) >= 2, (n2, len(s2))
print("# stage 2: %d of %d frames lost over %d calls" % (n2["lost"], n2["frames"], n2["calls"]))
PY
run staged2 "${STAGED[@]}"
check "stage_network: replayable: the same run gives each call the same seed and the same losses" py "$T/staged.json" "$T/staged2.json" <<'PY'
import json, sys
def calls(f):
    ld = json.load(open(f))
    out = {}
    for i, c in enumerate(ld["data"]["calls"]):
        s = json.dumps(c)
        k = s.find('"impairment"')
        if k >= 0:
            m = json.loads(json.dumps(c))
            def find(o):
                if isinstance(o, dict):
                    if "impairment" in o: return o["impairment"]
                    for v in o.values():
                        r = find(v)
                        if r is not None: return r
            out[i] = find(m)
    return out
a, b = calls(sys.argv[1]), calls(sys.argv[2])
common = sorted(set(a) & set(b))
assert len(common) >= 2, (a.keys(), b.keys())
for i in common:
    assert a[i]["spec"] == b[i]["spec"], (i, a[i]["spec"], b[i]["spec"])
    # the same seeded drops frame by frame: equal over equal frame counts
    if a[i]["frames"] == b[i]["frames"]:
        assert a[i]["lost"] == b[i]["lost"], (i, a[i], b[i])
    else:
        assert abs(a[i]["lost"] - b[i]["lost"]) <= abs(a[i]["frames"] - b[i]["frames"]), (i, a[i], b[i])
print("# %d impaired calls compared" % len(common))
PY

run batch --set load.calls=2 --set load.concurrency=2 --set "load.network=jitter=30ms duplicate=10% seed=7"
check "network for the whole batch: every call impaired (jitter, duplicates), the seed given" py "$T/batch.json" <<PY
$HELP
assert len(calls) == 2
for c in calls:
    i = imp(c)
    assert i is not None and "duplicate=10%" in i["spec"] and i["duplicated"] > 0 and i["delayed"] > 0, i
assert imp(calls[0])["spec"] != imp(calls[1])["spec"]  # one seed each, from seed=7
PY

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
check "network 'loss=lots': error names the key and the token" bad n1 "[load] network = loss=lots" --set "load.network=loss=lots"
check "stage_network stage 5 of 2: error names the token" bad n2 "\"5\" is not a stage number 1..2" --set "load.stages=1s:1, 1s:1" --set "load.stage_network=5: loss=1%"
check "stage_network without stages: refused" bad n3 "needs a stages shape" --set "load.stage_network=1: loss=1%"
check "stage_network 'jitter' without a stage: error names it" bad n4 "is not STAGE: spec" --set "load.stages=1s:1" --set "load.stage_network=jitter=5ms"
finish
