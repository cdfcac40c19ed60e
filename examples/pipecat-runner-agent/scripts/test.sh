#!/usr/bin/env bash
# Run the example's test suite (called by the top-level `make check`).
# Creates the venv if needed; when the vstress binary is built (BUILD, default
# build) and VSTRESS_WORLD_URLS is not set, starts a world serving the stand-ins
# this agent uses, so the whole-call test runs too (it skips without a world).
# Exits with pytest's exit code.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build="$repo/$build" ;; esac
"$here/scripts/setup-venv.sh" || exit 1

tmp=$(mktemp -d /tmp/vs-pipecat-runner.XXXXXX)
wpid=""
cleanup() {
	if [ -n "$wpid" ]; then kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${VSTRESS_WORLD_URLS:-}" ] && [ -x "$build/vstress" ] && [ -f "$build/plugins/telnyx.so" ]; then
	"$build/vstress" world --plugin-dir "$build/plugins" --only telnyx,stt_deepgram,llm_openai,tts_cartesia \
		--config "$repo/conf.d/30-world.ini" --port-base 0 --urls-file "$tmp/urls.json" \
		>"$tmp/world.out" 2>"$tmp/world.err" &
	wpid=$!
	for _ in $(seq 100); do
		grep -q '^vstress world: ready' "$tmp/world.out" 2>/dev/null && break
		kill -0 "$wpid" 2>/dev/null || { echo "test.sh: the world exited: $(tail -3 "$tmp/world.err")" >&2; wpid=""; break; }
		sleep 0.1
	done
	[ -n "$wpid" ] && export VSTRESS_WORLD_URLS="$tmp/urls.json"
fi
cd "$here"
"$here/.venv/bin/python" -m pytest -q -p no:cacheprovider -rs "$@"
