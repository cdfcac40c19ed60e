"""asyncpg pool that survives a database outage.

The pool is created lazily: if Postgres is down at start-up the agent still
starts, ``/health`` reports ``degraded`` and the next request that needs the
database tries again.  asyncpg replaces broken connections by itself, so once
Postgres is back the pool recovers without a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import asyncpg

from .settings import Settings

log = logging.getLogger("agent.db")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached right now."""


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._migrated = False
        self.on_first_connect = None  # async callable(Database), e.g. migrations + seeding
        # outage bookkeeping: the first connectivity failure starts an outage,
        # the next success ends it (on_recovered(seconds, failures) is called)
        self.down_since: float | None = None
        self.outage_failures = 0
        self.on_failure = None  # callable(), each connectivity failure
        self.on_recovered = None  # callable(seconds, failures)
        self.on_timeout = None  # callable(), each operation that timed out (connect, acquire, statement)

    async def pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        async with self._lock:
            if self._pool is None:
                try:
                    pool = await asyncio.wait_for(
                        asyncpg.create_pool(
                            self.settings.database_url,
                            min_size=self.settings.db_pool_min,
                            max_size=self.settings.db_pool_max,
                            timeout=self.settings.db_connect_timeout,
                            command_timeout=self.settings.db_command_timeout,
                            init=_init_connection,
                        ),
                        timeout=self.settings.db_connect_timeout + 1,
                    )
                except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as e:
                    self._timed_out(e)
                    raise DatabaseUnavailable(f"{type(e).__name__}: {e}") from e
                self._pool = pool
                if not self._migrated and self.on_first_connect is not None:
                    try:
                        await self.on_first_connect(self)
                        self._migrated = True
                    except Exception:
                        log.exception("start-up migration/seed failed")
        return self._pool

    def _is_connectivity_error(self, e: BaseException) -> bool:
        return isinstance(
            e,
            (
                OSError,
                asyncio.TimeoutError,
                asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.InterfaceError,
                asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.AdminShutdownError,
                asyncpg.exceptions.ConnectionFailureError,
                asyncpg.exceptions.TooManyConnectionsError,
            ),
        )

    async def _run(self, method: str, query: str, *args: Any, timeout: float | None = None):
        try:
            pool = await self.pool()
            async with pool.acquire(timeout=self.settings.db_connect_timeout) as conn:
                out = await getattr(conn, method)(query, *args, timeout=timeout)
        except DatabaseUnavailable:
            self._failed()
            raise
        except Exception as e:
            self._timed_out(e)
            if self._is_connectivity_error(e):
                self._failed()
                raise DatabaseUnavailable(f"{type(e).__name__}: {e}") from e
            raise
        if self.down_since is not None:
            self._recovered()
        return out

    def _timed_out(self, e: BaseException) -> None:
        # asyncpg raises asyncio.TimeoutError for a connect, pool-acquire or
        # statement (command_timeout) that ran out of time
        if isinstance(e, asyncio.TimeoutError) and self.on_timeout is not None:
            self.on_timeout()

    def _failed(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outage_failures = 0
        self.outage_failures += 1
        if self.on_failure is not None:
            self.on_failure()

    def _recovered(self) -> None:
        seconds, failures = time.monotonic() - self.down_since, self.outage_failures
        self.down_since, self.outage_failures = None, 0
        log.warning("database reachable again after %.1f s (%d failed operations)", seconds, failures)
        if self.on_recovered is not None:
            self.on_recovered(seconds, failures)

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        return await self._run("execute", query, *args, timeout=timeout)

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list:
        return await self._run("fetch", query, *args, timeout=timeout)

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None):
        return await self._run("fetchrow", query, *args, timeout=timeout)

    async def fetchval(self, query: str, *args: Any, timeout: float | None = None):
        return await self._run("fetchval", query, *args, timeout=timeout)

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            return await asyncio.wait_for(self.fetchval("SELECT 1"), timeout) == 1
        except Exception as e:  # never crash /health
            log.warning("database ping failed: %s", e)
            return False

    async def try_execute(self, query: str, *args: Any) -> bool:
        """Best-effort write for the call path: log and swallow any failure."""
        try:
            await self.execute(query, *args)
            return True
        except Exception as e:
            log.warning("best-effort write failed (%s): %s", query.split()[0:3], e)
            return False

    def pool_stats(self) -> dict:
        if self._pool is None:
            return {"size": 0, "idle": 0, "min": self.settings.db_pool_min, "max": self.settings.db_pool_max}
        return {
            "size": self._pool.get_size(),
            "idle": self._pool.get_idle_size(),
            "min": self._pool.get_min_size(),
            "max": self._pool.get_max_size(),
        }

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), 5)
            except Exception:
                pool.terminate()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
