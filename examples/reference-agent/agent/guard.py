"""Output guard: what the LLM says is checked clause by clause before it is spoken.

A model can be talked into reading out its instructions, a secret planted in them, raw
structured output, or a reply that never ends.  The guard releases the reply in clauses (text up
to a ``,;:`` or a sentence end and the whitespace after it) as soon as each is judged safe, so the
first words reach TTS without waiting for the end of the sentence or of the reply.  It blocks:

- a clause holding a code-like word of the system prompt (letters and digits, 6+ chars);
- ``WINDOW`` consecutive characters of the system prompt, also across the boundary with the text
  already released (the last ``WINDOW - 1`` characters of it are kept for that);
- a clause with ``{`` or ``}`` (JSON is never read out on a phone line), and everything until
  the braces close;
- everything after ``max_chars`` characters of one reply.

What could still become a leak is held, not released: text with no clause end yet (a code-like
word has no clause end inside, so a secret split over LLM chunks is always judged whole), and a
clause whose end repeats ``HOLD`` or more characters of the system prompt (an echo may go on in
the next clause): it is judged again with the next one.  A blocked clause is replaced by one short
refusal (the first time in a reply) and the rest of its sentence is dropped.

The guard is the text aggregator: with it on, the TTS service takes each text frame as it comes
(token mode), since Pipecat's own sentence aggregator would hold a released clause until text of
the next sentence arrived.
"""

from __future__ import annotations

import re

WINDOW = 24
HOLD = 12  # a clause ending in this many characters of the prompt waits for the next one
REFUSAL = "Sorry, I can't share that."
# a clause ends at , ; : . ! ? and the whitespace after it: "$29.9" and "10:30" stay whole
_CLAUSE_END = re.compile(r"[,;:.!?]\s")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,}")
_TAIL_PUNCT = " \t\n,;:.!?"


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


class OutputGuard:
    def __init__(self, system_prompt: str, max_chars: int = 600):
        self.prompt = _norm(system_prompt or "")
        self.secrets = [
            w.lower() for w in _CODE.findall(system_prompt or "")
            if any(c.isdigit() for c in w) and any(c.isalpha() for c in w)
        ]
        # every WINDOW characters of the prompt, looked up per window of a clause: linear in the clause,
        # not in clause x prompt (a tenant's prompt can run to pages)
        p = self.prompt
        self.windows = {p[i:i + WINDOW] for i in range(0, len(p) - WINDOW + 1)}
        self.max_chars = max_chars
        self.buf = ""  # not judged yet: no clause end in it
        self.held = ""  # judged safe, but might start an echo that the next clause completes
        self.said = ""  # the last WINDOW - 1 characters released (normalised), for echoes across clauses
        self.spoken = 0
        self.refused = False
        self.dropping = False  # the rest of a blocked sentence
        self.depth = 0  # braces open in the reply
        self.blocked: list[str] = []  # why each held-back clause was blocked

    @classmethod
    def from_messages(cls, messages: list, max_chars: int = 600) -> "OutputGuard":
        system = " ".join(
            m.get("content") if isinstance(m.get("content"), str) else ""
            for m in messages if isinstance(m, dict) and m.get("role") == "system"
        )
        return cls(system, max_chars)

    def why_blocked(self, text: str, before: str = "") -> str | None:
        """Why text may not be spoken after ``before`` (normalised text already released)."""
        low = _norm(text)
        for s in self.secrets:
            if s in low:
                return "secret from the system prompt"
        p = self.prompt
        if self.windows:
            seen = f"{before[-(WINDOW - 1):]} {low}" if before else low
            if any(seen[j:j + WINDOW] in self.windows for j in range(0, len(seen) - WINDOW + 1)):
                return "system prompt echo"
        elif p and p in low:
            return "system prompt echo"
        if "{" in text or "}" in text:
            return "structured output"
        return None

    def _echo_tail(self, text: str) -> bool:
        """True when text ends in HOLD+ characters of the system prompt (an echo may go on)."""
        t = _norm(text).rstrip(_TAIL_PUNCT)
        return len(t) >= HOLD and t[-HOLD:] in self.prompt

    def _judge(self, clause: str, final: bool) -> list[str]:
        ends_sentence = bool(_SENTENCE_END.search(clause))
        self.depth = max(0, self.depth + clause.count("{") - clause.count("}"))
        if self.dropping:
            if ends_sentence and self.depth == 0:
                self.dropping = False
            return []
        text = self.held + clause
        if not text.strip():
            self.held = ""
            return [text] if text else []
        why = self.why_blocked(text, self.said)
        if why is None and self.depth > 0:
            why = "structured output"
        if why is None and self.spoken + len(text) > self.max_chars:
            why = "reply too long"
        if why is None:
            if not final and not ends_sentence and self._echo_tail(text):
                self.held = text
                return []
            self.held = ""
            self.spoken += len(text)
            self.said = (self.said + " " + _norm(text))[-(WINDOW - 1):]
            return [text]
        self.held = ""
        self.blocked.append(why)
        self.dropping = not (ends_sentence and self.depth == 0)
        if self.refused or why == "reply too long":
            return []
        self.refused = True
        return [REFUSAL + " "]

    def feed(self, chunk: str) -> list[str]:
        """Text that may be spoken now (whole clauses)."""
        self.buf += chunk
        out: list[str] = []
        while True:
            m = _CLAUSE_END.search(self.buf)
            if not m:
                return out
            clause, self.buf = self.buf[:m.end()], self.buf[m.end():]
            out += self._judge(clause, final=False)

    def flush(self) -> list[str]:
        """The rest of the reply (a last clause with no end mark, or one held for an echo)."""
        rest, self.buf = self.buf, ""
        if not rest and not self.held:
            return []
        return self._judge(rest, final=True)
