"""Deepgram stand-in in grammar mode, driven by the real deepgram-sdk (v7):
pocketsphinx recognises flite-synthesised speech against a JSGF grammar of
the configured phrases ([stt_deepgram] phrases in world-test.ini).  The
world runs the scripted mode; `vstress_mode=grammar` (a vstress query
parameter, docs/world.md) switches one connection to grammar mode."""
import asyncio
import shutil
import struct
import subprocess
import tempfile
import wave

import pytest

from audio import silence, ulaw
from test_deepgram import client, collect, send_audio

GRAMMAR = {"request_options": {"additional_query_parameters": {"vstress_mode": "grammar"}}}

pytestmark = pytest.mark.skipif(not shutil.which("flite"), reason="flite is not installed")


def speech(text):
    """flite's slt voice: 16 kHz PCM16 little-endian."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", f.name], check=True)
        with wave.open(f.name) as w:
            assert w.getframerate() == 16000 and w.getsampwidth() == 2
            return w.readframes(w.getnframes())


def to_8k(pcm):
    s = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    return struct.pack("<%dh" % (len(s) // 2), *((s[i] + s[i + 1]) // 2 for i in range(0, len(s) - 1, 2)))


def finals(got):
    return [m for m in got if m.type == "Results" and m.is_final]


async def test_grammar_recognises_phrase_linear16():
    async with client().listen.v1.connect(
            model="nova-3", encoding="linear16", sample_rate="16000", interim_results="true",
            utterance_end_ms="1000", **GRAMMAR) as conn:
        await send_audio(conn, silence(0.3) + speech("What are your opening hours?") + silence(0.8))
        got = await collect(conn, lambda m: m.type == "UtteranceEnd")
        fin = finals(got)
        assert len(fin) == 1, [m.type for m in got]
        alt = fin[0].channel.alternatives[0]
        assert alt.transcript == "what are your opening hours"
        assert alt.confidence > 0.5
        assert fin[0].speech_final is True
        assert [w.word for w in alt.words] == ["what", "are", "your", "opening", "hours"]
        await conn.send_close_stream()
        got = await collect(conn, lambda m: m.type == "Metadata")


async def test_grammar_mulaw_8k_then_finalize_and_close():
    async with client().listen.v1.connect(model="nova-3", encoding="mulaw", sample_rate="8000", **GRAMMAR) as conn:
        await send_audio(conn, ulaw(to_8k(silence(0.3) + speech("Goodbye") + silence(0.8))), chunk=160)
        got = await collect(conn, lambda m: m.type == "Results" and m.is_final)
        assert got[-1].channel.alternatives[0].transcript == "goodbye"
        # speech then Finalize at once: the from_finalize result comes after
        # the decode, in order
        await send_audio(conn, ulaw(to_8k(speech("What are your opening hours"))), chunk=160)
        await conn.send_finalize()
        got = await collect(conn, lambda m: m.type == "Results" and m.is_final)
        assert got[-1].from_finalize is True
        assert got[-1].channel.alternatives[0].transcript == "what are your opening hours"
        await conn.send_close_stream()
        got = await collect(conn, lambda m: m.type == "Metadata")
        assert got[-1].duration > 2.0


async def test_grammar_rejects_other_speech():
    async with client().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000",
                                          **GRAMMAR) as conn:
        await send_audio(conn, silence(0.3) + speech("The weather is lovely in Paris today") + silence(0.8))
        got = await collect(conn, lambda m: m.type == "Results" and m.is_final)
        assert got[-1].channel.alternatives[0].transcript == ""
