#!/usr/bin/env bash
# The world gets the run's resolved configuration (docs/world.md,
# "Configuration"): a [stt_deepgram:hermetic] key, a ${VAR} in it and a
# --set value reach the stand-in, through `vstress run` (the world the run
# spawns) and `vstress world` standalone.  What shows it: the Deepgram
# stand-in accepts only its configured api_key at the WebSocket handshake
# (101) and refuses any other key (401).
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
FX=(-P "$BUILD/fixtures" -P "$BUILD/plugins")
export VS_WTEST_SUFFIX=profile

cat >"$tmp/keys.ini" <<'INI'
[stt_deepgram]
api_key = key-from-base
[stt_deepgram:hermetic]
api_key = key-from-${VS_WTEST_SUFFIX}
INI

# handshake STT_HTTP_URL KEY: the HTTP status of a WebSocket upgrade with KEY
handshake() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		-H "Authorization: Token $2" "$1/v1/listen"
}

# --- vstress world standalone ----------------------------------------------
# world_up ARGS...: starts the world, sets $stt to the stand-in's URL
world_up() {
	rm -f "$tmp/urls.json"
	# the binary itself in the background (not the vs function: $! would be a
	# subshell, and killing it would leave the world running)
	"${WRAP[@]}" "$BUILD/vstress" world "${FX[@]}" -c conf.d/30-world.ini -c "$tmp/keys.ini" --only stt_deepgram \
		--urls-file "$tmp/urls.json" "$@" >"$tmp/world.out" 2>&1 &
	wpid=$!
	for _ in $(seq 200); do
		[ -s "$tmp/urls.json" ] && break
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.05
	done
	stt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["standins"]["stt_deepgram"]["http"])' \
		"$tmp/urls.json" 2>/dev/null)
}
world_down() {
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=
}

world_up
check "world: the stand-in is served" [ -n "$stt" ]
check "world: the [stt_deepgram:hermetic] key (with \${VAR}) reaches the stand-in" [ "$(handshake "$stt" key-from-profile)" = 101 ]
check "world: the base section's key is overlaid" [ "$(handshake "$stt" key-from-base)" = 401 ]
world_down

world_up --set stt_deepgram:hermetic.api_key=key-from-set
check "world: a --set value reaches the stand-in" [ "$(handshake "$stt" key-from-set)" = 101 ]
check "world: --set overrides the profile's key" [ "$(handshake "$stt" key-from-profile)" = 401 ]
world_down

world_up --profile other
check "world: --profile other leaves the base key" [ "$(handshake "$stt" key-from-base)" = 101 ]
world_down

timeout 20 "${WRAP[@]}" "$BUILD/vstress" world "${FX[@]}" -c "$tmp/keys.ini" --set 'stt_deepgram.phrases=${UNTERMINATED' --only stt_deepgram \
	>"$tmp/bad.out" 2>&1
rc=$?
check "world: a malformed value is an error naming it, exit 2" \
	bash -c "[ $rc = 2 ] && grep -q 'command line.*stt_deepgram.*phrases.*unterminated' '$tmp/bad.out'"

# --- vstress run: the world it spawns ---------------------------------------
# The target asks the stand-in once the world is up, then serves its health.
cat >"$tmp/target.sh" <<SH
. "$PWD/tests/integration/lib.sh" 2>/dev/null
$(declare -f handshake)
for k in key-from-base key-from-profile key-from-set; do
	echo "\$k \$(handshake "\$VSTRESS_WORLD_STT_DEEPGRAM_HTTP" "\$k")"
done >"\$1"
exec python3 -m http.server --bind 127.0.0.1 "\$VSTRESS_TARGET_PORT"
SH
cat >"$tmp/run.ini" <<INI
[target]
mode = launch
command = exec bash $tmp/target.sh $tmp/seen.txt
base_url = http://127.0.0.1:\${VSTRESS_TARGET_PORT}
health_path = /
ready_timeout = 20s
[fx_pass]
depends = target
INI

vs -q -c "$tmp/keys.ini" -c "$tmp/run.ini" "${FX[@]}" -r "$tmp/r1" run --only fx_pass
check "run: passes" [ $? = 0 ]
check "run: the world's stand-in has the profile's key" grep -qx "key-from-profile 101" "$tmp/seen.txt"
check "run: and refuses the base key" grep -qx "key-from-base 401" "$tmp/seen.txt"
check "run: nothing of the configuration is left in the results" \
	bash -c "[ -s '$tmp/r1/latest/test_summary.json' ] && ! grep -rq key-from-profile '$tmp/r1/latest/'"

vs -q -c "$tmp/keys.ini" -c "$tmp/run.ini" "${FX[@]}" -r "$tmp/r2" \
	--set stt_deepgram:hermetic.api_key=key-from-set run --only fx_pass
check "run --set: passes" [ $? = 0 ]
check "run --set: the world's stand-in has the --set key" grep -qx "key-from-set 101" "$tmp/seen.txt"
check "run --set: and refuses the profile's" grep -qx "key-from-profile 401" "$tmp/seen.txt"

finish
