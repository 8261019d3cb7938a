"""Everyday questions typed in plain Vietnamese: one small table of phrases, one matcher.

The table (:data:`PHRASES`) is data: each intent lists the ways people ask it. Text and phrases
are compared folded (:func:`storage.text.fold_text`: no case, diacritics or punctuation), after
dropping courtesy words ("cho tôi hỏi", "ạ", "vậy"…), word by word with small typos allowed
(a bounded edit distance that grows with the word's length). Input is capped before matching:
text over :data:`MAX_CHARS` characters or :data:`MAX_WORDS` words is never a question here.

``"<đơn vị> đã nộp chưa"`` is a pattern: the words before the question are the unit (returned as
:attr:`IntentMatch.arg`).

:func:`match_intent` returns what the text most likely asks:

* :class:`IntentMatch` with ``sure=True`` — a phrase of one intent, alone or with a few more
  words; route it at any time.
* :class:`IntentMatch` list (``sure=False``) — only keywords of one to three intents matched:
  offer them as choices rather than "Tôi chưa hiểu".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storage.text import fold_text

__all__ = [
    "KEYWORDS",
    "MAX_CHARS",
    "MAX_WORDS",
    "PHRASES",
    "Intent",
    "IntentMatch",
    "edit_distance",
    "match_intent",
    "similar",
]

#: Longer text is never matched (the matcher's work stays bounded whatever arrives).
MAX_CHARS = 120
MAX_WORDS = 16
#: Words a phrase may be surrounded by and still be "sure".
_EXTRA_WORDS = 3
#: At most this many meanings offered for an unclear text.
MAX_CHOICES = 3


class Intent(enum.StrEnum):
    """An everyday question the core answers."""

    LATE = "late"  # ai chưa nộp
    OVERDUE = "overdue"  # ai nộp muộn
    MISSING = "missing"  # còn thiếu gì
    STATUS = "status"  # tình hình
    DEADLINE = "deadline"  # hạn nộp khi nào
    UNIT_SENT = "unit_sent"  # <đơn vị> đã nộp chưa
    UNLINKED = "unlinked"  # đơn vị nào chưa liên kết
    EXPORT = "export"  # xuất danh sách
    HELP = "help"  # hướng dẫn


#: How people ask each question (written with diacritics; compared folded).
PHRASES: Mapping[Intent, tuple[str, ...]] = {
    Intent.LATE: (
        "ai chưa nộp",
        "ai chưa gửi",
        "ai chưa báo cáo",
        "còn ai chưa nộp",
        "những ai chưa nộp",
        "đơn vị nào chưa nộp",
        "những đơn vị nào chưa nộp",
        "đơn vị chưa nộp",
        "các đơn vị chưa nộp",
        "đơn vị nào chưa gửi",
        "đơn vị nào chưa báo cáo",
        "chưa nộp",
        "danh sách chưa nộp",
        "còn bao nhiêu đơn vị chưa nộp",
        "bao nhiêu đơn vị chưa nộp",
        "ai còn nợ",
        "nơi nào chưa nộp",
    ),
    Intent.OVERDUE: (
        "ai nộp muộn",
        "ai nộp trễ",
        "ai quá hạn",
        "đơn vị nào nộp muộn",
        "đơn vị nào quá hạn",
        "đơn vị nào nộp trễ",
        "nộp muộn",
        "nộp trễ",
        "quá hạn",
        "trễ hạn",
        "ai trễ hạn",
        "những ai nộp muộn",
        "ai bị trễ",
    ),
    Intent.MISSING: (
        "còn thiếu gì",
        "thiếu gì",
        "còn thiếu cái gì",
        "còn thiếu những gì",
        "đơn vị tôi còn thiếu gì",
        "tôi còn thiếu gì",
        "còn phải nộp gì",
        "phải nộp gì",
        "cần nộp gì",
        "còn nợ gì",
        "chưa nộp gì",
        "còn gì chưa nộp",
        "thiếu báo cáo nào",
    ),
    Intent.STATUS: (
        "tình hình",
        "tình hình thế nào",
        "tình hình nộp",
        "tình hình nộp báo cáo",
        "tình hình chung",
        "tiến độ",
        "tiến độ thế nào",
        "tổng hợp",
        "tổng quan",
        "thống kê",
        "báo cáo tình hình",
        "đã nộp được bao nhiêu",
        "bao nhiêu đơn vị đã nộp",
    ),
    Intent.DEADLINE: (
        "hạn nộp khi nào",
        "hạn nộp",
        "hạn chót",
        "hạn chót khi nào",
        "khi nào hết hạn",
        "bao giờ hết hạn",
        "hạn là khi nào",
        "hạn ngày nào",
        "hạn nộp ngày nào",
        "nộp trước ngày nào",
        "khi nào phải nộp",
        "bao giờ phải nộp",
        "deadline",
        "thời hạn",
        "thời hạn nộp",
        "hết hạn khi nào",
    ),
    Intent.UNLINKED: (
        "đơn vị nào chưa liên kết",
        "ai chưa liên kết",
        "chưa liên kết",
        "đơn vị chưa liên kết",
        "những đơn vị chưa liên kết",
        "ai chưa kết nối",
        "đơn vị nào chưa kết nối",
        "ai chưa vào bot",
        "ai chưa dùng bot",
        "ai chưa đăng ký",
        "đơn vị nào chưa đăng ký",
    ),
    Intent.EXPORT: (
        "xuất danh sách",
        "xuất file",
        "xuất excel",
        "xuất báo cáo",
        "xuất dữ liệu",
        "tải danh sách",
        "tải file",
        "tải về",
        "in danh sách",
        "kết xuất",
        "xuất ra excel",
        "xuất",
    ),
    Intent.HELP: (
        "hướng dẫn",
        "trợ giúp",
        "giúp đỡ",
        "giúp",
        "help",
        "làm thế nào",
        "dùng thế nào",
        "sử dụng thế nào",
        "cách dùng",
        "cách sử dụng",
        "hướng dẫn sử dụng",
        "bot làm được gì",
        "tôi làm được gì",
        "menu",
    ),
}

#: Single words that point at an intent when no phrase matched (for offering choices).
KEYWORDS: Mapping[Intent, tuple[str, ...]] = {
    Intent.LATE: ("chưa", "nộp", "gửi"),
    Intent.OVERDUE: ("muộn", "trễ", "quá"),
    Intent.MISSING: ("thiếu", "nợ"),
    Intent.STATUS: ("tình", "tiến", "thống", "tổng"),
    Intent.DEADLINE: ("hạn", "khi", "bao giờ"),
    Intent.UNLINKED: ("liên kết", "kết nối", "đăng ký"),
    Intent.EXPORT: ("xuất", "tải", "excel", "file"),
    Intent.HELP: ("hướng", "giúp", "cách"),
}

#: Courtesy and filler words dropped from text and phrases before comparing (folded).
_FILLERS = frozenset(
    [
        "a",
        "ah",
        "ak",
        "vay",
        "nhi",
        "nhe",
        "nha",
        "the",
        "oi",
        "hoi",
        "xin",
        "cho",
        "toi",
        "minh",
        "em",
        "anh",
        "chi",
        "ban",
        "bot",
        "voi",
        "di",
        "ha",
        "hen",
        "hien",
        "nay",
        "roi",
        "lai",
        "xem",
        "biet",
        "duoc",
        "khong",
        "ko",
        "k",
        "hay",
        "vui",
        "long",
        "dum",
        "cua",
        "ve",
        "la",
        "co",
    ]
)

#: "<đơn vị> đã nộp chưa": the question words after the unit (folded, fillers dropped).
_UNIT_SENT_TAILS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(fold_text(t).split())
            for t in (
                "đã nộp chưa",
                "nộp chưa",
                "đã gửi chưa",
                "gửi chưa",
                "đã báo cáo chưa",
                "báo cáo chưa",
                "đã nộp báo cáo chưa",
                "nộp báo cáo chưa",
                "đã nộp đủ chưa",
                "nộp đủ chưa",
            )
        ),
        key=lambda tail: -len(tail),
    )
)
#: Courtesy words before the unit's name ("cho tôi hỏi Ba Đình đã nộp chưa").
_LEADING = frozenset(["cho", "toi", "minh", "em", "hoi", "xin", "bot", "oi", "vay", "the"])
#: Words that, before "đã nộp chưa", make it a question about everyone, not a unit.
_NOT_A_UNIT = frozenset(
    ["ai", "nhung", "nao", "cac", "don", "vi", "moi", "tat", "ca", "bao", "nhieu"]
)


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """What a text asks: the intent, its argument (the unit, for UNIT_SENT), how sure."""

    intent: Intent
    arg: str = ""
    sure: bool = True


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _allowed_typos(word: str) -> int:
    """Typos tolerated in a word of this length (none in short words: they differ by one)."""
    if len(word) >= 7:
        return 2
    if len(word) >= 4:
        return 1
    return 0


def similar(typed: str, word: str) -> bool:
    """``typed`` is ``word`` (both folded) or ``word`` with a small typo."""
    if typed == word:
        return True
    limit = _allowed_typos(word)
    if limit == 0 and len(word) == 3 and len(typed) == 4:
        limit = 1  # one extra letter ("nopj": a Telex tone key left in)
    return limit > 0 and edit_distance(typed, word, limit) <= limit


def _words(text: str) -> list[str]:
    return [w for w in fold_text(text).split() if w not in _FILLERS]


def _find(words: Sequence[str], phrase: Sequence[str], *, typos: bool = True) -> int | None:
    """Where ``phrase`` occurs in ``words`` (word by word, typos allowed); None if nowhere."""
    size = len(phrase)
    same = similar if typos else str.__eq__
    for start in range(len(words) - size + 1):
        if all(same(words[start + k], phrase[k]) for k in range(size)):
            return start
    return None


_PHRASE_WORDS: tuple[tuple[Intent, tuple[str, ...]], ...] = tuple(
    sorted(
        ((intent, tuple(_words(p))) for intent, phrases in PHRASES.items() for p in phrases),
        key=lambda item: -len(item[1]),
    )
)
_KEYWORD_WORDS: tuple[tuple[Intent, tuple[str, ...]], ...] = tuple(
    (intent, tuple(fold_text(k).split())) for intent, words in KEYWORDS.items() for k in words
)


def _unit_sent(text: str) -> IntentMatch | None:
    """``"<đơn vị> đã nộp chưa"``: the unit's words and the question after them.

    The unit's words are kept as typed (folded): a name may hold a courtesy word ("Hà Lan").
    """
    words = fold_text(text).split()
    while words and words[-1] in _FILLERS:
        words.pop()
    while words and words[0] in _LEADING:
        words.pop(0)
    for tail in _UNIT_SENT_TAILS:
        if len(words) <= len(tail):
            continue
        head = words[: -len(tail)]
        if all(similar(w, t) for w, t in zip(words[-len(tail) :], tail, strict=True)):
            if any(w in _NOT_A_UNIT for w in head[:2]) and not (
                len(head) > 2 and head[:2] == ["don", "vi"]
            ):
                return None
            return IntentMatch(Intent.UNIT_SENT, " ".join(head))
    return None


def match_intent(text: str) -> IntentMatch | list[IntentMatch] | None:
    """What ``text`` asks, if it is one of the everyday questions.

    Returns:
        One sure :class:`IntentMatch`; or one to three unsure ones when the text only shares
        keywords with them (or a phrase of two intents equally); or None.
    """
    if not text or len(text) > MAX_CHARS:
        return None
    words = _words(text)
    if not words or len(words) > MAX_WORDS:
        return None
    if words[-1] == "chua":
        unit = _unit_sent(text)
        if unit is not None:
            return unit
    best = 0
    found: list[Intent] = []
    for intent, phrase in _PHRASE_WORDS:
        if not phrase or len(phrase) < best or len(words) - len(phrase) > _EXTRA_WORDS:
            continue
        if _find(words, phrase) is None:
            continue
        if len(phrase) > best:
            best, found = len(phrase), [intent]
        elif intent not in found:
            found.append(intent)
    if len(found) == 1:
        return IntentMatch(found[0])
    if found:
        return [IntentMatch(i, sure=False) for i in found[:MAX_CHOICES]]
    hits: dict[Intent, int] = {}
    for intent, keyword in _KEYWORD_WORDS:
        if _find(words, keyword, typos=False) is not None:
            hits[intent] = hits.get(intent, 0) + 1
    if not hits or len(hits) > MAX_CHOICES + 1:
        return None
    ranked = sorted(hits, key=lambda i: -hits[i])[:MAX_CHOICES]
    return [IntentMatch(i, sure=False) for i in ranked]
