"""Provider failover: LLM OpenAI -> Gemini -> Anthropic, TTS Cartesia -> ElevenLabs.

Why not Pipecat's ServiceSwitcher (pipecat 1.14 has ``ServiceSwitcherStrategyFailover``)?
It switches only after the active service reports itself unusable, it does not
re-issue the failed request on the next service, and it has no notion of a
*stalled* provider (no first-token timeout), so a hung provider means dead air
for the caller (pipecat#5337: a switch does not cancel an in-flight request).
Here each request walks the provider list in order:

* a provider whose circuit breaker refuses the call is skipped;
* the first token (LLM) / first audio chunk (TTS) must arrive within
  LLM_FIRST_TOKEN_TIMEOUT_SECONDS / TTS_FIRST_AUDIO_TIMEOUT_SECONDS, else the
  attempt counts as a failure and the *same* request goes to the next provider;
* once output has started, a mid-stream failure ends that reply (no replay, so
  the caller never hears the same words twice).

When every LLM fails, ``on_all_failed`` runs; the call session wires it to
:class:`TelnyxFallbackService` (speak FALLBACK_MESSAGE, transfer to the
tenant's fallback number, row in ``system_errors``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

from pipecat.frames.frames import (
    EndFrame,
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.tts_service import TextAggregationMode, TTSService

from .guard import OutputGuard
from .providers import TTS_CLIENTS, error_class, shared_llm_clients, split_system

log = logging.getLogger("agent.failover")


class AllProvidersFailed(RuntimeError):
    pass


class UsageSink:
    """Receives usage; the call session writes it to provider_usage."""

    async def usage(self, service: str, provider: str, model: str, **kw) -> None:  # pragma: no cover
        pass

    def provider_used(self, service: str, provider: str, ttfb_ms: int) -> None:  # pragma: no cover
        pass


class _Attempt:
    """One provider request, read to its end by a task of its own.

    OpenAI reports a request's usage only in the stream's last chunk, so a reader that
    stops early (the caller barges in, the call ends, the first token is late) never
    learns what the request was billed.  Here the task keeps reading instead, the text
    discarded, at most ``drain_seconds`` more; ``on_done`` gets the usage once, however
    the request ended.
    """

    _END = object()

    def __init__(self, gen, usage: dict, on_done, drain_seconds: float):
        self.usage = usage
        self.q: asyncio.Queue = asyncio.Queue()
        self.discard = False
        self.produced = False
        self._drain = drain_seconds
        self.task = asyncio.get_running_loop().create_task(self._run(gen, on_done))
        _attempts.add(self.task)
        self.task.add_done_callback(_attempts.discard)

    async def _run(self, gen, on_done) -> None:
        try:
            async for chunk in gen:
                self.produced = True
                if not self.discard:
                    self.q.put_nowait(chunk)
            self.q.put_nowait(self._END)
        except BaseException as e:  # the consumer sees the error; a cancelled drain keeps what it has
            self.q.put_nowait(e)
            if not isinstance(e, (Exception, asyncio.CancelledError)):
                raise
        finally:
            await _aclose(gen)
            if on_done is not None and ("tokens" in self.usage or self.produced):
                try:
                    await on_done(self.usage)
                except Exception as e:
                    log.warning("LLM usage not recorded: %s", e)

    async def next(self):
        """The next chunk; StopAsyncIteration at the end; the stream's error raised."""
        item = await self.q.get()
        if item is self._END:
            self.q.put_nowait(item)
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            self.q.put_nowait(item)
            raise item
        return item

    def abandon(self) -> None:
        """No one reads on: discard the text, read on for the usage (bounded)."""
        if self.task.done():
            return
        self.discard = True
        while not self.q.empty():
            self.q.get_nowait()
        asyncio.get_running_loop().call_later(self._drain, self.task.cancel)


_attempts: set = set()  # attempts still draining (kept referenced until done)


class LLMFailover:
    """Walks the LLM providers for one request; usable without a pipeline (tests, tools)."""

    def __init__(self, rt, clients=None):
        self.rt = rt
        self.clients = clients or shared_llm_clients(rt)
        self.last_client = None
        self.last_usage: dict = {}

    async def stream(self, messages: list[dict], on_first: Callable[[str, int], Awaitable[None]] | None = None,
                     on_usage: Callable[[object, dict], Awaitable[None]] | None = None):
        """Yield text chunks from the first provider that answers in time.  Raises AllProvidersFailed.

        on_usage(client, usage) runs once for every request a provider answered, also one
        abandoned (first token late, reply interrupted), once its usage is known."""
        s = self.rt.settings
        system, convo = split_system(messages, s.system_prompt)
        errors = []
        prev = None
        clients = self.clients[:1] if s.has_fault("no_failover") else self.clients
        shared_backoff = s.has_fault("shared_llm_backoff")
        if shared_backoff:  # the fault: one process-wide backoff, so one tenant's provider errors stall every tenant
            wait = getattr(self.rt, "llm_backoff_until", 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        for client in clients:
            breaker = self.rt.breakers.get(f"llm:{client.name}")
            if not breaker.allow():
                errors.append(f"{client.name}: circuit open")
                continue
            if prev is not None:
                self.rt.metrics.inc("agent_provider_failovers_total", {"service": "llm", "from": prev, "to": client.name})
            prev = client.name
            t0 = time.monotonic()
            usage: dict = {}
            done = None if on_usage is None else (lambda u, c=client: on_usage(c, u))
            att = _Attempt(client.stream(system, convo, s.llm_max_tokens, usage), usage, done,
                           s.llm_total_timeout_seconds)
            try:
                first = await asyncio.wait_for(att.next(), s.llm_first_token_timeout_seconds)
            except StopAsyncIteration:
                first = ""
            except BaseException as e:
                att.abandon()
                if isinstance(e, asyncio.CancelledError):
                    raise
                cls = error_class(e)
                breaker.record_failure(f"{cls}: {e}"[:200])
                if shared_backoff:
                    self.rt.llm_backoff_until = time.monotonic() + s.fault_shared_backoff_seconds
                self.rt.metrics.inc("agent_provider_errors_total", {"provider": client.name, "error_class": cls})
                errors.append(f"{client.name}: {cls}: {e}"[:300])
                log.warning("LLM %s failed (%s): %s", client.name, cls, e)
                continue
            self.last_client, self.last_usage = client, usage
            ttfb_ms = int((time.monotonic() - t0) * 1000)
            try:
                if on_first is not None:
                    await on_first(client.name, ttfb_ms)
                if first:
                    yield first
                while True:
                    try:
                        chunk = await att.next()
                    except StopAsyncIteration:
                        break
                    yield chunk
                breaker.record_success()
            except (asyncio.CancelledError, GeneratorExit):
                att.abandon()
                raise
            except Exception as e:  # mid-stream: end this reply, do not replay on another provider
                cls = error_class(e)
                breaker.record_failure(f"mid-stream {cls}: {e}"[:200])
                self.rt.metrics.inc("agent_provider_errors_total", {"provider": client.name, "error_class": cls})
                log.warning("LLM %s failed mid-stream (%s): %s", client.name, cls, e)
            await asyncio.shield(att.task)  # the stream has ended: its usage is written before the reply ends
            return
        raise AllProvidersFailed("; ".join(errors) or "no LLM provider configured")

    async def close(self):
        """Clients are shared by the process (closed with the Runtime)."""


async def _aclose(gen) -> None:
    try:
        await gen.aclose()
    except BaseException:
        pass


class FailoverLLMProcessor(FrameProcessor):
    """Pipecat processor: LLMContextFrame in, LLMFullResponseStart/Text/End frames out."""

    def __init__(self, rt, *, sink: UsageSink | None = None, on_all_failed=None, clients=None, on_tool=None,
                 **kwargs):
        super().__init__(name="FailoverLLM", **kwargs)
        self.rt = rt
        self.failover = LLMFailover(rt, clients)
        self.sink = sink
        self.on_all_failed = on_all_failed
        self.on_tool = on_tool  # async (name, arguments_json): a tool call the model made

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._respond(frame.context.get_messages())
        else:
            await self.push_frame(frame, direction)

    async def _usage(self, client, usage: dict) -> None:
        # every request a provider answered, also one the caller interrupted
        if self.sink is not None:
            inp, out = usage.get("tokens", (0, 0))
            await self.sink.usage("llm", client.name, client.model, input_tokens=inp, output_tokens=out)

    async def _respond(self, messages: list, after_tool: bool = False) -> None:
        started = False
        used = {}

        async def on_first(name, ttfb_ms):
            used["name"], used["ttfb"] = name, ttfb_ms
            if self.sink is not None and not after_tool:
                self.sink.provider_used("llm", name, ttfb_ms)

        spoke = False
        s = self.rt.settings
        msgs = [m for m in messages if isinstance(m, dict)]
        guard = None if s.has_fault("no_output_guard") else OutputGuard.from_messages(msgs, s.max_reply_chars)
        stream = self.failover.stream(msgs, on_first, self._usage)
        try:
            async for chunk in stream:
                if not started:
                    await self.push_frame(LLMFullResponseStartFrame())
                    started = True
                for piece in guard.feed(chunk) if guard else [chunk]:
                    spoke = spoke or bool(piece.strip())
                    await self.push_frame(LLMTextFrame(piece))
            for piece in guard.flush() if guard else []:
                spoke = spoke or bool(piece.strip())
                await self.push_frame(LLMTextFrame(piece))
            if guard and guard.blocked:
                log.warning("output guard held back %d clause(s): %s", len(guard.blocked), ", ".join(sorted(set(guard.blocked))))
                self.rt.metrics.inc("agent_output_guard_blocked_total", {}, float(len(guard.blocked)))
        except AllProvidersFailed as e:
            log.error("all LLM providers failed: %s", e)
            self.rt.metrics.inc("agent_llm_all_failed_total", {})
            if self.on_all_failed is not None:
                await self.on_all_failed(str(e))
            return
        finally:
            await stream.aclose()  # interrupted while pushing a frame: the request drains for its usage
            if started:
                await self.push_frame(LLMFullResponseEndFrame())
        calls = self.failover.last_usage.get("tool_calls") if used and not after_tool else None
        if not calls:
            return
        for call in calls:
            if self.on_tool is not None:
                await self.on_tool(call["name"], call["arguments"])
        if not spoke:
            # as the Chat Completions API expects: the tool calls and their results, then the
            # model's words for the caller (spoken before the action is carried out)
            follow = [m for m in messages if isinstance(m, dict)] + [
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": c["id"] or f"call_{i}", "type": "function",
                     "function": {"name": c["name"], "arguments": c["arguments"] or "{}"}}
                    for i, c in enumerate(calls)]},
                *({"role": "tool", "tool_call_id": c["id"] or f"call_{i}", "content": "ok"}
                  for i, c in enumerate(calls)),
            ]
            await self._respond(follow, after_tool=True)

    async def cleanup(self):
        await super().cleanup()
        await self.failover.close()


class FailoverTTSService(TTSService):
    """Pipecat TTS service whose ``run_tts`` walks Cartesia -> ElevenLabs."""

    def __init__(self, rt, *, sink: UsageSink | None = None, clients=None, sample_rate: int = 8000,
                 on_all_failed: Callable[[str], Awaitable[None]] | None = None, **kwargs):
        from pipecat.services.settings import TTSSettings

        s = rt.settings
        # the output guard hands over whole clauses: speak each as it comes (TOKEN); without
        # the guard, Pipecat's sentence aggregator cuts the LLM's tokens into sentences
        kwargs.setdefault("text_aggregation_mode", TextAggregationMode.SENTENCE if s.has_fault("no_output_guard")
                          else TextAggregationMode.TOKEN)
        kwargs.setdefault("settings", TTSSettings(model="+".join(s.tts_providers.split(",")), voice="default", language="en"))
        super().__init__(sample_rate=sample_rate, push_start_frame=True, push_stop_frames=True, **kwargs)
        self.rt = rt
        self.sink = sink
        names = [n.strip() for n in s.tts_providers.split(",") if n.strip()]
        self.clients = clients or [TTS_CLIENTS[n](s, s.tts_first_audio_timeout_seconds) for n in names]
        self._out_rate = sample_rate
        self.all_failed_count = 0
        self.on_all_failed = on_all_failed  # every provider failed a reply: the call's fallback

    async def _record(self, client_name: str, cls: str, e: BaseException, mid_stream: bool) -> None:
        """One system_errors row per failed synthesis, with the call it belongs to."""
        where = "mid-stream " if mid_stream else ""
        await self.rt.record_error(
            "tts", f"{client_name}:{'mid_stream_' if mid_stream else ''}{cls}", f"TTS {client_name} {where}failed: {e}"[:1000],
            call_control_id=getattr(self.sink, "call_id", None), tenant_id=getattr(self.sink, "tenant_id", None),
            severity="warning",
        )

    def can_generate_metrics(self) -> bool:
        return True

    def available(self) -> bool:
        return any(self.rt.breakers.get(f"tts:{c.name}").state != "OPEN" for c in self.clients)

    async def run_tts(self, text: str, context_id: str):
        s = self.rt.settings
        rate = self.sample_rate or self._out_rate
        prev = None
        clients = self.clients[:1] if s.has_fault("no_tts_failover") else self.clients
        if s.has_fault("slow_tts_request"):  # the handoff to TTS made late, on purpose
            await asyncio.sleep(s.fault_slow_tts_request_seconds)
        for client in clients:
            breaker = self.rt.breakers.get(f"tts:{client.name}")
            if not breaker.allow():
                continue
            if prev is not None:
                self.rt.metrics.inc("agent_provider_failovers_total", {"service": "tts", "from": prev, "to": client.name})
            prev = client.name
            t0 = time.monotonic()
            gen = client.synthesize(text, rate)
            try:
                first = await asyncio.wait_for(gen.__anext__(), s.tts_first_audio_timeout_seconds)
            except BaseException as e:
                await _aclose(gen)
                if isinstance(e, asyncio.CancelledError):
                    raise
                if isinstance(e, StopAsyncIteration):
                    e = RuntimeError("no audio")
                cls = error_class(e)
                breaker.record_failure(f"{cls}: {e}"[:200])
                self.rt.metrics.inc("agent_provider_errors_total", {"provider": client.name, "error_class": cls})
                log.warning("TTS %s failed (%s): %s", client.name, cls, e)
                await self._record(client.name, cls, e, False)
                continue
            if self.sink is not None:
                self.sink.provider_used("tts", client.name, int((time.monotonic() - t0) * 1000))
            await self.stop_ttfb_metrics()
            try:
                yield TTSAudioRawFrame(audio=first, sample_rate=rate, num_channels=1, context_id=context_id)
                while True:
                    # a stream that goes quiet mid-reply (socket open, nothing sent) has stalled
                    try:
                        chunk = await asyncio.wait_for(gen.__anext__(), s.tts_chunk_timeout_seconds)
                    except StopAsyncIteration:
                        break
                    if chunk:
                        yield TTSAudioRawFrame(audio=chunk, sample_rate=rate, num_channels=1, context_id=context_id)
                breaker.record_success()
            except asyncio.CancelledError:
                await _aclose(gen)
                raise
            except Exception as e:
                await _aclose(gen)
                cls = error_class(e)
                breaker.record_failure(f"mid-stream {cls}: {e}"[:200])
                self.rt.metrics.inc("agent_provider_errors_total", {"provider": client.name, "error_class": cls})
                log.warning("TTS %s failed mid-reply (%s): %s", client.name, cls, e)
                await self._record(client.name, cls, e, True)
                if self.sink is not None:
                    await self.sink.usage("tts", client.name, client.model, characters=len(text))
                # the rest of the reply is lost with this provider: the next one says it again
                continue
            if self.sink is not None:
                await self.sink.usage("tts", client.name, client.model, characters=len(text))
            return
        self.all_failed_count += 1
        self.rt.metrics.inc("agent_tts_all_failed_total", {})
        log.error("all TTS providers failed for %r", text[:60])
        if self.on_all_failed is not None:
            await self.on_all_failed(f"all TTS providers failed for {text[:60]!r}")


class TelnyxFallbackService:
    """The pipeline cannot go on (all LLMs down, the STT lost, every TTS failed): apologise,
    transfer the caller to a human, log to system_errors/transfers.

    The message is spoken through the pipeline TTS when a TTS provider is
    available, else with Telnyx Call Control ``speak``.  Then Call Control
    ``transfer`` to the number's fallback (phone_numbers.fallback_number, else
    tenants.fallback_number, else DEFAULT_FALLBACK_NUMBER); with no number the
    call is hung up.
    """

    def __init__(self, rt, call_control_id: str, *, tenant_id=None, fallback_number: str | None = None,
                 call_log_id=None, say: Callable[[str], Awaitable[bool]] | None = None):
        self.rt = rt
        self.call_control_id = call_control_id
        self.tenant_id = tenant_id
        self.fallback_number = fallback_number or rt.settings.default_fallback_number or None
        self.call_log_id = call_log_id
        self.say = say  # async (text) -> True if spoken through the pipeline
        self.triggered = False

    async def trigger(self, reason: str, *, component: str = "llm", use_pipeline_tts: bool = True) -> str:
        """Returns 'transferred', 'hung_up', 'transfer_failed' or 'already_triggered'.

        component: what failed ("llm": every LLM; "stt": the speech recogniser; "tts": every TTS,
        so the message goes out with Call Control ``speak`` instead of the pipeline's TTS).
        """
        if self.triggered:
            return "already_triggered"
        self.triggered = True
        rt, s, cid = self.rt, self.rt.settings, self.call_control_id
        rt.metrics.inc("agent_fallback_total", {})
        what = {"llm": "All LLM providers failed", "stt": "Speech recognition lost",
                "tts": "All TTS providers failed"}.get(component, "Pipeline failure")
        if not s.has_fault("no_fallback_error_row"):
            await rt.record_error(
                component, "all_providers_failed" if component != "stt" else "unavailable", f"{what}: {reason}",
                call_control_id=cid, tenant_id=self.tenant_id,
                details={"fallback_number": self.fallback_number,
                         "providers": {"llm": s.llm_providers, "tts": s.tts_providers}.get(component, component)},
            )
        spoken = s.has_fault("no_fallback_message")  # the fault: as if spoken, nothing said
        if not spoken and self.say is not None and use_pipeline_tts:
            try:
                spoken = await self.say(s.fallback_message)
            except Exception as e:
                log.warning("pipeline could not speak the fallback message: %s", e)
        if not spoken:
            await rt.callcontrol.speak(cid, s.fallback_message)
            await asyncio.sleep(min(4.0, 0.06 * len(s.fallback_message)))
        if s.has_fault("no_fallback_transfer"):
            return "no_transfer_fault"
        if not self.fallback_number:
            await rt.record_error("fallback", "no_fallback_number", "No fallback number; hanging up",
                                  call_control_id=cid, tenant_id=self.tenant_id, severity="warning")
            await rt.callcontrol.hangup(cid)
            return "hung_up"
        r = await rt.callcontrol.transfer(cid, self.fallback_number)
        rt.metrics.inc("agent_fallback_transfers_total", {"ok": str(r.ok).lower()})
        await rt.db.try_execute(
            "INSERT INTO transfers (call_control_id, call_log_id, tenant_id, to_number, reason, status, http_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            cid, self.call_log_id, self.tenant_id, self.fallback_number, "all_llm_providers_failed",
            "sent" if r.ok else "failed", r.status,
        )
        await rt.db.try_execute(
            "UPDATE call_logs SET transferred_to = $2, status = 'transferred', end_reason = 'fallback_transfer'"
            " WHERE call_control_id = $1",
            cid, self.fallback_number,
        )
        if not r.ok:
            await rt.record_error("fallback", "transfer_failed", f"transfer failed: {r.error}",
                                  call_control_id=cid, tenant_id=self.tenant_id)
            return "transfer_failed"
        return "transferred"


__all__ = [
    "AllProvidersFailed", "EndFrame", "FailoverLLMProcessor", "FailoverTTSService", "LLMFailover",
    "TelnyxFallbackService", "UsageSink",
]
