"""Reading a plan's text: the document's particulars and the deadlines it sets.

:func:`extract_plan` is the one entry point (the CLI ``tdkt plan extract`` and, next, the chat
``/kehoach`` use it). The rules live in small modules: :mod:`.text` (folding, OCR forms,
clauses), :mod:`.mentions` (date forms), :mod:`.context` (deadline or not, kind, hour),
:mod:`.header` (date, number, issuer, title) and :mod:`.items` (years, dues, merging).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain.plan_reader.header import read_header
from handlers.domain.plan_reader.items import PlanItem, find_items
from handlers.domain.plan_reader.text import fold

__all__ = ["Plan", "PlanItem", "extract_plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What a plan's text says.

    Attributes:
        doc_date: ``"YYYY-MM-DD"`` or ``"YYYY-MM"``; None when not found.
        issuer: The issuing body, when found.
        doc_number: The document's number, when found.
        title: The document's kind and subject, when found.
        items: The proposed requirements and milestones.
    """

    doc_date: str | None
    issuer: str | None
    doc_number: str | None
    title: str | None
    items: tuple[PlanItem, ...]

    def as_dict(self) -> dict[str, object]:
        """The plan as the JSON contract of ``tdkt plan extract --json`` writes it."""
        return {
            "doc_date": self.doc_date,
            "issuer": self.issuer,
            "doc_number": self.doc_number,
            "title": self.title,
            "items": [item.as_dict() for item in self.items],
        }


def extract_plan(text: str, doc_date: str | None = None) -> Plan:
    """Read a plan's ``text``.

    Args:
        text: The text as read from the file or the chat (spans are offsets in it).
        doc_date: The document's date when known (``YYYY-MM-DD`` or ``YYYY-MM``); found in the
            text otherwise.

    Returns:
        The plan, its items in reading order (none when the text sets no deadline).
    """
    header = read_header(text, fold(text))
    date = doc_date or header.doc_date
    return Plan(
        doc_date=date,
        issuer=header.issuer,
        doc_number=header.doc_number,
        title=header.title,
        items=tuple(find_items(text, date)),
    )
