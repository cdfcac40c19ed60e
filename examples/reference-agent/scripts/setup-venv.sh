#!/usr/bin/env bash
# Create examples/reference-agent/.venv with the pinned dependencies (idempotent).
# Skips the install when the stamp file holds the sha256 of requirements.lock + requirements.txt.
#   scripts/setup-venv.sh            # create/refresh
#   FORCE=1 scripts/setup-venv.sh    # reinstall anyway
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv"
stamp="$venv/.lock-stamp"
py=${PYTHON:-python3}
want=$(cat "$here/requirements.lock" "$here/requirements.txt" | sha256sum | cut -d' ' -f1)

if [ -z "${FORCE:-}" ] && [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "setup-venv: $venv is up to date (lock $want)"
	exit 0
fi
start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
	echo "setup-venv: creating $venv with $($py --version)"
	"$py" -m venv "$venv"
fi
echo "setup-venv: installing requirements.lock (exact pins) + requirements.txt extras"
"$venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements.lock" -r "$here/requirements.txt"
"$venv/bin/python" - <<'PY'
import importlib.resources as r
import pipecat, openai, anthropic, google.genai, deepgram, telnyx, fastapi, asyncpg, nacl, sentry_sdk  # noqa: F401
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3  # noqa: F401
assert r.files("pipecat.audio.turn.smart_turn.data").joinpath("smart-turn-v3.2-cpu.onnx").is_file()
assert r.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx").is_file()
print("setup-venv: imports ok, bundled Silero VAD + Smart Turn v3.2 models present")
PY
echo "$want" > "$stamp"
echo "setup-venv: done in $(( $(date +%s) - start )) s"
