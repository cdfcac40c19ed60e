"""The user-turn start strategy (agent/turnstart.py): a backchannel while the
bot speaks does not start a turn (no interruption); sustained speech or real
words do; with the bot silent any speech does; the fault restores Pipecat's
default."""

import asyncio
import dataclasses

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)

from agent.settings import Settings
from agent.turnstart import make_user_turn_start


def _strategy(**kw):
    st = make_user_turn_start(dataclasses.replace(Settings(), barge_in_min_speech_secs=0.3, **kw))[0]
    hits = []

    @st.event_handler("on_user_turn_started")
    async def _started(_s, params):
        hits.append(params)

    return st, hits


def _said(text):
    return TranscriptionFrame(text, "caller", "2026-01-01T00:00:00Z")


async def test_backchannel_while_bot_speaks_does_not_start_a_turn():
    st, hits = _strategy()
    await st.process_frame(BotStartedSpeakingFrame())
    await st.process_frame(VADUserStartedSpeakingFrame())
    await asyncio.sleep(0.1)
    await st.process_frame(VADUserStoppedSpeakingFrame())
    await st.process_frame(_said("uh-huh"))
    await st.process_frame(_said("Yeah, right."))
    await asyncio.sleep(0.5)
    assert hits == []


async def test_sustained_speech_while_bot_speaks_interrupts():
    st, hits = _strategy()
    await st.process_frame(BotStartedSpeakingFrame())
    await st.process_frame(VADUserStartedSpeakingFrame())
    await asyncio.sleep(0.5)
    assert len(hits) == 1


async def test_words_while_bot_speaks_interrupt():
    st, hits = _strategy()
    await st.process_frame(BotStartedSpeakingFrame())
    await st.process_frame(_said("wait"))  # one word: not yet
    assert hits == []
    await st.process_frame(_said("sorry, one more thing"))
    assert len(hits) == 1


async def test_bot_silent_any_speech_starts_a_turn():
    st, hits = _strategy()
    await st.process_frame(VADUserStartedSpeakingFrame())
    assert len(hits) == 1


def test_fault_restores_pipecats_default():
    s = dataclasses.replace(Settings(), faults=frozenset({"interrupt_on_any_sound"}))
    assert make_user_turn_start(s) is None
