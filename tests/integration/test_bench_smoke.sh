#!/usr/bin/env bash
# Smoke test of bench/calls (bench/README.md): 50 calls x 2 s through the
# call engine against bench/peers/echo_srv, once on one event loop and once
# on two; each must end every call cleanly with >= 99.9 % of its frames
# echoed back (calls --check).  Functional only: no timing is judged here
# (make bench measures; this machine is shared).  Then wss:// against a
# Python websockets echo with a self-signed certificate; then bench/world's
# smoke mode through the world.  About 20 s.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ "${VSTRESS_VALGRIND:-0}" = 1 ] || [[ "${VSTRESS_WRAP:-}" == *valgrind* ]]; then
	echo "ok 1 # SKIP bench smoke: real-time calls cannot run under valgrind"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp -d)
epid=
trap '[ -n "$epid" ] && kill "$epid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$BUILD/bench/peers/echo_srv" >"$tmp/echo.out" 2>&1 &
epid=$!
for _ in $(seq 50); do grep -q LISTENING "$tmp/echo.out" && break; sleep 0.1; done
port=$(awk '/LISTENING/{print $2}' "$tmp/echo.out")
n=0
for engines in 1 2; do
	n=$((n + 1))
	if out=$("$BUILD/bench/calls" --url "ws://127.0.0.1:${port:-1}/" --calls 50 --seconds 2 --engines "$engines" \
		--check 2>&1); then
		echo "ok $n - 50 calls x 2 s on $engines engine loop(s): all clean, frames echoed"
	else
		echo "not ok $n - 50 calls x 2 s on $engines engine loop(s)"
	fi
	echo "$out" | sed 's/^/# /'
done

# wss:// through the engine's TLS: a self-signed certificate is refused with
# the reason unless verification is off (tls_insecure), then frames echo.
py=examples/reference-agent/.venv/bin/python
if [ -x "$py" ] && "$py" -c "import websockets" 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 \
		-subj "/CN=localhost" >/dev/null 2>&1; then
	"$py" tests/integration/wss_echo.py "$tmp/c.pem" "$tmp/k.pem" 30 >"$tmp/wss.out" 2>&1 &
	wpid=$!
	for _ in $(seq 50); do grep -q LISTENING "$tmp/wss.out" && break; sleep 0.1; done
	wport=$(awk '/LISTENING/{print $2}' "$tmp/wss.out")
	n=$((n + 1))
	out=$("$BUILD/bench/calls" --url "wss://localhost:${wport:-1}/" --calls 5 --seconds 1 --check 2>&1)
	if [ $? != 0 ] && echo "$out" | grep -q "TLS handshake: .*certificate verify failed"; then
		echo "ok $n - wss with a self-signed certificate: refused, naming the verification failure"
	else
		echo "not ok $n - wss with a self-signed certificate was not refused with its reason"
	fi
	echo "$out" | sed 's/^/# /'
	n=$((n + 1))
	if out=$("$BUILD/bench/calls" --url "wss://localhost:${wport:-1}/" --calls 5 --seconds 1 --check --insecure 2>&1); then
		echo "ok $n - wss with verification off (tls_insecure): all clean, frames echoed"
	else
		echo "not ok $n - wss with verification off"
	fi
	echo "$out" | sed 's/^/# /'
	kill "$wpid" 2>/dev/null
else
	n=$((n + 1))
	echo "ok $n # SKIP wss: needs the reference agent's venv (websockets) and openssl"
fi

# bench/world (make bench-world) in its smoke mode: 3 calls x 2 s of STT
# frames and a TTS reply each through a real world, once per STT mode
# (scripted, grammar); every stream must complete (Metadata after
# CloseStream, a final per phrase, every reply done).  About 10 s.
while IFS= read -r l; do
	case $l in
	"ok - "* | "not ok - "*)
		n=$((n + 1))
		echo "${l%% - *} $n - ${l#* - }"
		;;
	*) echo "# $l" ;;
	esac
done < <(BUILD=$BUILD BENCH_WORLD_SMOKE=1 bench/world.sh 2>&1)
echo "1..$n"
