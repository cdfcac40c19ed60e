"""Thin streaming clients for each LLM and TTS provider (official SDKs / raw websockets).

Each LLM client is an async generator of text chunks; after it finishes,
``usage`` holds (input_tokens, output_tokens).  Each TTS client is an async
generator of 16-bit mono PCM chunks at the requested sample rate.  Base URLs
and keys come from settings, so the same code talks to the real services or
to local stand-ins.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import AsyncIterator
from urllib.parse import urlencode

import websockets


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return str(content or "")


def split_system(messages: list[dict], default_system: str) -> tuple[str, list[dict]]:
    """(system prompt, [{"role": "user"|"assistant", "content": str}]) with roles alternating, user first."""
    system = []
    convo: list[dict] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if (role == "assistant" and m.get("tool_calls")) or role == "tool":
            convo.append(m)  # a tool round (OpenAI format): kept as is
            continue
        text = _text_of(m.get("content"))
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant") and text.strip():
            if convo and convo[-1]["role"] == role:
                convo[-1]["content"] += "\n" + text
            else:
                convo.append({"role": role, "content": text})
    if not convo or convo[0]["role"] != "user":
        convo.insert(0, {"role": "user", "content": "(The caller has joined the call.)"})
    return "\n".join(system) or default_system, convo


class LLMClient:
    """One per provider per process, shared by all calls (creating SDK clients costs SSL setup).

    ``stream`` writes (input_tokens, output_tokens) into the caller's ``usage`` dict.
    """

    name = "llm"
    model = ""

    def __init__(self):
        pass

    def stream(self, system: str, messages: list[dict], max_tokens: int, usage: dict) -> AsyncIterator[str]:
        raise NotImplementedError

    async def close(self) -> None:
        pass


# Call control the model may ask for (declared to the OpenAI provider only;
# the others answer with text): the session acts on them after the reply is spoken.
CALL_TOOLS = [
    {"type": "function", "function": {
        "name": "transfer_call",
        "description": "Transfer the caller to a human colleague (the number's fallback line).",
        "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}},
    }},
    {"type": "function", "function": {
        "name": "end_call",
        "description": "End the call once the caller has said goodbye.",
        "parameters": {"type": "object", "properties": {}},
    }},
]


class OpenAIClient(LLMClient):
    name = "openai"

    def __init__(self, s, timeout: float):
        super().__init__()
        self.tools = s.call_tools_enabled
        from openai import AsyncOpenAI

        self.model = s.openai_model
        self._c = AsyncOpenAI(api_key=s.openai_api_key or "missing", base_url=s.openai_base_url,
                              max_retries=0, timeout=timeout)

    async def stream(self, system, messages, max_tokens, usage):
        extra = {"tools": CALL_TOOLS} if self.tools else {}
        resp = await self._c.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, *messages],
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=max_tokens,
            **extra,
        )
        calls: dict[int, dict] = {}  # tool calls by index: name + argument fragments
        async for chunk in resp:
            if chunk.usage:
                usage["tokens"] = (chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
            for ch in chunk.choices or []:
                for tc in (ch.delta.tool_calls or []) if ch.delta else []:
                    c = calls.setdefault(tc.index or 0, {"id": "", "name": "", "arguments": ""})
                    if tc.id:
                        c["id"] = tc.id
                    if tc.function and tc.function.name:
                        c["name"] = tc.function.name
                    if tc.function and tc.function.arguments:
                        c["arguments"] += tc.function.arguments
                if ch.delta and ch.delta.content:
                    yield ch.delta.content
        if calls:
            usage["tool_calls"] = [c for _, c in sorted(calls.items()) if c["name"]]

    async def close(self):
        await self._c.close()


class GeminiClient(LLMClient):
    name = "gemini"

    def __init__(self, s, timeout: float):
        super().__init__()
        from google import genai
        from google.genai import types

        self._types = types
        self.model = s.gemini_model
        self._c = genai.Client(
            api_key=s.google_api_key or "missing",
            http_options=types.HttpOptions(base_url=s.google_gemini_base_url, timeout=int(timeout * 1000),
                                           retry_options=types.HttpRetryOptions(attempts=1)),
        )

    async def stream(self, system, messages, max_tokens, usage):
        t = self._types
        contents = [
            t.Content(role="model" if m["role"] == "assistant" else "user", parts=[t.Part(text=m["content"])])
            for m in messages
        ]
        cfg = t.GenerateContentConfig(system_instruction=system, max_output_tokens=max_tokens)
        stream = await self._c.aio.models.generate_content_stream(model=self.model, contents=contents, config=cfg)
        async for chunk in stream:
            um = getattr(chunk, "usage_metadata", None)
            if um is not None:
                usage["tokens"] = (um.prompt_token_count or 0, um.candidates_token_count or 0)
            try:
                text = chunk.text
            except Exception:
                text = None
            if text:
                yield text


class AnthropicClient(LLMClient):
    name = "anthropic"

    def __init__(self, s, timeout: float):
        super().__init__()
        from anthropic import AsyncAnthropic

        self.model = s.anthropic_model
        self._c = AsyncAnthropic(api_key=s.anthropic_api_key or "missing", base_url=s.anthropic_base_url,
                                 max_retries=0, timeout=timeout)

    async def stream(self, system, messages, max_tokens, usage):
        inp = out = 0
        resp = await self._c.messages.create(
            model=self.model, system=system, messages=messages, max_tokens=max_tokens, stream=True
        )
        async for ev in resp:
            if ev.type == "message_start":
                inp = ev.message.usage.input_tokens or 0
            elif ev.type == "content_block_delta" and getattr(ev.delta, "type", "") == "text_delta":
                yield ev.delta.text
            elif ev.type == "message_delta" and ev.usage is not None:
                out = ev.usage.output_tokens or 0
                if getattr(ev.usage, "input_tokens", None):
                    inp = ev.usage.input_tokens
            usage["tokens"] = (inp, out)

    async def close(self):
        await self._c.close()


LLM_CLIENTS = {"openai": OpenAIClient, "gemini": GeminiClient, "anthropic": AnthropicClient}


def shared_llm_clients(rt) -> list[LLMClient]:
    """The process-wide LLM clients in LLM_PROVIDERS order (created on first use)."""
    s = rt.settings
    cache = rt.__dict__.setdefault("_llm_clients", {})
    out = []
    for n in [n.strip() for n in s.llm_providers.split(",") if n.strip()]:
        if n not in cache:
            cache[n] = LLM_CLIENTS[n](s, s.llm_total_timeout_seconds)
        out.append(cache[n])
    return out


async def close_llm_clients(rt) -> None:
    for c in rt.__dict__.pop("_llm_clients", {}).values():
        try:
            await c.close()
        except Exception:
            pass


class TTSClient:
    name = "tts"
    model = ""

    def synthesize(self, text: str, sample_rate: int) -> AsyncIterator[bytes]:
        raise NotImplementedError


class CartesiaClient(TTSClient):
    """Cartesia websocket TTS (``CARTESIA_BASE_URL`` is the full ws URL)."""

    name = "cartesia"

    def __init__(self, s, timeout: float):
        self.s = s
        self.model = s.cartesia_model
        self.timeout = timeout

    async def synthesize(self, text, sample_rate):
        s = self.s
        sep = "&" if "?" in s.cartesia_base_url else "?"
        url = s.cartesia_base_url + sep + urlencode({"api_key": s.cartesia_api_key, "cartesia_version": s.cartesia_version})
        headers = {"X-API-Key": s.cartesia_api_key, "Cartesia-Version": s.cartesia_version}
        ctx = str(uuid.uuid4())
        async with websockets.connect(url, additional_headers=headers, open_timeout=self.timeout,
                                      max_size=16 * 1024 * 1024) as ws:
            await ws.send(json.dumps({
                "transcript": text, "continue": False, "context_id": ctx, "model_id": self.model,
                "voice": {"mode": "id", "id": s.cartesia_voice_id},
                "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": sample_rate},
                "language": "en",
            }))
            async for raw in ws:
                msg = json.loads(raw)
                typ = msg.get("type")
                if typ == "chunk" and msg.get("data"):
                    yield base64.b64decode(msg["data"])
                elif typ == "error":
                    raise RuntimeError(f"cartesia error {msg.get('status_code')}: {msg.get('title') or msg.get('message')}")
                if msg.get("done") or typ == "done":
                    return
            raise ConnectionError("cartesia closed the socket before done")


class ElevenLabsClient(TTSClient):
    """ElevenLabs multi-stream-input websocket TTS (``ELEVENLABS_BASE_URL`` is the ws host)."""

    name = "elevenlabs"

    def __init__(self, s, timeout: float):
        self.s = s
        self.model = s.elevenlabs_model
        self.timeout = timeout

    async def synthesize(self, text, sample_rate):
        s = self.s
        q = urlencode({"model_id": self.model, "output_format": f"pcm_{sample_rate}", "auto_mode": "true"})
        url = f"{s.elevenlabs_base_url}/v1/text-to-speech/{s.elevenlabs_voice_id}/multi-stream-input?{q}"
        ctx = uuid.uuid4().hex
        async with websockets.connect(url, additional_headers={"xi-api-key": s.elevenlabs_api_key},
                                      open_timeout=self.timeout, max_size=16 * 1024 * 1024) as ws:
            await ws.send(json.dumps({"text": " ", "context_id": ctx}))
            await ws.send(json.dumps({"text": text + " ", "context_id": ctx}))
            await ws.send(json.dumps({"context_id": ctx, "flush": True}))
            # ends the context: isFinal comes after its last audio (without it ElevenLabs only
            # ends the stream on its 20 s inactivity close)
            await ws.send(json.dumps({"context_id": ctx, "close_context": True}))
            try:
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg.get("contextId", ctx) != ctx:
                        continue
                    if msg.get("audio"):
                        yield base64.b64decode(msg["audio"])
                    if msg.get("isFinal"):
                        return
                    if msg.get("error"):
                        raise RuntimeError(f"elevenlabs error: {msg.get('message') or msg.get('error')}")
                raise ConnectionError(f"elevenlabs closed the socket: {ws.close_code} {ws.close_reason}")
            finally:
                try:
                    await ws.send(json.dumps({"context_id": ctx, "close_context": True}))
                    await ws.send(json.dumps({"close_socket": True}))
                except Exception:
                    pass


TTS_CLIENTS = {"cartesia": CartesiaClient, "elevenlabs": ElevenLabsClient}


def error_class(e: BaseException) -> str:
    """Provider error taxonomy used in metrics and system_errors."""
    import asyncio

    name = type(e).__name__
    status = getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None)
    if isinstance(e, (asyncio.TimeoutError, TimeoutError)) or "Timeout" in name:
        return "timeout"
    if status == 429:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if isinstance(status, int) and status >= 500:
        return "server"
    if isinstance(status, int) and status >= 400:
        return "invalid_request"
    if isinstance(e, (ConnectionError, OSError)) or "Connection" in name:
        return "connectivity"
    if isinstance(e, websockets.exceptions.InvalidStatus):
        code = e.response.status_code
        return "auth" if code in (401, 403) else "rate_limit" if code == 429 else "server" if code >= 500 else "invalid_request"
    if isinstance(e, websockets.exceptions.ConnectionClosed):
        return "connectivity"
    return "other"
