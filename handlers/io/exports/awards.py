"""The award papers an office sends up the chain: the Tờ trình and the draft Quyết định.

Both follow Nghị định 30/2020/NĐ-CP (the letterhead and signature of :mod:`nd30`) and carry the
accepted nominations: the Tờ trình attaches the "Danh sách trích ngang", the Quyết định an annex
grouped by award (Điều 1 – Điều 3 in between). Every word is in
``templates/exports/awards.j2``; ``settings.export`` (to, authority, bases) fills in what the
campaign file does not say.
"""

from __future__ import annotations

from collections import Counter

from docx.enum.text import WD_ALIGN_PARAGRAPH

from handlers.io.exports import nd30
from handlers.io.exports.tables import Table, plain
from handlers.io.exports.word import BODY_SIZE, WordDocument
from handlers.kernel.texts import Texts
from handlers.queries.export_data import NominationRow, Scope
from storage.models import SubjectKind

__all__ = ["decision_document", "proposal_document"]

_AWARDS = "exports/awards"


def _forms(rows: list[NominationRow]) -> list[tuple[str, int, int]]:
    """(award, individuals, collectives) in the order the awards first appear."""
    individuals: Counter[str] = Counter()
    collectives: Counter[str] = Counter()
    order: list[str] = []
    for row in rows:
        award = row.nomination.award_name
        if award not in order:
            order.append(award)
        if row.nomination.subject is SubjectKind.INDIVIDUAL:
            individuals[award] += 1
        else:
            collectives[award] += 1
    return [(award, individuals[award], collectives[award]) for award in order]


def _counts(rows: list[NominationRow]) -> dict[str, int]:
    individuals = sum(1 for r in rows if r.nomination.subject is SubjectKind.INDIVIDUAL)
    return {"individuals": individuals, "collectives": len(rows) - individuals}


def _annex(doc: WordDocument, title: str, under: str, table: Table) -> None:
    """The attached list, on landscape pages after the document."""
    doc.new_section(landscape=True)
    doc.title(title.split("\n"))
    doc.para(under, italic=True, size=BODY_SIZE)
    doc.para("", size=6)
    doc.table(table)


def proposal_document(
    texts: Texts, scope: Scope, rows: list[NominationRow], attached: Table
) -> bytes:
    """The "Tờ trình đề nghị khen thưởng", with the accepted list (``attached``) after it."""
    campaign = scope.campaign
    opts = nd30.export_options(campaign.settings)

    def text(macro: str, /, **params: object) -> str:
        return plain(texts, f"{_AWARDS}.{macro}", **params)

    title = text("proposal_title", campaign=campaign)
    doc = WordDocument(landscape=False, title=title, created=scope.now)
    number, issued = nd30.proposal_reference(campaign.settings)
    nd30.letterhead(doc, texts, scope, "TTr", number=number, issued=issued)
    doc.title([text("proposal_kind"), title])
    doc.para(text("proposal_to", opts=opts), size=BODY_SIZE, before=6)
    if rows:
        units = len({r.unit.id for r in rows})
        doc.body(
            text(
                "proposal_body",
                campaign=campaign,
                forms=_forms(rows),
                units=units,
                **_counts(rows),
            )
        )
    else:
        doc.body(text("proposal_none"))
    nd30.closing(doc, texts, scope, recipients=True)
    symbol = nd30.issuer_symbol(campaign.doc_number)
    under = text(
        "attached_to_proposal",
        campaign=campaign,
        today=issued or scope.today,
        symbol=symbol,
        number=number,
    )
    title_lines = plain(texts, "exports/document.list_title", kind="nominations")
    _annex(doc, title_lines, under, attached)
    return doc.bytes()


def decision_document(
    texts: Texts, scope: Scope, rows: list[NominationRow], annex: Table
) -> bytes:
    """The draft "Quyết định khen thưởng": Điều 1 – Điều 3, the list by award as its annex."""
    campaign = scope.campaign
    opts = nd30.export_options(campaign.settings)

    def text(macro: str, /, **params: object) -> str:
        return plain(texts, f"{_AWARDS}.{macro}", **params)

    title = text("decision_title")
    doc = WordDocument(landscape=False, title=title, created=scope.now)
    nd30.letterhead(doc, texts, scope, "QĐ")
    doc.para(text("draft_mark"), italic=True, size=BODY_SIZE, before=6)
    doc.title([text("decision_kind"), title])
    doc.para(text("decision_authority", campaign=campaign, opts=opts), bold=True, before=6)
    for line in text("decision_bases", campaign=campaign, opts=opts).split("\n"):
        if line.strip():
            doc.para(line, italic=True, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    doc.para(text("decides"), bold=True, before=6)
    doc.body(text("article_1", forms=_forms(rows), **_counts(rows)))
    doc.body(text("article_2"))
    doc.body(text("article_3", campaign=campaign))
    nd30.closing(doc, texts, scope, recipients=True)
    symbol = nd30.issuer_symbol(campaign.doc_number)
    under = text("attached_to_decision", campaign=campaign, today=scope.today, symbol=symbol)
    _annex(doc, text("annex_title"), under, annex)
    return doc.bytes()
