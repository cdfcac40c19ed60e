"""The real entry point: `python -m agent` in a subprocess, SIGTERM ends active calls cleanly."""

import asyncio
import json
import os
import signal
import sys

import asyncpg
import httpx
import websockets

from conftest import AGENT_DIR, free_port
from fakes import FakeCartesia, FakeDeepgram


async def test_sigterm_hangs_up_active_calls_and_exits(db_url, recorder):
    port = free_port()
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        env = dict(os.environ, AGENT_HOST="127.0.0.1", AGENT_PORT=str(port), DATABASE_URL=db_url,
                   AGENT_PUBLIC_WS_URL=f"ws://127.0.0.1:{port}", TELNYX_API_BASE=recorder.base,
                   TELNYX_API_KEY="KEY_x", CARTESIA_BASE_URL=cart.url, DEEPGRAM_BASE_URL=dg.url,
                   OPENAI_BASE_URL="http://127.0.0.1:9/v1", ANTHROPIC_BASE_URL="http://127.0.0.1:9",
                   GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:9", ELEVENLABS_BASE_URL="ws://127.0.0.1:9",
                   LOG_LEVEL="WARNING")
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "agent", cwd=str(AGENT_DIR), env=env,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient() as h:
                for _ in range(300):
                    try:
                        if (await h.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("agent did not start")
            cid = "v3:sigterm-1"
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/media/{cid}")
            await ws.send(json.dumps({"event": "connected", "version": "1.0.0"}))
            await ws.send(json.dumps({"event": "start", "stream_id": "s1", "start": {
                "call_control_id": cid, "to": "+1", "from": "+2",
                "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}}))
            for _ in range(50):  # wait for the greeting audio = call is live
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg.get("event") == "media":
                    break
            proc.send_signal(signal.SIGTERM)
            rc = await asyncio.wait_for(proc.wait(), 20)
            assert rc == 0
            assert "hangup" in recorder.actions(cid)
            conn = await asyncpg.connect(db_url)
            try:
                row = await conn.fetchrow("SELECT * FROM call_logs WHERE call_control_id = $1", cid)
                assert row["end_reason"] == "agent_shutdown" and row["ended_at"] is not None
            finally:
                await conn.close()
            await ws.close()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
