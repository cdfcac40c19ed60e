"""Bundled Silero VAD + Smart Turn v3 load from the wheel and are shared across calls."""

import numpy as np
from pipecat.audio.vad.vad_analyzer import VADParams

from agent.models import make_turn_analyzer, make_vad
from fakes import tone


def test_shared_sessions_and_inference():
    v1, v2 = make_vad(VADParams()), make_vad(VADParams())
    assert v1._model.session is v2._model.session
    assert v1._model is not v2._model  # recurrent state stays per call
    v1.set_sample_rate(8000)
    n = v1.num_frames_required()
    assert v1.voice_confidence(b"\x00\x00" * n) < 0.5
    assert 0.0 <= v1.voice_confidence(tone(n / 8000, 8000)) <= 1.0
    t1, t2 = make_turn_analyzer(), make_turn_analyzer()
    assert t1._session is t2._session
    t1.set_sample_rate(8000)
    audio = np.frombuffer(tone(1.0, 8000), dtype=np.int16).astype(np.float32) / 32768.0
    out = t1._predict_endpoint(audio)
    assert 0.0 <= out["probability"] <= 1.0
    unshared = make_vad(VADParams(), shared=False)
    assert unshared._model.session is not v1._model.session
