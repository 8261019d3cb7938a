"""Importing a bulk list (nominations or delegates) checked row by row: all or nothing.

The rows come checked (:mod:`handlers.io.bulk_rows`); this use case reads what the unit
already has (for duplicates), applies the campaign's rules to the whole file (delegates: the
unit's quota and the upper conference's cap, as if each row were added through the wizard) and
writes every entry in the caller's transaction, each an ordinary nomination or delegate,
audit-logged like one made through the wizard (with ``source: "xlsx"`` and the row), plus one
summary row. Rows go in with a few multi-row INSERTs (10 000 rows in well under a second), not one
ORM flush per row. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.delegate_rules import ACTIVE, DelegateRules, Finding, add_refusal
from handlers.io.bulk_rows import Entry
from handlers.io.bulk_sheet import BulkKind
from storage.models import (
    AuditLog,
    Delegate,
    DelegateCategory,
    Nomination,
    NominationStatus,
    SubjectKind,
    Unit,
)
from storage.repositories.delegates import DelegateRepository

__all__ = [
    "Actor",
    "delegate_refusal",
    "existing_people",
    "import_delegates",
    "import_nominations",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who imports, for which unit, and when."""

    person_id: int
    unit: Unit
    now: dt.datetime


async def existing_people(
    session: AsyncSession, kind: BulkKind, campaign_id: int, unit_id: int
) -> list[tuple[str, int | None]]:
    """(name, birth year) of the unit's current list: nominations in play, or active delegates."""
    if kind is BulkKind.DELEGATES:
        rows = await session.execute(
            select(Delegate.full_name, Delegate.birth_year).where(
                Delegate.campaign_id == campaign_id,
                Delegate.unit_id == unit_id,
                Delegate.status == ACTIVE,
            )
        )
    else:
        rows = await session.execute(
            select(Nomination.full_name, Nomination.birth_year).where(
                Nomination.campaign_id == campaign_id,
                Nomination.unit_id == unit_id,
                Nomination.status != NominationStatus.WITHDRAWN,
            )
        )
    return [(name, year) for name, year in rows.all()]


@dataclass(frozen=True, slots=True)
class _Seat:
    """A delegate as the rules count them (an entry not yet stored)."""

    category: str
    gender: str
    in_presidium: bool
    status: str = ACTIVE


def delegate_refusal(
    rules: DelegateRules,
    unit: Unit,
    current: Sequence[Delegate],
    entries: Sequence[Entry],
    campaign_total: int,
) -> tuple[Entry, Finding] | None:
    """The first entry the wizard would refuse (over the quota or the cap), with why; or None."""
    listed: list[Delegate | _Seat] = list(current)
    for added, entry in enumerate(entries):
        refusal = add_refusal(rules, unit, listed, campaign_total=campaign_total + added)
        if refusal is not None:
            return entry, refusal
        v = entry.values
        listed.append(_Seat(str(v["category"]), str(v["gender"]), bool(v["presidium"])))
    return None


def _audit_rows(
    actor: Actor, action: str, entity: str, ids: Sequence[int], details: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "at": actor.now,
            "person_id": actor.person_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "detail": {"unit": actor.unit.code, "source": "xlsx", **detail},
        }
        for entity_id, detail in zip(ids, details, strict=True)
    ]


async def _insert(
    session: AsyncSession, model: type[Nomination] | type[Delegate], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` and return their ids, in order.

    One executemany without RETURNING (with it, SQLite goes row by row); the ids are those of
    the rows this unit's actor created at this moment.
    """
    if not rows:
        return []
    await session.execute(insert(model), rows)
    first = rows[0]
    ids = await session.scalars(
        select(model.id)
        .where(
            model.unit_id == first["unit_id"],
            model.campaign_id == first["campaign_id"],
            model.created_by == first["created_by"],
            model.created_at == first["created_at"],
        )
        .order_by(model.id.desc())
        .limit(len(rows))
    )
    return sorted(ids)


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    ids: Sequence[int],
    entries: Sequence[Entry],
    summary: tuple[str, str, int],
) -> None:
    """One audit row per stored entry (as the wizard writes), then the import's own row."""
    details = [
        {"row": e.row, **{k: v for k, v in e.values.items() if k != "subject"}} for e in entries
    ]
    rows = _audit_rows(actor, action, entity, ids, details)
    summary_action, summary_entity, summary_id = summary
    rows += _audit_rows(actor, summary_action, summary_entity, [summary_id], [{"count": len(ids)}])
    await session.execute(insert(AuditLog), rows)


async def import_nominations(
    session: AsyncSession,
    actor: Actor,
    *,
    campaign_id: int,
    requirement_id: int,
    entries: Sequence[Entry],
    award_names: Mapping[str, str],
) -> list[int]:
    """Store every entry as a submitted nomination (editable and reviewable as any other).

    Args:
        session: The message's transaction.
        actor: Who imports, for which unit, when.
        campaign_id: The campaign.
        requirement_id: The nomination round (a ``nomination_list`` requirement).
        entries: The checked entries (:func:`handlers.io.bulk_rows.check_nominations`).
        award_names: Award code → name (stored beside the code, as the wizard does).

    Returns:
        The new nominations' ids, in file order.
    """
    rows = [
        {
            "campaign_id": campaign_id,
            "requirement_id": requirement_id,
            "unit_id": actor.unit.id,
            "subject": SubjectKind(entry.subject),
            "full_name": entry.values["name"],
            "gender": entry.values.get("gender"),
            "birth_year": entry.values.get("birth_year"),
            "position": entry.values.get("position"),
            "award_code": entry.values["award"],
            "award_name": award_names.get(entry.values["award"], entry.values["award"]),
            "summary": entry.values["summary"],
            "file_id": None,
            "status": NominationStatus.SUBMITTED,
            "created_by": actor.person_id,
            "created_at": actor.now,
            "updated_at": actor.now,
        }
        for entry in entries
    ]
    ids = await _insert(session, Nomination, rows)
    summary = ("nomination.import", "requirement", requirement_id)
    await _audit(session, actor, "nomination.create", "nomination", ids, entries, summary)
    return ids


async def import_delegates(
    session: AsyncSession, actor: Actor, *, campaign_id: int, entries: Sequence[Entry]
) -> list[int]:
    """Store every entry on the unit's delegate list (the caller checked the quota first).

    The campaign's row is locked first, so the quota checked holds until the commit.

    Returns:
        The new delegates' ids, in file order.
    """
    await DelegateRepository(session).lock_campaign(campaign_id)
    rows = [
        {
            "campaign_id": campaign_id,
            "unit_id": actor.unit.id,
            "full_name": entry.values["name"],
            "position": entry.values["position"],
            "category": DelegateCategory(entry.values["category"]),
            "gender": entry.values["gender"],
            "ethnicity": entry.values["ethnicity"],
            "birth_year": entry.values.get("birth_year"),
            "in_presidium": bool(entry.values["presidium"]),
            "status": ACTIVE,
            "created_by": actor.person_id,
            "created_at": actor.now,
            "updated_at": actor.now,
        }
        for entry in entries
    ]
    ids = await _insert(session, Delegate, rows)
    summary = ("delegate.import", "campaign", campaign_id)
    await _audit(session, actor, "delegate.add", "delegate", ids, entries, summary)
    return ids
