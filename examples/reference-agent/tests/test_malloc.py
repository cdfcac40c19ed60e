"""agent/malloc.py: MALLOC_ARENAS bounds the C allocator's arenas of the process.

Each case runs in a fresh interpreter (the limit must precede the threads), starts
eight threads that allocate at once and counts the heaps glibc's malloc_info reports.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from agent.malloc import _libc

PROBE = textwrap.dedent(
    """
    import ctypes, os, sys, tempfile, threading
    from agent.malloc import limit_arenas
    n = int(sys.argv[1])
    applied = limit_arenas(n)
    go = threading.Barrier(8)
    def work():
        go.wait()
        keep = [bytes(65536) for _ in range(64)]  # malloc'd (above pymalloc's 512 bytes, below mmap's threshold)
        del keep
    ts = [threading.Thread(target=work) for _ in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    fd, path = tempfile.mkstemp()
    os.close(fd)
    fp = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    xml = open(path).read()
    os.unlink(path)
    print(int(applied), xml.count("<heap nr="))
    """
)


def heaps(n: int) -> tuple[int, int]:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", PROBE, str(n)], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    return int(out[0]), int(out[1])


needs_glibc = pytest.mark.skipif(_libc() is None or not hasattr(_libc(), "malloc_info"),
                                 reason="not glibc: no mallopt/malloc_info")


@needs_glibc
def test_two_arenas_for_eight_allocating_threads():
    applied, n = heaps(2)
    assert applied == 1
    assert n <= 2, f"{n} heaps with MALLOC_ARENAS=2"


@needs_glibc
def test_default_gives_threads_their_own_arenas():
    # what the limit is for: without it the same threads spread over more arenas
    applied, n = heaps(0)
    assert applied == 0
    assert n > 2, f"{n} heaps without a limit"


def test_setting_default_and_override(monkeypatch):
    from agent.settings import load_settings

    monkeypatch.delenv("MALLOC_ARENAS", raising=False)
    assert load_settings().malloc_arenas == 2
    monkeypatch.setenv("MALLOC_ARENAS", "0")
    assert load_settings().malloc_arenas == 0
