#!/usr/bin/env bash
# The subject of a check (docs/results-schema.md): only target checks decide
# a phase's status, the exit code and JUnit failures; a failed harness check
# makes the phase and the run "error"; a phase without a target check that
# passed or failed is "skipped" with the reason.  fx_subjects records each
# mix (tests/fixtures/fx_subjects.c), forked and in-process.  About 2 s.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FX=(-P "$BUILD/fixtures")
printf '[vstress]\ntimeout = 20s\n[fx_subjects]\n' >"$tmp/m.ini"

run_case() { # case extra-args... ; sets rc, S (summary), J (junit)
	local k=$1
	shift
	vs -q -c "$tmp/m.ini" -s fx_subjects.case="$k" "${FX[@]}" -r "$tmp/$k$*" "$@" run --only fx_subjects >/dev/null 2>&1
	rc=$?
	S="$tmp/$k$*/latest/test_summary.json"
	J="$tmp/$k$*/latest/junit.xml"
}
P='s["plugins"][0]'

for mode in "" --no-fork; do
	m=${mode:+ ($mode)}
	run_case mixed $mode
	check "mixed: target pass + harness pass: passed, exit 0$m" [ $rc = 0 ]
	check "mixed: each check carries its subject; counts kept apart$m" json "$S" \
		"s['schema_version'] == 2 and $P['status'] == 'passed' and [c['subject'] for c in $P['checks']] == ['target', 'harness'] and $P['checks_passed'] == 1 and $P['harness_checks'] == {'passed': 1, 'failed': 0, 'skipped': 0}"

	run_case harness_only $mode
	check "harness_only: skipped, not passed, exit 0$m" [ $rc = 0 ]
	check "harness_only: the reason says no check judged the system under test$m" json "$S" \
		"$P['status'] == 'skipped' and 'none the system under test' in $P['reason'] and s['status'] == 'passed'"

	run_case target_skips $mode
	check "target_skips: skipped with the first skip's reason$m" json "$S" \
		"$P['status'] == 'skipped' and 'agent metric: set [target] signal.active_calls' in $P['reason']"

	run_case harness_fail $mode
	check "harness_fail: exit 1$m" [ $rc = 1 ]
	check "harness_fail: phase and run are error, naming the harness check$m" json "$S" \
		"$P['status'] == 'error' and 'stand-in latency' in $P['reason'] and s['status'] == 'error' and $P['checks_failed'] == 0"

	run_case target_fail $mode
	check "target_fail: failed, exit 1, run failed (not error)$m" json "$S" \
		"$P['status'] == 'failed' and s['status'] == 'failed'"
	check "target_fail: exit 1$m" [ $rc = 1 ]

	run_case threads $mode
	check "threads: a worker thread's check is a target check$m" json "$S" \
		"[c['subject'] for c in $P['checks'] if c['name'] == \"worker thread's check\"] == ['target']"
done

# JUnit: harness checks in a suite of their own; a failed one is an <error>,
# never a <failure> of the target.
run_case harness_fail
check "junit parses; target suite has no failure from the harness; harness suite has the error" python3 - "$J" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in r.findall("testsuite")}
t, h = suites["fx_subjects"], suites["fx_subjects.harness"]
cases = [c for c in t.findall("testcase") if c.get("name") == "agent answers"]
ok = (cases and cases[0].find("failure") is None and h.get("errors") == "1"
      and h.find("testcase/error") is not None and h.find("testcase/failure") is None
      and int(r.get("errors")) == 1)
sys.exit(0 if ok else 1)
PY
run_case mixed
check "junit: counts add up to the testcases written" python3 - "$J" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
n = len(r.findall("testsuite/testcase"))
ok = int(r.get("tests")) == n and all(int(s.get("tests")) == len(s.findall("testcase")) for s in r.findall("testsuite"))
sys.exit(0 if ok else 1)
PY
finish
