"""The test caller's u-law encoder against G.711's table values and Pipecat's decoder."""

import asyncio

import numpy as np
from pipecat.audio.resamplers.soxr_stream_resampler import SOXRStreamAudioResampler
from pipecat.audio.utils import ulaw_to_pcm

from telnyx_caller import lin2ulaw


def test_g711_reference_points():
    # 0 -> 0xFF, the largest positive -> 0x80, the largest negative -> 0x00
    assert lin2ulaw(np.array([0, 32767, -32768], np.int16)) == bytes([0xFF, 0x80, 0x00])


def test_round_trip_through_pipecats_decoder():
    t = np.arange(8000) / 8000
    pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    back = asyncio.run(ulaw_to_pcm(lin2ulaw(pcm), 8000, 8000, SOXRStreamAudioResampler()))
    err = np.abs(np.frombuffer(back, "<i2").astype(int) - pcm.astype(int))
    assert err.max() < 8000 * 0.04, err.max()  # u-law's step at that level is a few percent
