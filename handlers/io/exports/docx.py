"""The Word documents of the exports: a list with one table, and the summary report.

Laid out per Nghị định 30/2020/NĐ-CP (:mod:`handlers.io.exports.word` for the page,
:mod:`handlers.io.exports.nd30` for the letterhead and the signature). Every text comes from
``templates/exports/*.j2``, rendered as plain text; times are shown in the campaign's timezone.
"""

from __future__ import annotations

from handlers.io.exports import nd30
from handlers.io.exports.tables import Table, late_list, plain, report_document_tables
from handlers.io.exports.word import BODY_SIZE, TABLE_SIZE, WordDocument
from handlers.kernel.texts import Texts
from handlers.queries.export_data import Report, Scope

__all__ = ["MIME", "list_document", "report_document"]

MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_DOC = "exports/document"
_REPORT = "exports/report"


def list_document(texts: Texts, scope: Scope, table: Table) -> bytes:
    """A list (trích ngang, đại biểu, tình hình nộp) as a Word document with one table."""
    doc = WordDocument(landscape=table.landscape, title=table.title, created=scope.now)
    nd30.letterhead(doc, texts, scope, None)
    doc.title(plain(texts, f"{_DOC}.list_title", kind=table.kind.value).split("\n"))
    reference = plain(
        texts,
        f"{_DOC}.list_reference",
        campaign=scope.campaign,
        unit=scope.unit,
        now=scope.now,
        tz=scope.campaign.timezone,
    )
    for line in reference.split("\n"):
        doc.para(line, italic=True, size=BODY_SIZE)
    doc.para("", size=6)
    doc.table(table)
    nd30.closing(doc, texts, scope, recipients=False)
    return doc.bytes()


def report_document(texts: Texts, report: Report) -> bytes:
    """The "Báo cáo tổng hợp tình hình thực hiện kế hoạch" as a Word document."""
    scope = report.scope
    campaign, unit = scope.campaign, scope.unit
    when = {"now": scope.now, "tz": campaign.timezone}

    def text(macro: str, /, **params: object) -> str:
        return plain(texts, f"{_REPORT}.{macro}", **params)

    title = text("title", campaign=campaign)
    doc = WordDocument(landscape=False, title=title, created=scope.now)
    nd30.letterhead(doc, texts, scope, "BC")
    doc.title([text("kind"), title])
    doc.body(text("intro", campaign=campaign, unit=unit, **when))
    doc.heading(text("heading_progress", unit=unit))
    progress, forms = report_document_tables(texts, report)
    doc.para(text("table_caption"), italic=True, size=TABLE_SIZE, before=6)
    doc.table(progress)
    for index, f in enumerate(report.requirements, start=1):
        owing = ", ".join(m.unit.name for m in f.owing)
        doc.body(text("requirement", index=index, f=f, late=late_list(texts, f), owing=owing))
    doc.heading(text("heading_nominations"))
    doc.body(text("nominations", report=report))
    if report.forms:
        doc.para(text("forms_caption"), italic=True, size=TABLE_SIZE, before=6)
        doc.table(forms)
    doc.heading(text("heading_conclusions"))
    doc.body(text("conclusions", report=report, **when))
    doc.body(text("closing", **when))
    nd30.closing(doc, texts, scope, recipients=True)
    return doc.bytes()
