"""One ONNX session per process for Silero VAD and Smart Turn v3, shared by all calls.

Pipecat 1.14 builds a new ``InferenceSession`` for every analyzer, i.e. twice per
call (pipecat#2050, #4818): ~0.2 s of event-loop time per call start and tens of
MB per call that the allocator does not give back. Both models are used
statelessly by the session (Silero's recurrent state lives in the Python wrapper,
which stays per call), and ``InferenceSession.run`` is thread-safe, so one
session each is enough. SHARE_MODEL_SESSIONS=false restores Pipecat's behaviour.
Both model files come from the pipecat-ai wheel; nothing is downloaded.
"""

from __future__ import annotations

import threading
import time
from importlib import resources

_lock = threading.Lock()
_sessions: dict[str, object] = {}


def _session(key: str, package: str, filename: str, intra_threads: int):
    import onnxruntime as ort

    with _lock:
        s = _sessions.get(key)
        if s is None:
            so = ort.SessionOptions()
            so.inter_op_num_threads = 1
            so.intra_op_num_threads = intra_threads
            so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            path = str(resources.files(package).joinpath(filename))
            s = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
            _sessions[key] = s
        return s


def silero_session():
    return _session("silero", "pipecat.audio.vad.data", "silero_vad.onnx", 1)


def smart_turn_session():
    return _session("smart_turn", "pipecat.audio.turn.smart_turn.data", "smart-turn-v3.2-cpu.onnx", 1)


def _timed(obj, method: str, metrics, series: str):
    """Wrap obj.method (run on Pipecat's executor thread) to add its wall time to
    ``<series>_sum`` (seconds) and ``<series>_count``; behaviour unchanged."""
    if metrics is None:
        return obj
    fn = getattr(obj, method)

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            metrics.inc(series + "_sum", None, time.perf_counter() - t0)
            metrics.inc(series + "_count", None)

    setattr(obj, method, timed)
    return obj


def make_vad(params, shared: bool = True, metrics=None):
    """Silero VAD; with metrics, its analysis time (``VADAnalyzer._run_analyzer``, the
    work ``analyze_audio`` runs per audio chunk) goes to agent_vad_seconds."""
    vad = _timed(_make_vad(params, shared), "_run_analyzer", metrics, "agent_vad_seconds")
    return _inline_short_chunks(vad)


def _inline_short_chunks(vad):
    """Run ``_run_analyzer`` on the event loop when the chunk cannot complete a Silero window.

    A 20 ms PCMU frame (320 bytes at 8 kHz) is shorter than Silero's 32 ms window, so about
    every other frame only appends to the analyzer's buffer and returns its state; Pipecat
    still sends it through the analyzer's one-worker executor (a thread round trip per
    frame, the agent's biggest per-frame overhead under load).  The same call, in the same
    order (each frame is awaited before the next), just without the thread hop; chunks
    that reach a window still go to the executor.  Metrics unchanged (the timed method runs).
    """
    executor_path = vad.analyze_audio

    async def analyze_audio(buffer: bytes):
        if len(vad._vad_buffer) + len(buffer) < getattr(vad, "_vad_frames_num_bytes", 0):
            return vad._run_analyzer(buffer)
        return await executor_path(buffer)

    vad.analyze_audio = analyze_audio
    return vad


def make_turn_analyzer(shared: bool = True, metrics=None):
    """Smart Turn v3; with metrics, its inference time (``_process_speech_segment``, the
    work ``analyze_end_of_turn`` runs) goes to agent_turn_analyzer_seconds."""
    ta = _make_turn_analyzer(shared)
    return _timed(ta, "_process_speech_segment", metrics, "agent_turn_analyzer_seconds")


def _make_vad(params, shared: bool = True):
    from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
    from pipecat.audio.vad.vad_analyzer import VADAnalyzer

    if not shared:
        return SileroVADAnalyzer(params=params)

    class SharedSileroVADAnalyzer(SileroVADAnalyzer):
        def __init__(self, *, sample_rate=None, params=None):
            VADAnalyzer.__init__(self, sample_rate=sample_rate, params=params)
            model = SileroOnnxModel.__new__(SileroOnnxModel)
            model.session = silero_session()
            model.reset_states()
            model.sample_rates = [8000, 16000]
            self._model = model
            self._windows_since_reset = 0
            self._low_confidence_windows = 0

    return SharedSileroVADAnalyzer(params=params)


def _make_turn_analyzer(shared: bool = True):
    from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
    from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3

    if not shared:
        return LocalSmartTurnAnalyzerV3()

    class SharedLocalSmartTurnAnalyzerV3(LocalSmartTurnAnalyzerV3):
        def __init__(self, **kwargs):
            BaseSmartTurn.__init__(self, **kwargs)
            self._log_data = False
            self._session = smart_turn_session()

    return SharedLocalSmartTurnAnalyzerV3()
