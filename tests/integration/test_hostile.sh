#!/usr/bin/env bash
# vstress's real call path (`vstress run --only telnyx`, checks = webhook)
# against tests/hostile_agent, one misbehaviour per run.  Each must end the
# phase with a failed check naming the behaviour, within the phase deadline
# ([telnyx] timeout = 45s), with a valid summary, and with bounded memory:
# the run's peak RSS (GNU time: the largest of vstress, its plugin child,
# the world and the agent) no more than 50 MiB above the same run against
# the well-behaved agent (`ok`, which must pass every check).
#   HOSTILE_ONLY=name1,name2  run only these (the `ok` baseline always runs)
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
if [ "${VSTRESS_VALGRIND:-0}" = 1 ] || [[ "${VSTRESS_WRAP:-}" == *valgrind* ]]; then
	echo "ok 1 # SKIP hostile agent: real-time calls (20 ms frames, 5 s webhook deadlines) cannot run under valgrind"
	echo "1..1"
	exit 0
fi
# Under ASan, freed memory waits in a quarantine (256 MiB by default) before
# reuse: 1.7 million parsed marks fill it, and that is ASan's memory, not
# vstress's.  A small quarantine keeps the 50 MiB bound about the harness.
if [ "${SAN:-}" = 1 ] || [[ "$BUILD" == *san* ]]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=8"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOSTILE_AGENT="$BUILD/tests/hostile_agent"
DEADLINE_MS=45000
MAX_GROWTH_KB=$((50 * 1024))

# behaviour | check that must fail | regex its message must match
CASES=(
	"no_webhook_answer|webhook.initiated|no byte of an answer within 5000 ms: the agent held the connection open"
	"no_command|answer.stream_url|webhook answered 200 but no Call Control command for .* within 5000 ms"
	"silent_media|media.greeting|no agent speech heard in [0-9]+ ms \\(the agent sent nothing on the media socket\\)"
	"huge_frame|media.frames|^frame of 16777216 bytes over the 1 MiB limit"
	"bad_json|media.frames|agent messages malformed \\([1-9][0-9]* not JSON.*first: not JSON"
	"bad_base64|media.frames|malformed \\(0 not JSON, [1-9][0-9]* invalid base64.*first: media.payload: invalid base64"
	"bad_encoding|media.frames|0 invalid base64, [1-9][0-9]* wrong or wrongly typed fields\\); first: media.payload: missing or not a string"
	"fast_media|media.frames|media faster than real time: [0-9.]+ s of agent audio in [0-9.]+ s \\(([89]|1[0-2])\\.[0-9]x\\)"
	"trickle_webhook|webhook.initiated|still incomplete after 5000 ms \\([1-9][0-9]* bytes received\\): a trickled response"
	"close_mid_frame|media.frames|the agent closed the connection mid-frame \\(100000 of the frame's 200000 bytes delivered\\)"
	"mark_flood|media.frames|^mark flood: [0-9]+ marks received, [1-9][0-9]* over the limit"
	"redirect_loop|webhook.initiated|answered 302 .*a 302 redirect to http://127\\.0\\.0\\.1:[0-9]+/webhook: Telnyx does not follow webhook redirects"
	"texml_nested|answer.stream_url|texml: no media stream: TeXML from http://127\\.0\\.0\\.1:[0-9]+/webhook: line 3: elements nested deeper than 64 levels"
)

# run BEHAVIOUR -> results in $tmp/BEHAVIOUR, peak RSS (KB) in $tmp/BEHAVIOUR.rss
run() {
	HOSTILE_BEHAVE=$1 /usr/bin/time -f "%M" -o "$tmp/$1.rss" "${WRAP[@]}" "$BUILD/vstress" -q \
		-c tests/hostile_agent/manifest.ini -r "$tmp/$1" run --only telnyx >"$tmp/$1.out" 2>&1
	echo $? >"$tmp/$1.rc"
}

# close_mid_frame: the agent writes 100000 of 200000 payload bytes; the caller reports what
# arrived (the libwebsockets engine used to report its 65536-byte receive chunk).
# (the TeXML behaviours, and texml_connect under telephony = call_control: tests/integration/test_texml.sh)

# judge BEHAVIOUR CHECK REGEX: the summary says what the case needs
judge() {
	python3 - "$tmp/$1/latest/test_summary.json" "$2" "$3" "$DEADLINE_MS" <<'PY'
import json, re, sys
path, check, rx, deadline = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
try:
    s = json.load(open(path))
except Exception as e:
    print("# summary not valid JSON: %s" % e); sys.exit(1)
ok = s.get("schema_version") == 2 and s.get("status") == "failed"
p = [p for p in s.get("plugins", []) if p.get("name") == "telnyx"]
if not ok or len(p) != 1:
    print("# run status %r, telnyx results %d" % (s.get("status"), len(p))); sys.exit(1)
p = p[0]
if p["status"] != "failed" or not p["duration_ms"] < deadline:
    print("# telnyx %s after %.0f ms (%s): expected failed within %.0f ms" % (p["status"], p["duration_ms"], p.get("reason"), deadline)); sys.exit(1)
c = [c for c in p.get("checks", []) if c["name"] == check]
if not c or c[0]["status"] != "fail" or not re.search(rx, c[0].get("message") or ""):
    print("# check %s: %s" % (check, json.dumps(c[0] if c else None))); sys.exit(1)
print("# %s (%.1f s): %s" % (check, p["duration_ms"] / 1000, c[0]["message"][:300]))
PY
}

t0=$(date +%s)
run ok
if json "$tmp/ok/latest/test_summary.json" \
	's["status"] == "passed" and [(c["name"], c["status"]) for c in s["plugins"][0]["checks"]] == [("webhook.initiated", "pass"), ("answer.stream_url", "pass"), ("media.greeting", "pass"), ("media.frames", "pass")]'; then
	ok "baseline: the well-behaved agent passes webhook.initiated, answer.stream_url, media.greeting, media.frames"
else
	not_ok "baseline: the well-behaved agent passes every check" "$(cat "$tmp/ok.out")"
fi
base_kb=$(tail -1 "$tmp/ok.rss")
echo "# baseline peak RSS ${base_kb} KB"

for c in "${CASES[@]}"; do
	IFS='|' read -r b check rx <<<"$c"
	if [ -n "${HOSTILE_ONLY:-}" ] && [[ ",$HOSTILE_ONLY," != *",$b,"* ]]; then
		continue
	fi
	run "$b"
	if out=$(judge "$b" "$check" "$rx"); then
		ok "$b: $check fails naming it, within the phase deadline, summary valid"
		noted_fail telnyx "$check"
		echo "$out"
	else
		not_ok "$b: $check fails naming it, within the phase deadline, summary valid" \
			"$out; exit $(cat "$tmp/$b.rc"); $(tail -3 "$tmp/$b.out" | tr '\n' ' ')"
	fi
	kb=$(tail -1 "$tmp/$b.rss")
	if [[ "$kb" =~ ^[0-9]+$ ]] && [ $((kb - base_kb)) -lt $MAX_GROWTH_KB ]; then
		ok "$b: peak RSS ${kb} KB, $(((kb - base_kb) / 1024)) MiB over the baseline (< 50 MiB)"
	else
		not_ok "$b: peak RSS ${kb} KB is not within 50 MiB of the baseline ${base_kb} KB"
	fi
done
echo "# hostile suite: $(($(date +%s) - t0)) s"
finish
