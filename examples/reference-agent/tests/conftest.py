"""Fixtures: a real throwaway Postgres, a fresh database per test, the agent on a
loopback port (uvicorn in the test's event loop), a Call Control recorder."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiohttp import web
from nacl.signing import SigningKey

HERE = Path(__file__).resolve().parent
AGENT_DIR = HERE.parent
REPO = AGENT_DIR.parent.parent
PG_SCRIPT = REPO / "scripts" / "pg-throwaway.sh"
sys.path.insert(0, str(AGENT_DIR))

from agent.app import create_app  # noqa: E402
from agent.settings import Settings  # noqa: E402


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pg_start(dirname: str | None = None, port: int | None = None) -> dict:
    args = ["bash", str(PG_SCRIPT), "start"]
    if dirname:
        args += [dirname, str(port)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            k, _, v = line[7:].partition("=")
            env[k] = v
    return env


def pg_stop(dirname: str) -> None:
    subprocess.run(["bash", str(PG_SCRIPT), "stop", dirname], check=False, capture_output=True)


@pytest.fixture(scope="session")
def pg_url():
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    env = pg_start()
    try:
        yield env["DATABASE_URL"]
    finally:
        pg_stop(env["VSTRESS_PG_DIR"])


def _with_db(url: str, db: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}"


@pytest_asyncio.fixture
async def db_url(pg_url):
    """A fresh, empty database for one test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield _with_db(pg_url, name)
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


class Recorder:
    """Tiny Telnyx Call Control API on loopback: records every command."""

    def __init__(self):
        self.commands: list[tuple[str, str, dict, dict]] = []  # (call_id, action, body, headers)
        self.fail_actions: set[str] = set()
        self.event = asyncio.Event()

    async def handle(self, request: web.Request):
        body = await request.json() if request.can_read_body else {}
        cid, action = request.match_info["cid"], request.match_info["action"]
        self.commands.append((cid, action, body, dict(request.headers)))
        self.event.set()
        if action in self.fail_actions:
            return web.json_response({"errors": [{"code": "90018", "title": "x"}]}, status=500)
        return web.json_response({"data": {"result": "ok"}})

    def actions(self, cid=None):
        return [a for c, a, _, _ in self.commands if cid is None or c == cid]

    async def wait_for(self, n: int, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while len(self.commands) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.commands


@pytest_asyncio.fixture
async def recorder():
    rec = Recorder()
    app = web.Application()
    app.router.add_post("/v2/calls/{cid}/actions/{action}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    rec.base = f"http://127.0.0.1:{port}/v2"
    yield rec
    await runner.cleanup()


@pytest.fixture
def signing_key():
    return SigningKey.generate()


def pubkey_b64(sk: SigningKey) -> str:
    return base64.b64encode(bytes(sk.verify_key)).decode()


def sign(sk: SigningKey, body: bytes, ts: int | None = None) -> dict:
    ts = int(time.time()) if ts is None else ts
    sig = sk.sign(f"{ts}|".encode() + body).signature
    return {
        "telnyx-signature-ed25519": base64.b64encode(sig).decode(),
        "telnyx-timestamp": str(ts),
        "content-type": "application/json",
    }


def event(event_type: str, payload: dict, event_id: str | None = None) -> bytes:
    return json.dumps({
        "data": {"event_type": event_type, "id": event_id or str(uuid.uuid4()), "occurred_at": "2026-11-26T00:00:00Z",
                 "payload": payload, "record_type": "event"},
        "meta": {"attempt": 1},
    }).encode()


class RunningAgent:
    def __init__(self, app, server, base, settings):
        self.app, self.server, self.base, self.settings = app, server, base, settings
        self.rt = app.state.runtime
        self.http = httpx.AsyncClient(base_url=base, timeout=10)

    async def login(self) -> str:
        r = await self.http.post("/api/auth/session", json={"username": "admin", "password": "secret"})
        assert r.status_code == 200, r.text
        return r.json()["token"]


async def start_agent(settings: Settings) -> RunningAgent:
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on",
                            ws_ping_interval=None)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None
    task = asyncio.get_running_loop().create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    agent = RunningAgent(app, server, f"http://127.0.0.1:{settings.port}", settings)
    agent.task = task
    return agent


async def stop_agent(agent: RunningAgent) -> None:
    await agent.http.aclose()
    agent.server.should_exit = True
    await asyncio.wait_for(agent.task, 15)


def make_settings(db_url: str, **kw) -> Settings:
    port = free_port()
    base = dict(
        port=port,
        public_ws_url=f"ws://127.0.0.1:{port}",
        database_url=db_url,
        db_pool_min=1,
        db_pool_max=5,
        db_connect_timeout=2.0,
        auth_password="secret",
        session_cleanup_interval_seconds=3600,
        telnyx_api_key="KEY_test",
        telnyx_api_base="http://127.0.0.1:9/v2",
        unknown_hangup_max_wait_seconds=0.2,
        # no real provider is ever contacted by tests: point everything at a closed port
        openai_base_url="http://127.0.0.1:9/v1",
        google_gemini_base_url="http://127.0.0.1:9",
        anthropic_base_url="http://127.0.0.1:9",
        deepgram_base_url="ws://127.0.0.1:9",
        cartesia_base_url="ws://127.0.0.1:9/tts/websocket",
        elevenlabs_base_url="ws://127.0.0.1:9",
    )
    base.update(kw)
    return Settings(**base)


@pytest_asyncio.fixture
async def agent_factory():
    agents = []

    async def make(settings: Settings) -> RunningAgent:
        a = await start_agent(settings)
        agents.append(a)
        return a

    yield make
    for a in agents:
        try:
            await stop_agent(a)
        except Exception:
            pass
