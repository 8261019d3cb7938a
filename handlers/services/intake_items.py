"""Plan intake: what a draft item targets — which units, a dossier's parts, the file types.

An item of a draft (:mod:`handlers.services.intake`) carries, besides its due and kind::

    "units": {"mode": "all"} | {"mode": "kinds", "kinds": [...]}
             | {"mode": "blocks", "blocks": [...]} | {"mode": "codes", "codes": [...]},
    "parts": ["Tờ trình", "Báo cáo thành tích", ...],   # a dossier's parts (kind "dossier")
    "accept": ["pdf", "docx"],                          # accepted file types; [] = the default

Items read before these keys existed have none of them: they mean every unit, no parts and the
default types. :func:`item_targets` turns an item into the requirement's targeting columns
(``unit_kinds``, ``unit_codes``, ``unit_blocks``, ``parts``, ``accept``); a block is matched
against :attr:`storage.models.Unit.block` as spelt there (the chat offers the blocks that
exist).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.files import DOCUMENT_EXTENSIONS
from storage.models import PlanDraft, RequirementKind
from storage.repositories.units import UnitRepository
from storage.text import fold_text, vn_sort_key

__all__ = [
    "ACCEPT_PRESETS",
    "PART_MAX",
    "block_counts",
    "check_targets",
    "item_targets",
    "parse_accept",
    "parse_parts",
]

#: The longest dossier part's name (as in the campaign file).
PART_MAX = 120
#: The most parts a dossier is given in the chat.
_PARTS_MAX = 30
#: Sets of file types offered as buttons (the name is the button's template label).
ACCEPT_PRESETS: dict[str, tuple[str, ...]] = {
    "default": (),
    "pdf": ("pdf",),
    "word": ("doc", "docx"),
    "pdf_word": ("pdf", "doc", "docx"),
    "excel": ("xls", "xlsx"),
    "images": ("jpg", "jpeg", "png", "pdf"),
}
_DEFAULT_WORDS = frozenset({"mac dinh", "tat ca", "default", "*"})


def item_targets(item: dict[str, Any]) -> dict[str, list[str]]:
    """The requirement's targeting columns for a draft item (see the module docstring).

    Raises:
        UserError: ``intake_dossier_no_parts`` for a dossier item without parts.
    """
    units = item.get("units") or {"mode": "all"}
    mode = units.get("mode")
    dossier = item.get("kind") == RequirementKind.DOSSIER.value
    parts = list(item.get("parts") or []) if dossier else []
    if dossier and not parts:
        raise UserError("intake_dossier_no_parts", title=item.get("title") or "")
    return {
        "unit_kinds": list(units.get("kinds", [])) if mode == "kinds" else [],
        "unit_codes": list(units.get("codes", [])) if mode == "codes" else [],
        "unit_blocks": list(units.get("blocks", [])) if mode == "blocks" else [],
        "parts": parts,
        "accept": list(item.get("accept") or []),
    }


def check_targets(draft: PlanDraft) -> None:
    """Refuse (``intake_dossier_no_parts``) when an accepted item cannot become a requirement."""
    for item in draft.plan["items"]:
        if item["status"] == "accepted":
            item_targets(item)


async def block_counts(session: AsyncSession) -> dict[str, int]:
    """The emulation blocks of the active units (Vietnamese order) with their unit counts."""
    counts = Counter(u.block for u in await UnitRepository(session).list_all() if u.is_active)
    return {b: counts[b] for b in sorted((b for b in counts if b), key=vn_sort_key)}


def parse_parts(text: str) -> list[str]:
    """A dossier's parts typed one per line (or separated by ";"), repeats dropped.

    Leading list marks ("1.", "-", "•", "a)") are removed.

    Raises:
        UserError: ``intake_parts_bad`` when there is none, too many, or one is too long.
    """
    parts: list[str] = []
    seen: set[str] = set()
    for line in re.split(r"[;\n]", text):
        part = " ".join(re.sub(r"^\s*(?:[-+*•–]|\d{1,2}[.)]|[a-zđ]\))\s*", "", line).split())
        if part and fold_text(part) not in seen:
            seen.add(fold_text(part))
            parts.append(part)
    if not parts or len(parts) > _PARTS_MAX or any(len(p) > PART_MAX for p in parts):
        raise UserError("intake_parts_bad", max=PART_MAX, count=_PARTS_MAX)
    return parts


def parse_accept(text: str) -> list[str]:
    """File types typed "pdf, docx" (or ".pdf .docx"), checked; "mặc định" is the default ([]).

    Raises:
        UserError: ``req_accept_bad`` naming the types not known
            (:data:`handlers.domain.files.DOCUMENT_EXTENSIONS`).
    """
    if fold_text(text).strip(" .") in _DEFAULT_WORDS:
        return []
    exts = [t.lower().lstrip(".") for t in re.split(r"[,;\s]+", text) if t.strip(" .")]
    bad = [e for e in exts if f".{e}" not in DOCUMENT_EXTENSIONS]
    if bad or not exts:
        known = ", ".join(sorted(e.lstrip(".") for e in DOCUMENT_EXTENSIONS))
        raise UserError("req_accept_bad", bad=bad, known=known)
    return list(dict.fromkeys(exts))
