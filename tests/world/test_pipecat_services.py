"""The stand-ins driven by Pipecat's own services, in a minimal pipeline
(service -> collector), when the reference agent's venv has Pipecat."""
import asyncio

import pytest

pipecat = pytest.importorskip("pipecat")

from pipecat.frames.frames import (  # noqa: E402
    ErrorFrame, LLMContextFrame, LLMTextFrame, TTSAudioRawFrame, TTSSpeakFrame, TTSStoppedFrame)
from pipecat.pipeline.pipeline import Pipeline  # noqa: E402
from pipecat.pipeline.worker import PipelineParams, PipelineWorker  # noqa: E402
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor  # noqa: E402
from pipecat.workers.runner import WorkerRunner  # noqa: E402

from conftest import standin  # noqa: E402


class Collect(FrameProcessor):
    def __init__(self, done):
        super().__init__()
        self.frames = []
        self.done = done
        self.finished = asyncio.Event()

    async def process_frame(self, frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        self.frames.append(frame)
        if self.done(frame):
            self.finished.set()
        await self.push_frame(frame, direction)


async def run_pipeline(service, frames, done, rate=16000, timeout=20):
    col = Collect(done)
    worker = PipelineWorker(Pipeline([service, col]), enable_rtvi=False,
                            params=PipelineParams(audio_in_sample_rate=rate, audio_out_sample_rate=rate))
    runner = WorkerRunner(handle_sigint=False, handle_sigterm=False)
    task = asyncio.create_task(runner.run(worker))
    try:
        await asyncio.sleep(0.3)
        await worker.queue_frames(frames)
        await asyncio.wait_for(col.finished.wait(), timeout)
    finally:
        await worker.cancel()
        await asyncio.wait_for(task, 10)
    return col.frames


def audio_seconds(frames, rate):
    return sum(len(f.audio) for f in frames if isinstance(f, TTSAudioRawFrame)) / 2 / rate


async def test_pipecat_cartesia_tts():
    from pipecat.services.cartesia.tts import CartesiaTTSService
    tts = CartesiaTTSService(api_key="ca_test", voice_id="a0e99841-438c-4a64-b679-ae501e7d6091",
                             url=standin("tts_cartesia", "ws") + "/tts/websocket")
    frames = await run_pipeline(tts, [TTSSpeakFrame("Hello there. How can I help you today?")],
                                lambda f: isinstance(f, (TTSStoppedFrame, ErrorFrame)))
    assert not [f for f in frames if isinstance(f, ErrorFrame)], [str(f) for f in frames if isinstance(f, ErrorFrame)]
    assert audio_seconds(frames, 16000) > 1.0


async def test_pipecat_elevenlabs_tts():
    from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
    tts = ElevenLabsTTSService(api_key="el_test", voice_id="21m00Tcm4TlvDq8ikWAM",
                               url=standin("tts_elevenlabs", "ws"))
    frames = await run_pipeline(tts, [TTSSpeakFrame("Hello there. How can I help you today?")],
                                lambda f: isinstance(f, (TTSStoppedFrame, ErrorFrame)))
    assert not [f for f in frames if isinstance(f, ErrorFrame)], [str(f) for f in frames if isinstance(f, ErrorFrame)]
    assert audio_seconds(frames, 16000) > 1.0


async def test_pipecat_openai_llm():
    from pipecat.frames.frames import LLMFullResponseEndFrame
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.services.openai.llm import OpenAILLMService
    llm = OpenAILLMService(api_key="sk-test", base_url=standin("llm_openai") + "/v1", model="gpt-4.1")
    ctx = LLMContext(messages=[{"role": "user", "content": "What are your opening hours?"}])
    frames = await run_pipeline(llm, [LLMContextFrame(context=ctx)],
                                lambda f: isinstance(f, (LLMFullResponseEndFrame, ErrorFrame)))
    text = "".join(f.text for f in frames if isinstance(f, LLMTextFrame))
    assert text == "We are open from nine to five, Monday to Friday."


async def test_pipecat_deepgram_stt():
    from pipecat.frames.frames import InputAudioRawFrame, TranscriptionFrame
    from pipecat.services.deepgram.stt import DeepgramSTTService

    from audio import chunks, silence, tone
    stt = DeepgramSTTService(api_key="dg_test", base_url=standin("stt_deepgram", "ws"))
    pcm = silence(0.2) + tone(1.0) + silence(0.8)
    frames = [InputAudioRawFrame(audio=c, sample_rate=16000, num_channels=1) for c in chunks(pcm, 640)]
    got = await run_pipeline(stt, frames, lambda f: isinstance(f, (TranscriptionFrame, ErrorFrame)))
    tr = [f for f in got if isinstance(f, TranscriptionFrame)]
    assert tr and tr[0].text == "what are your opening hours", [str(f) for f in got if isinstance(f, ErrorFrame)]
