"""Who a notice or an announcement reaches: an audience's units and their accounts, in SQL.

An audience is a condition on :class:`Unit` (every unit, a block, a kind, the units a campaign
applies to, the units that still owe a requirement); its units and the linked accounts of their
heads and members are read as plain rows, however many (a province has thousands of units):
no ORM object per unit or account, no per-unit query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.queries.stats import rules
from handlers.queries.stats.owing import owing_select, unit_columns
from handlers.queries.stats.results import UnitFilter, UnitRef
from storage.models import ChatAccount, Person, Requirement, Role, Unit
from storage.repositories.campaigns import CampaignRepository
from storage.text import vn_sort_key

__all__ = [
    "UNIT_ROLES",
    "Addressee",
    "BlockReach",
    "Where",
    "addressees",
    "applies_to",
    "audience_where",
    "count_units",
    "of_units",
    "owing",
    "reach_by_block",
    "units_where",
    "without_linked_head",
]

#: Who receives announcements and notices: the people of units.
UNIT_ROLES = (Role.UNIT_HEAD, Role.UNIT_MEMBER)

#: Which units: a condition on :class:`Unit` (services pass it along without building SQL).
Where = ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Addressee:
    """One linked account of a unit's head or member: a copy of a notice goes to it."""

    account_id: int
    channel: str
    #: The chat to write to ("" when not known yet).
    chat_id: str
    #: Whether the bot can write to it (chat known, not marked unreachable).
    reachable: bool
    unit_id: int
    unit_name: str


def applies_to(reqs: Sequence[Requirement]) -> ColumnElement[bool]:
    """The active units at least one of ``reqs`` applies to (``progress.applies`` in SQL)."""
    if not reqs:
        return false()
    return and_(
        Unit.deactivated_at.is_(None), or_(*(and_(true(), *rules.unit_rule(r)) for r in reqs))
    )


def of_units(unit_ids: Iterable[int]) -> Where:
    """The units ``unit_ids`` names (a few: a unit, the units listed for a gia hạn)."""
    return Unit.id.in_(sorted(set(unit_ids)))


async def audience_where(session: AsyncSession, audience: Mapping[str, Any]) -> Where:
    """The units an audience names (its shapes: :mod:`handlers.services.notices`).

    ``late`` names the active units that still owe the requirement (missing, partial or
    returned: its "chưa nộp" list, as it stands); ``campaign`` the active units a requirement of
    the campaign applies to; ``all``, ``block`` and ``unit_kind`` every unit (retired ones too)
    of that kind.

    Raises:
        ValueError: ``audience`` is not one of the shapes.
    """
    kind = audience.get("kind")
    campaigns = CampaignRepository(session)
    if kind == "late":
        req = await campaigns.requirement(int(audience["requirement_id"]))
        campaign = await campaigns.get(req.campaign_id) if req is not None else None
        if req is None or campaign is None:
            return false()
        return owing(req, ZoneInfo(campaign.timezone))
    if kind == "campaign":
        return applies_to(await campaigns.requirements_for(int(audience["campaign_id"])))
    if kind == "all":
        return true()
    if kind == "block":
        return Unit.block == str(audience["value"])
    if kind == "unit_kind":
        return Unit.kind == str(audience["value"])
    raise ValueError(f"unknown audience {dict(audience)!r}")


def owing(req: Requirement, tz: ZoneInfo) -> ColumnElement[bool]:
    """The active units that still owe ``req`` (missing, partial or returned), as its list."""
    found = owing_select([req], tz, UnitFilter(), active_only=True)
    if found is None:
        return false()
    return Unit.id.in_(select(found.subquery().c.uid))


async def units_where(session: AsyncSession, where: ColumnElement[bool]) -> list[UnitRef]:
    """The units ``where`` names, in :meth:`UnitRepository.list_all`'s order."""
    rows = await session.execute(select(*unit_columns()).where(where))
    return sorted((rules.unit_ref(row) for row in rows), key=UnitRef.sort_key)


async def count_units(session: AsyncSession, where: ColumnElement[bool]) -> int:
    """How many units ``where`` names."""
    return int(await session.scalar(select(func.count()).select_from(Unit).where(where)) or 0)


async def addressees(session: AsyncSession, where: ColumnElement[bool]) -> list[Addressee]:
    """The linked accounts of the heads and members of the units ``where`` names.

    Unreachable accounts are included (a copy to them is recorded as blocked at once).

    Returns:
        By unit name (Vietnamese order), unit, person name, person and account.
    """
    rows = await session.execute(
        select(
            ChatAccount.id,
            ChatAccount.channel,
            ChatAccount.chat_id,
            ChatAccount.unreachable_at,
            Unit.id,
            Unit.name,
            Person.id,
            Person.full_name,
        )
        .join(Person, Person.id == ChatAccount.person_id)
        .join(Unit, Unit.id == Person.unit_id)
        .where(Person.role.in_(UNIT_ROLES), Person.removed_at.is_(None), where)
    )
    keys: dict[str, tuple[Any, ...]] = {}  # a unit's name is on each of its accounts' rows

    def key(text: str) -> tuple[Any, ...]:
        found = keys.get(text)
        if found is None:
            found = keys[text] = vn_sort_key(text)
        return found

    found = sorted(rows.tuples(), key=lambda r: (key(r[5]), r[4], key(r[7]), r[6], r[0]))
    return [
        Addressee(
            account_id,
            channel,
            chat_id or "",
            unreachable_at is None and bool(chat_id),
            unit_id,
            unit_name,
        )
        for account_id, channel, chat_id, unreachable_at, unit_id, unit_name, _, _ in found
    ]


@dataclass(frozen=True, slots=True)
class BlockReach:
    """How the units of one block (khối/cụm; None: none) can be reached."""

    block: str | None
    #: Units followed (not retired).
    active: int
    #: Of those, units someone of which the bot can write to.
    reachable: int
    #: Retired units.
    retired: int


async def reach_by_block(session: AsyncSession) -> list[BlockReach]:
    """Per block, the units followed, reachable and retired, in one grouped count.

    A province's /donvi, where a line per unit would be thousands; blocks in Vietnamese order,
    units without a block last.
    """
    reachable = exists(
        select(ChatAccount.id)
        .join(Person, Person.id == ChatAccount.person_id)
        .where(
            Person.unit_id == Unit.id,
            Person.role.in_(UNIT_ROLES),
            Person.removed_at.is_(None),
            ChatAccount.chat_id.is_not(None),
            ChatAccount.unreachable_at.is_(None),
        )
    )
    active = Unit.deactivated_at.is_(None)
    rows = await session.execute(
        select(
            Unit.block,
            func.sum(case((active, 1), else_=0)),
            func.sum(case((and_(active, reachable), 1), else_=0)),
            func.sum(case((active, 0), else_=1)),
        ).group_by(Unit.block)
    )
    found = [BlockReach(b, int(a or 0), int(r or 0), int(x or 0)) for b, a, r, x in rows.tuples()]
    return sorted(found, key=lambda f: (f.block is None, vn_sort_key(f.block or "")))


async def without_linked_head(session: AsyncSession) -> list[UnitRef]:
    """The followed units (not retired) whose head has no linked chat account, in order.

    Plain rows (a province may have hundreds of them); :meth:`UnitRepository.list_all`'s order.
    """
    head = exists(
        select(ChatAccount.id)
        .join(Person, Person.id == ChatAccount.person_id)
        .where(
            Person.unit_id == Unit.id,
            Person.role == Role.UNIT_HEAD,
            Person.removed_at.is_(None),
        )
    )
    return await units_where(session, and_(Unit.deactivated_at.is_(None), ~head))
