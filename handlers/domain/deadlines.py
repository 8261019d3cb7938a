"""A unit's effective deadline for a requirement, and the rules of a gia hạn (extension).

The one place that says when a requirement is due for a unit. ``Requirement.due_date`` is the
deadline of every unit; ``Requirement.unit_due`` holds the later deadlines of units it was
extended for one by one (unit id as text → ISO date); ``Requirement.original_due`` is the plan's
own deadline once the deadline of everyone was extended (None: never extended). A unit's
deadline is the later of its own and everyone's, so extending everyone's deadline past a unit's
own one carries that unit along.

Everything that judges "muộn" or plans reminders asks :func:`effective_due`; the status SQL
builds its late-from instants from :func:`late_from` (``handlers.queries.stats.rules.cutoff``).

A deadline may carry an hour (``Requirement.due_time``, "trước 16g30 ngày 15/11/2019"): what
is sent from that hour of that day on (in the campaign's timezone) is late, not only what is
sent the next day. The hour belongs to the plan's own day: a deadline moved by a gia hạn ("đến
25/11/2019") runs to the end of its new day.

A gia hạn only moves a deadline later (:func:`check_extension`): to a day before today it is
refused (a deadline in the past tells nobody anything and would make units late at once), and
to a day not after the current deadline too (that is shortening the deadline, which would turn
units already on time into late ones without warning).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from handlers.domain.errors import UserError

__all__ = [
    "Dated",
    "check_extension",
    "due_hour",
    "effective_due",
    "extended_to",
    "late_from",
    "unit_dues",
    "with_unit_due",
]


class Dated(Protocol):
    """What a deadline is read from (a :class:`storage.models.Requirement`)."""

    @property
    def due_date(self) -> dt.date | None:
        """Everyone's deadline (None: "chưa có hạn")."""
        ...

    @property
    def unit_due(self) -> Mapping[str, Any]:
        """Later deadlines of listed units: unit id (text) → ISO date."""
        ...

    @property
    def original_due(self) -> dt.date | None:
        """The plan's own deadline once everyone's was extended."""
        ...

    @property
    def due_time(self) -> dt.time | None:
        """The hour of the deadline on its day (None: the whole day)."""
        ...


def unit_dues(req: Dated) -> dict[int, dt.date]:
    """The units' own deadlines that are later than everyone's, by unit id."""
    found: dict[int, dt.date] = {}
    if req.due_date is None:
        return found
    for key, value in (req.unit_due or {}).items():
        try:
            day = dt.date.fromisoformat(str(value))
            unit_id = int(key)
        except ValueError:
            continue
        if day > req.due_date:
            found[unit_id] = day
    return found


def effective_due(req: Dated, unit_id: int | None = None) -> dt.date | None:
    """The day ``req`` is due for the unit ``unit_id`` (None: everyone's deadline).

    None when ``req`` has no deadline yet ("chưa có hạn").
    """
    if unit_id is None:
        return req.due_date
    return unit_dues(req).get(unit_id, req.due_date)


def extended_to(req: Dated, unit_id: int | None = None) -> dt.date | None:
    """The unit's (or everyone's) deadline when it was extended (gia hạn), else None."""
    if unit_id is not None and unit_id in unit_dues(req):
        return unit_dues(req)[unit_id]
    if req.due_date is not None and req.original_due not in (None, req.due_date):
        return req.due_date
    return None


def due_hour(req: Dated, unit_id: int | None = None) -> dt.time | None:
    """The hour of the unit's deadline: the plan's own, unless the deadline was extended."""
    if req.due_time is None or extended_to(req, unit_id) is not None:
        return None
    return req.due_time


def late_from(req: Dated, tz: ZoneInfo, unit_id: int | None = None) -> dt.datetime | None:
    """The first instant (aware, UTC) at which something sent for ``req`` is late for the unit.

    The unit's deadline day at its hour when it has one, else the start of the next day, in
    ``tz`` (the campaign's timezone). Without ``unit_id``: everyone's. None when ``req`` has no
    deadline yet ("chưa có hạn"): nothing sent for it is late.
    """
    due = effective_due(req, unit_id)
    if due is None:
        return None
    hour = due_hour(req, unit_id)
    if hour is not None:
        return dt.datetime.combine(due, hour, tzinfo=tz).astimezone(dt.UTC)
    next_day = due + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def with_unit_due(req: Dated, unit_ids: list[int], day: dt.date) -> dict[str, str]:
    """``req.unit_due`` with ``day`` for ``unit_ids`` (entries not after everyone's dropped)."""
    dues = {str(k): v.isoformat() for k, v in unit_dues(req).items()}
    dues.update({str(u): day.isoformat() for u in unit_ids})
    return dues


def check_extension(current: dt.date, new: dt.date, today: dt.date) -> None:
    """Refuse a gia hạn to before today or to a day not after the current deadline.

    Raises:
        UserError: ``extend_past`` or ``extend_not_later``.
    """
    if new < today:
        raise UserError("extend_past", new=new, today=today)
    if new <= current:
        raise UserError("extend_not_later", new=new, current=current)
