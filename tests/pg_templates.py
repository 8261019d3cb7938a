"""PostgreSQL test schemas from templates: migrate once per worker, copy per test.

PostgreSQL cannot copy a schema, and running the Alembic chain in every test's schema costs
about half a second. So each xdist worker migrates one template schema, takes its ``pg_dump``
(the schema exactly as the migrations left it, ``alembic_version`` row included) and replays that
script into each test's schema in one round trip. The demo's rows are copied the same way: a
worker loads the demo once per moment into a schema of its own and each test that asks for the
demo gets ``INSERT … SELECT`` of every table (in foreign-key order) and its sequences' positions.

Without ``pg_dump`` on the PATH the tests migrate every schema as before (slower, same result).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.db import make_engine
from storage.models import Base

__all__ = ["PgTemplates", "asyncpg_dsn"]

_log = logging.getLogger(__name__)

#: Stands for the target schema's name in a template script.
_PLACEHOLDER = "__tdkt_target_schema__"
#: Connection settings of every test connection: commits need not wait for the disk
#: (other sessions still see them at once; only a crash of the server itself could lose them).
FAST_COMMITS = {"synchronous_commit": "off"}


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN of a SQLAlchemy URL, for asyncpg and ``pg_dump``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _run(url: str, script: str) -> None:
    """Run a multi-statement ``script`` on a connection of its own (simple query protocol)."""
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings=FAST_COMMITS)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


def _script_of_dump(dump: str, schema: str) -> str:
    """``pg_dump``'s output for ``schema`` as a script that fills an existing schema."""
    kept = []
    for line in dump.splitlines():
        if line.startswith("\\"):  # psql meta-commands (\restrict …)
            continue
        if line.startswith("SELECT pg_catalog.set_config('search_path'"):
            continue
        if line == f"CREATE SCHEMA {schema};":
            continue
        kept.append(line)
    # The schema's name is a lower-case identifier, never quoted by pg_dump.
    return re.sub(rf"\b{re.escape(schema)}\b", _PLACEHOLDER, "\n".join(kept))


@dataclass
class PgTemplates:
    """One xdist worker's template schemas on ``url`` (dropped by :meth:`drop_all`)."""

    url: str
    _schema_script: str | None = None
    _dump_failed: bool = False
    _demo_schemas: dict[str, str] = field(default_factory=dict)
    _created: list[str] = field(default_factory=list)

    @staticmethod
    def available() -> bool:
        """Whether ``pg_dump`` can be run (otherwise the tests migrate each schema)."""
        return shutil.which("pg_dump") is not None

    def _engine(self, schema: str) -> AsyncEngine:
        return make_engine(
            self.url, connect_args={"server_settings": {"search_path": schema, **FAST_COMMITS}}
        )

    async def _new_schema(self, prefix: str) -> str:
        schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
        await _run(self.url, f'CREATE SCHEMA "{schema}"')
        self._created.append(schema)
        return schema

    async def _dump_script(self) -> str:
        if self._schema_script is None:
            schema = await self._new_schema("tdkt_tmpl")
            engine = self._engine(schema)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()
            url = make_url(self.url)
            env = {**os.environ}
            if url.password:
                env["PGPASSWORD"] = str(url.password)
            done = await asyncio.to_thread(
                subprocess.run,
                [
                    "pg_dump",
                    "--no-owner",
                    "--no-privileges",
                    "--inserts",
                    "--schema",
                    schema,
                    "--host",
                    url.host or "127.0.0.1",
                    "--port",
                    str(url.port or 5432),
                    "--username",
                    url.username or "postgres",
                    url.database or "postgres",
                ],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            self._schema_script = _script_of_dump(done.stdout, schema)
        return self._schema_script

    async def migrate(self, schema: str) -> None:
        """Bring the empty ``schema`` to Alembic head, as the migrations would.

        If ``pg_dump`` fails (say, older than the server), the migrations run in ``schema``.
        """
        if not self._dump_failed:
            try:
                script = await self._dump_script()
            except (OSError, subprocess.SubprocessError) as error:
                _log.warning("pg_dump failed, migrating each schema: %s", error)
                self._dump_failed = True
            else:
                await _run(self.url, script.replace(_PLACEHOLDER, schema))
                return
        engine = self._engine(schema)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    async def copy_demo(
        self, schema: str, moment: str, load: Callable[[AsyncEngine], Awaitable[None]]
    ) -> None:
        """Fill ``schema`` (at head, empty) with the demo as ``load`` leaves it at ``moment``."""
        source = self._demo_schemas.get(moment)
        if source is None:
            source = await self._new_schema("tdkt_demo")
            await self.migrate(source)
            engine = self._engine(source)
            try:
                await load(engine)
            finally:
                await engine.dispose()
            self._demo_schemas[moment] = source
        statements = [
            f'INSERT INTO "{schema}"."{table.name}" SELECT * FROM "{source}"."{table.name}";'
            for table in Base.metadata.sorted_tables
        ]
        conn = await asyncpg.connect(asyncpg_dsn(self.url), server_settings=FAST_COMMITS)
        try:
            sequences = await conn.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = $1", source
            )
            statements += [
                f'SELECT setval(\'"{schema}"."{name}"\', last_value, is_called)'
                f' FROM "{source}"."{name}";'
                for name in (row["sequencename"] for row in sequences)
            ]
            await conn.execute("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;")
        finally:
            await conn.close()

    async def drop_all(self) -> None:
        """Drop every template schema this worker made."""
        if self._created:
            drops = "".join(f'DROP SCHEMA IF EXISTS "{s}" CASCADE;' for s in self._created)
            await _run(self.url, drops)
            self._created.clear()
