"""The TTS stand-ins keep what each reply sent (record_audio): the run
compares it with what the caller heard through the agent (docs/world.md,
"TTS stand-ins' recorded audio")."""
import array
import asyncio
import base64
import io
import json
import uuid
import wave

import websockets

from test_cartesia import msg, turn, url as ca_url
from test_elevenlabs import KEY as EL_KEY, read_until_final, url as el_url


def newest(control, standin):
    body = control.get(f"/_vstress/{standin}/replies")
    assert body["recording"] is True
    assert body["replies"]
    return max(body["replies"], key=lambda r: r["order"])


def wav_of(control, standin, reply):
    r = control.http.get(f"/_vstress/{standin}/audio/{reply}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return array.array("h", w.readframes(w.getnframes()))


def rms(x):
    return (sum(v * v for v in x) / len(x)) ** 0.5 if x else 0.0


async def test_cartesia_reply_kept_at_8k(control):
    ctx = str(uuid.uuid4())
    async with websockets.connect(ca_url(), max_size=16 * 1024 * 1024) as ws:
        await ws.send(msg(ctx, "Hello there. ", rate=24000))
        await ws.send(msg(ctx, "How can I help? ", cont=False, rate=24000))
        got = await turn(ws, ctx)
    sent = b"".join(base64.b64decode(m["data"]) for m in got if m["type"] == "chunk")
    r = newest(control, "tts_cartesia")
    assert (r["context"], r["sent_rate"], r["encoding"], r["ended"]) == (ctx, 24000, "pcm_s16le", "done")
    assert r["text"] == "Hello there.  How can I help? "
    assert 0 < r["start_ns"] <= r["end_ns"]
    pcm = wav_of(control, "tts_cartesia", r["reply"])
    assert len(pcm) == len(sent) // 2 // 3  # every sample sent, 24 kHz -> 8 kHz
    assert rms(pcm) > 300  # speech, not silence


async def test_cartesia_cancel_is_said(control):
    ctx = str(uuid.uuid4())
    async with websockets.connect(ca_url(), max_size=16 * 1024 * 1024) as ws:
        await ws.send(msg(ctx, "This is a long sentence that the caller will interrupt quite soon. ",
                          cont=False, rate=8000))
        while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "chunk":
            pass
        await ws.send(json.dumps({"context_id": ctx, "cancel": True}))
        await asyncio.sleep(0.2)
    r = newest(control, "tts_cartesia")
    assert (r["context"], r["ended"]) == (ctx, "cancelled")
    assert 0 < r["seconds"] < 3


async def test_elevenlabs_reply_kept(control):
    async with websockets.connect(el_url(rate=16000), additional_headers={"xi-api-key": EL_KEY},
                                  max_size=16 * 1024 * 1024) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "r1"}))
        await ws.send(json.dumps({"text": "Good morning. ", "context_id": "r1"}))
        await ws.send(json.dumps({"context_id": "r1", "close_context": True}))
        got = await read_until_final(ws, "r1")
        await ws.send(json.dumps({"close_socket": True}))
    sent = b"".join(base64.b64decode(m["audio"]) for m in got if m.get("audio"))
    r = newest(control, "tts_elevenlabs")
    assert (r["context"], r["sent_rate"], r["ended"], r["text"]) == ("r1", 16000, "done", "Good morning. ")
    pcm = wav_of(control, "tts_elevenlabs", r["reply"])
    assert len(pcm) == len(sent) // 2 // 2
    assert rms(pcm) > 300


def test_unknown_reply_is_404(control):
    assert control.http.get("/_vstress/tts_cartesia/audio/999999").status_code == 404
