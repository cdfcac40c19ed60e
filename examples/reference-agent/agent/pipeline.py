"""WebSocket /media/{call_id}: one Telnyx media stream = one Pipecat pipeline.

    transport.input (TelnyxFrameSerializer, PCMU 8 kHz)
      -> DeepgramSTTService (DEEPGRAM_BASE_URL)
      -> user aggregator (Silero VAD + LocalSmartTurnAnalyzerV3, both bundled in the wheel)
      -> FailoverLLMProcessor (OpenAI -> Gemini -> Anthropic)
      -> FailoverTTSService (Cartesia -> ElevenLabs)
      -> transport.output -> assistant aggregator

The serializer's auto hang-up is disabled (its URL is hard-coded to
api.telnyx.com); hang-ups go through our Call Control client at TELNYX_API_BASE.
GREETING is spoken as soon as the stream starts, so "first reply" is measurable.
call_logs is finalised in ``finally`` (normal end, disconnect, exception).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from .costs import record_usage
from .malloc import release_idle
from .failover import FailoverLLMProcessor, FailoverTTSService, TelnyxFallbackService, UsageSink
from .telnyx_webhook import lookup_route

log = logging.getLogger("agent.pipeline")

START_TIMEOUT_SECONDS = 10.0
LEAK_BYTES_PER_CALL = 4 << 20  # the leak_memory_per_call fault

_fault_leaks: list = []  # what the leak_* faults keep alive, never released


class CallSession(UsageSink):
    def __init__(self, rt, websocket: WebSocket, call_id: str):
        self.rt = rt
        self.ws = websocket
        self.call_id = call_id
        self.stream_id = None
        self.from_number = self.to_number = None
        self.encoding = "PCMU"
        self.tenant_id = None
        self.fallback_number = None
        self.call_log_id = None
        self.worker = None
        self.context = None
        self.t_start = time.monotonic()
        self.first_reply_ms = None
        self.turns = 0
        self.end_reason = "caller_hangup"
        self.error = None
        self.llm_provider = self.tts_provider = None
        self.fallback: TelnyxFallbackService | None = None
        self._ended = asyncio.Event()
        self._pending_turn: dict = {}
        self._bot_speaking = asyncio.Event()
        self._bot_stopped = asyncio.Event()
        self._bot_starts = 0  # bot speech starts so far, and their count when the caller last stopped
        self._starts_at_turn = 0
        self._bot_active = False

    # ---- UsageSink
    async def usage(self, service, provider, model, **kw):
        await record_usage(self.rt, call_control_id=self.call_id, tenant_id=self.tenant_id,
                           provider=provider, service=service, model=model, **kw)

    def provider_used(self, service, provider, ttfb_ms):
        if service == "llm":
            self.llm_provider = provider
            self._pending_turn["llm_ttfb_ms"] = ttfb_ms
        else:
            self.tts_provider = provider
            self._pending_turn.setdefault("tts_ttfb_ms", ttfb_ms)

    # ---- control from outside
    def remote_hangup(self, cause=None):
        self.end_reason = f"hangup:{cause or 'unknown'}"
        if self.worker is not None:
            self.rt.spawn(self.worker.cancel(reason="call.hangup"), name=f"cancel-{self.call_id}")

    async def shutdown(self):
        if self._ended.is_set():  # already finished (only with the leak_calls fault)
            return
        self.end_reason = "agent_shutdown"
        await self.rt.callcontrol.hangup(self.call_id)
        if self.worker is not None:
            await self.worker.cancel(reason="shutdown")
        try:
            await asyncio.wait_for(self._ended.wait(), 5)
        except asyncio.TimeoutError:
            pass

    # ---- handshake
    async def read_start(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            raw = await asyncio.wait_for(self.ws.receive_text(), remaining)
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            ev = msg.get("event")
            if ev == "start":
                st = msg.get("start") or {}
                self.stream_id = msg.get("stream_id") or st.get("stream_id") or "unknown"
                self.call_id = st.get("call_control_id") or self.call_id
                self.from_number, self.to_number = st.get("from"), st.get("to")
                self.encoding = ((st.get("media_format") or {}).get("encoding") or "PCMU").upper()
                if self.encoding not in ("PCMU", "PCMA"):
                    self.encoding = "PCMU"
                return True
            if ev == "stop":
                return False

    async def load_call(self) -> None:
        db = self.rt.db
        try:
            row = await db.fetchrow(
                "INSERT INTO call_logs (call_control_id, from_number, to_number, status, media_started_at)"
                " VALUES ($1, $2, $3, 'in_progress', now())"
                " ON CONFLICT (call_control_id) DO UPDATE SET status = 'in_progress',"
                " media_started_at = now(), from_number = COALESCE(call_logs.from_number, EXCLUDED.from_number),"
                " to_number = COALESCE(call_logs.to_number, EXCLUDED.to_number)"
                " RETURNING id, tenant_id, to_number",
                self.call_id, self.from_number, self.to_number,
            )
            self.call_log_id, self.tenant_id = row["id"], row["tenant_id"]
            route = await lookup_route(self.rt, row["to_number"])
            if route is not None:
                self.fallback_number = route["fallback_number"]
                if self.tenant_id is None:
                    self.tenant_id = route["tenant_id"]
                    await db.try_execute("UPDATE call_logs SET tenant_id = $2 WHERE id = $1", self.call_log_id, self.tenant_id)
                self.route = route
        except Exception as e:
            log.warning("call %s: database unavailable at call start: %s", self.call_id, e)

    # ---- pipeline
    def build(self):
        from pipecat.audio.vad.vad_analyzer import VADParams
        from pipecat.pipeline.pipeline import Pipeline
        from pipecat.pipeline.worker import PipelineParams, PipelineWorker
        from pipecat.processors.aggregators.llm_context import LLMContext
        from pipecat.processors.aggregators.llm_response_universal import (
            LLMContextAggregatorPair,
            LLMUserAggregatorParams,
        )
        from pipecat.serializers.telnyx import TelnyxFrameSerializer
        from pipecat.services.deepgram.stt import DeepgramSTTService
        from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
        from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy, TurnAnalyzerUserTurnStopStrategy
        from pipecat.turns.user_turn_strategies import UserTurnStrategies

        s = self.rt.settings
        route = getattr(self, "route", None)
        system_prompt = (route and route["system_prompt"]) or s.system_prompt
        self.greeting = (route and route["greeting"]) or s.greeting

        serializer = TelnyxFrameSerializer(
            stream_id=self.stream_id,
            outbound_encoding=self.encoding,
            inbound_encoding="PCMU",
            call_control_id=self.call_id,
            params=TelnyxFrameSerializer.InputParams(auto_hang_up=False),
        )
        transport = FastAPIWebsocketTransport(
            websocket=self.ws,
            params=FastAPIWebsocketParams(
                audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer,
            ),
        )
        _share_deepgram_client()

        class _DeepgramSTT(DeepgramSTTService):
            """Does not hold the pipeline start (and the greeting) hostage to Deepgram's handshake.

            Pipecat 1.14's ``_connect`` waits until the connection is up or its retries give up
            (10+ s with backoff); here it waits at most STT_CONNECT_TIMEOUT_SECONDS and lets the
            connection task keep trying in the background (audio before that is dropped).
            """

            async def _connect(self_inner):
                self_inner._quick_failure_tracker.reset()
                self_inner._connection_settled.clear()
                self_inner._connection_task = self_inner.create_task(self_inner._connection_handler())
                try:
                    await asyncio.wait_for(self_inner._connection_settled.wait(), s.stt_connect_timeout_seconds)
                except asyncio.TimeoutError:
                    log.warning("call %s: Deepgram not connected yet, continuing", self.call_id)

        stt = _DeepgramSTT(
            api_key=s.deepgram_api_key or "missing", base_url=s.deepgram_base_url,
            settings=DeepgramSTTService.Settings(model=s.deepgram_model),
            **({"sample_rate": 16000} if s.has_fault("stt_wrong_rate") else {}),  # the fault: a wrong rate declared
        )
        self.context = LLMContext(messages=[{"role": "system", "content": system_prompt}])
        from .models import make_turn_analyzer, make_vad
        from .turnstart import make_user_turn_start

        m = self.rt.metrics
        stop = (
            [TurnAnalyzerUserTurnStopStrategy(turn_analyzer=make_turn_analyzer(s.share_model_sessions, metrics=m))]
            if s.smart_turn_enabled else [SpeechTimeoutUserTurnStopStrategy()]
        )
        aggregators = LLMContextAggregatorPair(
            self.context,
            user_params=LLMUserAggregatorParams(
                vad_analyzer=make_vad(VADParams(stop_secs=s.vad_stop_secs), s.share_model_sessions, metrics=m),
                user_turn_strategies=UserTurnStrategies(start=make_user_turn_start(s), stop=stop),
            ),
        )
        self.fallback = TelnyxFallbackService(
            self.rt, self.call_id, tenant_id=self.tenant_id, fallback_number=self.fallback_number,
            call_log_id=self.call_log_id, say=self._say_and_wait,
        )
        llm = FailoverLLMProcessor(self.rt, sink=self, on_all_failed=self._on_all_llm_failed, on_tool=self._on_tool)
        self.tts = FailoverTTSService(self.rt, sink=self, sample_rate=8000, on_all_failed=self._on_all_tts_failed)
        self.stt = stt
        heard = [transport.input()]
        if s.has_fault("drop_caller_audio"):
            from .audiofault import DropCallerAudio

            heard.append(DropCallerAudio())
        spoken = [self.tts]
        if s.has_fault("drop_tts_audio"):
            from .audiofault import DropTTSAudio

            spoken.append(DropTTSAudio())
        pipeline = Pipeline([
            *heard, stt, aggregators.user(), llm, *spoken, transport.output(), aggregators.assistant(),
        ])
        self.worker = PipelineWorker(
            pipeline,
            params=PipelineParams(audio_in_sample_rate=8000, audio_out_sample_rate=8000,
                                  enable_metrics=True, enable_usage_metrics=True),
            observers=[_CallObserver(self)],
            idle_timeout_secs=s.call_idle_timeout_seconds,
            enable_rtvi=False,
        )

        @self.worker.event_handler("on_pipeline_error")
        async def _pipeline_error(_w, frame):
            name = getattr(frame.processor, "name", "") or ""
            provider = "deepgram" if "Deepgram" in name else name or "pipeline"
            cat = getattr(getattr(frame, "category", None), "value", None) or "other"
            self.rt.metrics.inc("agent_provider_errors_total", {"provider": provider, "error_class": str(cat).lower()})
            await self.rt.record_error("pipeline", f"{provider}:{cat}", str(frame.error)[:1000],
                                       call_control_id=self.call_id, tenant_id=self.tenant_id, severity="warning")
            if provider == "deepgram":
                self._stt_error()

        @self.worker.event_handler("on_idle_timeout")
        async def _idle(_w):
            self.end_reason = "idle_timeout"

        @transport.event_handler("on_client_connected")
        async def _connected(_t, _c):
            self.rt.spawn(self._greet(), name=f"greet-{self.call_id}")

        @transport.event_handler("on_client_disconnected")
        async def _disconnected(_t, _c):
            await self.worker.cancel(reason="client disconnected")

    async def _greet(self):
        from pipecat.frames.frames import TTSSpeakFrame

        s = self.rt.settings
        if s.has_fault("slow_first_reply"):
            await asyncio.sleep(s.fault_slow_first_reply_seconds)
        if self.greeting:
            self.context.add_message({"role": "assistant", "content": self.greeting})
            self._pending_turn = {"kind": "greeting", "t_user_stop": self.t_start, "bot_text": self.greeting}
            await self.worker.queue_frames([TTSSpeakFrame(self.greeting)])

    async def _say_and_wait(self, text: str) -> bool:
        from pipecat.frames.frames import TTSSpeakFrame

        if self.worker is None or not self.tts.available():
            return False
        failed_before = self.tts.all_failed_count
        self._bot_stopped.clear()
        self._bot_speaking.clear()
        await self.worker.queue_frames([TTSSpeakFrame(text)])
        try:
            await asyncio.wait_for(self._bot_speaking.wait(), self.rt.settings.tts_first_audio_timeout_seconds * 2 + 1)
        except asyncio.TimeoutError:
            return False
        if self.tts.all_failed_count != failed_before:
            return False
        try:
            await asyncio.wait_for(self._bot_stopped.wait(), 0.1 * len(text) + 5)
        except asyncio.TimeoutError:
            pass
        return True

    async def _on_tool(self, name: str, arguments: str):
        """The model asked for a call-control action: do it once the reply has been spoken."""
        if name not in ("transfer_call", "end_call") and self.rt.settings.has_fault("fuzzy_tool_match"):
            # the fault: a tool router matching by the name's first word
            name = next((t for t in ("transfer_call", "end_call") if name.split("_")[0] == t.split("_")[0]), name)
        if name in ("transfer_call", "end_call"):
            self.rt.spawn(self._after_reply(name, arguments), name=f"{name}-{self.call_id}")
        else:
            log.info("call %s: unknown tool %r ignored", self.call_id, name)

    async def _after_reply(self, name: str, arguments: str):
        s, rt = self.rt.settings, self.rt
        # the reply that came with the tool call: wait until it has been played out
        deadline = time.monotonic() + s.tts_first_audio_timeout_seconds * 2 + 16
        while time.monotonic() < deadline:
            if self._bot_starts > self._starts_at_turn and not self._bot_active:
                break
            await asyncio.sleep(0.05)
        if name == "end_call":
            if s.has_fault("no_goodbye_hangup"):
                return
            # the caller usually hangs up first after a goodbye: give them the chance
            try:
                await asyncio.wait_for(self._ended.wait(), s.goodbye_hangup_delay_seconds)
                return
            except asyncio.TimeoutError:
                pass
            if self.end_reason.startswith("hangup:"):
                return
            self.end_reason = "agent_goodbye"
            await rt.callcontrol.hangup(self.call_id)
            return
        try:
            reason = (json.loads(arguments or "{}") or {}).get("reason") or "caller_request"
        except (ValueError, AttributeError):
            reason = "caller_request"
        to = self.fallback_number or s.default_fallback_number or None
        if not to:
            log.warning("call %s: transfer asked for but no fallback number", self.call_id)
            return
        self.end_reason = "transfer"
        r = await rt.callcontrol.transfer(self.call_id, None if s.has_fault("transfer_no_to") else to,
                                          from_=self.to_number)
        await rt.db.try_execute(
            "INSERT INTO transfers (call_control_id, call_log_id, tenant_id, to_number, reason, status, http_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            self.call_id, self.call_log_id, self.tenant_id, to, str(reason)[:200],
            "sent" if r.ok else "failed", r.status,
        )
        await rt.db.try_execute(
            "UPDATE call_logs SET transferred_to = $2, status = 'transferred', end_reason = 'transfer'"
            " WHERE call_control_id = $1", self.call_id, to,
        )

    async def _on_all_llm_failed(self, reason: str):
        self.end_reason = "fallback_transfer"
        self.rt.spawn(self.fallback.trigger(reason), name=f"fallback-{self.call_id}")

    async def _on_all_tts_failed(self, reason: str):
        """Nothing can voice the replies: the fallback message goes out with Call Control speak."""
        if self.rt.settings.has_fault("no_pipeline_fallback"):
            return
        self.end_reason = "fallback_transfer"
        self.rt.spawn(self.fallback.trigger(reason, component="tts", use_pipeline_tts=False),
                      name=f"fallback-{self.call_id}")

    def _stt_error(self):
        """The recogniser reported an error: if it is still down after the grace time, the
        agent can no longer hear the caller, so it hands the call off (plan 6.3)."""
        if self.rt.settings.has_fault("no_pipeline_fallback") or getattr(self, "_stt_watch", None):
            return

        async def watch():
            try:
                await asyncio.sleep(self.rt.settings.stt_outage_grace_seconds)
                live = self.worker is not None and not self._ended.is_set() and not self.end_reason.startswith("hangup")
                if live and getattr(self.stt, "_connection", None) is None:
                    self.end_reason = "fallback_transfer"
                    await self.fallback.trigger("the speech recogniser is down", component="stt")
            finally:
                self._stt_watch = None

        self._stt_watch = self.rt.spawn(watch(), name=f"stt-watch-{self.call_id}")

    # ---- observer callbacks
    async def on_user_stopped(self, t: float, vad: bool = True):
        """VAD stop (speech really ended, minus stop_secs) or, without VAD, the aggregator's turn stop."""
        pt = self._pending_turn
        if not vad and pt.get("kind") == "turn" and "t_user_stop" in pt:
            return  # the VAD stop already marked this turn
        user_text = pt.get("user_text") if pt.get("kind") == "turn" else None
        self._starts_at_turn = self._bot_starts
        self._pending_turn = {"kind": "turn", "t_user_stop": t - (self.rt.settings.vad_stop_secs if vad else 0.0)}
        if user_text:
            self._pending_turn["user_text"] = user_text

    async def on_transcript(self, text: str):
        if self._pending_turn.get("kind") != "turn":
            self._pending_turn = {"kind": "turn"}
        self._pending_turn["user_text"] = (self._pending_turn.get("user_text", "") + " " + text).strip()

    async def on_bot_started(self, t: float):
        self._bot_starts += 1
        self._bot_active = True
        self._bot_speaking.set()
        self._bot_stopped.clear()
        if self.first_reply_ms is None:
            self.first_reply_ms = int((t - self.t_start) * 1000)
            self.rt.metrics.inc("agent_first_reply_ms_sum", {}, self.first_reply_ms)
            self.rt.metrics.inc("agent_first_reply_ms_count", {})
        pt, self._pending_turn = self._pending_turn, {}
        if "t_user_stop" not in pt:
            return
        latency = int((t - pt["t_user_stop"]) * 1000)
        self.turns += 1
        if pt.get("kind") != "greeting":
            self.rt.metrics.inc("agent_turns_total", {})
            self.rt.metrics.inc("agent_turn_latency_ms_sum", {}, latency)
            self.rt.metrics.inc("agent_turn_latency_ms_count", {})
        if self.call_log_id is not None:
            await self.rt.db.try_execute(
                "INSERT INTO call_turns (call_log_id, turn_index, kind, user_text, bot_text, latency_ms, llm_ttfb_ms,"
                " tts_ttfb_ms, llm_provider, tts_provider) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                " ON CONFLICT (call_log_id, turn_index) DO NOTHING",
                self.call_log_id, self.turns, pt.get("kind", "turn"), pt.get("user_text"), pt.get("bot_text"),
                latency, pt.get("llm_ttfb_ms"), pt.get("tts_ttfb_ms"),
                self.llm_provider if pt.get("kind") != "greeting" else None, self.tts_provider,
            )

    async def on_bot_stopped(self):
        self._bot_active = False
        self._bot_stopped.set()

    # ---- lifecycle
    async def run(self):
        from pipecat.workers.runner import WorkerRunner

        rt = self.rt
        status = "completed"
        try:
            if not await self.read_start():
                self.end_reason = "no_start_message"
                status = "failed"
                return
            rt.active_calls[self.call_id] = self
            await self.load_call()
            self.build()
            runner = WorkerRunner(handle_sigint=False, handle_sigterm=False)
            await runner.add_workers(self.worker)
            await runner.run()
        except (WebSocketDisconnect, asyncio.TimeoutError) as e:
            self.end_reason = f"disconnect:{type(e).__name__}"
        except asyncio.CancelledError:
            self.end_reason = "cancelled"
            status = "failed"
            raise
        except Exception as e:
            log.exception("call %s crashed", self.call_id)
            status, self.error, self.end_reason = "failed", f"{type(e).__name__}: {e}", "exception"
            await rt.record_error("pipeline", type(e).__name__, str(e), call_control_id=self.call_id,
                                  tenant_id=self.tenant_id)
        finally:
            if self.end_reason in ("idle_timeout", "exception") and self.stream_id is not None:
                # the caller is still on the line: end the call ourselves (serializer auto hang-up is off)
                rt.spawn(rt.callcontrol.hangup(self.call_id), name=f"hangup-{self.call_id}")
            self._ended.set()
            if not rt.settings.has_fault("leak_calls"):
                rt.active_calls.pop(self.call_id, None)
            await self._fault_leak()
            rt.metrics.inc("agent_calls_total", {"outcome": status if self.end_reason != "fallback_transfer" else "fallback"})
            await self.finalize(status)
            if self.ws.client_state == WebSocketState.CONNECTED:
                try:
                    await self.ws.close()
                except Exception:
                    pass

    async def _fault_leak(self):
        s = self.rt.settings
        if s.has_fault("leak_memory_per_call"):
            _fault_leaks.append(b"\x01" * LEAK_BYTES_PER_CALL)  # written, so resident
        if s.has_fault("leak_db_connection"):
            try:
                pool = await self.rt.db.pool()
                _fault_leaks.append(await pool.acquire(timeout=s.db_connect_timeout))
            except Exception as e:
                log.warning("call %s: leak_db_connection: %s", self.call_id, e)

    async def finalize(self, status: str):
        duration_s = time.monotonic() - self.t_start
        if self.stream_id is not None:
            await record_usage(self.rt, call_control_id=self.call_id, tenant_id=self.tenant_id, provider="deepgram",
                               service="stt", model=self.rt.settings.deepgram_model, audio_seconds=round(duration_s, 3))
        await self.rt.db.try_execute(
            "INSERT INTO call_logs (call_control_id, from_number, to_number, status) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (call_control_id) DO NOTHING",
            self.call_id, self.from_number, self.to_number, status,
        )
        await self.rt.db.try_execute(
            "UPDATE call_logs SET ended_at = COALESCE(ended_at, now()), duration_ms = $2, first_reply_ms = $3,"
            " turn_count = $4, end_reason = COALESCE(end_reason, $5),"
            " status = CASE WHEN status = 'transferred' THEN status ELSE $6 END,"
            " llm_provider = $7, tts_provider = $8, error = $9 WHERE call_control_id = $1",
            self.call_id, int(duration_s * 1000), self.first_reply_ms, self.turns, self.end_reason, status,
            self.llm_provider, self.tts_provider, self.error,
        )


def _make_observer_class():
    from pipecat.frames.frames import (
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        LLMTextFrame,
        TranscriptionFrame,
        UserStoppedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    )
    from pipecat.observers.base_observer import BaseObserver

    class CallObserver(BaseObserver):
        def __init__(self, session: CallSession):
            super().__init__()
            self.s = session
            self._seen: set[int] = set()

        async def on_push_frame(self, data):
            f = data.frame
            if not isinstance(f, (BotStartedSpeakingFrame, BotStoppedSpeakingFrame, VADUserStoppedSpeakingFrame,
                                  UserStoppedSpeakingFrame, TranscriptionFrame, LLMTextFrame)):
                return
            if f.id in self._seen:
                return
            self._seen.add(f.id)
            if len(self._seen) > 5000:
                self._seen.clear()
            now = time.monotonic()
            if isinstance(f, BotStartedSpeakingFrame):
                await self.s.on_bot_started(now)
            elif isinstance(f, BotStoppedSpeakingFrame):
                await self.s.on_bot_stopped()
            elif isinstance(f, VADUserStoppedSpeakingFrame):
                await self.s.on_user_stopped(now)
            elif isinstance(f, UserStoppedSpeakingFrame):
                await self.s.on_user_stopped(now, vad=False)
            elif isinstance(f, TranscriptionFrame):
                await self.s.on_transcript(f.text)
            elif isinstance(f, LLMTextFrame):
                pt = self.s._pending_turn
                pt["bot_text"] = pt.get("bot_text", "") + f.text

    return CallObserver


_observer_cls = None


def _CallObserver(session):
    global _observer_cls
    if _observer_cls is None:
        _observer_cls = _make_observer_class()
    return _observer_cls(session)


def _share_deepgram_client() -> None:
    """One AsyncDeepgramClient per (key, URL) for the process instead of one per call.

    Pipecat builds a new SDK client (an httpx client = SSL context setup, ~70 ms of
    event-loop time on this machine) for every DeepgramSTTService; each live connection
    is still its own websocket.
    """
    import pipecat.services.deepgram.stt as dg_mod

    if getattr(dg_mod, "_agent_shared_client", False):
        return
    real = dg_mod.AsyncDeepgramClient
    cache: dict = {}

    def factory(*, api_key, environment=None, **kw):
        key = (api_key, getattr(environment, "production", None), getattr(environment, "base", None))
        if key not in cache:
            cache[key] = real(api_key=api_key, environment=environment, **kw) if environment else real(api_key=api_key, **kw)
        return cache[key]

    dg_mod.AsyncDeepgramClient = factory
    dg_mod._agent_shared_client = True


def preload() -> None:
    """Import the heavy modules (pipecat, SDKs) once at start-up, not on the first call (~5 s on 2 cores)."""
    import anthropic  # noqa: F401
    import openai  # noqa: F401
    from google import genai  # noqa: F401
    from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3  # noqa: F401
    from pipecat.audio.vad.silero import SileroVADAnalyzer  # noqa: F401
    from pipecat.pipeline.worker import PipelineWorker  # noqa: F401
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair  # noqa: F401
    from pipecat.serializers.telnyx import TelnyxFrameSerializer  # noqa: F401
    from pipecat.services.deepgram.stt import DeepgramSTTService  # noqa: F401
    from pipecat.transports.websocket.fastapi import FastAPIWebsocketTransport  # noqa: F401
    from pipecat.workers.runner import WorkerRunner  # noqa: F401

    from .models import silero_session, smart_turn_session

    silero_session()
    smart_turn_session()
    _share_deepgram_client()
    global _observer_cls
    if _observer_cls is None:
        _observer_cls = _make_observer_class()


async def handle_media_websocket(rt, websocket: WebSocket, call_id: str) -> None:
    if rt.shutting_down:
        await websocket.close(code=1001)
        return
    if len(rt.active_calls) >= rt.settings.max_concurrent_calls:
        await websocket.close(code=1013)
        rt.metrics.inc("agent_calls_rejected_total", {"reason": "max_concurrent_calls"})
        await rt.record_error("media", "capacity", "MAX_CONCURRENT_CALLS reached", call_control_id=call_id,
                              severity="warning")
        return
    await websocket.accept()
    try:
        await CallSession(rt, websocket, call_id).run()
    finally:
        if rt.settings.malloc_trim_idle and not rt.active_calls:
            took = release_idle()
            log.info("no call left: garbage collected and free memory returned in %.1f ms", took * 1000)
