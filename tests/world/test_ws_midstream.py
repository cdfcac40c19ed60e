"""Mid-stream WebSocket faults on every WebSocket stand-in (Deepgram,
Cartesia, ElevenLabs): close_after_messages, error_frame_after (the
provider's own in-stream error), stall_after, and refuse_for (reconnects
refused for a while after the fault fired).  Raw websockets, as Pipecat's
services speak them."""
import asyncio
import json
import time

import pytest
import websockets

from audio import chunks, silence, tone
from conftest import standin

TEXT = "This sentence is long enough to be voiced in a good many audio chunks, one after the other. "


def _deepgram():
    url = standin("stt_deepgram", "ws") + "/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&vad_events=true"
    return url, {"Authorization": "Token dg_test"}


async def _deepgram_go(ws):
    for c in chunks(tone(1.5) + silence(0.8), 640):
        await ws.send(c)


def _cartesia():
    return standin("tts_cartesia", "ws") + "/tts/websocket?api_key=ca_test&cartesia_version=2026-03-01", {}


async def _cartesia_go(ws):
    await ws.send(json.dumps({"transcript": TEXT, "continue": False, "context_id": "m1", "model_id": "sonic-3.5",
                              "voice": {"mode": "id", "id": "a0e99841-438c-4a64-b679-ae501e7d6091"},
                              "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                              "language": "en"}))


def _elevenlabs():
    url = (standin("tts_elevenlabs", "ws") + "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/multi-stream-input"
           "?model_id=eleven_flash_v2_5&output_format=pcm_16000&auto_mode=true")
    return url, {"xi-api-key": "el_test"}


async def _elevenlabs_go(ws):
    await ws.send(json.dumps({"text": " ", "context_id": "m1"}))
    await ws.send(json.dumps({"text": TEXT, "context_id": "m1"}))
    await ws.send(json.dumps({"context_id": "m1", "flush": True}))


STANDINS = {"deepgram": (_deepgram, _deepgram_go), "cartesia": (_cartesia, _cartesia_go),
            "elevenlabs": (_elevenlabs, _elevenlabs_go)}


async def _open(name):
    where, go = STANDINS[name]
    url, headers = where()
    # close_timeout: a stalled peer never answers our close
    ws = await websockets.connect(url, additional_headers=headers, max_size=16 * 1024 * 1024, close_timeout=0.5)
    await go(ws)
    return ws


async def _recv_all(ws, limit_s):
    """Messages until the socket closes (returns them and the close) or limit_s of silence."""
    got = []
    try:
        while True:
            got.append(await asyncio.wait_for(ws.recv(), limit_s))
    except websockets.exceptions.ConnectionClosed as e:
        return got, e
    except asyncio.TimeoutError:
        return got, None


@pytest.mark.parametrize("name", list(STANDINS))
async def test_close_after_messages(control, name):
    control.fault(target=name, close_after_messages=2, close_code=1011)
    ws = await _open(name)
    got, closed = await _recv_all(ws, 5)
    assert closed is not None and closed.rcvd.code == 1011, (name, got)
    assert len(got) == 2, got


@pytest.mark.parametrize("name", list(STANDINS))
async def test_stall_after_keeps_socket_open(control, name):
    control.fault(target=name, kind="stall", after_messages=1)
    ws = await _open(name)
    got, closed = await _recv_all(ws, 1.5)
    assert closed is None and len(got) == 1, (got, closed)
    await asyncio.wait_for(await ws.ping(), 2)  # the peer is still there
    await ws.close()


async def test_error_frame_after_cartesia(control):
    control.fault(target="cartesia", error_frame_after=1, status=500)
    ws = await _open("cartesia")
    got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    assert got[0]["type"] == "chunk", got
    err = got[1]
    assert err["type"] == "error" and err["context_id"] == "m1" and err["done"] is True, err
    assert err["status_code"] == 500 and err["error_code"] == "internal_error", err
    # the context stops; the socket stays open and voices a new context
    got, closed = await _recv_all(ws, 0.8)
    assert closed is None and got == [], got
    await _cartesia_go(ws)
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "chunk"
    await ws.close()


async def test_error_frame_after_elevenlabs(control):
    control.fault(target="elevenlabs", error_frame_after=1, status=500)
    ws = await _open("elevenlabs")
    got, closed = await _recv_all(ws, 5)
    assert len(got) == 2 and "audio" in json.loads(got[0]), got
    err = json.loads(got[1])
    assert err["code"] == 1008 and err["error"] == "internal_error" and err["message"], err
    assert closed is not None and closed.rcvd.code == 1008 and closed.rcvd.reason == err["message"]


async def test_error_frame_after_deepgram(control):
    control.fault(target="deepgram", error_frame_after=1)
    ws = await _open("deepgram")
    got, closed = await _recv_all(ws, 5)
    assert len(got) == 1, got
    assert closed is not None and closed.rcvd.code == 1011 and closed.rcvd.reason == "NET-0000"


async def test_refuse_for_after_close(control):
    control.fault(target="deepgram", close_after_messages=1, refuse_for="2s")
    t0 = time.monotonic()
    ws = await _open("deepgram")
    _, closed = await _recv_all(ws, 5)
    assert closed is not None and closed.rcvd.code == 1011
    fired = time.monotonic()
    faults = control.get("/_vstress/faults")["data"]
    assert any(f["kind"] == "refuse" and f["origin"] == "refuse_for" for f in faults), faults
    await asyncio.sleep(0.3)  # the world closes the listener on its next tick (100 ms)
    with pytest.raises(OSError):
        await _open("deepgram")
    # the close fault still matches, so reconnecting after the window gets one message and a close again
    await asyncio.sleep(max(0.0, 2.3 - (time.monotonic() - fired)))
    ws = await _open("deepgram")
    got, closed = await _recv_all(ws, 5)
    assert closed is not None and len(got) == 1
    assert time.monotonic() - t0 < 10


async def test_long_name_with_other_kind_is_refused(control):
    r = control.http.post("/_vstress/faults", json={"target": "cartesia", "kind": "stall", "error_frame_after": 1})
    assert r.status_code == 400 and "error_frame_after" in r.text
    r = control.http.post("/_vstress/faults", json={"target": "cartesia", "kind": "latency", "ms": 5, "refuse_for": "1s"})
    assert r.status_code == 400 and "refuse_for" in r.text
