"""The serializer's Call Control hang-up goes to TELNYX_API_BASE (a real HTTP
server on loopback records it), and a failing hang-up does not raise."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pipecat.frames.frames import CancelFrame, EndFrame

from runner_agent.settings import load_settings
from runner_agent.telephony import TelnyxSerializer
from pipecat.serializers.telnyx import TelnyxFrameSerializer


@pytest.fixture
def callcontrol():
    seen, status = [], {"code": 200}

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.append((self.path, self.headers.get("authorization"), body))
            payload = json.dumps({"errors": [{"code": "90018"}]} if status["code"] == 422 else {}).encode()
            self.send_response(status["code"])
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/v2", seen, status
    srv.shutdown()
    srv.server_close()


def serializer(api_base, key="KEYtest"):
    s = load_settings({"TELNYX_API_BASE": api_base, "TELNYX_API_KEY": key})
    return TelnyxSerializer(
        api_base=s.telnyx_api_base, stream_id="s-1", call_control_id="v3:abc",
        outbound_encoding="PCMU", inbound_encoding="PCMU", api_key=s.telnyx_api_key or None,
        params=TelnyxFrameSerializer.InputParams(auto_hang_up=bool(s.telnyx_api_key)))


async def test_end_frame_hangs_up_at_the_configured_base(callcontrol):
    base, seen, _ = callcontrol
    assert await serializer(base).serialize(EndFrame()) is None
    assert seen == [("/v2/calls/v3:abc/actions/hangup", "Bearer KEYtest", b"{}")]


async def test_only_one_hang_up_per_call(callcontrol):
    base, seen, _ = callcontrol
    s = serializer(base)
    await s.serialize(EndFrame())
    await s.serialize(CancelFrame())
    assert len(seen) == 1


@pytest.mark.parametrize("code", [422, 500])
async def test_a_refused_hang_up_does_not_raise(callcontrol, code):
    base, seen, status = callcontrol
    status["code"] = code
    await serializer(base).serialize(EndFrame())
    assert len(seen) == 1


async def test_an_unreachable_base_does_not_raise():
    await serializer("http://127.0.0.1:9/v2").serialize(EndFrame())


async def test_without_a_key_it_does_not_hang_up(callcontrol):
    base, seen, _ = callcontrol
    await serializer(base, key="").serialize(EndFrame())
    assert seen == []
