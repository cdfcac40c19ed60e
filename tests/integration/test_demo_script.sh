#!/usr/bin/env bash
# scripts/demo.sh prints the verdict of the run it started, from the results
# root given with -r, and never an older run's summary.  A stand-in vstress
# (a shell script) writes the summaries, so no call is made.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
cat >"$tmp/bin/vstress" <<'SH'
#!/usr/bin/env bash
# run --profile hermetic [-r ROOT] [--write ID]
root=results id=""
while [ $# -gt 0 ]; do
	case "$1" in -r) root=$2; shift ;; --write) id=$2; shift ;; esac
	shift
done
[ -n "$id" ] || { echo "fake: no summary written" >&2; exit 3; }
mkdir -p "$root/$id"
printf '{"run_id":"%s","status":"passed","duration_ms":1000,"profile":"hermetic","services":{},"plugins":[{"name":"db","status":"passed","checks_passed":3,"checks_failed":0}]}\n' "$id" >"$root/$id/test_summary.json"
ln -sfn "$id" "$root/latest"
SH
chmod +x "$tmp/bin/vstress"

out=$(BUILD=$tmp/bin scripts/demo.sh -r "$tmp/res" --write run-one 2>&1)
rc=$?
check "the run's exit status is demo's" [ "$rc" = 0 ]
check "the summary of the run in -r ROOT is printed" grep -q "run run-one: PASSED" <<<"$out"
check "the details line names ROOT/latest" grep -q "details: $tmp/res/latest/" <<<"$out"

# a second run that writes nothing: run-one's summary must not be shown as its verdict
sleep 1
out=$(BUILD=$tmp/bin scripts/demo.sh -r "$tmp/res" 2>&1)
rc=$?
check "a run without a summary keeps its exit status" [ "$rc" = 3 ]
check "an older run's summary is not printed as this run's" bash -c '! grep -q "run-one" <<<"$1"' _ "$out"
check "it says that no summary was written" grep -q "wrote no test_summary.json" <<<"$out"
finish
