"""Who must act: the subject of the clause a deadline stands in, when the text names one.

"Các xã, phường gửi hồ sơ trước …" → "Các xã, phường"; "Liên đoàn Lao động tỉnh tổ chức trước
30/4/2020" → "Liên đoàn Lao động tỉnh". The subject is the words before the clause's verb
(send, hold, finish, carry out …), from the first word naming a body that acts (a unit,
council, office, level or head, optionally after "các"/"mỗi"/"toàn thể"). None otherwise.
"""

from __future__ import annotations

import re

from handlers.domain.plan_reader.text import SEND

__all__ = ["find_who"]

_VERB = re.compile(
    rf"\s+(?:{SEND}|to\s+chuc|hoan\s+(?:thanh|thien|tat)|tien\s+hanh|thuc\s+hien|binh\s+(?:xet|bau)|"
    r"xay\s+dung|co\s+trach\s+nhiem|chu\s+dong|phai|de\s+nghi|lap|se)\b"
)
# A body that acts: a unit, a council, an office, a level, a head.
_BODY = (
    r"(?<!ho\s)(?<!dai\s)(?:ubnd|uy\s+ban|hoi\s+dong|ban|phong|so|lien\s+doan|huyen|quan|xa|phuong|thi\s+xa|"
    r"thi\s+tran|thanh\s+pho|tinh|truong(?!\s+hop)|khoa|cong\s+doan|doan|hoi(?!\s+nghi)|mat\s+tran|cum|"
    r"khoi|don\s+vi|co\s+quan|co\s+so|cap|khu|to|thu\s+truong|chu\s+tich|nganh|doanh\s+nghiep|"
    r"bo|cuc|vu|tong\s+cuc|benh\s+vien|trung\s+tam|chi\s+bo|dang\s+uy)\b"
)
_OPENING = re.compile(rf"\b(?:(?:cac|moi|toan\s+the)\s+)?{_BODY}")
_MAX = 90


def find_who(text: str, folded: str, left: int, phrase_start: int) -> str | None:
    """Return who acts in a clause, or None when it names nobody before its verb.

    Args:
        text: The text.
        folded: Its folded copy.
        left: Start of the clause.
        phrase_start: Start of the deadline's phrase in the clause.
    """
    head_start = left
    while head_start < phrase_start and not text[head_start].isalnum():
        head_start += 1
    verb = _VERB.search(folded, head_start, phrase_start)
    if verb is None:
        return None
    opening = _OPENING.search(folded, head_start, verb.start())
    if opening is None:
        return None
    start = opening.start()
    who = " ".join(text[start : verb.start()].split()).strip(" ,;:-")
    if not who or len(who) > _MAX or re.match(r"^\d", who):
        return None
    return who
