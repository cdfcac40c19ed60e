"""Output guard: what the LLM says is checked sentence by sentence before it is spoken.

A model can be talked into reading out its instructions, a secret planted in them, raw
structured output, or a reply that never ends.  The guard holds each sentence until it is
complete (its end punctuation and the whitespace after it), then lets it through, replaces it with one short refusal (the first time in a
reply), or drops it:

- a sentence holding a code-like word of the system prompt (letters and digits, 6+ chars);
- a sentence repeating ``WINDOW`` consecutive characters of the system prompt;
- a sentence with ``{`` or ``}`` (JSON is never read out on a phone line);
- everything after ``max_chars`` characters of one reply.

The guard is the sentence aggregator: with it on, the TTS service takes each text frame as it
comes (token mode), since Pipecat's own sentence aggregator would hold a released sentence until
text of the next one arrived.
"""

from __future__ import annotations

import re

WINDOW = 24
REFUSAL = "Sorry, I can't share that."
_SENTENCE_END = re.compile(r"[.!?]\s")  # the whitespace after it: "$29.9" stays whole
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,}")


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


class OutputGuard:
    def __init__(self, system_prompt: str, max_chars: int = 600):
        self.prompt = _norm(system_prompt or "")
        self.secrets = [
            w.lower() for w in _CODE.findall(system_prompt or "")
            if any(c.isdigit() for c in w) and any(c.isalpha() for c in w)
        ]
        self.max_chars = max_chars
        self.buf = ""
        self.spoken = 0
        self.refused = False
        self.blocked: list[str] = []  # why each held-back sentence was blocked

    @classmethod
    def from_messages(cls, messages: list, max_chars: int = 600) -> "OutputGuard":
        system = " ".join(
            m.get("content") if isinstance(m.get("content"), str) else ""
            for m in messages if isinstance(m, dict) and m.get("role") == "system"
        )
        return cls(system, max_chars)

    def why_blocked(self, sentence: str) -> str | None:
        low = _norm(sentence)
        for s in self.secrets:
            if s in low:
                return "secret from the system prompt"
        p = self.prompt
        for i in range(0, max(0, len(p) - WINDOW + 1)):
            if p[i:i + WINDOW] in low:
                return "system prompt echo"
        if "{" in sentence or "}" in sentence:
            return "structured output"
        return None

    def _pass(self, sentence: str) -> list[str]:
        if not sentence.strip():
            return [sentence] if sentence else []
        why = self.why_blocked(sentence)
        if why is None and self.spoken + len(sentence) > self.max_chars:
            why = "reply too long"
        if why is None:
            self.spoken += len(sentence)
            return [sentence]
        self.blocked.append(why)
        if self.refused or why == "reply too long":
            return []
        self.refused = True
        return [REFUSAL + " "]

    def feed(self, chunk: str) -> list[str]:
        """Text that may be spoken now (whole sentences)."""
        self.buf += chunk
        out: list[str] = []
        while True:
            m = _SENTENCE_END.search(self.buf)
            if not m:
                return out
            sentence, self.buf = self.buf[:m.end()], self.buf[m.end():]
            out += self._pass(sentence)

    def flush(self) -> list[str]:
        """The rest of the reply (a last sentence with no full stop)."""
        rest, self.buf = self.buf, ""
        return self._pass(rest) if rest else []
