"""Telnyx Call Control stand-in driven by the real telnyx SDK."""
import threading
import time
import uuid

import httpx
import pytest
import telnyx
from telnyx import Telnyx

from conftest import AUTH, standin

KEY = "KEY_test"  # [telnyx] api_key in world-test.ini


def client(**kw):
    return Telnyx(api_key=kw.pop("api_key", KEY), base_url=standin("telnyx") + "/v2", **kw)


def new_call():
    return "v3:" + uuid.uuid4().hex


def test_answer_speak_hangup_recorded(control):
    cid = new_call()
    c = client()
    r = c.calls.actions.answer(cid, stream_url="ws://127.0.0.1:9/media", stream_track="both_tracks",
                               stream_bidirectional_mode="rtp", stream_bidirectional_codec="PCMU")
    assert r.data.result == "ok"
    assert c.calls.actions.speak(cid, payload="Hello there", voice="female").data.result == "ok"
    assert c.calls.actions.start_streaming(cid, stream_url="ws://127.0.0.1:9/x").data.result == "ok"
    assert c.calls.actions.stop_streaming(cid).data.result == "ok"
    assert c.calls.actions.start_playback(cid, audio_url="http://127.0.0.1:9/a.mp3").data.result == "ok"
    assert c.calls.actions.transfer(cid, to="+15550001111").data.result == "ok"
    assert c.calls.actions.hangup(cid).data.result == "ok"
    cmds = control.get("/_vstress/telnyx/commands", call_control_id=cid)["data"]
    assert [x["action"] for x in cmds] == ["answer", "speak", "streaming_start", "streaming_stop",
                                          "playback_start", "transfer", "hangup"]
    assert cmds[0]["params"]["stream_url"] == "ws://127.0.0.1:9/media"
    assert cmds[0]["stream_url"] == "ws://127.0.0.1:9/media"
    assert all(x["status"] == 200 for x in cmds)
    assert cmds[0]["time_ms"] <= cmds[-1]["time_ms"]


def test_command_after_hangup_is_90018():
    cid = new_call()
    c = client()
    c.calls.actions.answer(cid)
    c.calls.actions.hangup(cid)
    with pytest.raises(telnyx.UnprocessableEntityError) as e:
        c.calls.actions.speak(cid, payload="late", voice="female")
    assert e.value.body["errors"][0]["code"] == "90018"


def test_speak_before_answer_is_90034():
    with pytest.raises(telnyx.UnprocessableEntityError) as e:
        client().calls.actions.speak(new_call(), payload="too early", voice="female")
    assert e.value.body["errors"][0]["code"] == "90034"


def test_bad_key_is_401_not_retried(control):
    before = control.count("telnyx")
    with pytest.raises(telnyx.AuthenticationError) as e:
        client(api_key="wrong").calls.actions.answer(new_call())
    assert e.value.body["errors"][0]["code"] == "10009"
    assert control.count("telnyx") - before == 1


def test_429_fault_is_retried(control):
    before = control.count("telnyx")
    control.fault(target="telnyx", kind="error", status=429)
    with pytest.raises(telnyx.RateLimitError) as e:
        client().calls.actions.answer(new_call())
    assert e.value.body["errors"][0]["code"] == "10011"
    assert control.count("telnyx") - before == 3


def test_duplicate_command_id_ignored(control):
    cid = new_call()
    c = client()
    c.calls.actions.answer(cid, command_id="same")
    c.calls.actions.answer(cid, command_id="same")  # ignored, still ok
    cmds = control.get("/_vstress/telnyx/commands", call_control_id=cid)["data"]
    assert len(cmds) == 1


def test_long_poll_notifies_answer(control):
    cid = new_call()
    got = {}

    def waiter():
        r = httpx.get(control.base + "/_vstress/events", timeout=10, headers=AUTH, params={
            "topic": "telnyx.command", "call_control_id": cid, "action": "answer", "wait_ms": 5000})
        got["events"] = r.json()["events"]

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    client().calls.actions.answer(cid, stream_url="ws://127.0.0.1:9/s")
    t.join(10)
    assert got["events"] and got["events"][0]["data"]["stream_url"] == "ws://127.0.0.1:9/s"


def test_dial_and_status():
    c = client()
    r = c.calls.dial(connection_id="conn1", from_="+15550001111", to="+15550002222")
    assert r.data.call_control_id.startswith("v3:")
    assert c.calls.actions.hangup(r.data.call_control_id).data.result == "ok"
