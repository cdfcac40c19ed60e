"""Every setting of the example, read from the environment in one place.

The names are the ones vstress's world exports for its stand-ins (and the
reference agent reads): ``<PROVIDER>_BASE_URL`` and ``<PROVIDER>_API_KEY``.
Nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Settings:
    deepgram_api_key: str = ""
    deepgram_base_url: str = "wss://api.deepgram.com"
    deepgram_model: str = "nova-3-general"
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4.1"
    cartesia_api_key: str = ""
    cartesia_base_url: str = "wss://api.cartesia.ai/tts/websocket"
    cartesia_model: str = "sonic-3"
    cartesia_voice_id: str = "71a7ad14-091c-4e8e-a314-022ece01c121"
    # The serializer hangs the call up through Call Control when the pipeline ends.
    telnyx_api_key: str = ""
    telnyx_api_base: str = "https://api.telnyx.com/v2"
    system_prompt: str = (
        "You are a friendly phone assistant. Answer in one or two short sentences. "
        "Your output is spoken, so use no special characters."
    )
    greeting_instruction: str = "Greet the caller briefly and ask how you can help."
    # Pipecat's default end of turn (Smart Turn v3 after Silero VAD's silence); false:
    # the turn ends on VAD silence alone (Pipecat's SpeechTimeoutUserTurnStopStrategy)
    smart_turn: bool = True

    def missing_keys(self) -> list[str]:
        """The provider keys a call needs that are not set (TELNYX_API_KEY is optional:
        without it the agent does not hang calls up itself)."""
        keys = {
            "DEEPGRAM_API_KEY": self.deepgram_api_key,
            "OPENAI_API_KEY": self.openai_api_key,
            "CARTESIA_API_KEY": self.cartesia_api_key,
        }
        return [name for name, value in keys.items() if not value]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default ``os.environ``); an empty variable counts as unset."""
    env = os.environ if env is None else env
    d = Settings()

    def get(name: str, default: str) -> str:
        return env.get(name) or default

    return Settings(
        deepgram_api_key=get("DEEPGRAM_API_KEY", d.deepgram_api_key),
        deepgram_base_url=get("DEEPGRAM_BASE_URL", d.deepgram_base_url).rstrip("/"),
        deepgram_model=get("DEEPGRAM_MODEL", d.deepgram_model),
        openai_api_key=get("OPENAI_API_KEY", d.openai_api_key),
        openai_base_url=get("OPENAI_BASE_URL", d.openai_base_url).rstrip("/"),
        openai_model=get("OPENAI_MODEL", d.openai_model),
        cartesia_api_key=get("CARTESIA_API_KEY", d.cartesia_api_key),
        # the full websocket URL (Cartesia's path included), as the world exports it
        cartesia_base_url=get("CARTESIA_BASE_URL", d.cartesia_base_url),
        cartesia_model=get("CARTESIA_MODEL", d.cartesia_model),
        cartesia_voice_id=get("CARTESIA_VOICE_ID", d.cartesia_voice_id),
        telnyx_api_key=get("TELNYX_API_KEY", d.telnyx_api_key),
        telnyx_api_base=get("TELNYX_API_BASE", d.telnyx_api_base).rstrip("/"),
        system_prompt=get("SYSTEM_PROMPT", d.system_prompt),
        greeting_instruction=get("GREETING_INSTRUCTION", d.greeting_instruction),
        smart_turn=_bool("SMART_TURN_ENABLED", get("SMART_TURN_ENABLED", ""), d.smart_turn),
    )


def _bool(name: str, value: str, default: bool) -> bool:
    v = value.strip().lower()
    if not v:
        return default
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r}: expected true or false")
