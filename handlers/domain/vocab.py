"""Controlled vocabularies: the codes stored in the database and their Vietnamese labels.

Codes are short ASCII strings (what the database and the campaign files hold); labels are what a
user reads. :func:`unit_kind_from_text` reads a unit kind written either way ("xa_phuong",
"Xã/phường", "Phường", "Doanh nghiệp"…), which is what a spreadsheet made by an office contains.
"""

from __future__ import annotations

from storage.text import fold_text

__all__ = [
    "REQUIREMENT_KIND_LABELS",
    "SUBJECT_LABELS",
    "UNIT_KINDS",
    "unit_kind_from_text",
]

#: Kinds of unit under a secretariat, at commune, district and province level: code → label.
UNIT_KINDS: dict[str, str] = {
    "xa_phuong": "Xã/phường",
    "huyen_thi_xa": "Huyện/thị xã/thành phố",
    "so_ban_nganh": "Sở/ban/ngành",
    "co_quan": "Cơ quan",
    "doan_the": "Đoàn thể",
    "doanh_nghiep": "Doanh nghiệp",
    "truong_hoc": "Trường học",
    "benh_vien": "Bệnh viện",
    "khoa_phong": "Khoa/phòng",
    "khac": "Khác",
}

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


def _kind_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, label in UNIT_KINDS.items():
        table[fold_text(code)] = code
        table[fold_text(label)] = code
        for synonym in _UNIT_KIND_SYNONYMS.get(code, ()):
            table[synonym] = code
    return table


def unit_kind_from_text(text: str) -> str | None:
    """Read a unit kind written as its code, its label or a common synonym.

    Matching ignores case, diacritics and punctuation, so ``"Xã/phường"``, ``"xa phuong"``,
    ``"Phường"`` and ``"xa_phuong"`` all give ``"xa_phuong"``.

    Args:
        text: What the user or the spreadsheet wrote.

    Returns:
        The kind code, or None when the text names no known kind.
    """
    folded = fold_text(text)
    if not folded:
        return None
    return _kind_lookup().get(folded)
