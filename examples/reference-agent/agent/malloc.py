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

``release_free`` hands the pages the allocator holds free back to the
system (glibc's ``malloc_trim``).  glibc gives back only the free memory at
the top of a heap, and only when a free makes it large enough; a call's
buffers freed below a block still in use stay resident.  So whether a
finished call's memory left the process depended on the order of its frees:
vstress's resources phase saw the same idle agent at 307 MB in one run and
321 MB in another, and a long call's 7 MB still resident after it ended.
The agent calls it when its last active call ends (``MALLOC_TRIM_IDLE``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time

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


def release_free() -> bool:
    """Returns the allocator's free pages to the system; True when some were."""
    lib = _libc()
    if lib is None or not hasattr(lib, "malloc_trim"):
        return False
    lib.malloc_trim.argtypes = [ctypes.c_size_t]
    lib.malloc_trim.restype = ctypes.c_int
    return lib.malloc_trim(0) == 1


def freeze_startup() -> int:
    """After start-up: collects once, then moves every object left (modules,
    models, SDK clients) out of the collector's sight, so that a full
    collection walks only what calls created (``release_idle`` and the
    collector's own passes during calls).  The objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def release_idle() -> float:
    """With no call left: collects the garbage cycles (a finished pipeline's
    processors refer to each other, so they wait for the cyclic collector)
    and returns the free pages.  The seconds it took."""
    t0 = time.monotonic()
    gc.collect()
    release_free()
    return time.monotonic() - t0


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
