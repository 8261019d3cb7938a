"""Where a unit stands on a requirement: the counting rules, without I/O.

:func:`mark_for` decides one unit's :class:`Mark` from its current submissions (or its nomination
count); :mod:`handlers.queries.progress` loads what it needs, and the status SQL of
:mod:`handlers.queries.stats` follows the same rules.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from handlers.domain.deadlines import effective_due, late_from
from storage.models import (
    Campaign,
    Requirement,
    RequirementKind,
    Submission,
    SubmissionStatus,
    Unit,
)

__all__ = [
    "Mark",
    "RequirementProgress",
    "Standing",
    "UnitMark",
    "applies",
    "is_late",
    "local_today",
    "mark_for",
    "targets",
]


class Mark(enum.StrEnum):
    """Where one unit stands on one requirement."""

    MISSING = "missing"
    PARTIAL = "partial"
    RETURNED = "returned"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


#: What a :class:`Standing` names the unit by: the unit itself, or a lighter reference to it.
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Standing(Generic[U]):
    """One unit's standing on one requirement; ``unit`` is the unit or a reference to it."""

    unit: U
    mark: Mark
    at: dt.datetime | None = None
    late: bool = False
    parts_done: int = 0
    reason: str | None = None
    count: int = 0

    @property
    def done(self) -> bool:
        """Whether the requirement counts as sent (submitted or accepted)."""
        return self.mark in (Mark.SUBMITTED, Mark.ACCEPTED)


@dataclass(frozen=True, slots=True)
class UnitMark(Standing[Unit]):
    """One unit's standing on one requirement, decided here from its records."""


@dataclass(frozen=True, slots=True)
class RequirementProgress:
    """A requirement with the standing of every unit it applies to."""

    campaign: Campaign
    requirement: Requirement
    today: dt.date
    marks: tuple[UnitMark, ...]

    @property
    def days_left(self) -> int | None:
        """Days until the due date (negative when overdue; None: "chưa có hạn")."""
        due = self.requirement.due_date
        return None if due is None else (due - self.today).days

    def days_left_for(self, unit_id: int) -> int | None:
        """Days until the unit's own deadline (after any gia hạn; negative when overdue)."""
        due = effective_due(self.requirement, unit_id)
        return None if due is None else (due - self.today).days

    @property
    def done(self) -> list[UnitMark]:
        """Units that have sent it."""
        return [m for m in self.marks if m.done]

    @property
    def missing(self) -> list[UnitMark]:
        """Units that still owe it (nothing sent, incomplete or returned).

        Nobody owes a requirement "chưa có hạn" (no due date yet).
        """
        if self.requirement.due_date is None:
            return []
        return [m for m in self.marks if not m.done]


def local_today(now: dt.datetime, tz_name: str) -> dt.date:
    """Return the calendar date of ``now`` in ``tz_name``."""
    return now.astimezone(ZoneInfo(tz_name)).date()


def applies(requirement: Requirement, unit: Unit) -> bool:
    """Whether ``unit`` must submit ``requirement``."""
    return targets(
        unit, requirement.unit_codes, requirement.unit_kinds, requirement.unit_blocks or ()
    )


def targets(
    unit: Unit, codes: Sequence[str], kinds: Sequence[str], blocks: Sequence[str] = ()
) -> bool:
    """Whether ``unit`` is among listed units, kinds and blocks (an empty list: any; all hold)."""
    if codes and unit.code not in codes:
        return False
    if blocks and unit.block not in blocks:
        return False
    return not kinds or unit.kind in kinds


def is_late(at: dt.datetime | None, req: Requirement, unit_id: int, tz: ZoneInfo) -> bool:
    """Whether something sent at ``at`` came after the unit's deadline (its day, or its hour).

    The late-from instant is :func:`handlers.domain.deadlines.late_from`, as in the status SQL.
    Nothing is late for a requirement without a due date ("chưa có hạn").
    """
    cut = late_from(req, tz, unit_id)
    return at is not None and cut is not None and at >= cut


def mark_for(
    req: Requirement,
    unit: Unit,
    subs: Sequence[Submission],
    nominations: tuple[int, dt.datetime] | None,
    tz: ZoneInfo,
) -> UnitMark:
    """One unit's standing on ``req`` from its current submissions or its nomination count.

    A returned submission makes the requirement missing again (with the reason); a dossier needs
    every part; a nomination list counts as sent with its first nomination.
    """
    returned = [s for s in subs if s.status is SubmissionStatus.RETURNED]
    live = [s for s in subs if s.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)]
    if returned:
        last = max(returned, key=lambda s: s.submitted_at)
        return UnitMark(unit, Mark.RETURNED, last.submitted_at, reason=last.return_reason)
    if req.kind is RequirementKind.NOMINATION_LIST and nominations is not None:
        count, first = nominations
        return UnitMark(
            unit,
            Mark.SUBMITTED,
            first,
            is_late(first, req, unit.id, tz),
            count=count,
        )
    needed = set(req.parts) if req.kind is RequirementKind.DOSSIER and req.parts else {""}
    have = {s.part for s in live} & needed
    if not have:
        return UnitMark(unit, Mark.MISSING)
    at = max(s.submitted_at for s in live if s.part in have)
    if have != needed:
        return UnitMark(unit, Mark.PARTIAL, at, parts_done=len(have))
    accepted = all(s.status is SubmissionStatus.ACCEPTED for s in live if s.part in have)
    return UnitMark(
        unit,
        Mark.ACCEPTED if accepted else Mark.SUBMITTED,
        at,
        is_late(at, req, unit.id, tz),
        parts_done=len(have),
    )
