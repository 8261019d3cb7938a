"""Assembling the items of a plan: years filled in, dues written, restated deadlines merged.

A day without a year takes the year of the other end of its range, else the document's year,
else the latest year the text names (a news item dated only by "giai đoạn 2017-2022"). A
deadline stated twice (a headline and its body, "đến hết ngày 1/12" and "trước 17h ngày 1/12")
is one item; a day that opens a range already listed is that range.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from handlers.domain.plan_reader.context import Reading, kind_of, read_context
from handlers.domain.plan_reader.mentions import Mention, find_mentions
from handlers.domain.plan_reader.relative import find_relative, tied_year
from handlers.domain.plan_reader.text import Clauses, fold
from handlers.domain.plan_reader.who import find_who

__all__ = ["PlanItem", "find_items"]

_OPENING = re.compile(r"\b(?:bat\s+dau\s+)?tu\s+(?:nga?y\s+)?$")
_YEARS = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_WHAT_MAX = 160


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One proposed requirement or milestone.

    Attributes:
        due: ``"YYYY-MM-DD"``, ``"YYYY-MM-DD/YYYY-MM-DD"``, ``"YYYY-MM"``, ``"YYYY-Qn"``,
            ``"--MM-DD"`` or None (then ``relative`` says the limit in words).
        kind: ``"submit"``, ``"event"`` or ``"report"``.
        what: The clause it comes from, shortened.
        who: The units that act, when the text names them.
        phrase: ``text[span[0]:span[1]]``.
        span: Offsets of the phrase in the text.
        time: ``"HH:MM"`` or None.
        relative: The limit in words when ``due`` is None.
        confidence: 0..1.
    """

    due: str | None
    kind: str
    what: str
    who: str | None
    phrase: str
    span: tuple[int, int]
    time: str | None
    relative: str | None
    confidence: float

    def as_dict(self) -> dict[str, object]:
        """The item as the JSON contract writes it."""
        out: dict[str, object] = {
            "due": self.due,
            "kind": self.kind,
            "what": self.what,
            "who": self.who,
            "phrase": self.phrase,
            "span": list(self.span),
            "confidence": self.confidence,
        }
        if self.time:
            out["time"] = self.time
        if self.relative:
            out["relative"] = self.relative
        return out


def _default_year(folded: str, doc_date: str | None) -> int | None:
    if doc_date:
        return int(doc_date[:4])
    years = [int(y) for y in _YEARS.findall(folded)]
    return max(years) if years else None


def _day(value: tuple[int | None, int, int], year: int | None) -> dt.date | None:
    y = value[0] or year
    if y is None:
        return None
    try:
        return dt.date(y, value[1], value[2])
    except ValueError:
        return None


def _due(mention: Mention, year: int | None) -> str | None:
    if mention.form == "quarter":
        return f"{mention.year:04d}-Q{mention.number}"
    if mention.form == "month":
        return f"{mention.year:04d}-{mention.number:02d}"
    if mention.form == "yearly" and mention.day:
        _, month, day = mention.day
        return f"--{month:02d}-{day:02d}" if _day((2000, month, day), None) else None
    if mention.form == "range" and mention.day and mention.last:
        last = _day(mention.last, year)
        first = _day(mention.day, last.year if last else year)
        if first is None or last is None or not first < last <= first + dt.timedelta(days=120):
            return None
        return f"{first.isoformat()}/{last.isoformat()}"
    if mention.day:
        single = _day(mention.day, year)
        return single.isoformat() if single else None
    return None


def _what(text: str, left: int, right: int) -> str:
    clause = " ".join(text[left:right].split()).strip(" -+*•:;,.")
    return clause if len(clause) <= _WHAT_MAX else clause[: _WHAT_MAX - 1].rstrip() + "…"


def _merge(items: list[PlanItem]) -> list[PlanItem]:
    kept: list[PlanItem] = []
    for item in items:
        twin = next(
            (
                k
                for k in kept
                if k.due == item.due
                and (k.kind == item.kind or min(k.confidence, item.confidence) < 0.7)
            ),
            None,
        )
        if twin is None:
            kept.append(item)
            continue
        if item.confidence > twin.confidence:
            kept[kept.index(twin)] = item if item.time or not twin.time else _with_time(item, twin)
        elif item.time and not twin.time:
            kept[kept.index(twin)] = _with_time(twin, item)
    starts = {k.due.split("/")[0] for k in kept if k.due and "/" in k.due}
    return [k for k in kept if not (k.due and "/" not in k.due and k.due in starts)]


def _with_time(item: PlanItem, other: PlanItem) -> PlanItem:
    return PlanItem(
        item.due, item.kind, item.what, item.who, item.phrase, item.span, other.time,
        item.relative, item.confidence,
    )  # fmt: skip


def find_items(text: str, doc_date: str | None) -> list[PlanItem]:
    """Return the items of a plan ``text``, in reading order.

    Args:
        text: The text as read (spans are offsets in it).
        doc_date: The document's date (``YYYY-MM-DD`` or ``YYYY-MM``), None when unknown.
    """
    folded = fold(text)
    year = _default_year(folded, doc_date)
    items: list[PlanItem] = []
    limits = find_relative(folded, text)
    clauses = Clauses(text)
    for mention in find_mentions(folded):
        left, right = clauses.around(mention.start, mention.end)
        undated = mention.form in ("day", "range") and mention.day and mention.day[0] is None
        tied = undated and tied_year(
            folded, text, _phrase_start(folded, left, mention), mention.end
        )
        if tied:
            limits.append(tied)
            continue
        reading: Reading | None = read_context(folded, mention, left, right)
        if reading is None:
            continue
        due = _due(mention, year)
        if due is None:
            continue
        start = max(left, reading.phrase_start)
        items.append(
            PlanItem(
                due=due,
                kind=reading.kind,
                what=_what(text, left, right),
                who=find_who(text, folded, left, start),
                phrase=text[start : mention.end],
                span=(start, mention.end),
                time=reading.time,
                relative=None,
                confidence=reading.confidence,
            )
        )
    for limit in limits:
        if any(i.span[0] < limit.end and limit.start < i.span[1] for i in items):
            continue
        left, right = clauses.around(limit.start, limit.end)
        items.append(
            PlanItem(
                due=None,
                kind=kind_of(folded[left:right], limit=True),
                what=_what(text, left, right),
                who=find_who(text, folded, left, limit.start),
                phrase=text[limit.start : limit.end],
                span=(limit.start, limit.end),
                time=None,
                relative=limit.relative,
                confidence=0.6,
            )
        )
    return sorted(_merge(items), key=lambda i: i.span[0])


def _phrase_start(folded: str, left: int, mention: Mention) -> int:
    """Start of the words that open a window: "bắt đầu từ", "từ", or the mention itself."""
    head = _OPENING.search(folded, left, mention.start)
    return head.start() if head else mention.start
