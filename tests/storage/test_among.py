"""storage.among: ``column IN (a list)`` with the list bound as one parameter.

Runs on SQLite, and on PostgreSQL with ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

from sqlalchemy import and_, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.among import among
from storage.models import Unit

SF = async_sessionmaker[AsyncSession]

_CODES = ("A1", "b'2", 'Đ"3', "X 4", "a1", "")


async def _units(session_factory: SF) -> dict[str, int]:
    async with session_factory.begin() as s:
        units = [Unit(code=c or "EMPTY", name=f"Đơn vị {c}", kind="co_quan") for c in _CODES]
        s.add_all(units)
        await s.flush()
        return {u.code: u.id for u in units}


async def test_the_same_units_as_in(session_factory: SF) -> None:
    ids = await _units(session_factory)
    lists = [
        ["A1"],
        ["b'2", 'Đ"3', "nope"],
        ["a1", "X 4", "A1", "A1"],
        [*(f"K{i}" for i in range(600)), "EMPTY"],
        [],
        ["%", "A_"],
    ]
    async with session_factory() as s:
        for codes in lists:  # one statement (cached), each list bound as its own value
            got = set(await s.scalars(select(Unit.id).where(among(Unit.code, codes))))
            assert got == set(await s.scalars(select(Unit.id).where(Unit.code.in_(codes))))
            assert got == {ids[c] for c in codes if c in ids}


async def test_within_other_conditions(session_factory: SF) -> None:
    ids = await _units(session_factory)
    async with session_factory() as s:
        either = or_(and_(true(), among(Unit.code, ["A1"])), Unit.code == "X 4")
        assert set(await s.scalars(select(Unit.id).where(either))) == {ids["A1"], ids["X 4"]}
        others = select(Unit.id).where(not_(among(Unit.code, ["A1", "a1"])))
        assert set(await s.scalars(others)) == set(ids.values()) - {ids["A1"], ids["a1"]}
