"""Vietnamese dates and periods as offices write them in plans, files and chat.

One grammar for the campaign file (``due``, ``doc_date``), the delegate settings (``due``) and
whatever reads dates from people (a plan's text, a spreadsheet cell). Every error is a
:class:`DateError` (a :class:`ValueError`) with a Vietnamese message that quotes the text.

Dates (:func:`parse_date`)
    ``15/11/2019``, ``15.11.2019``, ``15-11-2019`` (spaces around the separators allowed), ISO
    ``2019-11-15``, ``ngày 15 tháng 11 năm 2019``; ``ngày`` may also precede a numeric date
    (``ngày 15/11/2019``). A date that does not exist (``31/2/2020``) raises
    :class:`NoSuchDateError`.

Periods (:func:`parse_period`)
    ``tháng 3/2020`` (also ``tháng 3 năm 2020``), ``quý I/2020`` (I–IV or 1–4, also
    ``quý I năm 2020``), ``6 tháng đầu năm 2020``, ``6 tháng cuối năm 2020``, ``năm 2020``. A
    :class:`Period` has its first and last day and the text as written (its label).

Deadlines (:func:`resolve_due`)
    A date stands for itself; a period for its last day.

Before reading, text is cleaned (:func:`clean_text`): NFKC turns look-alike characters into
plain ones (full-width ``１５/１１/２０１９`` reads as ``15/11/2019``, a no-break space as a
space), invisible characters (zero-width spaces and joiners, BOM, soft hyphen) are removed and
runs of spaces collapse. Words are matched without diacritics or case (``Quy i/2020`` is fine).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from handlers.domain.normalize import normalize_text
from storage.text import fold_text

__all__ = [
    "DUE_HINT",
    "DateError",
    "NoSuchDateError",
    "Period",
    "clean_text",
    "month_end",
    "parse_date",
    "parse_period",
    "quarter_number",
    "resolve_due",
    "time_of_day",
]

#: How to write a deadline, for messages that ask for one.
DUE_HINT = (
    "hãy ghi một ngày (15/11/2019), một kỳ (tháng 3/2020, quý I/2020, "
    "6 tháng đầu năm 2020, năm 2020), một khoảng (06/06/2020 - 08/06/2020), "
    "«chưa có hạn» hoặc «hằng năm 15/03»"
)

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_DMY = re.compile(r"^(?:ng[àa]y\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$", re.I)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDY_DATE = re.compile(r"^(?:ngay )?(\d{1,2}) thang (\d{1,2}) nam (\d{4})$")
_QUARTER = re.compile(r"^quy (i|ii|iii|iv|[1-4]) (?:nam )?(\d{4})$")
_MONTH = re.compile(r"^thang (\d{1,2}) (?:nam )?(\d{4})$")
_SOME_MONTHS = re.compile(r"^(\d{1,2}) thang (dau|cuoi) nam (\d{4})$")
_YEAR = re.compile(r"^nam (\d{4})$")
#: An hour of the day: "16:30", "16h30", "16g30", "16h", "16 giờ 30".
_HOUR = re.compile(r"^(\d{1,2})\s*(?::|h|g)\s*(\d{2})?$")


class DateError(ValueError):
    """A text is not a date or a period; the message (Vietnamese) quotes it.

    Attributes:
        text: The text, cleaned, for a message that words the problem its own way.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class NoSuchDateError(DateError):
    """A text is written as a date, but the date does not exist (31/2/2020)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A period named in words: its first and last day and the text as written.

    Attributes:
        start: First day.
        end: Last day (the deadline when the period is a ``due``).
        label: The text as written, cleaned: ``"quý I/2020"``.
    """

    start: dt.date
    end: dt.date
    label: str


def clean_text(text: str) -> str:
    """Return ``text`` with look-alike characters made plain, invisible ones gone, spaces single.

    ``"１５/１１/２０１９"`` → ``"15/11/2019"``; ``"15/11/2019"`` with a zero-width space after
    ``15`` → ``"15/11/2019"``; ``"quý I/2020"`` with a no-break space → ``"quý I/2020"``.
    """
    return " ".join(unicodedata.normalize("NFKC", normalize_text(text)).split())


def quarter_number(numeral: str) -> int:
    """Return the quarter a numeral names: ``"I"``/``"1"`` → 1 … ``"IV"``/``"4"`` → 4.

    Raises:
        DateError: The numeral names no quarter.
    """
    folded = numeral.strip().lower()
    quarter = _ROMAN.get(folded) or (int(folded) if folded.isdigit() else 0)
    if not 1 <= quarter <= 4:
        raise DateError(f'Quý "{numeral}" không hợp lệ: quý phải từ I đến IV.', numeral)
    return quarter


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise NoSuchDateError(f'Ngày "{text}" không tồn tại.', text) from None


def month_end(year: int, month: int) -> dt.date:
    """The last day of ``month`` in ``year``."""
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _date_or_none(text: str) -> dt.date | None:
    """Return the date a cleaned ``text`` writes, None when it is not written as a date.

    Raises:
        NoSuchDateError: ``text`` is written as a date that does not exist.
    """
    if m := _DMY.match(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _ISO.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _WORDY_DATE.match(fold_text(text)):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    return None


def _period_or_none(text: str) -> Period | None:
    """Return the period a cleaned ``text`` names, None when it names none.

    Raises:
        DateError: A month or a number of months out of 1–12.
    """
    folded = fold_text(text)
    if m := _QUARTER.match(folded):
        year, quarter = int(m[2]), quarter_number(m[1])
        first, last = quarter * 3 - 2, quarter * 3
    elif m := _MONTH.match(folded):
        year, first = int(m[2]), int(m[1])
        last = first
    elif m := _SOME_MONTHS.match(folded):
        year, count = int(m[3]), int(m[1])
        if not 1 <= count <= 12:
            raise DateError(f'Kỳ "{text}" không hợp lệ: số tháng phải từ 1 đến 12.', text)
        first, last = (1, count) if m[2] == "dau" else (13 - count, 12)
    elif m := _YEAR.match(folded):
        year, first, last = int(m[1]), 1, 12
    else:
        return None
    if not 1 <= first <= last <= 12:
        raise DateError(f'Kỳ "{text}" không hợp lệ: tháng phải từ 1 đến 12.', text)
    return Period(dt.date(year, first, 1), month_end(year, last), text)


def parse_date(value: str | dt.date) -> dt.date:
    """Read a date written dd/mm/yyyy (or with ``.``/``-``), ISO, or "ngày 15 tháng 11 năm 2019".

    Args:
        value: The text, or a date (YAML turns an unquoted ISO date into one; a datetime gives
            its date).

    Returns:
        The date.

    Raises:
        NoSuchDateError: The text is written as a date that does not exist.
        DateError: The text is not written as a date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    date = _date_or_none(text)
    if date is None:
        raise DateError(
            f'Không hiểu ngày "{text}": hãy ghi theo dạng dd/mm/yyyy, ví dụ 23/7/2019.', text
        )
    return date


def parse_period(text: str) -> Period:
    """Read a period: "tháng 3/2020", "quý I/2020", "6 tháng đầu năm 2020", "năm 2020".

    Args:
        text: The text.

    Returns:
        The period; "6 tháng cuối năm 2020" is 01/07/2020–31/12/2020.

    Raises:
        DateError: The text names no period, or a month out of range.
    """
    cleaned = clean_text(text)
    period = _period_or_none(cleaned)
    if period is None:
        raise DateError(
            f'Không hiểu kỳ "{cleaned}": hãy ghi ví dụ tháng 3/2020, quý I/2020, '
            "6 tháng đầu năm 2020, năm 2020.",
            cleaned,
        )
    return period


def resolve_due(value: str | dt.date) -> tuple[dt.date, str | None]:
    """Turn a deadline as written into (due date, period label).

    A date gives itself and no label. A period gives its last day and the text as written:
    "quý I/2020" → 31/03/2020, "tháng 2/2020" → 29/02/2020, "6 tháng đầu năm 2020" → 30/06/2020,
    "6 tháng cuối năm 2020" → 31/12/2020, "năm 2020" → 31/12/2020.

    Raises:
        DateError: The value is neither a date nor a period.
    """
    if isinstance(value, dt.date):
        return parse_date(value), None
    text = clean_text(value)
    date = _date_or_none(text)
    if date is not None:
        return date, None
    period = _period_or_none(text)
    if period is None:
        raise DateError(f'Không hiểu hạn nộp "{text}": {DUE_HINT}.', text)
    return period.end, period.label


def time_of_day(value: object) -> dt.time | None:
    """An hour of the day as written ("16:30", "16h30", "16g30"), or None when it is not one.

    A :class:`datetime.time` gives itself; PyYAML's reading of an unquoted ``16:30`` (the
    base-60 integer 990) is understood too.
    """
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.time(value // 60, value % 60) if 0 <= value < 24 * 60 else None
    if not isinstance(value, str):
        return None
    text = clean_text(value).lower().replace("giờ", "h").replace("phút", "").strip()
    match = _HOUR.match(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)
