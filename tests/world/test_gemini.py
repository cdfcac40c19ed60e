"""Gemini stand-in driven by the real google-genai SDK
(http_options base_url), as Pipecat's GoogleLLMService calls it."""
import pytest
from google import genai
from google.genai import errors, types

from conftest import standin

HOURS = "We are open from nine to five, Monday to Friday."


def client(key="gm_test"):
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=standin("llm_gemini")))


async def test_stream_usage_metadata():
    c = client()  # keep the client alive: it closes its session when collected
    text, usage, finish = "", None, None
    async for chunk in await c.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents=[types.Content(role="user", parts=[types.Part(text="opening hours?")])],
            config=types.GenerateContentConfig(system_instruction="You are a receptionist.", max_output_tokens=4096,
                                               thinking_config=types.ThinkingConfig(thinking_budget=0))):
        if chunk.usage_metadata:
            usage = chunk.usage_metadata
        if chunk.candidates and chunk.candidates[0].content and chunk.candidates[0].content.parts:
            text += "".join(p.text or "" for p in chunk.candidates[0].content.parts)
        if chunk.candidates and chunk.candidates[0].finish_reason:
            finish = chunk.candidates[0].finish_reason
    assert text == HOURS
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert finish == types.FinishReason.STOP


async def test_function_call():
    c = client()  # keep the client alive: it closes its session when collected
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}})])
    calls = []
    async for chunk in await c.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="what's the weather?", config=types.GenerateContentConfig(tools=[tool])):
        for p in chunk.candidates[0].content.parts:
            if p.function_call:
                calls.append(p.function_call)
    assert calls and calls[0].name == "get_weather" and calls[0].args == {"city": "Paris"}


def test_non_stream_sync():
    c = client()  # keep the client alive: it closes its session when collected
    r = c.models.generate_content(model="gemini-2.5-flash", contents="hello")
    assert r.text == "Hello! How can I help you today?"


async def test_bad_key_is_400():
    c = client("wrong")  # keep the client alive: it closes its session when collected
    with pytest.raises(errors.ClientError) as e:
        await c.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert e.value.code == 400 and "API key not valid" in e.value.message


async def test_503_not_retried(control):
    c = client()  # keep the client alive: it closes its session when collected
    before = control.count("llm_gemini")
    control.fault(target="gemini", kind="error", status=503)
    with pytest.raises(errors.ServerError) as e:
        await c.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert e.value.code == 503 and e.value.status == "UNAVAILABLE"
    assert control.count("llm_gemini") - before == 1  # google-genai: no retries by default


async def test_error_in_stream(control):
    c = client()  # keep the client alive: it closes its session when collected
    control.fault(target="gemini", kind="error", status=500, after_messages=1)
    got = 0
    with pytest.raises(errors.APIError):
        async for _ in await c.aio.models.generate_content_stream(model="gemini-2.5-flash", contents="hours?"):
            got += 1
    assert got == 1
