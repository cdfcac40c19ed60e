"""Shared fixtures: the example started as a real process (Pipecat's runner on a
free loopback port), and the world's URLs when a world is running."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent.parent
# Provider settings a test must not inherit from the developer's shell.
PROVIDER_VARS = ("DEEPGRAM_", "OPENAI_", "CARTESIA_", "TELNYX_", "SYSTEM_PROMPT", "GREETING_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    """``bot.py -t telnyx -x PROXY`` as vstress launches it; stopped with SIGTERM."""

    def __init__(self, tmp: Path, env: dict[str, str], proxy: str = "agent.example.ngrok.io"):
        self.port = free_port()
        self.proxy = proxy
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"agent-{self.port}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARS)}
        clean.update(env)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "bot.py", "-t", "telnyx", "-x", proxy,
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=HERE, env=clean, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                if httpx.get(self.base + "/status", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"agent not ready in 60 s: {self.log()[-2000:]}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


@pytest.fixture(scope="module")
def agent_no_keys(tmp_path_factory):
    """The agent with no provider settings at all (routes only; calls are refused)."""
    a = Agent(tmp_path_factory.mktemp("agent"), {})
    yield a
    a.stop()


def world_urls() -> dict | None:
    path = os.environ.get("VSTRESS_WORLD_URLS")
    if not path or not os.path.exists(path):
        return None
    with open(path) as fp:
        return json.load(fp)


@pytest.fixture(scope="module")
def world():
    urls = world_urls()
    if urls is None:
        pytest.skip("no world running: set VSTRESS_WORLD_URLS to a running world's urls.json "
                    "(scripts/test.sh starts one when build/vstress exists)")
    missing = {"stt_deepgram", "llm_openai", "tts_cartesia"} - set(urls.get("standins", {}))
    if missing:
        pytest.skip(f"the running world does not serve {sorted(missing)}")
    return urls
