"""The development runner as Telnyx meets it, over real HTTP and WebSocket on loopback."""

import asyncio
import json

import httpx
import pytest
import websockets

from telnyx_caller import fetch_texml, stream_of


def test_post_root_answers_texml_connecting_the_stream(agent_no_keys):
    texml = fetch_texml(agent_no_keys.base, "CA-1")
    stream = stream_of(texml)
    assert stream.get("url") == f"wss://{agent_no_keys.proxy}/ws"
    assert stream.get("bidirectionalMode") == "rtp"


def test_texml_is_xml_with_its_content_type(agent_no_keys):
    r = httpx.post(agent_no_keys.base + "/", data={"CallSid": "CA-2"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    assert r.text.startswith("<?xml")


def test_status_is_ready_for_telnyx_only(agent_no_keys):
    r = httpx.get(agent_no_keys.base + "/status")
    assert r.json() == {"status": "ready", "transports": ["telnyx"]}


async def _closed_after(ws_url, messages):
    """The close code the agent sends after ``messages`` (TimeoutError if it keeps the stream)."""
    try:
        async with websockets.connect(ws_url) as ws:
            for m in messages:
                await ws.send(json.dumps(m))
            while True:
                await asyncio.wait_for(ws.recv(), 10)
    except websockets.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None


async def test_a_stream_that_is_not_telnyx_is_closed(agent_no_keys):
    code = await _closed_after(agent_no_keys.base.replace("http", "ws") + "/ws",
                               [{"event": "connected"}, {"event": "start", "start": {}}])
    assert code == 1008
    assert "not a Telnyx media stream" in agent_no_keys.log()


async def test_a_call_without_provider_keys_is_refused_naming_them(agent_no_keys):
    start = {"event": "start", "stream_id": "s-1",
             "start": {"call_control_id": "v3:x", "media_format": {"encoding": "PCMU"}}}
    code = await _closed_after(agent_no_keys.base.replace("http", "ws") + "/ws",
                               [{"event": "connected", "version": "1.0.0"}, start])
    assert code == 1011
    assert "DEEPGRAM_API_KEY, OPENAI_API_KEY, CARTESIA_API_KEY not set" in agent_no_keys.log()


@pytest.mark.parametrize("proxy", ["abc.ngrok.io", "voice.example.com:8443"])
def test_stream_url_names_the_proxy_given(tmp_path, proxy):
    from conftest import Agent

    a = Agent(tmp_path, {}, proxy=proxy)
    try:
        assert stream_of(fetch_texml(a.base, "CA-3")).get("url") == f"wss://{proxy}/ws"
    finally:
        a.stop()


async def test_a_stream_closed_before_start_is_let_go_cleanly(agent_no_keys):
    before = agent_no_keys.log().count("media stream refused")
    async with websockets.connect(agent_no_keys.base.replace("http", "ws") + "/ws") as ws:
        await ws.send(json.dumps({"event": "connected", "version": "1.0.0"}))
    for _ in range(50):
        if agent_no_keys.log().count("media stream refused") > before:
            break
        await asyncio.sleep(0.1)
    log = agent_no_keys.log()
    assert log.count("media stream refused") > before, log[-2000:]
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]
