"""Controlled vocabularies: the codes stored in the database and their Vietnamese labels.

Codes are short ASCII strings (what the database and the campaign files hold); labels are what a
user reads. :func:`unit_kind_from_text` reads a unit kind written either way ("xa_phuong",
"Xã/phường", "Phường", "Doanh nghiệp"…), which is what a spreadsheet made by an office contains.

Unit kinds are a per-deployment vocabulary: :data:`DEFAULT_UNIT_KINDS` covers commune, district
and province level; a deployment adds kinds, relabels them or adds aliases with a small YAML
file (``TDKT_UNIT_KINDS_FILE``, read by :mod:`handlers.io.unit_kinds_file` into
:meth:`UnitKinds.with_overrides`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from handlers.domain.unit_kind_labels import UNIT_KINDS
from storage.text import fold_text

__all__ = [
    "DEFAULT_UNIT_KINDS",
    "REQUIREMENT_KIND_LABELS",
    "SUBJECT_LABELS",
    "UNIT_KINDS",
    "UNIT_KINDS_CONTEXT",
    "UnitKindSpec",
    "UnitKinds",
    "unit_kind_from_text",
]

#: The built-in unit kinds, code → label (:mod:`handlers.domain.unit_kind_labels`).

#: What a requirement asks for: :class:`storage.models.RequirementKind` value → label.
REQUIREMENT_KIND_LABELS: dict[str, str] = {
    "plan": "Kế hoạch",
    "report": "Báo cáo",
    "nomination_list": "Danh sách đề cử",
    "dossier": "Hồ sơ",
    "event": "Tổ chức sự kiện",
}

#: Whom an award form or a nomination is for: :class:`storage.models.SubjectKind` value → label.
SUBJECT_LABELS: dict[str, str] = {
    "ca_nhan": "Cá nhân",
    "tap_the": "Tập thể",
}

# Other ways offices write a unit kind, folded (lower case, no diacritics, single spaces).
_UNIT_KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "xa_phuong": (
        "xa",
        "phuong",
        "thi tran",
        "xa phuong",
        "phuong xa",
        "xa phuong thi tran",
        "xa thi tran",
        "ubnd xa",
        "ubnd phuong",
        "ubnd thi tran",
        "ubnd xa phuong",
        "ubnd xa phuong thi tran",
    ),
    "huyen_thi_xa": (
        "huyen",
        "quan",
        "thi xa",
        "thanh pho",
        "huyen thi xa",
        "quan huyen",
        "huyen thi xa thanh pho",
        "ubnd huyen",
        "ubnd quan",
        "ubnd thi xa",
        "ubnd thanh pho",
    ),
    "so_ban_nganh": (
        "so",
        "ban",
        "nganh",
        "so nganh",
        "ban nganh",
        "so ban nganh",
        "so ban nganh tinh",
    ),
    "co_quan": (
        "co quan don vi",
        "co quan nha nuoc",
        "co quan chuyen mon",
        "don vi su nghiep",
        "co quan hanh chinh",
    ),
    "doan_the": (
        "to chuc doan the",
        "doan the chinh tri xa hoi",
        "dang doan the",
        "mat tran doan the",
        "hoi doan the",
    ),
    "doanh_nghiep": ("cong ty", "doanh nghiep nha nuoc", "hop tac xa"),
    "truong_hoc": ("truong", "co so giao duc"),
    "benh_vien": ("benh vien", "trung tam y te", "tram y te", "co so y te"),
    "khoa_phong": ("khoa", "khoa phong", "phong khoa", "phong ban", "khoa phong ban"),
    "khac": ("other",),
}


_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class UnitKindSpec:
    """One kind of unit as a deployment declares it (before checking)."""

    code: str
    label: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitKinds:
    """A vocabulary of unit kinds: code → label, and what each kind may be written as."""

    labels: Mapping[str, str]
    #: Folded alias → code (codes and labels included).
    lookup: Mapping[str, str] = field(repr=False)

    @classmethod
    def build(cls, labels: Mapping[str, str], aliases: Mapping[str, Sequence[str]]) -> UnitKinds:
        """A vocabulary from labels and aliases (aliases folded; codes and labels read too).

        Raises:
            ValueError: An alias, label or code names two kinds (in Vietnamese).
        """
        lookup: dict[str, str] = {}
        for code, label in labels.items():
            for word in (code, label, *aliases.get(code, ())):
                folded = fold_text(word)
                if not folded:
                    continue
                other = lookup.get(folded)
                if other is not None and other != code:
                    raise ValueError(f"«{word}» chỉ cả loại {other} và loại {code}.")
                lookup[folded] = code
        return cls(dict(labels), lookup)

    def with_overrides(self, specs: Sequence[UnitKindSpec], *, replace: bool = False) -> UnitKinds:
        """This vocabulary with kinds added or relabelled and aliases added.

        Args:
            specs: The deployment's kinds: a known code gets a new label (if given) and more
                aliases; a new code needs a label.
            replace: Keep only the kinds listed (an office with its own list).

        Raises:
            ValueError: A code that is not lower-case ASCII, a new kind without a label, a
                repeated code, or an alias naming two kinds (in Vietnamese).
        """
        labels: dict[str, str] = {} if replace else dict(self.labels)
        aliases: dict[str, list[str]] = {}
        if not replace:
            for alias, code in self.lookup.items():
                aliases.setdefault(code, []).append(alias)
        seen: set[str] = set()
        for spec in specs:
            if not _CODE.match(spec.code):
                raise ValueError(
                    f"Mã loại «{spec.code}» phải viết thường, không dấu (a-z, 0-9, _), "
                    "tối đa 32 ký tự."
                )
            if spec.code in seen:
                raise ValueError(f"Loại {spec.code} được khai hai lần.")
            seen.add(spec.code)
            label = spec.label or self.labels.get(spec.code)
            if not label:
                raise ValueError(f"Loại mới {spec.code} cần có tên (label).")
            labels[spec.code] = label
            kept = self.lookup if spec.code in self.labels else {}
            aliases[spec.code] = [a for a, c in kept.items() if c == spec.code] + list(
                spec.aliases
            )
        if not labels:
            raise ValueError("Danh sách loại đơn vị trống.")
        return UnitKinds.build(labels, aliases)

    def from_text(self, text: str) -> str | None:
        """The kind ``text`` names (its code, label or an alias; case and diacritics aside)."""
        folded = fold_text(text)
        return self.lookup.get(folded) if folded else None

    def label(self, code: str) -> str:
        """The kind's label (the code itself when unknown)."""
        return self.labels.get(code, code)

    def __iter__(self) -> Iterator[str]:
        """The codes, in order."""
        return iter(self.labels)

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` is a kind of this vocabulary."""
        return code in self.labels


#: Validation context key (campaign files): the deployment's :class:`UnitKinds`.
UNIT_KINDS_CONTEXT = "unit_kinds"

#: The built-in vocabulary (commune, district and province level, with common aliases).
DEFAULT_UNIT_KINDS = UnitKinds.build(UNIT_KINDS, _UNIT_KIND_SYNONYMS)


def unit_kind_from_text(text: str, kinds: UnitKinds | None = None) -> str | None:
    """Read a unit kind written as its code, its label or a common synonym.

    Matching ignores case, diacritics and punctuation, so ``"Xã/phường"``, ``"xa phuong"``,
    ``"Phường"`` and ``"xa_phuong"`` all give ``"xa_phuong"``.

    Args:
        text: What the user or the spreadsheet wrote.
        kinds: The deployment's vocabulary (default: the built-in one).

    Returns:
        The kind code, or None when the text names no known kind.
    """
    return (kinds or DEFAULT_UNIT_KINDS).from_text(text)
