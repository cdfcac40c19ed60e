#!/usr/bin/env bash
# Create examples/pipecat-runner-agent/.venv with the pinned dependencies (idempotent).
# Skips the install when the stamp file holds the sha256 of requirements.lock + requirements.txt.
# The reference agent's lock is a constraint too, so both venvs hold the same versions
# (and pip's cache serves the second one).
#   scripts/setup-venv.sh            # create/refresh
#   FORCE=1 scripts/setup-venv.sh    # reinstall anyway
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ref="$here/../reference-agent/requirements.lock"
venv="$here/.venv"
stamp="$venv/.lock-stamp"
py=${PYTHON:-python3}
want=$(cat "$here/requirements.lock" "$here/requirements.txt" "$ref" | sha256sum | cut -d' ' -f1)

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
"$venv/bin/pip" install --disable-pip-version-check -q -c "$ref" -r "$here/requirements.lock" -r "$here/requirements.txt"
"$venv/bin/python" - <<'PY'
import importlib.resources as r
import pipecat.runner.run, pipecat.services.deepgram.stt, pipecat.services.openai.llm  # noqa: F401
import pipecat.services.cartesia.tts, pipecat.serializers.telnyx, uvicorn, fastapi  # noqa: F401
assert r.files("pipecat.audio.turn.smart_turn.data").joinpath("smart-turn-v3.2-cpu.onnx").is_file()
assert r.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx").is_file()
print("setup-venv: imports ok, bundled Silero VAD + Smart Turn v3.2 models present")
PY
echo "$want" > "$stamp"
echo "setup-venv: done in $(( $(date +%s) - start )) s"
