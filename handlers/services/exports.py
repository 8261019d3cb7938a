"""Build an export file: query the data in scope and draw it in the format asked for.

In a chat, a file is not built in the message's transaction: :func:`queue_export` writes a job
(``export_jobs``) and the scheduler's export worker builds it later with :func:`build_job`, off
the event loop and from a read-only session, and sends it. The CLI calls :func:`build_export`
directly. The drawing libraries (openpyxl, python-docx) are imported only when a file is drawn.

The /tinhhinh chart goes the same way (:func:`queue_chart`, a job of kind :data:`CHART_JOB`):
matplotlib draws in the worker, never in a message's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.io.exports import tables
from handlers.kernel.messages import ChatKey, OutgoingFile, Reply
from handlers.kernel.ports import FileStore
from handlers.kernel.texts import Texts
from handlers.queries import export_data as data
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.queries.stats import UnitFilter, requirement_stats
from storage.models import Campaign, ExportJob, SubjectKind, Unit
from storage.repositories.exports import ExportJobRepository

__all__ = [
    "CHART_JOB",
    "FORMATS",
    "build_export",
    "build_job",
    "done_text",
    "failed_reply",
    "file_name",
    "queue_charts",
    "queue_export",
]

#: ``ExportJob.kind`` of a /tinhhinh chart (not an :class:`ExportKind`: /xuat never offers it).
CHART_JOB = "chart"

#: The formats each kind comes in, the usual one first.
FORMATS: dict[ExportKind, tuple[ExportFormat, ...]] = {
    ExportKind.PROGRESS: (ExportFormat.XLSX, ExportFormat.DOCX),
    ExportKind.NOMINATIONS: (ExportFormat.XLSX, ExportFormat.DOCX),
    ExportKind.DELEGATES: (ExportFormat.XLSX, ExportFormat.DOCX),
    ExportKind.REPORT: (ExportFormat.DOCX, ExportFormat.XLSX),
    ExportKind.NOMINATIONS_ALL: (ExportFormat.XLSX, ExportFormat.DOCX),
    ExportKind.PROPOSAL: (ExportFormat.DOCX,),
    ExportKind.DECISION: (ExportFormat.DOCX,),
    ExportKind.FILES: (ExportFormat.ZIP,),
}

_FILE_STEMS: dict[ExportKind, str] = {
    ExportKind.PROGRESS: "tinh-hinh-nop",
    ExportKind.NOMINATIONS: "danh-sach-trich-ngang",
    ExportKind.DELEGATES: "danh-sach-dai-bieu",
    ExportKind.REPORT: "bao-cao-tong-hop",
    ExportKind.NOMINATIONS_ALL: "danh-sach-de-cu-kem-trang-thai",
    ExportKind.PROPOSAL: "to-trinh-de-nghi-khen-thuong",
    ExportKind.DECISION: "du-thao-quyet-dinh-khen-thuong",
    ExportKind.FILES: "tep-da-tiep-nhan",
}
_MIMES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ExportFormat.ZIP: "application/zip",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _ascii(text: str) -> str:
    """``text`` with diacritics dropped and anything but letters, digits, ``._-`` as ``-``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("-", folded).strip("-.")


def file_name(kind: ExportKind, fmt: ExportFormat, scope: Scope) -> str:
    """An ASCII file name, e.g. ``danh-sach-trich-ngang-BIMSON-DHTT-2019-P-BACSON.xlsx``."""
    parts = [_FILE_STEMS[kind], _ascii(scope.campaign.code)]
    if scope.unit is not None:
        parts.append(_ascii(scope.unit.code))
    return "-".join(p for p in parts if p) + f".{fmt.value}"


async def build_export(
    session: AsyncSession,
    texts: Texts,
    kind: ExportKind,
    fmt: ExportFormat,
    scope: Scope,
    *,
    files: FileStore | None = None,
) -> OutgoingFile:
    """Query what ``kind`` needs within ``scope`` and draw it as a file of format ``fmt``.

    Args:
        session: The database.
        texts: The templates.
        kind: What to export.
        fmt: The file format (see :data:`FORMATS`).
        scope: The campaign, the unit (or all) and the moment.
        files: Where stored files are read from (needed for :attr:`ExportKind.FILES`).

    Raises:
        ValueError: ``kind`` does not come in ``fmt``, or needs what was not given.
    """
    if fmt not in FORMATS[kind]:
        raise ValueError(f"{kind.value} does not come as {fmt.value}")
    if kind.secretariat_only and scope.unit is not None:
        raise ValueError(f"{kind.value} is issued for the whole campaign, not for one unit")
    from handlers.io.exports import archive, awards, docx, xlsx  # heavy: imported when drawn

    content: bytes
    if kind is ExportKind.FILES:
        if files is None:
            raise ValueError("the files export needs the file store")
        store = files
        entries = await data.accepted_files(session, scope)

        async def read(entry: data.FileEntry) -> bytes:
            return await store.read(entry.file.path)

        content = await archive.files_zip(texts, scope, entries, read)
    elif kind in (ExportKind.PROPOSAL, ExportKind.DECISION):
        accepted = await data.nomination_rows(session, scope, accepted_only=True)
        if kind is ExportKind.PROPOSAL:
            attached = tables.nominations_table(texts, scope, accepted)
            content = awards.proposal_document(texts, scope, accepted, attached)
        else:
            annex = tables.award_annex_table(texts, scope, accepted)
            content = awards.decision_document(texts, scope, accepted, annex)
    elif kind is ExportKind.REPORT:
        report = await data.report(session, scope)
        if fmt is ExportFormat.DOCX:
            content = docx.report_document(texts, report)
        else:
            content = xlsx.workbook(tables.report_tables(texts, report), created=scope.now)
    else:
        if kind is ExportKind.PROGRESS:
            table = tables.progress_table(texts, scope, await data.progress(session, scope))
        elif kind in (ExportKind.NOMINATIONS, ExportKind.NOMINATIONS_ALL):
            # What goes up the chain: the secretariat's list holds the accepted nominations; a
            # unit's list (or the "all" list) every one in play, with its status.
            accepted_only = kind is ExportKind.NOMINATIONS and scope.unit is None
            if fmt is ExportFormat.XLSX:  # streamed: 500 000 rows are never held at once
                content = await _nominations_xlsx(session, texts, scope, accepted_only)
                return OutgoingFile(file_name(kind, fmt, scope), _MIMES[fmt], content)
            rows = await data.nomination_rows(session, scope, accepted_only=accepted_only)
            table = tables.nominations_table(texts, scope, rows, with_status=not accepted_only)
        else:
            groups = await data.delegate_groups(session, scope)
            table = tables.delegates_table(texts, scope, groups)
        if fmt is ExportFormat.XLSX:
            content = xlsx.workbook([table], created=scope.now)
        else:
            content = docx.list_document(texts, scope, table)
    return OutgoingFile(file_name(kind, fmt, scope), _MIMES[fmt], content)


async def _nominations_xlsx(
    session: AsyncSession, texts: Texts, scope: Scope, accepted_only: bool
) -> bytes:
    """The nominations list as a workbook, written row by row as the rows are fetched.

    The same file as :func:`tables.nominations_table` drawn by :func:`xlsx.workbook`.
    """
    from handlers.io.exports import xlsx  # heavy: imported when drawn

    writer = xlsx.SheetWriter(tables.nominations_head(texts, scope), created=scope.now)
    counts = {subject: 0 for subject in SubjectKind}
    returned = 0
    seen: dict[tuple[Any, ...], str] = {}  # the notes and genders rendered so far
    for subject in (SubjectKind.INDIVIDUAL, SubjectKind.COLLECTIVE):
        writer.write([tables.Row(section=tables.subject_section(texts, subject))])
        batches = data.stream_nomination_rows(session, scope, subject, accepted_only=accepted_only)
        async for batch in batches:
            start = counts[subject] + 1
            rows = tables.nomination_rows(
                texts, batch, start=start, with_status=not accepted_only, seen=seen
            )
            writer.write(rows)
            counts[subject] += len(batch)
            returned += sum(1 for r in batch if r.returned)
        if not counts[subject]:
            writer.write([tables.none_in_section(texts)])
    individuals, collectives = counts[SubjectKind.INDIVIDUAL], counts[SubjectKind.COLLECTIVE]
    return writer.finish(tables.nominations_note(texts, individuals, collectives, returned))


async def queue_export(
    session: AsyncSession,
    kind: ExportKind,
    fmt: ExportFormat,
    scope: Scope,
    *,
    chat: ChatKey,
    requested_by: int | None,
) -> ExportJob:
    """Write the job of building ``kind`` as ``fmt`` for ``chat``; sent once it is built.

    Raises:
        ValueError: ``kind`` does not come in ``fmt``, or not for one unit.
    """
    if fmt not in FORMATS[kind]:
        raise ValueError(f"{kind.value} does not come as {fmt.value}")
    if kind.secretariat_only and scope.unit is not None:
        raise ValueError(f"{kind.value} is issued for the whole campaign, not for one unit")
    return await ExportJobRepository(session).add(
        ExportJob(
            created_at=scope.now,
            requested_by=requested_by,
            campaign_id=scope.campaign.id,
            unit_id=scope.unit.id if scope.unit is not None else None,
            kind=kind.value,
            fmt=fmt.value,
            as_of=scope.now,
            channel=chat.channel,
            chat_id=chat.chat_id,
            status="pending",
            attempts=0,
        )
    )


async def queue_charts(
    session: AsyncSession,
    charted: Sequence[tuple[int, Campaign]],
    now: dt.datetime,
    where: UnitFilter,
    subtitle: str | None,
    chat: ChatKey,
    requested_by: int | None,
) -> list[ExportJob]:
    """Write the jobs of drawing the /tinhhinh charts of ``charted`` campaigns for ``chat``.

    Args:
        session: The message's session.
        charted: Each campaign charted, with its number among those shown (names the file).
        now: The moment of the figures.
        where: The units counted (the secretariat's block/kind filter).
        subtitle: The charts' subtitle (the filter), or None.
        chat: Where the charts go.
        requested_by: Who asked.
    """
    repo = ExportJobRepository(session)
    jobs = []
    for index, campaign in charted:
        params: dict[str, Any] = {
            "block": where.block,
            "kind": where.kind,
            "subtitle": subtitle,
            "index": index,
        }
        job = ExportJob(
            created_at=now,
            requested_by=requested_by,
            campaign_id=campaign.id,
            unit_id=None,
            kind=CHART_JOB,
            fmt="png",
            as_of=now,
            channel=chat.channel,
            chat_id=chat.chat_id,
            status="pending",
            attempts=0,
            params=params,
        )
        jobs.append(await repo.add(job))
    return jobs


async def _chart(session: AsyncSession, texts: Texts, job: ExportJob, campaign: Campaign) -> Reply:
    """Draw the chart of job ``job`` (figures as at the moment it was asked for)."""
    from handlers.io.chart import progress_chart  # heavy: imported when drawn

    params = job.params or {}
    where = UnitFilter(block=params.get("block"), kind=params.get("kind"))
    stats = await requirement_stats(session, campaign, job.as_of, where)
    png = progress_chart(stats, subtitle=params.get("subtitle"), texts=texts)
    index = int(params.get("index") or 1)
    name = "tinh-hinh.png" if index == 1 else f"tinh-hinh-{index}.png"
    return Reply(text="", file=OutgoingFile(name, "image/png", png))


def done_text(texts: Texts, kind: ExportKind, fmt: ExportFormat, scope: Scope) -> str:
    """The caption of a built file."""
    return texts(
        "xuat.done",
        kind=kind.value,
        fmt=fmt.value,
        unit=scope.unit,
        stamp=tables.stamp(scope),
    )


def failed_reply(texts: Texts, job: ExportJob) -> Reply:
    """What the person hears when their file could not be built."""
    if job.kind == CHART_JOB:
        return Reply(texts("status.chart_failed"))
    return Reply(texts("xuat.failed", kind=job.kind))


async def build_job(
    session: AsyncSession, texts: Texts, job_id: int, *, files: FileStore | None = None
) -> Reply:
    """Build the file of job ``job_id`` (reads only) and the reply that carries it.

    Raises:
        LookupError: The job, its campaign or its unit is gone.
    """
    job = await session.get(ExportJob, job_id)
    if job is None:
        raise LookupError(f"export job {job_id} is gone")
    campaign = await session.get(Campaign, job.campaign_id)
    unit = await session.get(Unit, job.unit_id) if job.unit_id is not None else None
    if campaign is None or (job.unit_id is not None and unit is None):
        raise LookupError(f"the campaign or unit of export job {job_id} is gone")
    if job.kind == CHART_JOB:
        return await _chart(session, texts, job, campaign)
    kind, fmt = ExportKind(job.kind), ExportFormat(job.fmt)
    scope = Scope(campaign, unit, job.as_of)
    file = await build_export(session, texts, kind, fmt, scope, files=files)
    return Reply(text=done_text(texts, kind, fmt, scope), file=file)
