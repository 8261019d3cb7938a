"""Units (xã/phường, cơ quan, đoàn thể, doanh nghiệp…).

Units are few (tens to a few hundred per secretariat), so lookups by free text load them all and
match in Python: that is the same on SQLite and PostgreSQL, and ignores case and diacritics the way
a user types on a phone ("ba dinh" finds "Phường Ba Đình").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Campaign,
    CampaignState,
    Nomination,
    NominationStatus,
    Requirement,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.text import fold_text, normalize_code, vn_sort_key

__all__ = ["Change", "UnitRepository"]

#: What an upsert did to a row.
Change = Literal["created", "updated", "unchanged"]

# Words that name the kind of unit rather than the unit ("Phường Ba Đình" is "Ba Đình"), folded.
_NAME_PREFIXES: tuple[str, ...] = (
    "cong ty co phan",
    "cong ty tnhh mtv",
    "cong ty tnhh",
    "cong ty cp",
    "cong ty",
    "cty cp",
    "cty",
    "thi tran",
    "phuong",
    "xa",
    "tt",
    "p",
    "x",
)


def _strip_prefix(folded: str) -> str:
    for prefix in _NAME_PREFIXES:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :]
    return folded


def _match_rank(unit: Unit, query: str) -> int | None:
    """How well ``query`` (already folded) names ``unit``: 0 best, None no match."""
    compact_query = query.replace(" ", "")
    code = fold_text(unit.code).replace(" ", "")
    name = fold_text(unit.name)
    core = _strip_prefix(name)
    if compact_query == code:
        return 0
    if query == name:
        return 1
    if query == core or _strip_prefix(query) == core:
        return 2
    name_words = set(name.split())
    if set(query.split()) <= name_words or f" {query} " in f" {name} ":
        return 3
    if query in name or (len(compact_query) >= 3 and code.startswith(compact_query)):
        return 4
    return None


def _filters(block: str | None, kind: str | None) -> list[ColumnElement[bool]]:
    found = []
    if block is not None:
        found.append(Unit.block == block)
    if kind is not None:
        found.append(Unit.kind == kind)
    return found


class UnitRepository:
    """Reads and writes units; never commits (the caller owns the transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, unit_id: int) -> Unit | None:
        """Return the unit with id ``unit_id``."""
        return await self._s.get(Unit, unit_id)

    async def get_by_code(self, code: str) -> Unit | None:
        """Return the unit whose code is ``code`` (case-insensitive)."""
        stmt = select(Unit).where(func.upper(Unit.code) == normalize_code(code))
        return (await self._s.scalars(stmt)).first()

    async def some_codes(self, n: int) -> list[str]:
        """The codes of ``n`` active units, the first by block then name (an example to type)."""
        rows = await self._s.scalars(
            select(Unit.code)
            .where(Unit.deactivated_at.is_(None))
            .order_by(Unit.block.is_(None), Unit.block, Unit.name, Unit.id)
            .limit(n)
        )
        return list(rows)

    async def names(self, unit_ids: Iterable[int]) -> dict[int, str]:
        """{unit id: name} of the units ``unit_ids`` names (a few: a card's history)."""
        wanted = sorted(set(unit_ids))
        if not wanted:
            return {}
        rows = await self._s.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))
        return dict(rows.tuples().all())

    async def by_codes(self, codes: list[str]) -> dict[str, Unit]:
        """Return {normalized code: unit} for the codes that exist."""
        wanted = {normalize_code(c) for c in codes}
        if not wanted:
            return {}
        rows = await self._s.scalars(select(Unit).where(func.upper(Unit.code).in_(wanted)))
        return {normalize_code(u.code): u for u in rows}

    async def last_id(self) -> int:
        """The highest unit id (0 when there is no unit): where a walk of the units' ids ends."""
        return int(await self._s.scalar(select(func.max(Unit.id))) or 0)

    async def list_all(self, *, block: str | None = None, kind: str | None = None) -> list[Unit]:
        """Return every unit (of ``block``, of ``kind``) by block (none last), then by name.

        Both orders follow the Vietnamese alphabet, independent of the database collation.
        """
        units = list(await self._s.scalars(select(Unit).where(*_filters(block, kind))))
        units.sort(
            key=lambda u: (u.block is None, vn_sort_key(u.block or ""), vn_sort_key(u.name), u.id)
        )
        return units

    async def count(self, *, block: str | None = None, kind: str | None = None) -> int:
        """How many units there are (of ``block``, of ``kind``), retired ones included."""
        query = select(func.count()).select_from(Unit).where(*_filters(block, kind))
        return int(await self._s.scalar(query) or 0)

    async def counts_by(self, column: Literal["block", "kind"]) -> dict[str, int]:
        """How many units (retired ones too) there are of each block or kind (none: left out).

        One grouped count: the audience menus of an announcement ask it at every step, and a
        province has thousands of units.
        """
        field = Unit.block if column == "block" else Unit.kind
        rows = await self._s.execute(
            select(field, func.count()).where(field.is_not(None)).group_by(field)
        )
        return {str(value): int(n) for value, n in rows.tuples() if value}

    async def search(self, query: str, limit: int = 5) -> list[Unit]:
        """Return the units ``query`` may mean, best first.

        ``query`` may be a code ("P-BADINH", "p badinh") or a name in any case, with or without
        diacritics and with or without the kind word ("ba dinh", "Phường Ba Đình").

        Args:
            query: What the user typed.
            limit: At most this many units.

        Returns:
            Matching units, best match first, ties in :meth:`list_all` order.
        """
        folded = fold_text(query)
        if not folded:
            return []
        ranked: list[tuple[int, int, Unit]] = []
        for index, unit in enumerate(await self.list_all()):
            rank = _match_rank(unit, folded)
            if rank is not None:
                ranked.append((rank, index, unit))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [unit for _, _, unit in ranked[:limit]]

    async def find(self, query: str) -> Unit | None:
        """Return the one unit ``query`` names, or None when there is none or it is ambiguous.

        The best kind of match decides: an exact code beats an exact name, which beats a name
        without its kind word, which beats a partial name. Two units matching equally well make
        the answer ambiguous (use :meth:`search` to offer a choice).
        """
        folded = fold_text(query)
        if not folded:
            return None
        best_rank: int | None = None
        best: list[Unit] = []
        for unit in await self.list_all():
            rank = _match_rank(unit, folded)
            if rank is None:
                continue
            if best_rank is None or rank < best_rank:
                best_rank, best = rank, [unit]
            elif rank == best_rank:
                best.append(unit)
        return best[0] if len(best) == 1 else None

    async def upsert(
        self,
        *,
        code: str,
        name: str,
        kind: str,
        block: str | None = None,
        staff_count: int | None = None,
    ) -> tuple[Unit, Change]:
        """Insert the unit with ``code`` or update it in place.

        Args:
            code: Unit code; stored trimmed and upper-case.
            name: Full name ("Phường Ba Đình").
            kind: A code of :data:`handlers.domain.vocab.UNIT_KINDS`.
            block: Emulation block or cluster (khối/cụm thi đua).
            staff_count: Number of staff (số cán bộ/biên chế).

        Returns:
            The unit and what happened to it.
        """
        values: dict[str, object] = {
            "name": name.strip(),
            "kind": kind,
            "block": block.strip() if block and block.strip() else None,
            "staff_count": staff_count,
        }
        unit = await self.get_by_code(code)
        if unit is None:
            unit = Unit(code=normalize_code(code), **values)
            self._s.add(unit)
            await self._s.flush()
            return unit, "created"
        changed = False
        for field, value in values.items():
            if getattr(unit, field) != value:
                setattr(unit, field, value)
                changed = True
        if changed:
            await self._s.flush()
        return unit, "updated" if changed else "unchanged"

    async def pending_count(self, unit_id: int) -> int:
        """Items of the unit awaiting review in active campaigns (submissions, nominations)."""
        active = select(Campaign.id).where(Campaign.state == CampaignState.ACTIVE)
        subs = await self._s.scalar(
            select(func.count())
            .select_from(Submission)
            .join(Requirement, Requirement.id == Submission.requirement_id)
            .where(
                Submission.unit_id == unit_id,
                Submission.is_current,
                Submission.status == SubmissionStatus.SUBMITTED,
                Requirement.campaign_id.in_(active),
            )
        )
        noms = await self._s.scalar(
            select(func.count())
            .select_from(Nomination)
            .where(
                Nomination.unit_id == unit_id,
                Nomination.status == NominationStatus.SUBMITTED,
                Nomination.campaign_id.in_(active),
            )
        )
        return int(subs or 0) + int(noms or 0)
