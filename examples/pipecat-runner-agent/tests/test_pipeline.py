"""The pipeline builds, with every provider pointed at its base URL from the env."""

from pipecat.pipeline.worker import PipelineWorker
from pipecat.services.cartesia.tts import CartesiaTTSService
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.transports.websocket.fastapi import FastAPIWebsocketTransport

from runner_agent.pipeline import SAMPLE_RATE, build_pipeline, build_worker, make_services
from runner_agent.settings import load_settings
from runner_agent.telephony import transport_params
from test_settings import WORLD_ENV


def test_services_use_the_base_urls_from_env():
    s = load_settings(WORLD_ENV | {"OPENAI_MODEL": "gpt-test", "SYSTEM_PROMPT": "be brief"})
    sv = make_services(s)
    assert isinstance(sv.llm, OpenAILLMService)
    assert str(sv.llm._client.base_url) == "http://127.0.0.1:41701/v1/"
    assert sv.llm._client.api_key == "sk-vstress-dummy"
    assert sv.llm._settings.model == "gpt-test"
    assert sv.llm._settings.system_instruction == "be brief"
    assert isinstance(sv.tts, CartesiaTTSService)
    assert sv.tts._url == "ws://127.0.0.1:33807/tts/websocket"
    assert isinstance(sv.stt, DeepgramSTTService)
    env = sv.stt._client._client_wrapper._environment
    assert env.production == "ws://127.0.0.1:39075"


def test_pipeline_builds_around_the_transport():
    s = load_settings(WORLD_ENV)
    transport = FastAPIWebsocketTransport(websocket=None, params=transport_params())
    sv = make_services(s)
    pipeline, context = build_pipeline(transport, s, sv)
    names = [type(p).__name__ for p in pipeline.processors]
    order = ["FastAPIWebsocketInputTransport", "DeepgramSTTService", "LLMUserAggregator",
             "OpenAILLMService", "CartesiaTTSService", "FastAPIWebsocketOutputTransport",
             "LLMAssistantAggregator"]
    assert [n for n in names if n in order] == order, names
    assert context.get_messages() == []


def test_worker_runs_at_the_telephony_rate():
    s = load_settings(WORLD_ENV)
    transport = FastAPIWebsocketTransport(websocket=None, params=transport_params())
    worker, _ = build_worker(transport, s)
    assert isinstance(worker, PipelineWorker)
    assert worker._params.audio_in_sample_rate == SAMPLE_RATE == 8000
    assert worker._params.audio_out_sample_rate == 8000


def _stop_strategies(pipeline):
    user = next(p for p in pipeline.processors if type(p).__name__ == "LLMUserAggregator")
    return [type(x).__name__ for x in user._user_turn_controller.user_turn_strategies.stop]


def test_smart_turn_ends_the_turn_by_default_and_vad_silence_without_it():
    transport = FastAPIWebsocketTransport(websocket=None, params=transport_params())
    on, _ = build_pipeline(transport, load_settings(WORLD_ENV))
    off, _ = build_pipeline(transport, load_settings(WORLD_ENV | {"SMART_TURN_ENABLED": "false"}))
    assert _stop_strategies(on) == ["TurnAnalyzerUserTurnStopStrategy"]
    assert _stop_strategies(off) == ["SpeechTimeoutUserTurnStopStrategy"]
