"""Apply pending SQL migrations from agent/migrations (``python -m agent.migrate``).

Each ``NNN_name.sql`` file runs once, inside a transaction, and is recorded in
``schema_migrations(version, name, checksum, applied_at)``.  A Postgres advisory
lock serialises concurrent runs (several agent processes starting together).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_406_500_112  # arbitrary, constant

log = logging.getLogger("agent.migrate")


def migration_files() -> list[tuple[str, str, Path]]:
    out = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        version, _, name = p.stem.partition("_")
        out.append((version, name, p))
    return out


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations on one connection; return the versions applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version     TEXT PRIMARY KEY,
                   name        TEXT NOT NULL,
                   checksum    TEXT NOT NULL,
                   applied_at  TIMESTAMPTZ NOT NULL DEFAULT now())"""
        )
        done = {r["version"]: r["checksum"] for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")}
        for version, name, path in migration_files():
            sql = path.read_text()
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version] != checksum:
                    log.warning("migration %s_%s changed after it was applied", version, name)
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    version, name, checksum,
                )
            log.info("applied migration %s_%s", version, name)
            applied_now.append(version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def migrate_url(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


def main() -> int:
    from .settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = load_settings()
    applied = asyncio.run(migrate_url(s.database_url))
    total = len(migration_files())
    print(f"migrations: {len(applied)} applied now, {total} total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
