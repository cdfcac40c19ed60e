#!/usr/bin/env bash
# World fidelity suite: builds the world and the stand-in plugins, starts
# the world on ephemeral loopback ports, then runs pytest with the real
# provider SDKs against it.  Usage: tests/world/run.sh [pytest args...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}

# Every plugin is built; the world serves each one whose descriptor has a
# world hook (found through the core's registry, as in a run).
# The Makefile's plugin rule does not track world.h: rebuild when it changed.
for so in "$BUILD"/plugins/*.so; do
	if [ -f "$so" ] && [ include/vstress/world.h -nt "$so" ]; then
		rm -f "$so"
	fi
done
make --no-print-directory "$BUILD/vstress" plugins >/dev/null
WORLD_BIN="$BUILD/vstress"

# Python: the reference agent's venv when it exists, else our own pinned one.
VENV="examples/reference-agent/.venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import openai, telnyx, pytest' 2>/dev/null; then
	VENV="tests/world/.venv"
	if [ ! -x "$VENV/bin/python" ]; then
		python3 -m venv "$VENV"
		"$VENV/bin/pip" install -q -r tests/world/requirements.txt
	fi
fi

TMP=$(mktemp -d)
WPID=
EPID=
cleanup() {
	if [ -n "$WPID" ]; then kill "$WPID" 2>/dev/null || true; wait "$WPID" 2>/dev/null || true; fi
	if [ -n "$EPID" ]; then kill "$EPID" 2>/dev/null || true; wait "$EPID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# A TCP echo upstream for the Postgres fault proxy (protocol-blind).
python3 tests/world/echo_upstream.py "$TMP/echo.port" &
EPID=$!
for _ in $(seq 50); do [ -f "$TMP/echo.port" ] && break; sleep 0.1; done

# WORLD_WRAP="valgrind --leak-check=full" runs the world under a tool.
# WORLD_ONLY=a,b serves only those stand-ins.
${WORLD_WRAP:-} "$WORLD_BIN" world --plugin-dir "$BUILD/plugins" ${WORLD_ONLY:+--only "$WORLD_ONLY"} \
	--config conf.d/30-world.ini --config tests/world/world-test.ini --port-base 0 \
	--urls-file "$TMP/urls.json" --pg-upstream "127.0.0.1:$(cat "$TMP/echo.port")" >"$TMP/world.out" 2>"$TMP/world.err" &
WPID=$!
for _ in $(seq 300); do
	grep -q '^vstress world: ready' "$TMP/world.out" 2>/dev/null && break
	kill -0 "$WPID" 2>/dev/null || { cat "$TMP/world.err" >&2; echo "world exited" >&2; exit 1; }
	sleep 0.1
done
cat "$TMP/world.out"
export VSTRESS_WORLD_URLS="$TMP/urls.json"
set +e
(cd tests/world && "$ROOT/$VENV/bin/python" -m pytest -q "$@")
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "--- world log (last 60 lines) ---" >&2
	tail -n 60 "$TMP/world.err" >&2
fi
exit $rc
