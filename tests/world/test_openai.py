"""OpenAI stand-in driven by the real openai SDK (AsyncOpenAI, base_url)."""
import json
import time

import openai
import pytest
from openai import AsyncOpenAI

from conftest import standin

HOURS = "We are open from nine to five, Monday to Friday."


def client(**kw):
    kw.setdefault("api_key", "sk-test")
    return AsyncOpenAI(base_url=standin("llm_openai") + "/v1", **kw)


async def test_stream_with_usage():
    c = client()
    t0 = time.monotonic()
    first = None
    text, usage = "", None
    stream = await c.chat.completions.create(
        model="gpt-4.1", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "system", "content": "You are a receptionist."},
                  {"role": "user", "content": "What are your opening hours?"}])
    async for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.monotonic() - t0
            text += chunk.choices[0].delta.content
    assert text == HOURS
    assert usage and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert first >= 0.1  # ttft_ms = 120 in world-test.ini


async def test_non_stream():
    r = await client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert r.choices[0].message.content == "Hello! How can I help you today?"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.completion_tokens > 0
    assert r.model == "gpt-4o-mini"


TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


async def test_stream_tool_call():
    stream = await client().chat.completions.create(
        model="gpt-4.1", stream=True, tools=TOOLS, tool_choice="auto",
        messages=[{"role": "user", "content": "what's the weather like?"}])
    name, args, finish = None, "", None
    async for chunk in stream:
        if not chunk.choices:
            continue
        ch = chunk.choices[0]
        for tc in ch.delta.tool_calls or []:
            assert tc.index == 0
            if tc.function.name:
                name = tc.function.name
            args += tc.function.arguments or ""
        finish = ch.finish_reason or finish
    assert name == "get_weather"
    assert json.loads(args) == {"city": "Paris"}
    assert finish == "tool_calls"


async def test_reply_after_tool_result():
    r = await client().chat.completions.create(model="gpt-4.1", tools=TOOLS, messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}])
    assert r.choices[0].message.content and not r.choices[0].message.tool_calls


async def test_401_is_not_retried(control):
    before = control.count("llm_openai")
    control.fault(target="openai", kind="error", status=401)
    with pytest.raises(openai.AuthenticationError) as e:
        await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "invalid_api_key"
    assert control.count("llm_openai") - before == 1


async def test_429_is_retried_twice(control):
    before = control.count("llm_openai")
    control.fault(target="openai", kind="error", status=429)
    with pytest.raises(openai.RateLimitError) as e:
        await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "rate_limit_exceeded"
    assert control.count("llm_openai") - before == 3  # max_retries=2


async def test_500_once_then_success(control):
    before = control.count("llm_openai")
    control.fault(target="openai", kind="error", status=500, max_hits=1)
    r = await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hello"}])
    assert r.choices[0].message.content
    assert control.count("llm_openai") - before == 2


async def test_error_inside_stream(control):
    control.fault(target="openai", kind="error", status=500, after_messages=2)
    stream = await client().chat.completions.create(
        model="gpt-4.1", stream=True, messages=[{"role": "user", "content": "hours?"}])
    got = 0
    with pytest.raises(openai.APIError):
        async for _ in stream:
            got += 1
    assert got == 2


async def test_reset_mid_stream(control):
    control.fault(target="openai", kind="reset", after_messages=3)
    stream = await client(max_retries=0).chat.completions.create(
        model="gpt-4.1", stream=True, messages=[{"role": "user", "content": "hours?"}])
    with pytest.raises(Exception) as e:
        async for _ in stream:
            pass
    assert "openai" in type(e.value).__module__ or "httpx" in type(e.value).__module__ or "h11" in repr(e.value)


async def test_close_after_bytes(control):
    control.fault(target="openai", kind="close", after_bytes=40)
    with pytest.raises(openai.APIConnectionError):
        await client(max_retries=0).chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": "hours?"}])


async def test_malformed_payload(control):
    control.fault(target="openai", kind="malformed")
    with pytest.raises(Exception) as e:
        await client(max_retries=0).chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": "hello"}])
    assert not isinstance(e.value, openai.APIStatusError)


async def test_latency(control):
    control.fault(target="openai", kind="latency", ms=400)
    t0 = time.monotonic()
    await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert time.monotonic() - t0 >= 0.38  # ms clock


async def test_stall_times_out(control):
    control.fault(target="openai", kind="stall")
    with pytest.raises(openai.APITimeoutError):
        await client(max_retries=0, timeout=0.8).chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])


async def test_refused(control):
    control.fault(target="openai", kind="refuse")
    time.sleep(0.3)  # the listener closes within one loop turn
    with pytest.raises(openai.APIConnectionError):
        await client(max_retries=0).chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    control.clear_faults()
    time.sleep(0.3)
    r = await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content


async def test_trickle_still_parses(control):
    control.fault(target="openai", kind="trickle", chunk_bytes=50, interval_ms=2)
    r = await client().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hello"}])
    assert r.choices[0].message.content == "Hello! How can I help you today?"


async def test_rate_is_a_fraction(control):
    control.fault(target="openai", kind="error", status=400, rate=0.5)
    fails = 0
    c = client(max_retries=0)
    for _ in range(40):
        try:
            await c.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
        except openai.BadRequestError:
            fails += 1
    assert 8 <= fails <= 32
