"""Minimal local provider fakes for tests (the real stand-ins are the C team's job)."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct

import websockets
from aiohttp import web

from conftest import free_port


def tone(seconds: float, rate: int, freq: float = 440.0) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))


class FakeCartesia:
    """Cartesia TTS websocket: answers every transcript with PCM chunks and done. mode: ok | stall | reject."""

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.transcripts: list[str] = []
        self.connections = 0

    async def handler(self, ws):
        self.connections += 1
        async for raw in ws:
            msg = json.loads(raw)
            if "transcript" not in msg:
                continue
            self.transcripts.append(msg["transcript"])
            if self.mode == "stall":
                await asyncio.sleep(30)
                return
            rate = msg["output_format"]["sample_rate"]
            pcm = tone(0.4, rate)
            step = rate // 10 * 2
            for i in range(0, len(pcm), step):
                await ws.send(json.dumps({"type": "chunk", "context_id": msg["context_id"], "done": False,
                                          "status_code": 206, "data": base64.b64encode(pcm[i:i + step]).decode()}))
            await ws.send(json.dumps({"type": "done", "context_id": msg["context_id"], "done": True, "status_code": 206}))

    async def process_request(self, connection, request):
        if self.mode == "reject":
            return connection.respond(401, "bad key\n")
        return None

    async def __aenter__(self):
        self.port = free_port()
        self.server = await websockets.serve(self.handler, "127.0.0.1", self.port, process_request=self.process_request)
        self.url = f"ws://127.0.0.1:{self.port}/tts/websocket"
        return self

    async def __aexit__(self, *a):
        self.server.close()
        await self.server.wait_closed()


class FakeElevenLabs:
    def __init__(self):
        self.texts: list[str] = []
        self.paths: list[str] = []

    async def handler(self, ws):
        self.paths.append(ws.request.path)
        rate = int(ws.request.path.split("output_format=pcm_")[1].split("&")[0])
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("text", "").strip():
                self.texts.append(msg["text"])
            if msg.get("flush"):
                pcm = tone(0.3, rate)
                await ws.send(json.dumps({"audio": base64.b64encode(pcm).decode(), "contextId": msg["context_id"],
                                          "alignment": {"chars": ["a"], "charStartTimesMs": [0], "charDurationsMs": [10]}}))
            if msg.get("close_context"):  # as ElevenLabs: isFinal only once the context is closed
                await ws.send(json.dumps({"isFinal": True, "contextId": msg["context_id"]}))
            if msg.get("close_socket"):
                return

    async def __aenter__(self):
        self.port = free_port()
        self.server = await websockets.serve(self.handler, "127.0.0.1", self.port)
        self.url = f"ws://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *a):
        self.server.close()
        await self.server.wait_closed()


class FakeDeepgram:
    """Accepts the live-listen websocket; optionally sends one final transcript after some audio."""

    def __init__(self, transcript: str | None = None, after_bytes: int = 16000):
        self.connections = 0
        self.bytes = 0
        self.transcript = transcript
        self.after_bytes = after_bytes
        self.paths: list[str] = []

    async def handler(self, ws):
        self.connections += 1
        self.paths.append(ws.request.path)
        sent = False
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    self.bytes += len(raw)
                if self.transcript and not sent and self.bytes >= self.after_bytes:
                    sent = True
                    await ws.send(json.dumps({
                        "type": "Results", "channel_index": [0, 1], "duration": 1.0, "start": 0.0,
                        "is_final": True, "speech_final": True, "from_finalize": False,
                        "channel": {"alternatives": [{"transcript": self.transcript, "confidence": 0.99, "words": []}]},
                        "metadata": {"request_id": "r1", "model_uuid": "u1",
                                     "model_info": {"name": "general-nova-3", "version": "1", "arch": "nova-3"}}}))
        except websockets.ConnectionClosed:
            pass

    async def __aenter__(self):
        self.port = free_port()
        self.server = await websockets.serve(self.handler, "127.0.0.1", self.port)
        self.url = f"ws://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *a):
        self.server.close()
        await self.server.wait_closed()


class FakeHTTPLLM:
    """OpenAI chat.completions / Anthropic messages SSE. mode: ok | stall | 500 | 401.

    delay: OpenAI streams a word every ``delay`` seconds (the first after one delay too)."""

    def __init__(self, mode: str = "ok", text: str = "Sure, I can help with that.", delay: float = 0.0):
        self.mode = mode
        self.text = text
        self.delay = delay
        self.words = 0  # words of OpenAI replies written so far
        self.completed = 0  # OpenAI streams written to their end (usage chunk included)
        self.requests: list[dict] = []
        self.release = asyncio.Event()

    async def _pre(self, request):
        self.requests.append(await request.json())
        if self.mode == "stall":
            try:
                await asyncio.wait_for(self.release.wait(), 60)
            except asyncio.TimeoutError:
                pass
        if self.mode in ("500", "401"):
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=int(self.mode))
        return None

    async def openai(self, request):
        err = await self._pre(request)
        if err is not None:
            return err
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
        for word in self.text.split(" "):
            if self.delay:
                await asyncio.sleep(self.delay)
            chunk = dict(base, choices=[{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}])
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.words += 1
        chunk = dict(base, choices=[], usage={"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27})
        await resp.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
        self.completed += 1
        return resp

    async def anthropic(self, request):
        err = await self._pre(request)
        if err is not None:
            return err
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)

        async def ev(name, data):
            await resp.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

        await ev("message_start", {"type": "message_start", "message": {
            "id": "m1", "type": "message", "role": "assistant", "model": "claude", "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 30, "output_tokens": 1}}})
        await ev("content_block_start", {"type": "content_block_start", "index": 0,
                                         "content_block": {"type": "text", "text": ""}})
        await ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                         "delta": {"type": "text_delta", "text": self.text}})
        await ev("content_block_stop", {"type": "content_block_stop", "index": 0})
        await ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                   "usage": {"output_tokens": 9}})
        await ev("message_stop", {"type": "message_stop"})
        return resp

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.openai)
        app.router.add_post("/v1/messages", self.anthropic)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.base = f"http://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *a):
        self.release.set()
        await self.runner.cleanup()
