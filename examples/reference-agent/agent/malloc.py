"""The C allocator's arenas: fewer of them, so freed native memory is reused.

glibc gives each thread that allocates its own arena (up to 8 per core).  The
agent's native allocations (numpy buffers of VAD and Smart Turn, audio
resampling, asyncpg and websockets buffers) happen on the event loop and on
Pipecat's executor threads, so a call's memory is freed into whichever arena
its thread used, and the next call's thread may not reuse it.  Measured with
vstress's resources phase (60 calls, 5 at once, this repository's hermetic
world): RSS grew about 60 MB and kept climbing with the default arenas; with
two arenas it grew 21 MB over the first 30 calls and then stayed flat.

``limit_arenas`` must run before the process starts its threads (the first
lines of ``python -m agent``).  On a C library without ``mallopt`` (not
glibc) it does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("agent.malloc")

M_ARENA_MAX = -8  # <malloc.h>


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    return lib if hasattr(lib, "mallopt") else None


def limit_arenas(n: int) -> bool:
    """At most ``n`` malloc arenas in this process (0: leave the C library's default).
    True when the limit was set."""
    if n <= 0:
        return False
    lib = _libc()
    if lib is None:
        log.info("MALLOC_ARENAS=%d not applied: the C library has no mallopt", n)
        return False
    lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.mallopt.restype = ctypes.c_int
    return lib.mallopt(M_ARENA_MAX, n) == 1
