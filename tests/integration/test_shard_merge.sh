#!/usr/bin/env bash
# vstress run --shard I/N and vstress merge (docs/scale-out.md), for real:
# three shards of a 9-call load batch on loopback against the C echo
# target (launched by vstress, answering through the world's Telnyx
# stand-in), merged; the merged figures against figures computed here
# independently from the shards' per-call data (the union of their samples),
# and against one unsharded run of the same 9 calls; then every way merge
# must refuse shards.  About 30 s.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

realtime_once "shards and merge" "the merge is under the sanitizers in test_merge and fuzz_schema"
ECHO=${VS_ECHO_TARGET:-$BUILD/tests/echo_target}
if [ ! -x "$ECHO" ]; then
	echo "ok 1 # SKIP shards and merge: no echo target at $ECHO (make tests)"
	echo "1..1"
	exit 0
fi
export VSTRESS_TEST_ECHO
VSTRESS_TEST_ECHO=$(readlink -f "$ECHO")
M=tests/integration/shard/manifest.ini
T=$(mktemp -d /tmp/vs-shard.XXXXXX)
trap 'rm -rf "$T"' EXIT

# run NAME ARGS...: vstress run into $T/NAME; the results folder in $T/NAME.dir
run() {
	local name=$1
	shift
	vs run -c "$M" -r "$T/$name" -q "$@" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
	readlink -f "$T/$name/latest" >"$T/$name.dir" 2>/dev/null || echo "$T/$name/none" >"$T/$name.dir"
}
dir() { cat "$T/$1.dir"; }
ran() { # NAME: exit 0 or 1 (the echo target shares its stream URL: race.stream_urls fails) and a summary
	local rc
	rc=$(cat "$T/$1.rc")
	{ [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && [ -f "$(dir "$1")/test_summary.json" ] ||
		{ echo "# $1: exit $rc"; sed 's/^/#   /' "$T/$1.out"; return 1; }
}

for i in 1 2 3; do
	run "s$i" --shard "$i/3"
	check "shard $i/3 ran and wrote its summary" ran "s$i"
done
S1=$(dir s1) S2=$(dir s2) S3=$(dir s3)

# ---- the shards ------------------------------------------------------------
py() { python3 - "$@"; }
check "each summary records its shard and the same run seed (from the config digest)" py "$S1" "$S2" "$S3" <<'PY'
import json, sys
ss = [json.load(open(d + "/test_summary.json")) for d in sys.argv[1:]]
assert [s["shard"] for s in ss] == [{"index": i, "count": 3, "all": False} for i in (1, 2, 3)], [s["shard"] for s in ss]
assert len({s["seed"] for s in ss}) == 1 and len({s["config_digest"] for s in ss}) == 1
PY
check "the slices are disjoint and add up to the 9 calls: shard I has the calls i % 3 == I-1" py "$S1" "$S2" "$S3" <<'PY'
import json, sys
seen = []
for i, d in enumerate(sys.argv[1:]):
    s = json.load(open(d + "/test_summary.json"))
    ld = next(p for p in s["plugins"] if p["name"] == "load")
    idx = [c["index"] for c in ld["data"]["calls"]]
    assert ld["counters"]["calls_planned"] == 3 and all(g % 3 == i for g in idx), (i, idx)
    assert ld["sharding"] == "split"
    seen += idx
assert sorted(seen) == list(range(9)), seen
PY
check "a plugin that does not split: passed on shard 1, skipped 'runs on shard 1 only' on 2 and 3" py "$S1" "$S2" "$S3" <<'PY'
import json, sys
st = []
for d in sys.argv[1:]:
    s = json.load(open(d + "/test_summary.json"))
    sk = next(p for p in s["plugins"] if p["name"] == "skeleton")
    st.append((sk["status"], sk["reason"], sk["sharding"]))
assert st[0][0] == "passed" and st[0][2] == "shard1", st
assert st[1:] == [("skipped", "runs on shard 1 only", "shard1")] * 2, st
PY

# ---- merge -------------------------------------------------------------------
vs merge "$T/merged" "$S3" "$S1" "$S2" >"$T/merge.out" 2>&1
rc=$?
check "vstress merge of the 3 shards (given out of order) exits 0 or 1, not 2 ($rc)" test "$rc" -lt 2
check "the merged folder has the files of a run" test -s "$T/merged/test_summary.json" -a -s "$T/merged/junit.xml" \
	-a -f "$T/merged/errors.log" -a -s "$T/merged/load_test.log" -a -s "$T/merged/load.log" -a -s "$T/merged/world.log" \
	-a -s "$T/merged/target.log" -a -s "$T/merged/report.html"
check "artifacts are concatenated: load_test.log has every shard's part, in order, and all 9 call lines" py "$T/merged" <<'PY'
import re, sys
t = open(sys.argv[1] + "/load_test.log").read()
heads = re.findall(r"^# vstress merge: shard (\d+) ", t, re.M)
assert heads == ["1", "2", "3"], heads
assert len(re.findall(r"^call=\d+ ", t, re.M)) == 9
PY
check "merged_from names the 3 shards in order; shard_count 3" json "$T/merged/test_summary.json" \
	'[m["shard"] for m in s["merged_from"]] == [1, 2, 3] and s["shard_count"] == 3 and s["shard"] is None'

cat >"$T/figures.py" <<'PY'
# Figures recomputed here from the shards' per-call data, independently of
# vstress's histograms: nearest rank over the union of the samples.
import json, math, sys
def load(d):
    s = json.load(open(d + "/test_summary.json"))
    return next(p for p in s["plugins"] if p["name"] == "load")
def llround(x):  # C's llround (half away from zero); Python's round() is half to even
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
def samples(ld):
    first, turns = [], []
    for c in ld["data"]["calls"]:
        r = c["call"]
        if not r or not (r["answered"] and r["media_started"]):
            continue
        m = r["media"]
        if m["first_reply_ms"] >= 0:
            first.append(llround(m["first_reply_ms"]))
        turns += [llround(t["latency_ms"]) for t in m["turns"] if t["replied"] and t["ref_ms"] > 0]
    return first, turns
def p95(v):
    v = sorted(v)
    return v[max(math.ceil(0.95 * len(v)), 1) - 1]
PY
check "merged waterfall: summarised again over every shard's rows (docs/waterfall.md)" py "$T" "$S1" "$S2" "$S3" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1]); from figures import load
m = load(sys.argv[1] + "/merged")["data"]["waterfall"]
sh = [load(d)["data"]["summary"]["waterfall"] for d in sys.argv[2:]]
assert m["turns"] == sum(w["turns"] for w in sh) > 0, (m, sh)
assert m["attributed"] == sum(w["attributed"] for w in sh)
assert m["total"]["n"] == sum(w["total"]["n"] for w in sh)
PY
check "merged counters are the sums of the shards' counters (every counter)" py "$T" "$S1" "$S2" "$S3" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1]); from figures import load
m = load(sys.argv[1] + "/merged")
sh = [load(d) for d in sys.argv[2:]]
keys = set().union(*[p["counters"] for p in sh])
want = {k: sum(p["counters"].get(k, 0) for p in sh) for k in keys}
assert m["counters"] == want, (m["counters"], want)
assert m["counters"]["calls_planned"] == 9
PY
check "merged p95 of first_reply and turn_latency = the p95 of the union of the shards' samples" py "$T" "$S1" "$S2" "$S3" <<'PY'
import sys
sys.path.insert(0, sys.argv[1]); from figures import load, samples, p95
m = load(sys.argv[1] + "/merged")
f, t = [], []
for d in sys.argv[2:]:
    a, b = samples(load(d))
    f += a; t += b
for name, v in (("first_reply", f), ("turn_latency", t)):
    got = m["metrics"][name]
    print("# %s: merged p95 %s ms over %d, union p95 %d ms over %d" % (name, got["p95_ms"], got["count"], p95(v), len(v)))
    # 3 significant digits: exact below 2048, within 1/1000 above
    tol = 0 if p95(v) < 2048 else p95(v) / 1000
    assert got["count"] == len(v) and abs(got["p95_ms"] - p95(v)) <= tol, name
PY
check "the shards differ enough that averaging their p95s would not give the union's (the test can tell)" py "$T" "$S1" "$S2" "$S3" <<'PY'
import sys
sys.path.insert(0, sys.argv[1]); from figures import load, samples, p95
f, avg = [], 0
for d in sys.argv[2:]:
    a, _ = samples(load(d))
    f += a; avg += load(d)["metrics"]["first_reply"]["p95_ms"] / 3
print("# first_reply: mean of the shards' p95 %.1f ms, union p95 %d ms" % (avg, p95(f)))
assert abs(avg - p95(f)) > 50
PY
check "checks with a source are re-evaluated on the merged figures" json "$T/merged/test_summary.json" '
(lambda ld: all(c["reevaluated"] is True for c in ld["checks"] if c["name"] in ("first_reply.p95", "turn.p95", "calls.complete", "pacing.late_frames"))
 and next(c for c in ld["checks"] if c["name"] == "first_reply.p95")["value"] == ld["metrics"]["first_reply"]["p95_ms"]
 and next(c for c in ld["checks"] if c["name"] == "calls.complete")["value"] == 100.0 * ld["counters"]["calls_complete"] / 9
 and abs(next(c for c in ld["checks"] if c["name"] == "pacing.late_frames")["value"] - 100.0 * ld["counters"]["frames_late"] / ld["counters"]["frames_sent"]) < 1e-9
)(next(p for p in s["plugins"] if p["name"] == "load"))'
check "checks without a source say 'not re-evaluable: worst of 3 shards'" json "$T/merged/test_summary.json" '
all(c["message"].startswith("not re-evaluable: worst of 3 shards") and c["reevaluated"] is False
    for p in s["plugins"] if p["name"] == "load" for c in p["checks"] if c["name"] in ("concurrency.reached", "race.stream_urls", "db.pool"))'
check "merged status is re-derived from the merged checks and plugins" py "$T/merged" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/test_summary.json"))
ld = next(p for p in s["plugins"] if p["name"] == "load")
fails = [c for c in ld["checks"] if c["status"] == "fail"]
assert ld["checks_failed"] == len(fails) and ld["status"] == ("failed" if fails else "passed")
assert s["status"] == ("failed" if any(p["status"] not in ("passed", "skipped") for p in s["plugins"]) else "passed")
sk = next(p for p in s["plugins"] if p["name"] == "skeleton")
assert sk["status"] == "passed" and sk["checks_passed"] >= 1, sk
PY

# ---- one unsharded run of the same 9 calls --------------------------------------
run single
check "the unsharded run ran" ran single
check "merged counts equal the unsharded run's: calls, complete, planned; samples per metric" py "$T" "$(dir single)" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1]); from figures import load
m, one = load(sys.argv[1] + "/merged"), load(sys.argv[2])
for k in ("calls", "calls_planned", "calls_complete"):
    assert m["counters"][k] == one["counters"][k], (k, m["counters"][k], one["counters"][k])
for k in ("first_reply", "turn_latency", "start_lateness"):
    assert m["metrics"][k]["count"] == one["metrics"][k]["count"], k
# the echo target replies exactly 300 ms after the caller's speech: the
# latencies themselves agree too, within a frame or two
for k in ("first_reply", "turn_latency"):
    print("# %s p95: merged %s ms, unsharded %s ms" % (k, m["metrics"][k]["p95_ms"], one["metrics"][k]["p95_ms"]))
    assert abs(m["metrics"][k]["p95_ms"] - one["metrics"][k]["p95_ms"]) <= 60, k
PY

# ---- refusals ------------------------------------------------------------------------
refused() { # WANT OUT DIRS...: exit 2 and stderr containing WANT
	local want=$1 out rc
	shift
	out=$(vs merge "$@" 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -qF -- "$want" <<<"$out" || { echo "# exit $rc: $out"; return 1; }
	echo "# $out"
}
check "a missing shard is refused" refused "shard(s) 2 of 3 missing" "$T/m1" "$S1" "$S3"
check "a duplicated shard is refused" refused "shard 1/3 given twice" "$T/m2" "$S1" "$S1" "$S2" "$S3"
run other --shard 3/3 -s load.ramp=160ms
check "a shard of another configuration ran" ran other
check "a shard of a different config digest is refused" refused "config_digest" "$T/m3" "$S1" "$S2" "$(dir other)"
mkdir -p "$T/bad" "$T/four" "$T/seed"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1] + "/test_summary.json")); s["plugins"][0]["counters"] = "x"
json.dump(s, open(sys.argv[2] + "/test_summary.json", "w"))
s = json.load(open(sys.argv[3] + "/test_summary.json")); s["shard"]["count"] = 4
json.dump(s, open(sys.argv[4] + "/test_summary.json", "w"))
s["shard"]["count"] = 3; s["seed"] += 1
json.dump(s, open(sys.argv[5] + "/test_summary.json", "w"))' "$S2" "$T/bad" "$S3" "$T/four" "$T/seed"
check "a shard of another run seed is refused" refused "the shards are not slices of one run" "$T/m7" "$S1" "$S2" "$T/seed"
check "a malformed summary is refused, naming the file and the field" refused "$T/bad/test_summary.json: field 'plugins[0].counters'" "$T/m4" "$S1" "$T/bad" "$S3"
check "a shard of another shard count is refused" refused "is shard 3 of 4" "$T/m5" "$S1" "$S2" "$T/four"
check "an unsharded run's summary is refused" refused "not the result of vstress run --shard" "$T/m6" "$S1" "$S2" "$(dir single)"
check "merging into a shard's own folder is refused" refused "is shard 2's own folder" "$S2" "$S1" "$S2" "$S3"
check "no merged summary was written by a refused merge" bash -c 'for m in m1 m2 m3 m4 m5 m6 m7; do [ ! -e "$1/$m/test_summary.json" ] || exit 1; done' _ "$T"

# ---- the command line ------------------------------------------------------------------
vs run -c "$M" -r "$T/all" -q --only skeleton --shard 2/3 --shard-all >/dev/null 2>&1
check "--shard-all: a non-splitting plugin runs on shard 2 too" json "$(readlink -f "$T/all/latest")/test_summary.json" \
	'next(p for p in s["plugins"] if p["name"] == "skeleton")["status"] == "passed" and s["shard"]["all"] is True'
for bad in 0/3 4/3 2 a/b 1/0; do
	out=$(vs run -c "$M" -r "$T/x" -q --only skeleton --shard "$bad" 2>&1)
	rc=$?
	check "--shard $bad is a usage error naming I/N (exit $rc)" test "$rc" = 2 -a -n "$(grep -- '--shard' <<<"$out")"
done
out=$(vs merge "$T/x" 2>&1)
check "merge without shard folders is a usage error" test $? = 2 -a -n "$(grep usage <<<"$out")"
finish
