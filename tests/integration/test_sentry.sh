#!/usr/bin/env bash
# The Sentry stand-in (plugins/sentry) against the real sentry-sdk: the DSN
# the world exports, an event tagged with a call id and an exception sent
# gzip'd through the envelope endpoint, the store endpoint with the
# X-Sentry-Auth header, a wrong key refused, a malformed envelope answered
# 400 naming its line; every event read back from the world's control API.
# Then `vstress run --only sentry` (the probe at its stand-in).  ~5 s.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
wpid=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
PY=examples/reference-agent/.venv/bin/python

# the binary itself in the background (not through the vs function: its
# subshell would be what $! names, and killing it left the world running)
"${WRAP[@]}" "$BUILD/vstress" world -P "$BUILD/plugins" --only sentry --urls-file "$tmp/urls.json" >"$tmp/world.log" 2>&1 &
wpid=$!
for _ in $(seq 100); do [ -s "$tmp/urls.json" ] && break; sleep 0.1; done
get() { python3 -c "import json,sys; d=json.load(open('$tmp/urls.json')); print(eval(sys.argv[1]))" "$1"; }
DSN=$(get "d['env'].get('SENTRY_DSN','')")
BASE=$(get "d['standins']['sentry']['http']")
CTL=$(get "d['control']")
TOK=$(get "d['token']")
check "the world exports SENTRY_DSN http://<key>@<its host:port>/1" \
	test "$DSN" = "http://vstress-sentry-key@${BASE#http://}/1"
events() { curl -s -H "Authorization: Bearer $TOK" "$CTL/_vstress/events?topic=sentry.event$1"; }

if "$PY" -c 'import sentry_sdk' 2>/dev/null; then
	"$PY" - "$DSN" >"$tmp/sdk.log" 2>&1 <<'PY'
import sys
import sentry_sdk
sentry_sdk.init(dsn=sys.argv[1])
with sentry_sdk.new_scope() as scope:
    scope.set_tag("call_id", "v3:it-call")
    scope.set_tag("error_class", "all_providers_failed")
    sentry_sdk.capture_message("All LLM providers failed", level="error")
try:
    1 / 0
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(5)
PY
	events "&call_id=v3:it-call&wait_ms=3000" >"$tmp/ev1.json"
	check "sentry-sdk's envelope: the event with its call_id tag and message" json "$tmp/ev1.json" \
		"len(s['events']) == 1 and s['events'][0]['data']['tags']['error_class'] == 'all_providers_failed' and s['events'][0]['data']['message'] == 'All LLM providers failed' and s['events'][0]['data']['endpoint'] == 'envelope'"
	events "&message=division%20by%20zero" >"$tmp/ev2.json"
	check "sentry-sdk's exception event: its value as the message" json "$tmp/ev2.json" "len(s['events']) == 1"
else
	ok "# SKIP sentry-sdk not installed in $PY (examples/reference-agent/scripts/setup-venv.sh)"
	ok "# SKIP sentry-sdk not installed"
fi

printf '{"event_id":"e1","message":"stored","tags":[["call_id","v3:store"]]}' >"$tmp/store.json"
code=$(curl -s -o "$tmp/r.json" -w '%{http_code}' -H "X-Sentry-Auth: Sentry sentry_key=vstress-sentry-key, sentry_version=7" \
	--data-binary @"$tmp/store.json" "$BASE/api/1/store/")
events "&call_id=v3:store" >"$tmp/ev3.json"
check "store endpoint with X-Sentry-Auth: 200, the event read back" \
	bash -c "[ $code = 200 ] && python3 -c \"import json; s=json.load(open('$tmp/ev3.json')); assert s['events'][0]['data']['endpoint']=='store'\""
sed 's/v3:store/v3:gz/; s/e1/e2/' "$tmp/store.json" >"$tmp/gz.json"
printf '{}\n{"type":"event","length":%d}\n%s\n' "$(wc -c <"$tmp/gz.json")" "$(cat "$tmp/gz.json")" | gzip >"$tmp/env.gz"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Encoding: gzip' --data-binary @"$tmp/env.gz" \
	"$BASE/api/1/envelope/?sentry_key=vstress-sentry-key")
check "gzip'd envelope with a length item header and ?sentry_key: 200, read back" \
	bash -c "[ $code = 200 ] && [ \"\$(curl -s -H 'Authorization: Bearer $TOK' '$CTL/_vstress/events?topic=sentry.event&call_id=v3:gz' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"events\"]))')\" = 1 ]"
code=$(curl -s -o "$tmp/r.json" -w '%{http_code}' --data-binary @"$tmp/store.json" "$BASE/api/1/store/?sentry_key=wrong")
check "a wrong key: 401, the key not echoed" bash -c "[ $code = 401 ] && ! grep -q wrong '$tmp/r.json'"
code=$(curl -s -o "$tmp/r.json" -w '%{http_code}' --data-binary $'{}\nnot-json\n' "$BASE/api/1/envelope/?sentry_key=vstress-sentry-key")
check "a malformed envelope: 400 naming its line" bash -c "[ $code = 400 ] && grep -q 'line 2' '$tmp/r.json'"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Encoding: gzip' --data-binary 'not gzip' \
	"$BASE/api/1/envelope/?sentry_key=vstress-sentry-key")
check "a corrupt gzip body: 400" test "$code" = 400
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
wpid=

# the probe at its stand-in, through a whole run
vs run -P "$BUILD/plugins" --only sentry -r "$tmp/res" >"$tmp/run.log" 2>&1
check "vstress run --only sentry: the probe's checks pass at the stand-in" json "$tmp/res/latest/test_summary.json" \
	"[p for p in s['plugins'] if p['name'] == 'sentry'][0]['checks'] and all(c['status'] == 'pass' for c in [p for p in s['plugins'] if p['name'] == 'sentry'][0]['checks'])"
finish
