#!/usr/bin/env bash
# The pipeline phase's own call checks against the C echo target with its
# faults (no reference agent, no database): a reply with a 900 ms hole fails
# gaps; speech in the caller's silence fails false_triggers; hanging up
# after its first reply fails turn.replied and hangup; never answering
# fails calls.completed and commands.answer; never sending audio fails
# frames.received.  Four short calls (~35 s); skips under a wrapper
# (real-time media) or without the echo target.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
if [ -n "${VSTRESS_WRAP:-}" ] || [ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ]; then
	skip_all "pipeline echo: a real-time call; it runs in the plain build"
fi
ECHO=${VS_ECHO_TARGET:-$BUILD/tests/echo_target}
[ -x "$ECHO" ] || skip_all "pipeline echo: no echo target at $ECHO (make tests)"
export VSTRESS_TEST_ECHO ECHO_ARGS
VSTRESS_TEST_ECHO=$(readlink -f "$ECHO")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # name extra-args...: the summary in $S, the exit code in $rc
	local t0
	t0=$(date +%s)
	vs run -P "$BUILD/plugins" -c tests/integration/pipecho/manifest.ini -r "$tmp/$1" -q --only pipeline "${@:2}" \
		>"$tmp/$1.out" 2>&1
	rc=$?
	echo "# $1 (echo target $ECHO_ARGS): exit $rc in $(( $(date +%s) - t0 )) s"
	S=$(ls -d "$tmp/$1"/*/ 2>/dev/null | head -1)test_summary.json
	python3 - "$S" <<'PY' 2>/dev/null | sed 's/^/# /'
import json, sys
for p in json.load(open(sys.argv[1]))["plugins"]:
    for c in p["checks"]:
        if c["status"] != "skip":
            print(p["name"], c["status"], c["name"], (c.get("message") or "")[:200])
PY
}
status_of() { # check names... -> "name:status ..." in $S
	python3 -c 'import json, sys; c = {c["name"]: c["status"] for p in json.load(open(sys.argv[1]))["plugins"] for c in p["checks"]}; print(" ".join("%s:%s" % (n, c.get(n)) for n in sys.argv[2:]))' "$S" "$@" 2>/dev/null
}

ECHO_ARGS="--gap-ms 900 --false-trigger-at 4500"
run holes
check "holes: the run fails (exit 1)" [ "$rc" = 1 ]
check "holes: the call was answered, streamed and replied to" \
	[ "$(status_of calls.completed turn.replied frames.received)" = "calls.completed:pass turn.replied:pass frames.received:pass" ]
check "a 900 ms hole inside the reply fails gaps, naming it" \
	check_fails "$S" pipeline gaps "'longer than 500 ms: call 1: 9' in c['message']"
check "speech in the caller's silence fails false_triggers" \
	check_fails "$S" pipeline false_triggers "'at 4' in c['message'] and 'step 3: silence' in c['message']"

ECHO_ARGS="--hangup-after 2" # it hangs up instead of its second reply
run hangup --set pipeline.scripts=tests/integration/loadshape/two-turns.ini
check "an agent hanging up after its first reply: the second turn is unanswered" \
	check_fails "$S" pipeline turn.replied "c['message'].startswith('1 of 2 wait_reply steps got a reply')"
check "an agent hanging up after its first reply fails hangup" check_fails "$S" pipeline hangup

ECHO_ARGS="--mute" # it answers and streams, but never sends audio back
run mute --set pipeline.scripts=tests/integration/pipecho/one-turn.ini
check "an agent that sends no audio fails frames.received, naming the call" \
	check_fails "$S" pipeline frames.received "'call 1: no media from the agent' in c['message']"

# the echo target without --call-control never sends the answer command
ECHO_ARGS=
run noanswer --set 'target.command=exec ${VSTRESS_TEST_ECHO} --port ${VSTRESS_TARGET_PORT}'
check "an agent that never answers fails calls.completed" check_fails "$S" pipeline calls.completed
check "an agent that never answers fails commands.answer" check_fails "$S" pipeline commands.answer
finish
