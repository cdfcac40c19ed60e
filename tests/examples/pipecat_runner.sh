#!/usr/bin/env bash
# examples/pipecat-runner-agent under vstress, TAP: `vstress run` with the
# example's overlay (conf.d + examples/pipecat-runner-agent/vstress.ini:
# launched on vstress's port, TeXML, public_url, load with 5 calls) and
# --only telnyx,pipeline,load.  One TAP line per check of the three phases,
# plus: each phase ran and passed, the calls went the TeXML way, the agent's
# public stream URL was mapped, load placed 5 calls.
# Skips, with the reason, when this vstress does not know `[target]
# telephony = texml` (issue 12's TeXML call path), under valgrind (real-time
# calls), or when the example's venv cannot be installed.
# About 2.5 min (3 real-time phases: 1 + 2 + 5 calls), + ~1 min the first
# time for the venv (scripts/setup-venv.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
EX=examples/pipecat-runner-agent
skip_all() { echo "ok 1 # SKIP pipecat-runner example under vstress: $1"; echo "1..1"; exit 0; }
if [ "${VSTRESS_VALGRIND:-0}" = 1 ] || [[ "${VSTRESS_WRAP:-}" == *valgrind* ]]; then
	skip_all "real-time calls cannot run under valgrind"
fi
[ -x "$BUILD/vstress" ] || make --no-print-directory "$BUILD/vstress" plugins >/dev/null || skip_all "could not build $BUILD/vstress"
tmp=$(mktemp -d /tmp/vs-pipecat-runner.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
CFG=(-c conf.d -c "$EX/vstress.ini")

if ! vs "${CFG[@]}" check-config >"$tmp/check-config.out" 2>&1; then
	if grep -q "unknown key 'telephony' in \[target\]" "$tmp/check-config.out"; then
		skip_all "this vstress does not know [target] telephony = texml yet (issue 12's TeXML call path): $(grep -m1 "unknown key" "$tmp/check-config.out")"
	fi
	not_ok "vstress check-config accepts $EX/vstress.ini" "$(tail -3 "$tmp/check-config.out")"
	finish
	exit
fi
ok "vstress check-config accepts conf.d + $EX/vstress.ini"
if ! "$EX/scripts/setup-venv.sh" >"$tmp/venv.log" 2>&1; then
	echo "ok 2 # SKIP the example's venv could not be installed: $(tail -1 "$tmp/venv.log")"
	echo "1..2"
	exit 0
fi

t0=$(date +%s)
vs -q "${CFG[@]}" -r "$tmp/results" run --only telnyx,pipeline,load >"$tmp/run.out" 2>&1
rc=$?
summary="$tmp/results/latest/test_summary.json"
if [ ! -f "$summary" ]; then
	not_ok "vstress run wrote a summary (exit $rc)" "$(tail -5 "$tmp/run.out" | tr '\n' ' ')"
	finish
	exit
fi
# one line per check of the three phases (a skip is a skip, with its message)
python3 - "$summary" >"$tmp/checks.tap" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for p in s["plugins"]:
    if p["name"] not in ("telnyx", "pipeline", "load"):
        continue
    for c in p.get("checks", []):
        msg = (c.get("message") or "").replace("\n", " ")[:400]
        st = c.get("status")
        print(f"{st}\t{p['name']} {c['name']}: {msg}")
PY
while IFS=$'\t' read -r st d; do
	case $st in
	pass) ok "$d" ;;
	skip) n=$((n + 1)); echo "ok $n # SKIP $d" ;;
	*) not_ok "$d" ;;
	esac
done <"$tmp/checks.tap"
for ph in telnyx pipeline load; do
	check "$ph ran and passed" json "$summary" "any(p['name'] == '$ph' and p['status'] == 'passed' for p in s['plugins'])"
done
P="next(p for p in s['plugins'] if p['name'] == 'telnyx')['data']['calls']['routed']"
check "the telnyx phase took the TeXML path" json "$summary" "$P['telephony'] == 'texml'"
check "the agent's public stream URL (wss://pipecat-runner.ngrok.invalid/ws) was mapped onto its local port" \
	json "$summary" "$P['stream_url'] == 'wss://pipecat-runner.ngrok.invalid/ws' and $P['stream_url_local'].startswith('ws://127.0.0.1:')"
check "load placed 5 calls, 5 at once" json "$summary" \
	"any(c['name'] == 'concurrency.reached' and c['message'].startswith('5 calls') for p in s['plugins'] if p['name'] == 'load' for c in p['checks'])"
echo "# vstress run: exit $rc in $(($(date +%s) - t0)) s; target log: $(wc -l <"$tmp/results/latest/target.log") lines"
finish
