"""Anthropic stand-in driven by the real anthropic SDK (AsyncAnthropic,
base_url), the way Pipecat calls it: client.beta.messages.create(stream=True,
betas=[...]), tools always present."""
import time

import anthropic
import pytest
from anthropic import AsyncAnthropic

from conftest import standin

HOURS = "We are open from nine to five, Monday to Friday."
TOOLS = [{"name": "get_weather", "description": "Weather of a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def client(**kw):
    return AsyncAnthropic(api_key=kw.pop("api_key", "sk-ant-test"), base_url=standin("llm_anthropic"), **kw)


async def pipecat_style(c, text, tools=None):
    return await c.beta.messages.create(
        model="claude-sonnet-4-6", max_tokens=4096, stream=True, system="You are a receptionist.",
        messages=[{"role": "user", "content": text}], tools=tools or [],
        betas=["interleaved-thinking-2025-05-14"])


async def test_stream_events_and_usage():
    stream = await pipecat_style(client(), "What are your opening hours?")
    kinds, text, in_tokens, out_tokens = [], "", 0, 0
    async for ev in stream:
        kinds.append(ev.type)
        if ev.type == "message_start":
            in_tokens += ev.message.usage.input_tokens
        elif ev.type == "content_block_delta":
            text += ev.delta.text
        elif ev.type == "message_delta":
            in_tokens += ev.usage.input_tokens  # Pipecat's int += (must not be None)
            out_tokens = ev.usage.output_tokens
            assert ev.delta.stop_reason == "end_turn"
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_stop" in kinds
    assert text == HOURS and in_tokens > 0 and out_tokens > 0


async def test_non_stream_and_get_final_message():
    m = await client().messages.create(model="claude-haiku-4-5", max_tokens=100,
                                       messages=[{"role": "user", "content": "hello"}])
    assert m.content[0].text == "Hello! How can I help you today?"
    assert m.stop_reason == "end_turn" and m.usage.output_tokens > 0
    async with client().messages.stream(model="claude-haiku-4-5", max_tokens=100,
                                        messages=[{"role": "user", "content": "goodbye"}]) as s:
        final = await s.get_final_message()
    assert final.content[0].text == "Thank you for calling. Goodbye!"


async def test_tool_use_stream():
    stream = await pipecat_style(client(), "what is the weather?", tools=TOOLS)
    name, partial, stop = None, "", None
    async for ev in stream:
        if ev.type == "content_block_start" and ev.content_block.type == "tool_use":
            name = ev.content_block.name
        elif ev.type == "content_block_delta" and ev.delta.type == "input_json_delta":
            partial += ev.delta.partial_json
        elif ev.type == "message_delta":
            stop = ev.delta.stop_reason
    assert name == "get_weather" and stop == "tool_use"
    import json
    assert json.loads(partial) == {"city": "Paris"}


async def test_401_not_retried(control):
    before = control.count("llm_anthropic")
    control.fault(target="anthropic", kind="error", status=401)
    with pytest.raises(anthropic.AuthenticationError):
        await client().messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert control.count("llm_anthropic") - before == 1


async def test_529_overloaded_retried(control):
    before = control.count("llm_anthropic")
    control.fault(target="anthropic", kind="error", status=529)
    with pytest.raises(anthropic.APIStatusError) as e:
        await client().messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 529
    assert e.value.body["error"]["type"] == "overloaded_error"
    assert control.count("llm_anthropic") - before == 3


async def test_429_rate_limit(control):
    control.fault(target="anthropic", kind="error", status=429)
    with pytest.raises(anthropic.RateLimitError):
        await client(max_retries=0).messages.create(model="m", max_tokens=10,
                                                    messages=[{"role": "user", "content": "hi"}])


async def test_error_event_mid_stream(control):
    control.fault(target="anthropic", kind="error", status=529, after_messages=3)
    stream = await pipecat_style(client(), "What are your opening hours?")
    seen = []
    with pytest.raises(anthropic.APIStatusError) as e:
        async for ev in stream:
            seen.append(ev.type)
    assert seen == ["message_start", "content_block_start"]  # the 3rd event, ping, is skipped by the SDK
    assert "overloaded" in str(e.value).lower()
