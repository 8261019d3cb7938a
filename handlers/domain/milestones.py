"""Milestones: the plan's dated events, shown and reminded, never owed.

A requirement of kind ``event`` (the unit's conference, the pilot conferences) is a milestone of
the units it applies to — its ``unit_kinds``/``unit_codes`` name the organisers. Nothing is sent
for it: it is never "chưa nộp", late, in ``/chuanop`` or in the figures; it is listed as a
"Mốc thời gian" with its date, and its organisers are reminded of it (``before_days`` and
``on_due_day`` of the reminder policy; there is no "overdue" for an event).

The campaign's own dates (``settings.milestones``: the town's conference) are milestones of the
issuer, which every unit attends; they are listed, not reminded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.domain.progress import applies, targets
from handlers.domain.reminder_policy import ReminderPolicy
from handlers.domain.vn_dates import DateError, resolve_due
from storage.models import Requirement, RequirementKind, Unit

__all__ = [
    "Milestone",
    "is_milestone",
    "milestone_policy",
    "milestones_of",
    "organised_by",
    "upcoming",
]


@dataclass(frozen=True, slots=True)
class Milestone:
    """One dated event of a plan, as the lists show it.

    Attributes:
        title: What happens.
        due: Its day (a period's last day).
        time: Its hour, if the plan says one.
        period: The period as written ("quý III/2020"), if it is one.
        unit_kinds: The organisers' kinds (empty: not limited by kind).
        unit_codes: The organisers' codes (empty: not limited to listed units).
        requirement_id: The event requirement; None for a date of the campaign's own
            (``settings.milestones``), whose organiser is the issuer.
        unit_blocks: The organisers' blocks (empty: not limited by block).
    """

    title: str
    due: dt.date
    time: dt.time | None = None
    period: str | None = None
    unit_kinds: tuple[str, ...] = ()
    unit_codes: tuple[str, ...] = ()
    requirement_id: int | None = None
    unit_blocks: tuple[str, ...] = ()

    @property
    def own(self) -> bool:
        """Whether it is the issuer's own date (not organised by the units)."""
        return self.requirement_id is None

    @property
    def everyone(self) -> bool:
        """Whether every unit organises it (no kind or code limits it)."""
        return not self.unit_kinds and not self.unit_codes and not self.unit_blocks

    def concerns(self, unit: Unit) -> bool:
        """Whether ``unit`` organises it (or attends it, for the issuer's own date)."""
        return targets(unit, self.unit_codes, self.unit_kinds, self.unit_blocks)


def is_milestone(req: Requirement) -> bool:
    """Whether ``req`` is a milestone (an event), not something units send."""
    return req.kind is RequirementKind.EVENT


def organised_by(req: Requirement, unit: Unit) -> bool:
    """Whether ``unit`` organises the event ``req`` (it applies to the unit)."""
    return applies(req, unit)


def _own(settings: Mapping[str, Any] | None) -> list[Milestone]:
    """The campaign's own dates, as stored in its settings (unreadable entries skipped)."""
    found: list[Milestone] = []
    items = (settings or {}).get("milestones") or []
    for item in items if isinstance(items, list | tuple) else []:
        if not isinstance(item, Mapping) or not item.get("title") or not item.get("due"):
            continue
        due = item["due"]
        try:
            day, label = resolve_due(due if isinstance(due, dt.date) else str(due))
        except DateError:
            continue
        found.append(Milestone(str(item["title"]), day, period=label))
    return found


def milestones_of(
    requirements: Iterable[Requirement], settings: Mapping[str, Any] | None
) -> list[Milestone]:
    """The event requirements and the campaign's own dates, by day."""
    found = [
        Milestone(
            r.title,
            r.due_date,
            r.due_time,
            r.period_label,
            tuple(r.unit_kinds or ()),
            tuple(r.unit_codes or ()),
            r.id,
            tuple(r.unit_blocks or ()),
        )
        for r in requirements
        if is_milestone(r) and r.due_date is not None  # "chưa có hạn": listed once it has a day
    ]
    found.extend(_own(settings))
    return sorted(found, key=lambda m: (m.due, m.time or dt.time(), m.own))


def upcoming(milestones: Sequence[Milestone], today: dt.date) -> list[Milestone]:
    """Those on ``today`` or later."""
    return [m for m in milestones if m.due >= today]


def milestone_policy(policy: ReminderPolicy) -> ReminderPolicy:
    """The reminder policy of a milestone: its days before and the day itself, never after."""
    return dataclasses.replace(policy, overdue_max=0)
