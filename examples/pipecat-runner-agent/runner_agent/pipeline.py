"""The conversation pipeline: Deepgram STT -> OpenAI LLM -> Cartesia TTS.

The same shape as Pipecat's telnyx-chatbot example: Silero VAD in the user
aggregator and Pipecat's default turn strategies (Smart Turn v3 ends the turn),
unless SMART_TURN_ENABLED=false (then VAD silence alone ends it).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.services.cartesia.tts import CartesiaTTSService
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from .settings import Settings

# Telnyx carries 8 kHz u-law; the pipeline runs at that rate end to end.
SAMPLE_RATE = 8000


@dataclass
class Services:
    stt: DeepgramSTTService
    llm: OpenAILLMService
    tts: CartesiaTTSService


def make_services(s: Settings) -> Services:
    """The three providers, each pointed at its base URL from the settings."""
    stt = DeepgramSTTService(
        api_key=s.deepgram_api_key,
        base_url=s.deepgram_base_url,
        settings=DeepgramSTTService.Settings(model=s.deepgram_model),
    )
    llm = OpenAILLMService(
        api_key=s.openai_api_key,
        base_url=s.openai_base_url,
        settings=OpenAILLMService.Settings(model=s.openai_model, system_instruction=s.system_prompt),
    )
    tts = CartesiaTTSService(
        api_key=s.cartesia_api_key,
        url=s.cartesia_base_url,
        settings=CartesiaTTSService.Settings(model=s.cartesia_model, voice=s.cartesia_voice_id),
    )
    return Services(stt=stt, llm=llm, tts=tts)


def build_pipeline(transport, s: Settings, services: Services | None = None):
    """The processors around ``transport``; ``(pipeline, context)``."""
    sv = services or make_services(s)
    context = LLMContext()
    # None: Pipecat's defaults (VAD or transcription starts a turn, Smart Turn v3 ends it)
    turns = None if s.smart_turn else UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy()])
    aggregators = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer(), user_turn_strategies=turns),
    )
    pipeline = Pipeline([
        transport.input(),
        sv.stt,
        aggregators.user(),
        sv.llm,
        sv.tts,
        transport.output(),
        aggregators.assistant(),
    ])
    return pipeline, context


def build_worker(transport, s: Settings, services: Services | None = None):
    """The pipeline around ``transport`` and the worker that runs it; ``(worker, context)``."""
    pipeline, context = build_pipeline(transport, s, services)
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=SAMPLE_RATE,
            audio_out_sample_rate=SAMPLE_RATE,
            enable_metrics=True,
            enable_usage_metrics=True,
        ),
    )
    return worker, context
