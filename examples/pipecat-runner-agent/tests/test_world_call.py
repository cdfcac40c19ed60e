"""A whole call against vstress's world: the agent, started with the world's
environment (every provider a stand-in), answers the TeXML, takes a Telnyx media
stream of recorded speech, and its STT, LLM and TTS requests reach the stand-ins.
Skipped when no world is running (scripts/test.sh starts one)."""

import asyncio
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import REPO, Agent
from telnyx_caller import fetch_texml, first_media_after, play_call, stream_of, ulaw_8k

SPEECH = REPO / "tests/fixtures/stt/flite-1-slt.wav"  # 8 kHz synthetic speech, 4.3 s
LEAD_S = 6.0  # silence first, so the greeting plays out uninterrupted


def stats(world):
    # the control API answers only the run's bearer token; a standalone
    # world writes it into its URLs file (mode 0600)
    headers = {"Authorization": f"Bearer {world['token']}"} if world.get("token") else {}
    r = httpx.get(world["control"] + "/_vstress/stats", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def delta(after, before, standin, key):
    return after.get(standin, {}).get(key, 0) - before.get(standin, {}).get(key, 0)


@pytest.fixture(scope="module")
def agent(world, tmp_path_factory):
    env = {k: v for k, v in world["env"].items() if k != "VSTRESS_WORLD_CONTROL_URL"}
    a = Agent(tmp_path_factory.mktemp("agent"), env, proxy="abc.ngrok.io")
    yield a
    a.stop()


def local_ws_url(public: str, agent: Agent) -> str:
    """The stream URL the agent gave, mapped from its public host onto its local port
    (what vstress's `[target] public_url` does)."""
    u = urlsplit(public)
    assert (u.scheme, u.netloc) == ("wss", agent.proxy), public
    return f"ws://127.0.0.1:{agent.port}{u.path}"


def test_a_call_reaches_every_standin_and_audio_comes_back(world, agent):
    before = stats(world)
    stream = stream_of(fetch_texml(agent.base, "CA-world-1"))
    assert stream.get("bidirectionalMode") == "rtp"
    ws_url = local_ws_url(stream.get("url"), agent)
    speech = ulaw_8k(str(SPEECH))
    speech_end = LEAD_S + len(speech) / 8000
    res = asyncio.run(play_call(ws_url, speech, call_control_id="v3:world-1",
                                hold_s=speech_end + 6, lead_silence_s=LEAD_S))
    after = stats(world)
    log = agent.log()[-3000:]
    assert not res.closed_by_agent, log
    # the greeting and the answer to the caller, as 8 kHz u-law (one byte a sample)
    assert res.media_bytes / 8000 > 1.0, (res, log)
    # the greeting before the caller spoke, and a reply after
    assert res.first_media_after_s is not None and res.first_media_after_s < LEAD_S, (res.media_times[:3], log)
    assert first_media_after(res, speech_end) is not None, (res.media_times[-3:], log)
    assert delta(after, before, "stt_deepgram", "streams") == 1, after
    assert delta(after, before, "stt_deepgram", "audio_in_s") > 5, after
    assert delta(after, before, "stt_deepgram", "transcripts") >= 1, after
    # one request for the greeting, at least one more for what the caller said
    assert delta(after, before, "llm_openai", "requests") >= 2, (after, log)
    assert delta(after, before, "tts_cartesia", "requests") >= 1, after
    assert delta(after, before, "tts_cartesia", "audio_out_s") > 1.0, after
