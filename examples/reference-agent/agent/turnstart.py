"""When the caller's sound starts a user turn (and so interrupts the bot).

Pipecat's default starts a turn on any VAD start or transcript, so a caller's
"uh-huh" while the bot speaks cuts the bot off.  Real callers backchannel;
the plan wants the agent to keep talking through them.  While the bot speaks,
this strategy starts a turn only on sustained speech (still speaking
``min_speech_secs`` after the VAD start) or on a transcript of at least
``min_words`` words that are not all backchannel words.  While the bot is
silent it behaves like Pipecat's default (VAD start or any transcript).

The fault ``interrupt_on_any_sound`` (AGENT_FAULTS) restores Pipecat's
default: a backchannel interrupts (vstress's backchannel check must fail).
"""

from __future__ import annotations

import asyncio


from loguru import logger as log  # pipecat logs through loguru: the lines land next to its own

BACKCHANNEL_WORDS = frozenset(
    {"uh-huh", "uh", "huh", "mm-hmm", "mhm", "mm", "hmm", "yeah", "yes", "yep", "right", "okay", "ok", "sure"}
)


def make_user_turn_start(settings):
    """The start strategies for the user aggregator (None: Pipecat's default)."""
    from pipecat.frames.frames import (
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        InterimTranscriptionFrame,
        TranscriptionFrame,
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    )
    from pipecat.turns.types import ProcessFrameResult
    from pipecat.turns.user_start import BaseUserTurnStartStrategy

    if settings.has_fault("interrupt_on_any_sound"):
        return None

    class BackchannelTolerantStart(BaseUserTurnStartStrategy):
        def __init__(self, *, min_speech_secs: float, min_words: int, **kwargs):
            super().__init__(**kwargs)
            self._min_speech = min_speech_secs
            self._min_words = min_words
            self._bot_speaking = False
            self._pending: asyncio.Task | None = None

        def _cancel(self):
            if self._pending and not self._pending.done():
                self._pending.cancel()
            self._pending = None

        async def _sustained(self):
            await asyncio.sleep(self._min_speech)
            self._pending = None
            await self.trigger_user_turn_started()

        async def handle_user_turn_started(self):
            self._cancel()

        async def cleanup(self):
            self._cancel()
            await super().cleanup()

        async def process_frame(self, frame):
            if isinstance(frame, BotStartedSpeakingFrame):
                self._bot_speaking = True
            elif isinstance(frame, BotStoppedSpeakingFrame):
                self._bot_speaking = False
            elif isinstance(frame, VADUserStartedSpeakingFrame):
                log.debug("VAD start (bot speaking: {})", self._bot_speaking)
                if not self._bot_speaking:
                    await self.trigger_user_turn_started()
                    return ProcessFrameResult.STOP
                self._cancel()
                self._pending = asyncio.get_running_loop().create_task(self._sustained())
            elif isinstance(frame, VADUserStoppedSpeakingFrame):
                log.debug("VAD stop (pending: {})", self._pending is not None)
                self._cancel()  # short: a backchannel, not a barge-in
            elif isinstance(frame, (TranscriptionFrame, InterimTranscriptionFrame)):
                words = [w.strip(".,!?;:").lower() for w in (frame.text or "").split()]
                words = [w for w in words if w]
                log.debug("transcript {!r} (bot speaking: {})", frame.text, self._bot_speaking)
                if not words:
                    return ProcessFrameResult.CONTINUE
                if not self._bot_speaking or (
                    len(words) >= self._min_words and not all(w in BACKCHANNEL_WORDS for w in words)
                ):
                    self._cancel()
                    await self.trigger_user_turn_started()
                    return ProcessFrameResult.STOP
            return ProcessFrameResult.CONTINUE

    return [
        BackchannelTolerantStart(
            min_speech_secs=settings.barge_in_min_speech_secs, min_words=settings.barge_in_min_words
        )
    ]
