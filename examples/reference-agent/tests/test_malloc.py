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


TRIM_PROBE = textwrap.dedent(
    """
    import os, sys
    from agent.malloc import release_free
    def rss():
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    blocks = [bytes(1024) for _ in range(100000)]  # ~100 MB malloc'd, above pymalloc's 512 bytes
    keep = blocks[::64]  # one block in 64 stays: the heap's top never frees, glibc keeps the rest
    del blocks
    before = rss()
    released = release_free() if sys.argv[1] == "1" else False
    print(int(released), before, rss())
    """
)


def trimmed(release: bool) -> tuple[bool, int, int]:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", TRIM_PROBE, "1" if release else "0"], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()
    return out[0] == "1", int(out[1]), int(out[2])


@needs_glibc
def test_free_memory_below_a_live_block_stays_resident():
    # the premise: glibc gives back only the top of a heap, so these frees leave RSS where it was
    released, before, after = trimmed(False)
    assert not released
    assert after > before - 10_000_000, (before, after)


@needs_glibc
def test_release_free_returns_it():
    released, before, after = trimmed(True)
    assert released
    assert after < before - 50_000_000, (before, after)  # most of the ~98 MB freed


def test_release_setting_default_and_override(monkeypatch):
    from agent.settings import load_settings

    monkeypatch.delenv("MALLOC_TRIM_IDLE", raising=False)
    assert load_settings().malloc_trim_idle is True
    monkeypatch.setenv("MALLOC_TRIM_IDLE", "false")
    assert load_settings().malloc_trim_idle is False


FREEZE_PROBE = textwrap.dedent(
    """
    import gc
    from agent.malloc import freeze_startup, release_idle
    startup = [[i] for i in range(50000)]  # survives start-up: frozen
    n = freeze_startup()
    class Node:
        pass
    a, b = Node(), Node()
    a.peer, b.peer = b, a  # a cycle made after start-up, then dropped
    del a, b
    took = release_idle()
    print(n, gc.get_freeze_count(), sum(isinstance(o, Node) for o in gc.get_objects()), took)
    """
)


def test_frozen_start_up_and_cycles_after_it_collected():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", FREEZE_PROBE], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    frozen, count, nodes = int(out[0]), int(out[1]), int(out[2])
    assert frozen >= 50000 and count == frozen
    assert nodes == 0  # the cycle made after the freeze is still collected
