"""at_head: the start-up's shortcut past Alembic agrees with Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.schema_head import VERSIONS_DIR, at_head, script_heads


def test_the_scripts_have_one_head_that_alembic_agrees_with() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite+aiosqlite://"))
    assert script_heads() == set(scripts.get_heads())
    assert len(script_heads()) == 1


def test_a_second_head_or_an_unreadable_header_means_ask_alembic(tmp_path: Path) -> None:
    for script in VERSIONS_DIR.glob("*.py"):
        (tmp_path / script.name).write_text(script.read_text(encoding="utf-8"), "utf-8")
    (tmp_path / "9998_branch.py").write_text('revision = "9998"\ndown_revision = "0001"\n')
    assert len(script_heads(tmp_path)) == 2
    (tmp_path / "9999_odd.py").write_text("REVISION = 'x'\n")
    assert script_heads(tmp_path) == set()


async def test_at_head_only_when_the_database_is(engine: AsyncEngine) -> None:
    assert await at_head(engine)  # the fixture's schema is at head
    (head,) = script_heads()
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert not await at_head(engine)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE alembic_version"))
    assert not await at_head(engine)  # a database Alembic never saw
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    assert await at_head(engine)
