#!/usr/bin/env bash
# The audio paths through the agent (issue 13): the pipeline phase against
# the reference agent, one call each way.
#   healthy: every caller utterance reached the agent's STT stream whole
#            (audio.caller_to_stt) and the words recognised in it are the
#            caller's (stt.wer), with the STT stand-in in grammar mode (never
#            told what was said); every reply the TTS stand-in sent reached
#            the caller whole (audio.tts_to_caller);
#   AGENT_FAULTS=drop_caller_audio,drop_tts_audio (the agent loses every
#            fifth caller frame before STT and every fifth TTS frame before
#            the caller): audio.caller_to_stt and audio.tts_to_caller fail,
#            each naming the utterance or reply and the audio removed;
#   AGENT_FAULTS=stt_wrong_rate (8 kHz audio declared 16 kHz), one
#            utterance: stt.wer fails (the words recognised differ).
# Takes ~2 min (three real-time calls; more on a busy machine).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
realtime_agent_suite audiopath "vs_align is under the sanitizers in test_align"
run() { # name extra-args...
	local name=$1
	shift
	# (the fooled-model calls are pipeline_test_calls' business)
	vs run -P "$BUILD/plugins" --only pipeline -s pipeline.calls=1 -s pipeline.adversarial_modes= -r "$tmp/$name" "$@" \
		>"$tmp/$name.out" 2>&1
	ln -sfn "$(ls -d "$tmp/$name"/2*/ | head -1)" "$tmp/$name.d"
}
check_of() { # dir check-name -> "status message"
	python3 - "$1/test_summary.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for p in s["plugins"]:
    for c in p["checks"]:
        if c["name"] == sys.argv[2]:
            print(c["status"], c.get("subject", ""), c["message"])
PY
}

run healthy
got=$(check_of "$tmp/healthy.d" audio.caller_to_stt)
check "healthy agent: audio.caller_to_stt passes as a target check" bash -c "[[ '${got//\'/}' == 'pass target '* ]]"
echo "# $got"
got=$(check_of "$tmp/healthy.d" stt.wer)
check "healthy agent: stt.wer passes (the stand-in recognised the caller's words in what it received)" \
	bash -c "[[ '${got//\'/}' == 'pass target '* ]]"
echo "# $got"
check "healthy agent: each utterance found whole, with a delay, in the call's JSON" \
	json "$tmp/healthy.d/test_summary.json" \
	"all(u['fraction'] > 0.98 and u['delay_ms'] is not None and u['stream'] for p in s['plugins'] for c in p['data']['calls'] for u in c['audio_path']['utterances']) and any(p['data']['calls'] for p in s['plugins'])"

got=$(check_of "$tmp/healthy.d" audio.tts_to_caller)
check "healthy agent: audio.tts_to_caller passes as a target check" bash -c "[[ '${got//\'/}' == 'pass target '* ]]"
echo "# $got"
check "healthy agent: each TTS reply found whole in what the caller heard (up to a barge-in), with a delay" \
	json "$tmp/healthy.d/test_summary.json" \
	"all((u['judged_fraction'] is None and u['truncated_at_barge_in']) or (u['judged_fraction'] >= 0.95 and u['delay_ms'] is not None and u['delay_ms'] > -5) for p in s['plugins'] for c in p['data']['calls'] for u in c['tts_path']['replies']) and any(c['tts_path']['replies'] for p in s['plugins'] for c in p['data']['calls'])"

run dropping -s target.env.AGENT_FAULTS=drop_caller_audio,drop_tts_audio
got=$(check_of "$tmp/dropping.d" audio.caller_to_stt)
check "an agent that loses a fifth of the caller's audio fails audio.caller_to_stt" \
	bash -c "[[ '${got//\'/}' == 'fail target '* ]]"
noted_fail pipeline audio.caller_to_stt
echo "# $got"
check "the failure names the audio removed" bash -c "grep -q 'ms removed' <<<'${got//\'/}'"
got=$(check_of "$tmp/dropping.d" audio.tts_to_caller)
check "an agent that loses a fifth of its TTS audio fails audio.tts_to_caller" \
	bash -c "[[ '${got//\'/}' == 'fail target '* ]]"
noted_fail pipeline audio.tts_to_caller
echo "# $got"
check "the failure names the reply and the audio removed" bash -c "grep -q 'reply .* ms removed' <<<'${got//\'/}'"
got=$(check_of "$tmp/dropping.d" stt.wer)
echo "# with a fifth of the caller's frames lost, stt.wer: $got"

# (the recogniser, in grammar mode, still hears every word with a fifth, or
# a half, of the frames lost:) an agent that declares its 8 kHz STT stream
# as 16 kHz, one utterance
run wrongrate -s target.env.AGENT_FAULTS=stt_wrong_rate -s pipeline.scripts=tests/integration/audiopath/one-utterance.ini
got=$(check_of "$tmp/wrongrate.d" stt.wer)
check "an agent declaring the wrong sample rate to STT fails stt.wer (the stand-in hears other words)" \
	bash -c "[[ '${got//\'/}' == 'fail target '* ]]"
noted_fail pipeline stt.wer
echo "# $got"
finish
