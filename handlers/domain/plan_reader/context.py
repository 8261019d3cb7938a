"""Whether a date mention is a deadline, and of what kind, from the words around it.

A mention becomes an item only when the clause marks it as a time limit or a planned time:
"trước", "chậm nhất", "hạn", "hoàn thành", "tổ chức vào", "dự kiến", "diễn ra", "sẽ", a
timetable line ("Ngày 12/11/2015: Họp …"). Without such a word a date is a reference (a web
stamp, the document's own date, a past meeting). Some contexts rule a mention out even with such
a word: the date of a cited document ("Kế hoạch số 182/KH-UBND ngày 02/8/2019"), an effective
date, a status date ("tính đến ngày"), a superseded limit ("thời hạn cũ"), a period ("từ tháng
7/2018 đến hết tháng 7/2019"), a window tied to a year that is not given ("của năm tổ chức Đại
hội"), a duration ("1/2 ngày").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.domain.plan_reader.mentions import Mention
from handlers.domain.plan_reader.text import BEFORE, DAY, MONTH_WORD, SEND, YEAR_WORD

__all__ = ["Reading", "kind_of", "read_context"]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the context says of a mention that is an item.

    Attributes:
        kind: ``"submit"``, ``"event"`` or ``"report"``.
        phrase_start: Where the phrase quoted for the item starts (its trigger word).
        confidence: 0..1.
        time: ``"HH:MM"`` when an hour goes with the date.
    """

    kind: str
    phrase_start: int
    confidence: float
    time: str | None


# An hour and "ngày"/"tháng" between a trigger word and its date: "trước 16g30 ngày".
_HOUR_DAY = (
    rf"\s*(?:(?:\d{{1,2}}\s*(?:h|g|gio)\s*\d{{0,2}}\s*(?:sang|chieu|toi)?\s*)?"
    rf"(?:{DAY}|{MONTH_WORD})?)?\s*$"
)
# Words right before a mention that make it a limit or a planned time (the folded tail of the
# text before it, within its clause).
_LIMIT = re.compile(
    rf"\b(?:{BEFORE}|cham\s+nhat(?:\s+la)?(?:\s+{BEFORE})?|"
    r"han\s+(?:chot|cuoi|nop)(?:[^\d:\n]{0,40}:)?|"
    rf"thoi\s+han(?:\s+[^\d]{{0,40}})?\s+(?:la|se\s+la)|(?:la|se\s+la)|den\s+het|"
    rf"hoan\s+(?:thanh|tat)(?:\s+[^\d]{{0,30}})?|khong\s+qua){_HOUR_DAY}"
)
_PLANNED = re.compile(
    rf"\b(?:thoi\s+gian[^:\n]{{0,30}}:[^:\n]{{0,30}}?|to\s+chuc|dien\s+ra|khai\s+mac|"
    rf"du\s+kien|vao(?:\s+dip)?|trong(?:\s+2\s+ngay)?|"
    rf"dau|cuoi|tu|se\s+[a-z ]{{0,20}})\s*,?{_HOUR_DAY}"
)
_LINE_HEAD = re.compile(rf"(?:^|\n)\s*[-+*•]?\s*(?:{DAY}\s*)?$")
_TIMETABLE_TAIL = re.compile(r"\s*:")
_FUTURE_AFTER = re.compile(r"^[^.;\n]{0,60}?\b(?:se|du\s+kien)\s+\w")

_CITED = re.compile(
    rf"(?:\d+\s*[/-]\s*[a-z0-9][a-z0-9/\-&]*\s*,?\s*|\bso\s*\d*\s*,?\s*)(?:{DAY})?\s*$"
)
_RULED_OUT = re.compile(
    rf"(?:hieu\s+luc(?:\s+(?:thi\s+hanh|tu))?|tinh\s+den|thay\s+cho|han\s+cu|cap\s+nhat|"
    rf"den\s+cuoi|ky\s+niem|ban\s+hanh|ky\s+ngay|tu\s+{MONTH_WORD}\s*\d+[^.;\n]*den|"
    rf"bat\s+dau\s+tu\s+\d)[^.;\n]{{0,25}}$"
)
# A past event: "Hội nghị đã được tổ chức vào ngày …", "vừa diễn ra".
_PAST = re.compile(
    r"\b(?:da|vua)\s+(?:duoc\s+)?(?:to\s+chuc|dien\s+ra|hop|ban\s+hanh|ky|khai\s+mac|"
    r"trien\s+khai|hoan\s+thanh)\b"
)
_AFTER_RULED_OUT = re.compile(rf"^\s*(?:{DAY}\b|cua\s+{YEAR_WORD}\s+(?!sau)|[-–]\s*\d)")
_PERIOD_AFTER = re.compile(r"^\s*(?:den|[-–])")
_HOUR = re.compile(r"(\d{1,2})\s*(?:h|g|gio)\s*(\d{2})?\s*(sang|chieu|toi)?[^\d]{0,12}$")
_HOUR_AFTER = re.compile(r"^\s*,?\s*(?:luc\s+)?(\d{1,2})\s*(?:h|g|gio)\s*(\d{2})?\b")

# Sending something in: these decide the kind wherever they stand in the clause. OCR forms
# of "gửi" ("giri", "givi"), "nộp" ("nép") and "hồ sơ" ("héd sơ") included.
_SUBMIT = re.compile(
    rf"\b(?:{SEND}|h[oe]d?\s+so|y\s+kien|tiep\s+nhan|nhan\s+bai|"
    r"bai\s+(?:du\s+)?thi|gop\s+y|dang\s+ky)\b"
)
# Holding or finishing something.
_EVENT = re.compile(
    r"\b(?:hoi\s+nghi|dai\s+hoi|hop|binh\s+(?:xet|bau|chon)|ky\s+ket|khai\s+mac|"
    r"dien\s+ra|xet\s+khen|trien\s+khai|so\s+ket|tong\s+ket|to\s+chuc\s+(?!can\b))"
)
_REPORT = re.compile(r"\bbao\s+cao\s+(?:ket\s+qua|tinh\s+hinh|so\s+ket|tong\s+ket)\b")
_CONSULT = re.compile(r"\b(?:lay\s+y\s+kien|dang\s+cong\s+khai|niem\s+yet)\b")
_FINISH = re.compile(r"\bhoan\s+(?:thanh|tat)\b")


def _hour(before: str, after: str) -> str | None:
    m = _HOUR.search(before[-24:]) or _HOUR_AFTER.match(after)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if len(m.groups()) > 2 and m[3] in ("chieu", "toi") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def kind_of(clause: str, limit: bool) -> str:
    """The kind a clause gives: sending wins, then holding, then reporting, then the trigger.

    Without an action word a limit ("trước ngày …") is a submission unless it is a finishing
    ("hoàn thành trước …"), and a planned time is an event.
    """
    if _SUBMIT.search(clause):
        return "submit"
    if _EVENT.search(clause):
        return "event"
    if _REPORT.search(clause):
        return "report"
    return "submit" if limit and not _FINISH.search(clause) else "event"


def read_context(folded: str, mention: Mention, left: int, right: int) -> Reading | None:
    """Read the clause ``folded[left:right]`` around ``mention``; None when it is no item.

    Args:
        folded: The folded text (see :func:`.text.fold`).
        mention: The mention.
        left: Start of its clause.
        right: End of its clause.
    """
    before = folded[max(left, mention.start - 90) : mention.start]
    after = folded[mention.end : min(right, mention.end + 60)]
    if _CITED.search(before[-40:]) or _RULED_OUT.search(before) or _AFTER_RULED_OUT.match(after):
        return None
    if _PAST.search(before):
        return None
    if mention.form == "range" and mention.day and mention.last:
        first_year, last_year = mention.day[0], mention.last[0]
        if first_year and last_year and last_year - first_year >= 1:
            return None  # an anniversary or a period: 19/5/1890 - 19/5/2020
    if mention.form in ("month", "quarter") and _PERIOD_AFTER.match(after):
        return None  # the start of a period: từ tháng 7/2018 đến hết tháng 7/2019
    time = _hour(before, after)
    clause = folded[left:right]
    limit = _LIMIT.search(before)
    if limit:
        weak = limit.group().lstrip().startswith("den")
        kind = kind_of(clause, limit=True)
        if _FINISH.match(limit.group().lstrip()) and not _SUBMIT.search(limit.group()):
            kind = "event"  # hoàn thành việc xét … trước ngày …
        start = mention.start - len(before) + limit.start()
        return Reading(kind, start, 0.6 if weak else 0.9, time)
    kind = kind_of(clause, limit=False)
    if _CONSULT.search(clause):
        kind = "submit"  # a public consultation window: comments are sent in
    planned = _PLANNED.search(before)
    if planned:
        return Reading(kind, mention.start - len(before) + planned.start(), 0.8, time)
    if _LINE_HEAD.search(folded[max(0, mention.start - 12) : mention.start]) and (
        _TIMETABLE_TAIL.match(after) or _FUTURE_AFTER.match(after)
    ):
        head = folded.rfind("\n", 0, mention.start) + 1
        while head < mention.start and folded[head] in " \t-+*•":
            head += 1
        return Reading(kind, head, 0.8, time)
    if _FUTURE_AFTER.match(after) and mention.start - left < 20:
        return Reading(kind, left + len(folded[left:]) - len(folded[left:].lstrip()), 0.7, time)
    return None
