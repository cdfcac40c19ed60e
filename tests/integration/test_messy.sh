#!/usr/bin/env bash
# The messy caller against the reference agent (issue 19 item 7): one call of
# tests/call/messy-agent.ini (street noise under everything, 5 ms jitter and
# 0.5% loss, an "uh-huh" (flite) 800 ms into the greeting) through the pipeline
# phase.  The agent as shipped talks through the backchannel (the check
# passes); with AGENT_FAULTS=interrupt_on_any_sound (Pipecat's default turn
# start: any transcript or VAD start interrupts) it stops, and the check
# fails naming the clear.  Our impairment is reported apart, as harness.
# Takes ~40 s (two runs, one real-time call each).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
realtime_agent_suite messy "not under a wrapper or the sanitizers"
# the STT stand-in transcribes the caller's one speech segment (the backchannel)
RUN=(run -P "$BUILD/plugins" --only pipeline --set pipeline.scripts=tests/call/messy-agent.ini
	--set pipeline.calls=1 --set pipeline.adversarial_modes= --set stt_deepgram.phrases_file= --set "stt_deepgram.phrases=uh-huh|thank you goodbye")
summary() { echo "$(ls -d "$tmp/$1"/*/ 2>/dev/null | head -1)test_summary.json"; }
# check NAME of the pipeline plugin: status, and its message into stdout
chk() { # results-dir check-name python-condition-on-c
	json "$(summary "$1")" "[c for p in s['plugins'] if p['name'] == 'pipeline' for c in p['checks'] if c['name'] == '$2' and ($3)] != []"
}
media() { # results-dir python-condition-on-m (the call's media result)
	json "$(summary "$1")" "[m for p in s['plugins'] if p['name'] == 'pipeline' for m in [p['data']['calls'][0]['call']['media']] if ($2)] != []"
}

t0=$(date +%s)
vs "${RUN[@]}" -r "$tmp/ok" >"$tmp/ok.out" 2>&1
echo "# run (agent as shipped): exit $? in $(( $(date +%s) - t0 )) s"
grep -E 'check (backchannel|network)' "$tmp"/ok/2*/pipeline.log | cut -c1-400 | sed 's/^/# /'
check "agent as shipped: the backchannel check passes (no clear, kept speaking)" \
	chk ok backchannel "c['status'] == 'pass' and '1 backchannel while the agent spoke' in c['message']"
check "agent as shipped: the backchannel was said 800+ ms into the greeting, no clear" \
	media ok "len(m['backchannels']) == 1 and m['backchannels'][0]['at_ms'] - m['backchannels'][0]['turn_on_ms'] >= 800 and m['backchannels'][0]['clear_ms'] is None"
check "our impairment is a harness check, with its seed (replayable)" \
	chk ok network.impairment "c['status'] == 'pass' and c['subject'] == 'harness' and 'seed=19 jitter=5ms loss=0.5%' in c['message']"
check "the result counts what our impairment did, apart from the agent's figures" \
	media ok "m['impairment']['frames'] == m['frames_sent'] and m['impairment']['sent'] == m['frames_sent'] - m['impairment']['lost'] - m['impairment']['unsent'] and m['impairment']['delay_max_ms'] <= 10.5"

t0=$(date +%s)
vs "${RUN[@]}" -r "$tmp/fault" --set target.env.AGENT_FAULTS=interrupt_on_any_sound >"$tmp/fault.out" 2>&1
echo "# run (AGENT_FAULTS=interrupt_on_any_sound): exit $? in $(( $(date +%s) - t0 )) s"
grep -E 'check backchannel' "$tmp"/fault/2*/pipeline.log | cut -c1-400 | sed 's/^/# /'
check "agent stopping on any caller sound: the backchannel check fails, naming the clear" \
	chk fault backchannel "c['status'] == 'fail' and 'taken as a barge-in: clear after' in c['message']"
noted_fail pipeline backchannel
check "agent stopping on any caller sound: the run fails" \
	json "$(summary fault)" "s['status'] != 'passed'"
finish
