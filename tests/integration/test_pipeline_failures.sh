#!/usr/bin/env bash
# Pipeline failures mid-call (plan 6.3, issue 19): the errors phase's
# stt_loss, tts_error and tts_stall scenarios against the reference agent
# (launched by vstress, conf.d/05-target.ini) pass; the same agent with
# AGENT_FAULTS=no_pipeline_fallback (the STT loss only logged) fails
# stt_loss's dead-air, fallback-message and transfer checks.
# Takes ~4 min of real calls (8 calls of up to 55 s; the faulted run is
# stt_loss alone).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
realtime_agent_suite "pipeline failures" "not under a wrapper or the sanitizers"
PD=(-P "$BUILD/plugins")

t0=$(date +%s)
vs run "${PD[@]}" -r "$tmp/results" --only errors --no-deps --set errors.scenarios=pipeline >"$tmp/run.out" 2>&1
rc=$?
echo "# vstress run (reference agent): exit $rc in $(( $(date +%s) - t0 )) s"
S=$(ls -d "$tmp"/results/*/ 2>/dev/null | head -1)test_summary.json
grep -h 'check ' "$(dirname "$S")"/plugin-errors.log 2>/dev/null | sed 's/^/# /'
check "reference agent: errors (pipeline) exits 0" [ "$rc" = 0 ]
for c in stt_loss.dead_air stt_loss.fallback_message stt_loss.transfer stt_loss.error_logged stt_loss.recovered \
	tts_error.dead_air tts_error.replies tts_error.error_logged tts_error.recovered \
	tts_stall.dead_air tts_stall.fallback_message tts_stall.transfer tts_stall.error_logged tts_stall.recovered; do
	check "reference agent: $c passes" json "$S" \
		'[x["status"] for p in s["plugins"] for x in p["checks"] if x["name"] == "'"$c"'"] == ["pass"]'
done

# the agent fault: the STT loss only logged
t0=$(date +%s)
vs run "${PD[@]}" -r "$tmp/results2" --only errors --no-deps --set errors.scenarios=stt_loss \
	--set target.env.AGENT_FAULTS=no_pipeline_fallback >"$tmp/run2.out" 2>&1
rc=$?
echo "# vstress run (AGENT_FAULTS=no_pipeline_fallback): exit $rc in $(( $(date +%s) - t0 )) s"
S2=$(ls -d "$tmp"/results2/*/ 2>/dev/null | head -1)test_summary.json
grep -h 'check ' "$(dirname "$S2")"/plugin-errors.log 2>/dev/null | sed 's/^/# /'
check "no_pipeline_fallback: the run fails (exit 1)" [ "$rc" = 1 ]
for c in stt_loss.dead_air stt_loss.fallback_message stt_loss.transfer; do
	check "no_pipeline_fallback: $c fails" json "$S2" \
		'[x["status"] for p in s["plugins"] for x in p["checks"] if x["name"] == "'"$c"'"] == ["fail"]'
	noted_fail errors "$c"
done
check "no_pipeline_fallback: the error is still logged, and the next call works" json "$S2" \
	'sorted(x["status"] for p in s["plugins"] for x in p["checks"] if x["name"] in ("stt_loss.error_logged", "stt_loss.recovered")) == ["pass", "pass"]'
finish
