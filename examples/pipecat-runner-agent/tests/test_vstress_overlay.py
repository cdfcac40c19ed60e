"""vstress.ini against the agent itself: the overlay's [target] command, started
the way vstress launches it (sh -c in `cwd`, ${VSTRESS_TARGET_PORT} filled in),
answers its health URL, serves the TeXML at texml_url, and hands out a stream
URL that public_url maps."""

import configparser
import os
import re
import signal
import subprocess
import time

import httpx
import pytest

from conftest import PROVIDER_VARS, REPO, free_port
from telnyx_caller import fetch_texml, stream_of

OVERLAY = REPO / "examples/pipecat-runner-agent/vstress.ini"


def overlay():
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None,
                                   comment_prefixes=(";",), strict=True)
    cp.optionxform = str  # env.NAME keys keep their case
    cp.read(OVERLAY)
    return cp


def fill(value: str, port: int) -> str:
    return value.replace("${VSTRESS_TARGET_PORT}", str(port))


def test_overlay_settings():
    t = overlay()["target"]
    assert t["mode"] == "launch" and t["telephony"] == "texml" and t["texml_method"] == "POST"
    assert "${VSTRESS_TARGET_PORT}" in t["command"] and "${VSTRESS_TARGET_PORT}" in t["base_url"]
    # the host the runner writes into its TeXML is the one public_url maps
    proxy = re.search(r"-x (\S+)", t["command"]).group(1)
    assert t["public_url"] == f"wss://{proxy}"
    load = overlay()["load"]
    assert (load["calls"], load["concurrency"]) == ("5", "5")
    for sec in ("telnyx", "telnyx:hermetic", "pipeline", "pipeline:hermetic", "load", "load:hermetic"):
        assert overlay()[sec]["provision"] == "false", sec


@pytest.fixture
def launched(tmp_path):
    t = overlay()["target"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARS)}
    env["VSTRESS_TARGET_PORT"] = str(port)
    log = open(tmp_path / "target.log", "w")
    p = subprocess.Popen(["/bin/sh", "-c", fill(t["command"], port)], cwd=REPO / t["cwd"], env=env,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = fill(t["base_url"], port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and p.poll() is None:
            try:
                if httpx.get(base + t["health_path"], timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            log.flush()
            pytest.fail(f"the overlay's command was not healthy: {(tmp_path / 'target.log').read_text()[-2000:]}")
        yield t, base, port
    finally:
        os.killpg(p.pid, signal.SIGTERM)  # vstress stops it with SIGTERM too
        p.wait(15)
        log.close()


def test_the_launched_agent_serves_texml_whose_stream_url_public_url_maps(launched):
    t, base, port = launched
    assert t["texml_url"] == "/"
    url = stream_of(fetch_texml(base, "CA-overlay")).get("url")
    assert url == t["public_url"] + "/ws"
    # the mapped URL is the agent's own /ws: it accepts a WebSocket there
    import asyncio

    import websockets

    async def opens():
        async with websockets.connect(url.replace(t["public_url"], f"ws://127.0.0.1:{port}")):
            return True

    assert asyncio.run(opens())
