"""The Deepgram stand-in keeps what each stream received (record_audio):
the run compares it with what the caller sent (docs/world.md)."""
import array
import io
import math
import wave

from test_deepgram import client, send_audio
from audio import silence, tone, ulaw


def newest(control):
    streams = control.get("/_vstress/stt_deepgram/streams")["streams"]
    assert streams
    return max(streams, key=lambda s: s["order"])


def wav_of(control, stream):
    r = control.http.get(f"/_vstress/stt_deepgram/audio/{stream}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return array.array("h", w.readframes(w.getnframes()))


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


async def test_linear16_16k_kept_at_8k(control):
    async with client().listen.v1.connect(model="nova-3-general", encoding="linear16",
                                          sample_rate="16000", channels="1") as conn:
        await send_audio(conn, tone(1.0) + silence(0.5))
        await conn.send_close_stream()
    s = newest(control)
    assert s["stream_rate"] == 16000 and s["encoding"] == "linear16" and s["start_ns"] > 0
    assert s["transcript"] == "what are your opening hours"  # the scripted stand-in's first phrase
    pcm = wav_of(control, s["stream"])
    assert len(pcm) == 12000  # 1.5 s at 8 kHz
    # the tone (amplitude 6000: RMS 4243) in the first second, silence after
    assert 3800 < rms(pcm[400:7600]) < 4600
    assert rms(pcm[8400:]) < 50


async def test_mulaw_8k_kept_as_sent(control):
    async with client().listen.v1.connect(model="nova-3-general", encoding="mulaw",
                                          sample_rate="8000", channels="1") as conn:
        await send_audio(conn, ulaw(tone(0.8, rate=8000)), chunk=160)
        await conn.send_close_stream()
    s = newest(control)
    assert (s["stream_rate"], s["encoding"]) == (8000, "mulaw")
    pcm = wav_of(control, s["stream"])
    assert len(pcm) == 6400
    assert 3800 < rms(pcm[400:6000]) < 4600


def test_unknown_stream_is_404(control):
    r = control.http.get("/_vstress/stt_deepgram/audio/no-such-stream")
    assert r.status_code == 404
