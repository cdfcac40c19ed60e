#!/usr/bin/env bash
# Attach mode (issue 12): an agent this test starts itself, outside vstress,
# trusting a `vstress keygen` key; `vstress run` attaches to it and the
# telnyx, pipeline and load phases pass.  Also: the world's control API
# refuses a request without the run's token (401, no fault installed), and
# stand-ins with an api_key refuse another key.
#
# Order (docs/testing-your-agent.md, "Attach"):
#   1. a Postgres for the agent; 2. `vstress keygen`; 3. a fixed world port
#   ([world] listen = 127.0.0.1:PORT: control on PORT, stand-ins on PORT+1..
#   in name order), and the env the world will export, learnt from a short
#   `vstress world` with the same manifest; 4. the agent, with that env and
#   TELNYX_PUBLIC_KEY from the key file; 5. `vstress run` attaching to it.
# Takes ~60-90 s (real calls through the reference agent).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
apid= wpid= pgdir=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	[ -n "$apid" ] && kill -TERM -- "-$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	[ -n "$pgdir" ] && scripts/pg-throwaway.sh stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
AGENT=examples/reference-agent
if [ ! -x "$AGENT/.venv/bin/python" ]; then
	echo "ok 1 # SKIP attach: the reference agent's venv ($AGENT/.venv) is not installed"
	echo "1..1"
	exit 0
fi
if [ -n "${VSTRESS_WRAP:-}" ] || [ "${VSTRESS_SLOW_RUNTIME:-0}" = 1 ]; then
	# three minutes of real calls: once per CI run, in the plain build (the
	# key file and the control token are under the sanitizers in
	# test_runsecrets and tests/world)
	echo "ok 1 # SKIP attach: real-time calls run once, in the plain build (not under a wrapper or the sanitizers)"
	echo "1..1"
	exit 0
fi
PD=(-P "$BUILD/plugins")

# 1. the agent's database: ours unless the suite shares one
if [ -z "${DATABASE_URL:-}" ]; then
	out=$(scripts/pg-throwaway.sh start) || { echo "ok 1 # SKIP attach: no throwaway PostgreSQL"; echo "1..1"; exit 0; }
	eval "$out"
	pgdir=$VSTRESS_PG_DIR
fi

# 2. the signing identity
vs keygen "$tmp/telnyx.key" >"$tmp/keygen.out" 2>&1
pub=$(sed -n 's/^public key: //p' "$tmp/keygen.out")
check "keygen: prints the public key and writes the file mode 0600" \
	bash -c "[ -n '$pub' ] && [ \"\$(stat -c %a '$tmp/telnyx.key')\" = 600 ]"
check "keygen: the private seed is never printed" \
	bash -c "! grep -qF \"\$(sed -n 's/^private_seed = //p' '$tmp/telnyx.key')\" '$tmp/keygen.out'"
vs keygen "$tmp/telnyx.key" >"$tmp/keygen2.out" 2>&1
check "keygen: refuses to overwrite without --force (exit 2)" \
	bash -c "[ $? = 2 ] && grep -q 'not overwritten' '$tmp/keygen2.out'"

# 3. a free block of ports for the world: control, stand-ins, Postgres proxy
wport=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000)
    socks = []
    try:
        for p in range(base, base + 16):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
PY
)
WSET=(--set "world.listen=127.0.0.1:$wport" --set "world.public_url=http://localhost")
# the env the run's world will export (same manifest, same ports)
"$BUILD/vstress" world "${PD[@]}" "${WSET[@]}" --urls-file "$tmp/world.env" >"$tmp/world.out" 2>&1 &
wpid=$!
for _ in $(seq 200); do [ -s "$tmp/world.env" ] && break; kill -0 "$wpid" 2>/dev/null || break; sleep 0.05; done
control=$(sed -n 's/^VSTRESS_WORLD_CONTROL_URL=//p' "$tmp/world.env")
token=$(sed -n 's/^VSTRESS_WORLD_TOKEN=//p' "$tmp/world.env")
check "world: listens where [world] listen says and advertises [world] public_url" \
	[ "$control" = "http://localhost:$wport" ]
check "world: the URLs file (holding its own token) is mode 0600" [ "$(stat -c %a "$tmp/world.env")" = 600 ]
check "world: the token is not printed" bash -c "[ -n '$token' ] && ! grep -qF '$token' '$tmp/world.out'"
fault='{"target":"openai","kind":"error","status":500}'
code=$(curl -s -o "$tmp/401.json" -w '%{http_code}' -X POST -d "$fault" "$control/_vstress/faults")
check "control: a fault posted without the token is refused with 401" [ "$code" = 401 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x$token" -X POST -d "$fault" "$control/_vstress/faults")
check "control: a wrong token is refused with 401" [ "$code" = 401 ]
curl -s -H "Authorization: Bearer $token" "$control/_vstress/faults" >"$tmp/faults.json"
check "control: no fault was installed" json "$tmp/faults.json" 's["data"] == []'
openai=$(sed -n 's/^OPENAI_BASE_URL=//p' "$tmp/world.env")
okey=$(sed -n 's/^OPENAI_API_KEY=//p' "$tmp/world.env")
chat() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$openai/chat/completions"; }
check "stand-in: openai accepts its api_key ($(chat "$okey"))" [ "$(chat "$okey")" = 200 ]
check "stand-in: openai refuses another key ($(chat "not-$okey"))" [ "$(chat "not-$okey")" = 401 ]
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
wpid=

# 4. the agent, outside vstress: the world's env (not vstress's own
# VSTRESS_* lines), its database, the key file's public key
aport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grep -v '^VSTRESS_' "$tmp/world.env" >"$tmp/agent.env"
cat >>"$tmp/agent.env" <<EOF
AGENT_HOST=127.0.0.1
AGENT_PORT=$aport
AGENT_PUBLIC_WS_URL=ws://127.0.0.1:$aport
DATABASE_URL=$DATABASE_URL
TELNYX_PUBLIC_KEY=$pub
SMART_TURN_ENABLED=false
AUTH_USERNAME=vstress
AUTH_PASSWORD=vstress-demo-password
EOF
(cd "$AGENT" && exec setsid env $(cat "$tmp/agent.env") .venv/bin/python -m agent) >"$tmp/agent.log" 2>&1 &
apid=$!
for _ in $(seq 600); do
	curl -sf -o /dev/null "http://127.0.0.1:$aport/health" && break
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.2
done
check "agent: started outside vstress and healthy" curl -sf -o /dev/null "http://127.0.0.1:$aport/health"

# 5. vstress attaches to it.  What attach changes is who started the agent,
# who holds the key and where the world listens, so each call-placing phase
# runs its shortest honest form: telnyx's signed webhook, signature and Call
# Control checks (routing, replay and fallback are the agent's own logic,
# proven in telnyx_test_telnyx), one pipeline call, three concurrent calls.
t0=$(date +%s)
vs run "${PD[@]}" "${WSET[@]}" -r "$tmp/results" --only telnyx,pipeline,load \
	--set target.mode=attach --set "target.base_url=http://127.0.0.1:$aport" --set "target.pid=$apid" \
	--set "vstress.telnyx_key_file=$tmp/telnyx.key" --set load.calls=3 --set load.concurrency=3 \
	--set pipeline.adversarial_modes= --set pipeline.calls=1 --set telnyx.checks=webhook,signature,callcontrol \
	>"$tmp/run.out" 2>&1
rc=$?
echo "# vstress run (attach): exit $rc in $(( $(date +%s) - t0 )) s"
sed 's/^/# /' "$tmp/run.out" | grep -E '^\# \[|passed|failed' | head -10
S=$(ls -d "$tmp"/results/*/ 2>/dev/null | head -1)test_summary.json
check "run: exit 0" [ "$rc" = 0 ]
check "run: attached (no target started), the world where the test put it" json "$S" \
	's["services"]["target"]["status"] == "ready" and s["services"]["world"]["urls"]["control"] == "http://localhost:'"$wport"'"'
for p in telnyx pipeline load; do
	check "run: $p passed in attach mode" json "$S" \
		'[x["status"] for x in s["plugins"] if x["name"] == "'"$p"'"] == ["passed"]'
done
seed=$(sed -n 's/^private_seed = //p' "$tmp/telnyx.key")
check "run: the signing seed is in no file of the run nor its output" \
	bash -c "! grep -rqF -e '$seed' '$tmp/results' '$tmp/run.out'"
check "run: the world's URLs (results) carry no control token" \
	bash -c "! grep -rq '\"token\"' '$tmp/results'"

# the same agent, a run without the key file (a fresh key per run): the
# agent refuses its webhooks, and the call phases skip saying why
vs run "${PD[@]}" "${WSET[@]}" -r "$tmp/results2" --only telnyx,pipeline,load,resources,errors \
	--set target.mode=attach --set "target.base_url=http://127.0.0.1:$aport" --set "target.pid=$apid" \
	--set load.calls=3 >"$tmp/run2.out" 2>&1
S2=$(ls -d "$tmp"/results2/*/ 2>/dev/null | head -1)test_summary.json
for p in telnyx pipeline load resources errors; do
	check "attach without the agent's key: $p skips naming TELNYX_PUBLIC_KEY" json "$S2" \
		'[x["status"] for x in s["plugins"] if x["name"] == "'"$p"'"] == ["skipped"] and "TELNYX_PUBLIC_KEY must be" in [x for x in s["plugins"] if x["name"] == "'"$p"'"][0]["reason"]'
done
if [ "$rc" != 0 ]; then
	tail -n 30 "$tmp/agent.log" | sed 's/^/# agent: /'
fi
finish
