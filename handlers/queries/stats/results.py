"""The result types of :mod:`handlers.queries.stats`, and the filter of the units counted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from handlers.domain.milestones import Milestone
from handlers.domain.progress import Standing
from storage.models import Campaign, Requirement, Unit
from storage.text import vn_sort_key

__all__ = [
    "AwardCount",
    "CampaignStatus",
    "Count",
    "FilterOption",
    "MissingList",
    "NominationStats",
    "RecentItem",
    "RequirementStats",
    "UnitFilter",
    "UnitRef",
    "UnitStanding",
    "Unreachable",
]


@dataclass(frozen=True, slots=True)
class UnitFilter:
    """Which units the figures cover: all, or those of a block, of a kind, or one unit."""

    block: str | None = None
    kind: str | None = None
    unit_id: int | None = None

    @property
    def active(self) -> bool:
        """Whether any restriction is set."""
        return self.block is not None or self.kind is not None or self.unit_id is not None

    def matches(self, unit: Unit | UnitRef) -> bool:
        """Whether ``unit`` is one of the units this filter covers (as :meth:`clauses`)."""
        return (
            (self.block is None or unit.block == self.block)
            and (self.kind is None or unit.kind == self.kind)
            and (self.unit_id is None or unit.id == self.unit_id)
        )

    def clauses(self) -> list[ColumnElement[bool]]:
        """SQL conditions on :class:`Unit` for this filter."""
        found: list[ColumnElement[bool]] = []
        if self.block is not None:
            found.append(Unit.block == self.block)
        if self.kind is not None:
            found.append(Unit.kind == self.kind)
        if self.unit_id is not None:
            found.append(Unit.id == self.unit_id)
        return found


@dataclass(frozen=True, slots=True)
class UnitRef:
    """The few fields of a unit a list shows (no ORM object per row)."""

    id: int
    code: str
    name: str
    block: str | None
    kind: str

    def sort_key(self) -> tuple[Any, ...]:
        """Order of :meth:`UnitRepository.list_all`: block (none last), then name, Vietnamese."""
        return (self.block is None, vn_sort_key(self.block or ""), vn_sort_key(self.name), self.id)


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Active late units no reminder can reach, each list by the units' names.

    ``never_linked``: nobody of the unit has linked a chat account; ``blocked``: accounts were
    linked, but the bot can no longer write to any of them (blocked, or the account deleted).
    """

    never_linked: tuple[UnitRef, ...] = ()
    blocked: tuple[UnitRef, ...] = ()

    def __len__(self) -> int:
        return len(self.never_linked) + len(self.blocked)

    def covered(self, where: UnitFilter) -> Unreachable:
        """Those of the units ``where`` covers."""
        return Unreachable(
            tuple(u for u in self.never_linked if where.matches(u)),
            tuple(u for u in self.blocked if where.matches(u)),
        )


@dataclass(frozen=True, slots=True)
class RequirementStats:
    """How the units a requirement applies to (within a filter) stand on it.

    ``submitted`` counts the units that have sent it (submitted or accepted); ``missing`` the
    others, including the partial and the returned ones.
    """

    campaign: Campaign
    requirement: Requirement
    today: dt.date
    total: int = 0
    submitted: int = 0
    accepted: int = 0
    returned: int = 0
    partial: int = 0
    late: int = 0

    @property
    def missing(self) -> int:
        """Units that still owe it (nothing sent, incomplete or returned).

        Nobody owes a requirement "chưa có hạn" (no due date yet): 0.
        """
        if self.requirement.due_date is None:
            return 0
        return self.total - self.submitted

    @property
    def on_time(self) -> int:
        """Units that sent it by the due date."""
        return self.submitted - self.late

    @property
    def on_time_pct(self) -> float | None:
        """Share of the applicable units that sent it on time, in percent (None: no unit)."""
        return 100.0 * self.on_time / self.total if self.total else None

    @property
    def days_left(self) -> int | None:
        """Days until the due date (negative when overdue; None: "chưa có hạn")."""
        due = self.requirement.due_date
        return None if due is None else (due - self.today).days

    @property
    def overdue(self) -> bool:
        """Whether the due date has passed with units still owing it."""
        days = self.days_left
        return days is not None and days < 0 and self.missing > 0


@dataclass(frozen=True, slots=True)
class UnitStanding(Standing[UnitRef]):
    """One unit's standing on one requirement, read from SQL (the fields of a ``UnitMark``)."""


@dataclass(frozen=True, slots=True)
class MissingList:
    """The units that still owe a requirement, in :meth:`UnitRef.sort_key` order.

    ``units`` may be cut to a limit; ``more`` says how many were left out.
    """

    stats: RequirementStats
    units: tuple[UnitStanding, ...]
    #: How many units the full list holds, when not all that owe it (overdue only, with some
    #: units' own later deadlines after a gia hạn); None: ``stats.missing``.
    total: int | None = None

    @property
    def more(self) -> int:
        """Units that owe it but are not in ``units``."""
        total = self.stats.missing if self.total is None else self.total
        return total - len(self.units)


@dataclass(frozen=True, slots=True)
class RecentItem:
    """Something a unit sent lately: a submission version, or its nominations.

    A unit's nominations for one requirement (or for none) make one item, at the newest one;
    ``nominations`` is then their number (withdrawn ones left out) and ``status`` is
    ``"submitted"``.
    """

    at: dt.datetime
    unit: UnitRef
    requirement: Requirement | None
    status: str
    late: bool = False
    part: str = ""
    nominations: int = 0


@dataclass(frozen=True, slots=True)
class Count:
    """One line of a breakdown."""

    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class AwardCount:
    """Nominations for one proposed form of recognition.

    ``rank`` is the form's place in the campaign's catalogue (by position); a code the catalogue
    no longer has ranks after every form in it.
    """

    code: str
    name: str
    subject: str
    count: int
    rank: int = 0


@dataclass(frozen=True, slots=True)
class NominationStats:
    """A campaign's nominations that stand (submitted or accepted), broken down.

    Withdrawn nominations are left out entirely. Returned ones do not count either (the unit has
    to correct them; they do not fulfil a nomination list): they are only counted in
    ``returned``.
    """

    campaign: Campaign
    total: int = 0
    accepted: int = 0
    returned: int = 0
    units: int = 0
    by_award: tuple[AwardCount, ...] = ()
    by_subject: tuple[Count, ...] = ()
    by_gender: tuple[Count, ...] = ()
    by_block: tuple[Count, ...] = ()
    by_unit: tuple[Count, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    """Everything the secretariat's overview shows for one campaign."""

    campaign: Campaign
    today: dt.date
    requirements: tuple[RequirementStats, ...]
    overdue: tuple[MissingList, ...] = ()
    recent: tuple[RecentItem, ...] = ()
    nominations: NominationStats | None = None
    #: The milestones on ``today`` or later (events and the campaign's own dates), by day.
    milestones: tuple[Milestone, ...] = ()

    def number(self, requirement_id: int) -> int:
        """The requirement's number in the overview (1-based; 0 if unknown)."""
        ids = [s.requirement.id for s in self.requirements]
        return ids.index(requirement_id) + 1 if requirement_id in ids else 0

    def overdue_for(self, requirement_id: int) -> MissingList | None:
        """The overdue list of one requirement, if it has one."""
        return next((o for o in self.overdue if o.stats.requirement.id == requirement_id), None)


@dataclass(frozen=True, slots=True)
class FilterOption:
    """A value units can be filtered by, with how many units have it."""

    value: str
    label: str
    units: int
