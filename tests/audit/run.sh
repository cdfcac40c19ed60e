#!/usr/bin/env bash
# scripts/check-audit.py on a tiny summary and log: which target checks no
# test made fail, families matched by their stem (TAP; < 1 s).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/s.json" <<'JSON'
{"plugins": [
 {"name": "db", "checks": [
  {"name": "connect", "subject": "target"},
  {"name": "fk.enforced.calls.tenant_id", "subject": "target"},
  {"name": "pool", "subject": "target"},
  {"name": "storm.latency", "subject": "harness"}]},
 {"name": "telnyx", "checks": [
  {"name": "stage.1", "subject": "target"},
  {"name": "stage.2", "subject": "target"},
  {"name": "endpoint./health", "subject": "target"}]},
 {"name": "load", "checks": [{"name": "db.pool", "subject": "target"}]}]}
JSON
printf 'db connect\ndb fk.enforced.turns.call_id\ntelnyx stage.7\ndb storm.latency\n\n' >"$T/log"
out=$(scripts/check-audit.py "$T/s.json" "$T/log")
check "exit 0 without --strict" [ $? = 0 ]
echo "$out" | sed 's/^/# /'
check "counts the target checks only, and those never made to fail" \
	grep -qx "7 target checks; 3 never made to fail by a test:" <<<"$out"
check "lists exactly the missing ones: another plugin's check of the same name does not count" \
	[ "$(grep '^  ' <<<"$out")" = "$(printf '  db pool\n  telnyx endpoint./health\n  load db.pool')" ]
check "a per-item family and a numbered one match by their stem" \
	bash -c 'grep -qx "fails db fk.enforced.calls.tenant_id" <<<"$1" && grep -qx "fails telnyx stage.2" <<<"$1"' _ "$out"
scripts/check-audit.py --strict "$T/s.json" "$T/log" >/dev/null
check "--strict: exit 1 when a target check was never made to fail" [ $? = 1 ]
d=$(scripts/check-audit.py --describe "$T/s.json" "$T/log")
check "--describe: what a check measures, from its plugin's table in docs/plugins/" \
	grep -qx "fails db connect | the control connection opens" <<<"$d"
check "--describe: a per-item row (fk.enforced.T.COLS) describes every item" \
	grep -q "^fails db fk.enforced.calls.tenant_id | an orphan insert fails with 23503" <<<"$d"
check "--describe: a check the docs have no row for says so" \
	grep -qx "NEVER telnyx endpoint./health | (not documented)" <<<"$d"
printf 'db\n' >"$T/bad"
err=$(scripts/check-audit.py "$T/s.json" "$T/bad" 2>&1 >/dev/null)
check "a malformed log line: exit 2 naming file:line" bash -c '[ $1 = 2 ] && grep -q "bad:1: expected" <<<"$2"' _ $? "$err"
# the shell helper records what it asserted, and only a failure
echo '{"plugins": [{"name": "telnyx", "checks": [{"name": "replay", "status": "fail"}, {"name": "hangup", "status": "pass"}]}]}' >"$T/run.json"
: >"$T/rec"
VSTRESS_FAILED_CHECKS_LOG=$T/rec check_fails "$T/run.json" telnyx replay
check "check_fails: a failed check holds and is recorded" [ $? = 0 ]
VSTRESS_FAILED_CHECKS_LOG=$T/rec check_fails "$T/run.json" telnyx hangup 2>/dev/null
check "check_fails: a passed check does not hold, nothing recorded" bash -c '[ $1 = 1 ] && [ "$(cat "$2")" = "telnyx replay" ]' _ $? "$T/rec"
finish
