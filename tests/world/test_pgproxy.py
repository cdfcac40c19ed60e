"""The TCP fault proxy in front of Postgres (here an echo upstream):
pass-through, latency, stall, cut every connection, refuse new ones."""
import socket
import time

import pytest

from conftest import URLS


def addr():
    pg = URLS["standins"].get("postgres")
    if not pg:
        pytest.skip("no postgres proxy")
    return ("127.0.0.1", pg["port"])


def roundtrip(s, data=b"SELECT 1"):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        got += chunk
    return got


def test_pass_through():
    with socket.create_connection(addr(), timeout=3) as s:
        assert roundtrip(s) == b"SELECT 1"
        assert roundtrip(s, b"x" * 200000) == b"x" * 200000


def test_latency_both_ways(control):
    control.fault(target="postgres", kind="latency", ms=150)
    with socket.create_connection(addr(), timeout=3) as s:
        t0 = time.monotonic()
        roundtrip(s)
        assert time.monotonic() - t0 >= 0.28  # 150 ms each way (ms clock)


def test_stall(control):
    control.fault(target="postgres", kind="stall")
    with socket.create_connection(addr(), timeout=0.5) as s:
        s.sendall(b"ping")
        with pytest.raises(socket.timeout):
            s.recv(10)


def test_cut_resets_open_connections(control):
    with socket.create_connection(addr(), timeout=3) as s:
        assert roundtrip(s) == b"SELECT 1"
        control.fault(target="postgres", kind="cut", window_ms=300)
        time.sleep(0.3)
        with pytest.raises((ConnectionError, OSError)):
            roundtrip(s)


def test_refuse_new_connections(control):
    control.fault(target="postgres", kind="refuse", window_ms=500)
    time.sleep(0.25)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(addr(), timeout=1)
    time.sleep(0.5)
    with socket.create_connection(addr(), timeout=3) as s:
        assert roundtrip(s) == b"SELECT 1"
