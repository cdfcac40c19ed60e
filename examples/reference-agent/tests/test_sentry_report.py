"""Error reporting to Sentry: with SENTRY_DSN set, the all-providers-failed
event and the database outage reach a Sentry endpoint (a loopback HTTP server
here, decoding the real sentry-sdk's envelopes) tagged with the call id; with
the no_sentry fault nothing is sent."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent import errortrack
from agent.runtime import Runtime
from conftest import make_settings


class SentrySink:
    """Collects the events of POST /api/<project>/envelope/ (and /store/)."""

    def __init__(self):
        self.events, self.auth = [], []
        sink = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                sink.auth.append(self.headers.get("X-Sentry-Auth", ""))
                if self.path.endswith("/envelope/"):
                    lines = body.split(b"\n")
                    i = 1  # after the envelope header
                    while i + 1 < len(lines):
                        item = json.loads(lines[i])
                        if item.get("type") == "event":
                            sink.events.append(json.loads(lines[i + 1]))
                        i += 2
                elif self.path.endswith("/store/"):
                    sink.events.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id":"0"}')

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_address[1]}/7"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 5.0) -> list:
        end = time.monotonic() + timeout
        while len(self.events) < n and time.monotonic() < end:
            time.sleep(0.02)
        return self.events

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    s = SentrySink()
    yield s
    s.close()


def _tags(ev) -> dict:
    t = ev.get("tags") or {}
    return dict(t) if isinstance(t, dict) else {k: v for k, v in t}


async def test_all_providers_failed_reaches_sentry_with_the_call_id(sink):
    s = make_settings("postgresql://nobody@127.0.0.1:1/none", sentry_dsn=sink.dsn, db_connect_timeout=0.2)
    assert errortrack.init(s)
    rt = Runtime(s)
    try:
        await rt.record_error("llm", "all_providers_failed", "All LLM providers failed: openai: auth",
                              call_control_id="v3:call-123")
        errortrack.flush()
        ev = sink.wait(1)[0]
        assert _tags(ev)["call_id"] == "v3:call-123"
        assert _tags(ev)["error_class"] == "all_providers_failed"
        assert "All LLM providers failed" in json.dumps(ev)
        assert "sentry_key=publickey" in sink.auth[0]
    finally:
        await rt.close()
        errortrack.init(make_settings("postgresql://x@127.0.0.1:1/x"))  # off again


async def test_database_unavailable_during_a_call_is_reported(sink):
    s = make_settings("postgresql://nobody@127.0.0.1:1/none", sentry_dsn=sink.dsn)
    assert errortrack.init(s)
    errortrack.report("database", "unavailable", "routing lookup failed: OSError", call_id="v3:call-db")
    errortrack.flush()
    ev = sink.wait(1)[0]
    assert _tags(ev)["call_id"] == "v3:call-db" and _tags(ev)["component"] == "database"
    errortrack.init(make_settings("postgresql://x@127.0.0.1:1/x"))


async def test_no_sentry_fault_sends_nothing(sink):
    s = make_settings("postgresql://nobody@127.0.0.1:1/none", sentry_dsn=sink.dsn, faults=frozenset({"no_sentry"}))
    assert not errortrack.init(s)
    errortrack.report("llm", "all_providers_failed", "x", call_id="v3:none")
    time.sleep(0.3)
    assert sink.events == []
