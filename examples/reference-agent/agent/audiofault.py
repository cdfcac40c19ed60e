"""AGENT_FAULTS=drop_caller_audio: every fifth audio frame from the caller is
lost before speech-to-text, as a congested media bridge would lose it.
AGENT_FAULTS=drop_tts_audio: every fifth audio frame from TTS is lost before
it is sent to the caller.  For vstress's own tests of its caller -> STT and
TTS -> caller audio checks; off by default."""
from __future__ import annotations

from pipecat.frames.frames import Frame, InputAudioRawFrame, TTSAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


class _DropEveryNth(FrameProcessor):
    """Drops every `every`-th downstream frame of type `kind`."""

    kind: type = Frame

    def __init__(self, every: int = 5, **kwargs):
        super().__init__(**kwargs)
        self._every = every
        self._seen = 0

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, self.kind) and direction == FrameDirection.DOWNSTREAM:
            self._seen += 1
            if self._seen % self._every == 0:
                return
        await self.push_frame(frame, direction)


class DropCallerAudio(_DropEveryNth):
    kind = InputAudioRawFrame


class DropTTSAudio(_DropEveryNth):
    kind = TTSAudioRawFrame
