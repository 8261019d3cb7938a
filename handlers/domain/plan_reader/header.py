"""The document's own particulars: its date, number, issuer and title.

The date is, in this order: the dateline under the national motto ("Bắc Giang, ngày 26 tháng 6
năm 2019", a blank day giving the month only), a digital-signature stamp
("2019-09-30T17:30:04+0700"), a web page's posting stamp ("16/10/2018 15:42",
"09:03, 13/03/2019"), a date in the page's address (".../2021-1-13/...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.domain.plan_reader.text import DAY, MONTH_WORD, YEAR_WORD

__all__ = ["Header", "read_header"]


@dataclass(frozen=True, slots=True)
class Header:
    """The document's particulars; None where the text does not give them.

    Attributes:
        doc_date: ``"YYYY-MM-DD"``, or ``"YYYY-MM"`` when the day is left blank.
        doc_number: ``"16/KH-HĐTĐKT"``.
        issuer: The issuing body as written at the top.
        title: The document's kind and subject ("KẾ HOẠCH Tổ chức Hội nghị …").
    """

    doc_date: str | None
    doc_number: str | None
    issuer: str | None
    title: str | None


_DATELINE = re.compile(
    rf"[a-z)]\s*,\s*{DAY}\s*(\d{{1,2}})?[\s.…]*{MONTH_WORD}\s*(\d{{1,2}})?[\s.…]*{YEAR_WORD}\s*(\d{{4}})"
)
_STAMP = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[t ]\d{2}:\d{2}")
_WEB = re.compile(
    r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s*(?:[-|,]\s*)?\d{1,2}:\d{2}"
    r"|\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]m)?\s*[-,]?\s*(?:thu\s+\w+\s*,\s*)?"
    r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})"
)
_URL = re.compile(r"^#\s*source:.*?/(\d{4})-(\d{1,2})-(\d{1,2})/", re.M)
#: "Số: 16/KH-UBND", also typed with spaces around the slash ("Số: 16 /KH-HĐTĐKT").
_NUMBER = re.compile(r"\b(?:so|s6|se)\s*:?\s*(\d+[a-z0-9/\-đ]*(?: ?/ ?|-)[a-z0-9/\-đ]+)", re.I)
_TITLE = re.compile(
    r"^\s*(ke\s+hoach|thong\s+bao|huong\s+dan|quyet\s+dinh|cong\s+van|to\s+trinh)\s*$", re.M
)
_MOTTO = re.compile(r"cong\s+hoa|doc\s+lap|^#")


def _iso(year: str, month: str, day: str | None) -> str | None:
    y, m = int(year), int(month)
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{y:04d}-{m:02d}"
    d = int(day)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= d <= 31 else None


def _doc_date(folded: str) -> str | None:
    head = folded[:3000]
    for m in _DATELINE.finditer(head):
        if m[2]:
            return _iso(m[3], m[2], m[1])
    if stamp := _STAMP.search(folded):
        return _iso(stamp[1], stamp[2], stamp[3])
    if web := _WEB.search(folded):
        return _iso(web[3], web[2], web[1]) if web[1] else _iso(web[6], web[5], web[4])
    if url := _URL.search(folded):
        return _iso(url[1], url[2], url[3])
    return None


def read_header(text: str, folded: str) -> Header:
    """Read the particulars from the first lines of ``text`` (``folded`` is its folded copy)."""
    number = _NUMBER.search(folded[:1500])
    lines = text[:1500].splitlines()
    folded_lines = folded[:1500].splitlines()
    issuer = None
    for line, low in zip(lines, folded_lines, strict=True):
        stripped = line.strip()
        if not stripped or _MOTTO.search(low.strip()) or _TITLE.match(low):
            continue
        if stripped.isupper() and sum(ch.isalpha() for ch in stripped) > 3:
            issuer = stripped
            break
    title = None
    if t := _TITLE.search(folded[:3000]):
        following = text[t.end() : t.end() + 300].strip().splitlines()
        title = " ".join([text[t.start() : t.end()].strip(), *following[:1]]).strip()
    return Header(
        doc_date=_doc_date(folded),
        doc_number="".join(text[number.start(1) : number.end(1)].split()) if number else None,
        issuer=issuer,
        title=title,
    )
