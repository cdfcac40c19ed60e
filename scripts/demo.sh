#!/usr/bin/env bash
# make demo: the full suite against the reference agent, hermetic.
#   - a throwaway PostgreSQL for the agent (stopped at the end, also on Ctrl-C)
#   - vstress starts the world and launches the agent through [target],
#     runs every enabled plugin with the hermetic profile, stops them
#   - prints the verdict; results in results/latest/ (test_summary.json,
#     junit.xml, report.html, errors.log, per-plugin logs, target.log, world.log)
# Extra arguments go to `vstress run` (e.g. --only db, -v).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

pg_dir=""
stamp=""
cleanup() {
	[ -n "$pg_dir" ] && scripts/pg-throwaway.sh stop "$pg_dir"
	pg_dir=""
	[ -n "$stamp" ] && rm -f "$stamp"
	stamp=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

out=$(scripts/pg-throwaway.sh start) || { echo "demo: could not start PostgreSQL" >&2; exit 2; }
eval "$out"
pg_dir=$VSTRESS_PG_DIR
echo "demo: throwaway PostgreSQL at $PGHOST:$PGPORT"

# The results root of this run: -r/--results from the arguments, else the
# default (a [vstress] results_dir of the manifest is not read here: the
# verdict line vstress prints names the summary then).
root=results
prev=""
for a in "$@"; do
	case "$prev" in -r|--results) root=$a ;; esac
	case "$a" in --results=*) root=${a#--results=} ;; esac
	prev=$a
done
stamp=$(mktemp)

# vstress forwards SIGINT to its children and still writes the summary.
"$BUILD/vstress" run --profile hermetic "$@" &
vs=$!
trap 'kill -INT $vs 2>/dev/null' INT TERM
wait $vs
rc=$?
while kill -0 $vs 2>/dev/null; do wait $vs; rc=$?; done
trap cleanup EXIT

echo
# The summary this run wrote (<root>/latest), never an older run's: a run
# that wrote none leaves the verdict vstress printed above.
summary=$root/latest/test_summary.json
if [ -f "$summary" ] && [ "$summary" -nt "$stamp" ]; then
	python3 - "$summary" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
print(f"run {s['run_id']}: {s['status'].upper()}  ({s['duration_ms'] / 1000:.1f} s, profile {s['profile']})")
for name, sv in s.get("services", {}).items():
    if sv.get("status") != "not needed":
        print(f"  service {name:<8} {sv['status']}" + (f" - {sv['error']}" if sv.get("error") else ""))
print("the system under test (target checks decide):")
for p in s["plugins"]:
    line = f"  {p['name']:<16} {p['status']:<12} {p['checks_passed']:>4} checks passed, {p['checks_failed']} failed"
    if p.get("reason"):
        line += f"  - {p['reason'][:160]}"
    print(line)
hs = [(p["name"], p.get("harness_checks") or {}) for p in s["plugins"]]
hs = [(n, h) for n, h in hs if sum(h.values())]
if hs:
    print("vstress itself (harness checks: our pacing, our stand-ins' own figures; a failure makes the run ERROR):")
    for n, h in hs:
        print(f"  {n:<16} {h.get('passed', 0):>4} passed, {h.get('failed', 0)} failed, {h.get('skipped', 0)} skipped")
print(f"details: {os.path.dirname(sys.argv[1])}/ (report.html, test_summary.json, errors.log, junit.xml, *.log)")
PY
else
	echo "demo: this run wrote no test_summary.json (see the lines above)"
fi
exit $rc
