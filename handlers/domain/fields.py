"""The field vocabulary: what a nomination or a delegate is described by, and how a value is read.

A parser takes what a person typed, a spreadsheet cell or the code a button carries, and returns
the value to store or raises :class:`~handlers.domain.errors.UserError` naming what is wrong. The
parsers know nothing of the conversation and do no I/O, so the nomination wizard (``/decu``), its
editing (``/danhsach``), the delegate wizard (``/daibieu``) and an importer of spreadsheet rows all
read a value with the same code. What a parser needs besides the text (today's date, the award
forms a campaign offers) comes in :class:`Facts`.

Look-alike characters: full-width digits (``"１９８５"``, what an East Asian keyboard types) are
read as ASCII digits; any other digit (superscript ``"¹⁹⁸⁵"``, circled, Arabic-Indic ``"١٩٨٥"``)
is refused, as :func:`handlers.domain.normalize.ascii_int` refuses it (NFC and invisible
characters are :func:`handlers.domain.normalize.normalize_text`'s, at the boundary). Choices are
matched folded (case, diacritics and punctuation aside): ``"Nữ"``, ``"nu"``, ``"NỮ"`` are ``"nu"``.

A :class:`Field` describes one answer: its key, the name of its label, its parser, the
codes offered as buttons (if any), and whether it may be left out. Labels and every word shown to a
person are in ``templates/fields.j2``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.normalize import ascii_int
from storage.models import AwardForm, DelegateCategory, SubjectKind
from storage.text import fold_text

__all__ = [
    "AWARD",
    "BIRTH_YEAR",
    "CATEGORY",
    "DELEGATE_FIELDS",
    "ETHNICITY",
    "ETHNIC_GROUPS",
    "GENDER",
    "GENDERS",
    "MIN_AGE",
    "MIN_BIRTH_YEAR",
    "NAME",
    "NO",
    "NOMINATION_FIELDS",
    "POSITION",
    "PRESIDIUM",
    "SUBJECT",
    "SUMMARY",
    "SUMMARY_MAX",
    "SUMMARY_MIN",
    "YES",
    "Facts",
    "Field",
    "award_choices",
    "canonical_ethnicity",
    "field_by_key",
    "names_other_ethnicity",
    "next_field",
    "nomination_fields",
    "parse_award",
    "parse_birth_year",
    "parse_category",
    "parse_ethnicity",
    "parse_gender",
    "parse_name",
    "parse_position",
    "parse_subject",
    "parse_summary",
    "parse_text",
    "parse_yes_no",
]

NAME_MAX = 200
POSITION_MAX = 255
ETHNICITY_MAX = 50
SUMMARY_MIN, SUMMARY_MAX = 20, 3000
MIN_BIRTH_YEAR = 1920
MIN_AGE = 15
_YEAR_MAX_CHARS = 10
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

#: Gender codes, as nominations and delegates store them.
GENDERS: tuple[str, ...] = ("nam", "nu")
#: The codes of a yes/no choice (folded Vietnamese "có"/"không").
YES, NO = "co", "khong"
_YES_WORDS = frozenset({YES, "x", "yes", "y", "1", "true", "dung"})
_NO_WORDS = frozenset({NO, "no", "n", "0", "false", "sai"})

#: The 54 ethnic groups of Việt Nam, as the official list writes them. A typed name that folds
#: to one of them (case, diacritics, spaces and hyphens aside) is stored in this spelling.
ETHNIC_GROUPS: tuple[str, ...] = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê",
    "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ",
    "Xtiêng", "Khơ Mú", "Bru-Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ Triêng", "Co",
    "Chơ Ro", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "Kháng", "Phù Lá", "La Hủ",
    "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng", "Cơ Lao", "Bố Y", "Cống", "Si La",
    "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)  # fmt: skip
_ETHNIC_SYNONYMS = {"hmong": "Mông", "meo": "Mông", "khome": "Khmer", "vankieu": "Bru-Vân Kiều"}
_ETHNIC_LOOKUP = {
    **{fold_text(name).replace(" ", ""): name for name in ETHNIC_GROUPS},
    **_ETHNIC_SYNONYMS,
}
_OTHER_WORDS = frozenset({"khac", "dan toc khac", "khac go ten"})


# --------------------------------------------------------------------------- parsers


def parse_text(text: str, *, limit: int, minimum: int = 1) -> str:
    """Return ``text`` without surrounding whitespace, refusing it empty, too long or too short."""
    text = text.strip()
    if not text:
        raise UserError("text_empty")
    if len(text) > limit:
        raise UserError("text_too_long", limit=limit, length=len(text))
    if len(text) < minimum:
        raise UserError("text_too_short", minimum=minimum)
    return text


def parse_name(text: str) -> str:
    """A person's or a collective's name: 2 to 200 characters with a letter, spaces collapsed."""
    name = " ".join(parse_text(text, limit=NAME_MAX).split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        raise UserError("name_invalid")
    return name


def parse_position(text: str) -> str:
    """A position and workplace (chức vụ, nơi công tác)."""
    return parse_text(text, limit=POSITION_MAX)


def parse_summary(text: str) -> str:
    """A summary of achievements, 20 to 3000 characters."""
    return parse_text(text, limit=SUMMARY_MAX, minimum=SUMMARY_MIN)


def parse_birth_year(text: str, today: dt.date) -> int:
    """A plausible four-digit birth year: from 1920 to ``MIN_AGE`` years before ``today``.

    Full-width digits are read as ASCII digits; other digits (superscript, circled, of other
    scripts) are refused.
    """
    digits = parse_text(text.translate(_FULL_WIDTH_DIGITS), limit=_YEAR_MAX_CHARS)
    year = ascii_int(digits, max_digits=4)
    high = today.year - MIN_AGE
    if year is None or len(digits) != 4 or not MIN_BIRTH_YEAR <= year <= high:
        raise UserError("birth_year_invalid", low=MIN_BIRTH_YEAR, high=high)
    return year


def _choice(text: str, codes: Sequence[str]) -> str:
    """The code among ``codes`` that ``text`` names (code or label, folded)."""
    folded = fold_text(text)
    for code in codes:
        if folded and fold_text(code) == folded:
            return code
    raise UserError("not_a_choice", value=text.strip())


def parse_gender(text: str) -> str:
    """``"nam"`` or ``"nu"``, from the code or the word ("Nam", "Nữ")."""
    return _choice(text, GENDERS)


def parse_subject(text: str) -> str:
    """Whom a nomination is for: ``"ca_nhan"`` or ``"tap_the"`` ("Cá nhân", "Tập thể")."""
    return _choice(text, [s.value for s in SubjectKind])


def parse_category(text: str) -> str:
    """A delegate's category: ``"dien_hinh"`` or ``"khach_moi"`` ("Điển hình", "Khách mời")."""
    return _choice(text, [c.value for c in DelegateCategory])


def parse_yes_no(text: str) -> bool:
    """Yes ("có", "x", "1"…) or no ("không", "0"…)."""
    folded = fold_text(text)
    if folded in _YES_WORDS:
        return True
    if folded in _NO_WORDS:
        return False
    raise UserError("not_a_choice", value=text.strip())


def parse_award(text: str, awards: Mapping[str, str]) -> str:
    """The code of the award form ``text`` names, by code or by name, among ``awards``.

    Args:
        text: A code (``"LDTT"``) or a name (``"Lao động tiên tiến"``).
        awards: The award forms on offer: code → name.
    """
    folded = fold_text(text)
    for code, name in awards.items():
        if folded and folded in (fold_text(code), fold_text(name)):
            return code
    raise UserError("not_a_choice", value=text.strip())


def canonical_ethnicity(text: str) -> str | None:
    """Return the ethnic group ``text`` names, in its official spelling when it is known.

    ``"muong"`` → ``"Mường"``, ``"H'Mông"`` → ``"Mông"``; an unknown but plausible name comes
    back as typed with its words capitalised. None when ``text`` is not a plausible name.
    """
    words = " ".join(text.split())
    if not 2 <= len(words) <= ETHNICITY_MAX or not all(
        ch.isalpha() or ch in " -'’" for ch in words
    ):
        return None
    known = _ETHNIC_LOOKUP.get(fold_text(words).replace(" ", ""))
    if known is not None:
        return known
    return " ".join(w[:1].upper() + w[1:] for w in words.split())


def parse_ethnicity(text: str) -> str:
    """An ethnic group, in its official spelling when it is one of the 54."""
    name = canonical_ethnicity(parse_text(text, limit=ETHNICITY_MAX))
    if name is None:
        raise UserError("ethnicity_invalid")
    return name


def names_other_ethnicity(text: str) -> bool:
    """Whether ``text`` answers "another group" ("Khác") rather than naming one."""
    return fold_text(text) in _OTHER_WORDS


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True, slots=True)
class Facts:
    """What some parsers need besides the text.

    Attributes:
        today: Today in the campaign's timezone (birth years are checked against it).
        awards: The award forms on offer, code → name (for the ``award`` field).
    """

    today: dt.date
    awards: Mapping[str, str] = field(default_factory=dict)


def award_choices(forms: Sequence[AwardForm], subject: str) -> dict[str, str]:
    """The award forms of ``forms`` open to ``subject`` (``ca_nhan``/``tap_the``): code → name."""
    return {f.code: f.name for f in forms if f.subject.value == subject}


@dataclass(frozen=True, slots=True)
class Field:
    """One answer describing a nomination or a delegate.

    Attributes:
        key: The answer's name (``"birth_year"``), also its key in stored data.
        label: The name of its label in ``templates/fields.j2`` (macro ``label``): the key,
            or another name where one key has two labels (``"person_name"``).
        read: Reads a value from text (typed, a cell, or a button's code); raises ``UserError``.
        choices: The codes offered as buttons, given the facts; None when the value is typed.
        typed: Whether typed text is read as well as the choices.
        optional: Whether the answer may be left out (skipped; an empty cell): value None.
        individual_only: Asked of an individual only, not of a collective (nominations).
        limit: The most characters of a typed value (shown in prompts), when it has a limit.
        minimum: The fewest characters of a typed value (shown in prompts).
    """

    key: str
    label: str
    read: Callable[[str, Facts], Any]
    choices: Callable[[Facts], Sequence[str]] | None = None
    typed: bool = True
    optional: bool = False
    individual_only: bool = False
    limit: int | None = None
    minimum: int = 1

    def parse(self, text: str, facts: Facts) -> Any:
        """The value ``text`` gives this field (None for an optional field left empty)."""
        if self.optional and not text.strip():
            return None
        return self.read(text, facts)

    def options(self, facts: Facts) -> tuple[str, ...]:
        """The codes offered as buttons (none for a typed field)."""
        return tuple(self.choices(facts)) if self.choices is not None else ()


def _typed(key: str, parse: Callable[[str], Any], **options: Any) -> Field:
    """A field whose value is typed (or in a cell), read by ``parse``."""
    return Field(key, key, lambda text, _facts: parse(text), **options)


def _picked(key: str, parse: Callable[[str], Any], codes: Sequence[str]) -> Field:
    """A field whose value is one of ``codes``, pressed (or named in a cell)."""
    return Field(key, key, lambda text, _facts: parse(text), lambda _facts: codes, typed=False)


NAME = _typed("name", parse_name, limit=NAME_MAX)
SUBJECT = _picked("subject", parse_subject, tuple(s.value for s in SubjectKind))
GENDER = _picked("gender", parse_gender, GENDERS)
BIRTH_YEAR = Field("birth_year", "birth_year", lambda text, f: parse_birth_year(text, f.today))
POSITION = _typed("position", parse_position, limit=POSITION_MAX)
AWARD = Field(
    "award",
    "award",
    lambda text, f: parse_award(text, f.awards),
    lambda f: tuple(f.awards),
    typed=False,
)
SUMMARY = _typed("summary", parse_summary, limit=SUMMARY_MAX, minimum=SUMMARY_MIN)
ETHNICITY = _typed(
    "ethnicity", parse_ethnicity, choices=lambda _facts: ("Kinh",), limit=ETHNICITY_MAX
)
CATEGORY = _picked("category", parse_category, tuple(c.value for c in DelegateCategory))
PRESIDIUM = _picked("presidium", parse_yes_no, (YES, NO))

#: The nomination wizard's answers after whom it is for (:data:`SUBJECT`), in order.
NOMINATION_FIELDS: tuple[Field, ...] = (
    NAME,
    dataclasses.replace(GENDER, individual_only=True),
    dataclasses.replace(BIRTH_YEAR, individual_only=True),
    dataclasses.replace(POSITION, individual_only=True),
    AWARD,
    SUMMARY,
)
#: The delegate wizard's answers, in order.
DELEGATE_FIELDS: tuple[Field, ...] = (
    dataclasses.replace(NAME, label="person_name"),
    dataclasses.replace(BIRTH_YEAR, optional=True),
    GENDER,
    ETHNICITY,
    POSITION,
    CATEGORY,
    PRESIDIUM,
)


def nomination_fields(subject: str) -> tuple[Field, ...]:
    """The answers asked for an individual (``ca_nhan``) or a collective (``tap_the``)."""
    individual = subject == SubjectKind.INDIVIDUAL
    return tuple(f for f in NOMINATION_FIELDS if individual or not f.individual_only)


def next_field(fields: Sequence[Field], key: str) -> Field | None:
    """The field asked after the one named ``key`` in ``fields``; None after the last."""
    keys = [f.key for f in fields]
    index = keys.index(key) + 1
    return fields[index] if index < len(fields) else None


def field_by_key(fields: Sequence[Field], key: str) -> Field:
    """The field of ``fields`` named ``key``.

    Raises:
        KeyError: no such field.
    """
    for candidate in fields:
        if candidate.key == key:
            return candidate
    raise KeyError(key)
