"""The forms a requirement's due takes, as a campaign file writes them and a requirement holds.

A requirement's due is one of:

* a day: ``15/11/2019`` (``due_date``);
* a period, due its last day: ``tháng 8/2025``, ``quý I/2020``, ``6 tháng đầu năm 2020``,
  ``năm 2020`` (``due_start`` its first day, ``due_date`` its last, ``period_label`` the text);
* a range, an event over several days: ``06/06/2020 - 08/06/2020`` (``due_start``,
  ``due_date``; the late cut-off is the last day);
* "to be announced": ``chưa có hạn`` (``due_date`` None: listed, never late, never reminded,
  owed by nobody until a day is set);
* a yearly rule: ``hằng năm 15/03`` (``recurrence`` ``{"every": "year", "month": 3,
  "day": 15}``, ``due_date`` None): each year's occurrence is its own requirement
  (:func:`occurrence_code`, due :func:`yearly_date`), made by
  :func:`handlers.services.recurrence.generate_occurrences`.

:func:`read_due` reads what a file or a person wrote; :func:`write_due` writes it back so that
:func:`read_due` gives the same. Errors are :class:`handlers.domain.vn_dates.DateError` with a
Vietnamese message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.domain.vn_dates import (
    DateError,
    clean_text,
    parse_date,
    parse_period,
    resolve_due,
)
from storage.text import fold_text

__all__ = [
    "NO_DUE_TEXT",
    "Due",
    "occurrence_code",
    "occurrence_label",
    "read_due",
    "recurrence_of",
    "write_due",
    "yearly_date",
    "yearly_rule",
]

#: How a due "to be announced" is written.
NO_DUE_TEXT = "chưa có hạn"
_NO_DUE = frozenset({"chua co han", "chua co", "khong co han", "se thong bao sau"})
_YEARLY = re.compile(r"^(?:hang|moi) nam (?:ngay )?(\d{1,2})\s*[/.\s-]\s*(\d{1,2})$")
_RANGE = re.compile(r"\s+[-–—]\s+|\s*[–—]\s*")


@dataclass(frozen=True, slots=True)
class Due:
    """A due as read: its last day, its first day, its label, its yearly rule.

    Attributes:
        date: The late cut-off (the day, or the last day of the range or period); None for
            "chưa có hạn" and for a yearly rule.
        start: The first day of a range or period.
        label: The period as written ("quý I/2020"), for a period.
        yearly: (month, day) of a yearly rule.
    """

    date: dt.date | None
    start: dt.date | None = None
    label: str | None = None
    yearly: tuple[int, int] | None = None

    @property
    def recurrence(self) -> dict[str, Any] | None:
        """The requirement's ``recurrence`` for a yearly rule, else None."""
        return None if self.yearly is None else yearly_rule(*self.yearly)


def read_due(value: str | dt.date) -> Due:
    """Read a due: a day, a period, a range, "chưa có hạn" or "hằng năm 15/03".

    Raises:
        DateError: The text is none of these, or names a day that does not exist.
    """
    if isinstance(value, dt.date):
        return Due(parse_date(value))
    text = clean_text(value)
    folded = fold_text(text).strip(" .")
    if folded in _NO_DUE:
        return Due(None)
    if m := _YEARLY.match(folded):
        month, day = int(m[2]), int(m[1])
        try:
            dt.date(2000, month, day)  # a leap year: 29/02 is a rule
        except ValueError:
            raise DateError(f'Ngày "{text}" không tồn tại.', text) from None
        return Due(None, yearly=(month, day))
    parts = _RANGE.split(text)
    if len(parts) == 2:
        first, last = parse_date(parts[0]), parse_date(parts[1])
        if last <= first:
            raise DateError(f'Khoảng "{text}" không hợp lệ: ngày cuối phải sau ngày đầu.', text)
        return Due(last, start=first)
    last, label = resolve_due(text)
    if label is None:
        return Due(last)
    return Due(last, start=parse_period(text).start, label=label)


def yearly_rule(month: int, day: int) -> dict[str, Any]:
    """A yearly rule as ``Requirement.recurrence`` holds it (read by :func:`recurrence_of`)."""
    return {"every": "year", "month": month, "day": day}


def recurrence_of(rule: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(month, day) of a stored yearly rule, None when it is none or unreadable."""
    if not rule or rule.get("every") != "year":
        return None
    try:
        month, day = int(rule["month"]), int(rule["day"])
        dt.date(2000, month, day)
    except (KeyError, TypeError, ValueError):
        return None
    return month, day


def yearly_date(month: int, day: int, year: int) -> dt.date:
    """The rule's day in ``year`` (29/02 falls on 28/02 in a common year)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, day - 1)


def occurrence_code(code: str, year: int) -> str:
    """The code of a yearly rule's occurrence: ``<CODE>-<YEAR>``."""
    return f"{code}-{year}"


def write_due(
    date: dt.date | None,
    start: dt.date | None,
    label: str | None,
    recurrence: Mapping[str, Any] | None,
) -> str | dt.date:
    """The due as a campaign file writes it (what :func:`read_due` reads back the same).

    A period label that reads back as another period is not written here (the caller writes
    the day and the label apart).
    """
    yearly = recurrence_of(recurrence)
    if yearly is not None:
        return f"hằng năm {yearly[1]:02d}/{yearly[0]:02d}"
    if date is None:
        return NO_DUE_TEXT
    if label is not None:
        try:
            read = read_due(label)
        except DateError:
            read = None
        # A label without a first day (a requirement stored before due_start) is its period.
        if read is not None and read.date == date and start in (None, read.start):
            return label
    if start is not None and start < date:
        return f"{start:%d/%m/%Y} - {date:%d/%m/%Y}"
    return date


def occurrence_label(year: int) -> str:
    """The period label of a yearly rule's occurrence: ``năm <YEAR>`` (the grammar's year)."""
    return f"năm {year}"
