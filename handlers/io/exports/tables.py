"""The tables of the exports, independent of the file format.

A :class:`Table` is what a spreadsheet sheet and a Word table are both drawn from: columns with
their widths, rows (some of them section rows such as "I. Cá nhân"), and the titles above. Every
text comes from the templates in ``templates/exports/``, rendered as plain text: a value such as
``<b>&`` stays exactly as typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from handlers.domain.deadlines import effective_due, unit_dues
from handlers.domain.normalize import writable
from handlers.domain.progress import Mark
from handlers.kernel.texts import (
    NAME_STAND_IN,
    Texts,
    around_stand_in,
    fmt_date,
    fmt_datetime,
)
from handlers.queries.export_data import (
    DelegateGroup,
    ExportKind,
    NominationRow,
    Progress,
    Report,
    RequirementFigures,
    Scope,
)
from handlers.queries.stats import UnitRef, UnitStanding
from storage.models import SubjectKind

__all__ = [
    "Cell",
    "Column",
    "Row",
    "Table",
    "delegates_table",
    "late_list",
    "mark_text",
    "nomination_rows",
    "nominations_head",
    "nominations_note",
    "nominations_table",
    "none_in_section",
    "plain",
    "progress_table",
    "report_document_tables",
    "report_tables",
    "stamp",
    "subject_section",
]

#: A cell's value: text, a number, or nothing.
Cell = str | int | None

_LABELS = "exports/labels"


def plain(texts: Texts, name: str, /, **params: Any) -> str:
    """Render a template macro as plain text (the templates escape HTML; files need none)."""
    return texts.plain(name, **params)


def stamp(scope: Scope) -> str:
    """``now`` in the campaign's timezone as dd/mm/yyyy HH:MM (what ``|dt`` shows with ``tz=``)."""
    return fmt_datetime(scope.now, scope.campaign.timezone)


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, its width in spreadsheet characters and how its cells align."""

    header: str
    width: float
    center: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    """A row of cells, or a section row (one text across every column)."""

    cells: tuple[Cell, ...] = ()
    section: str | None = None
    #: Per cell: how it stands ("done", "late", "partial", "returned", "missing", "overdue",
    #: "na"), for a colour; None for an ordinary cell.
    tones: tuple[str | None, ...] = ()
    #: A totals row (bold).
    total: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """One table with its titles: one sheet of a workbook, one table of a document."""

    kind: ExportKind
    sheet: str
    title: str
    subtitle: str
    as_of: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    landscape: bool = True
    #: Columns kept in view when scrolling right (the spreadsheet's frozen panes).
    frozen_columns: int = 0
    #: A line under the table (totals in words), if any.
    note: str | None = None
    #: The printed page's footer (a spreadsheet header/footer code such as ``&P``), if any.
    footer: str = ""


def _headers(texts: Texts, kind: str) -> list[str]:
    return [h.strip() for h in plain(texts, f"{_LABELS}.headers", kind=kind).splitlines()]


def _columns(
    texts: Texts, kind: str, widths: Sequence[float], text: Collection[int]
) -> tuple[Column, ...]:
    """The columns of a table kind: headers from the template, ``widths`` in order.

    Widths are Excel column units (Word scales them to the page). A landscape table of at most
    about 176 units prints one page wide at 10 pt or more (see ``xlsx.print_layout``).

    The columns whose indices are in ``text`` hold running text (aligned left); the others are
    centred.
    """
    headers = _headers(texts, kind)
    return tuple(
        Column(header, width, center=index not in text)
        for index, (header, width) in enumerate(zip(headers, widths, strict=True))
    )


def _base(texts: Texts, kind: ExportKind, scope: Scope) -> dict[str, Any]:
    return {
        "kind": kind,
        "sheet": plain(texts, f"{_LABELS}.sheet", kind=kind.value),
        "title": plain(texts, f"{_LABELS}.sheet_title", kind=kind.value),
        "subtitle": plain(texts, f"{_LABELS}.subtitle", campaign=scope.campaign, unit=scope.unit),
        "as_of": plain(texts, f"{_LABELS}.as_of", now=scope.now, tz=scope.campaign.timezone),
        "footer": plain(texts, f"{_LABELS}.page_footer"),
    }


# -- progress ------------------------------------------------------------------------------------
def _tone(m: UnitStanding, f: RequirementFigures) -> str:
    if m.done:
        return "late" if m.late else "done"
    if m.mark is Mark.MISSING:
        return "overdue" if f.is_due else "missing"
    return m.mark.value


def _local_date(m: UnitStanding, f: RequirementFigures) -> dt.date | None:
    """The day (in the campaign's timezone) of the time that counts for ``m``."""
    return m.at.astimezone(ZoneInfo(f.stats.campaign.timezone)).date() if m.at else None


def mark_text(
    texts: Texts,
    m: UnitStanding,
    f: RequirementFigures,
    seen: dict[tuple[Any, ...], str] | None = None,
) -> str:
    """How one unit stands on one requirement, e.g. "Đã nộp 13/11/2019", "Nộp thiếu 2/5 phần".

    Args:
        texts: The templates.
        m: The unit's standing.
        f: The requirement's figures.
        seen: Texts already rendered for the same values (a table of 10 000 units repeats a
            few dozen texts 200 000 times).
    """
    at = _local_date(m, f)
    due = effective_due(f.requirement, m.unit.id)
    params = {
        "mark": m.mark.value,
        "at": at,
        "late_days": (at - due).days if at and due and m.late else 0,
        "parts": len(f.requirement.parts),
        "done_parts": m.parts_done,
        "count": m.count,
        "reason": m.reason,
        "overdue": f.is_due,
        # Late within its due day (after the deadline's hour): "muộn", without a day count.
        "late": bool(m.late),
    }
    if seen is None:
        return plain(texts, f"{_LABELS}.mark", **params)
    key = tuple(params.values())
    text = seen.get(key)
    if text is None:
        text = seen[key] = plain(texts, f"{_LABELS}.mark", **params)
    return text


def _cell_texts(
    texts: Texts, f: RequirementFigures, rendered: dict[tuple[Any, ...], str]
) -> Callable[[UnitStanding], tuple[str, str]]:
    """How a unit stands on requirement ``f``: the cell's text and tone, each made once.

    A table of 10 000 units repeats a few thousand texts 200 000 times: what decides the text
    (:func:`mark_text`) and the tone (:func:`_tone`) is read from the standing, the
    requirement's rules once; both are made once per distinct key, and a text is rendered
    once per table (``rendered``, shared by the requirements).
    """
    req = f.requirement
    tz = ZoneInfo(f.stats.campaign.timezone)
    due, dues = req.due_date, unit_dues(req)
    seen: dict[tuple[Any, ...], tuple[str, str]] = {}

    def cell(m: UnitStanding) -> tuple[str, str]:
        at = m.at.astimezone(tz).date() if m.at else None
        late = bool(m.late)
        late_days = 0
        if at is not None and late:
            day = dues.get(m.unit.id, due) if dues else due
            late_days = (at - day).days if day is not None else 0
        key = (m.mark, at, late_days, m.parts_done, m.count, m.reason, late)
        found = seen.get(key)
        if found is None:
            found = seen[key] = (mark_text(texts, m, f, rendered), _tone(m, f))
        return found

    return cell


def progress_table(texts: Texts, scope: Scope, progress: Progress) -> Table:
    """One row per unit, one column per requirement (its due date in the header).

    With every unit in scope, units are grouped by block (khối/cụm) in section rows. A cell of a
    requirement that does not apply to the unit shows a dash. The last row counts, per
    requirement, the units that have sent it.
    """
    items = progress.items
    columns = list(_columns(texts, "progress", (6, 34), text=(1,)))
    columns += [
        Column(plain(texts, f"{_LABELS}.requirement_header", req=f.requirement), 24) for f in items
    ]
    rendered: dict[tuple[Any, ...], str] = {}
    marks = [({m.unit.id: m for m in f.standings}, _cell_texts(texts, f, rendered)) for f in items]
    dash = (plain(texts, f"{_LABELS}.not_applicable"), "na")
    rows: list[Row] = []
    block: str | None = None
    for index, unit in enumerate(progress.units, start=1):
        if scope.unit is None and unit.block and unit.block != block:
            block = unit.block
            rows.append(Row(section=block))
        uid = unit.id
        found = [dash if (m := by_unit.get(uid)) is None else cell(m) for by_unit, cell in marks]
        cells: tuple[Cell, ...] = (index, unit.name, *(text for text, _ in found))
        tones: tuple[str | None, ...] = (None, None, *(tone for _, tone in found))
        rows.append(Row(cells, tones=tones))
    if not progress.units:
        rows.append(Row(section=plain(texts, f"{_LABELS}.empty", kind="progress")))
    else:
        totals: list[Cell] = [None, plain(texts, f"{_LABELS}.progress_total")]
        totals += [f"{f.done}/{f.total}" for f in items]
        rows.append(Row(tuple(totals), total=True))
    return Table(
        **_base(texts, ExportKind.PROGRESS, scope),
        columns=tuple(columns),
        rows=tuple(rows),
        landscape=True,
        frozen_columns=2,
    )


# -- nominations ---------------------------------------------------------------------------------
def _cached(
    texts: Texts, seen: dict[tuple[Any, ...], str], key: tuple[Any, ...], name: str, **params: Any
) -> str:
    """``plain(texts, name, **params)``, rendered once per ``key`` (a list repeats few texts)."""
    text = seen.get(key)
    if text is None:
        text = seen[key] = plain(texts, name, **params)
    return text


def _nomination_row(
    texts: Texts,
    index: int,
    row: NominationRow,
    *,
    with_status: bool,
    seen: dict[tuple[Any, ...], str],
) -> Row:
    n = row.nomination
    individual = n.subject is SubjectKind.INDIVIDUAL
    # The note says where the nomination stands: one text per status and reason.
    note = _cached(
        texts,
        seen,
        ("note", n.status, n.return_reason, with_status),
        f"{_LABELS}.nomination_note",
        nomination=n,
        with_status=with_status,
    )
    gender = (
        _cached(texts, seen, ("gender", n.gender), f"{_LABELS}.gender", code=n.gender)
        if individual
        else None
    )
    return Row(
        (
            index,
            n.full_name,
            n.birth_year if individual else None,
            gender,
            n.position if individual else None,
            row.unit.name,
            n.award_name,
            n.summary,
            note or None,
        )
    )


_NOMINATION_WIDTHS = (6, 22, 7, 7, 24, 22, 22, 46, 16)
_NOMINATION_TEXT = (1, 4, 5, 6, 7, 8)


def nominations_head(texts: Texts, scope: Scope) -> Table:
    """The titles and columns of the "Danh sách trích ngang", without rows or note."""
    return Table(
        **_base(texts, ExportKind.NOMINATIONS, scope),
        columns=_columns(texts, "nominations", _NOMINATION_WIDTHS, text=_NOMINATION_TEXT),
        rows=(),
        landscape=True,
    )


def subject_section(texts: Texts, subject: SubjectKind) -> str:
    """The section row of ``subject``: "I. Cá nhân" or "II. Tập thể"."""
    return plain(texts, f"{_LABELS}.subject_section", subject=subject.value)


def none_in_section(texts: Texts) -> Row:
    """The row of an empty section: "(Không có)"."""
    return Row(section=plain(texts, f"{_LABELS}.none_in_section"))


def nomination_rows(
    texts: Texts,
    rows: Sequence[NominationRow],
    *,
    start: int,
    with_status: bool,
    seen: dict[tuple[Any, ...], str] | None = None,
) -> list[Row]:
    """The rows of ``rows``, numbered from ``start``.

    ``seen`` keeps the texts already rendered (the notes and genders) from one batch of a
    streamed list to the next.
    """
    seen = {} if seen is None else seen
    return [
        _nomination_row(texts, index, row, with_status=with_status, seen=seen)
        for index, row in enumerate(rows, start=start)
    ]


def nominations_note(texts: Texts, individuals: int, collectives: int, returned: int) -> str:
    """The line under the list: the totals."""
    return plain(
        texts,
        f"{_LABELS}.nominations_note",
        individuals=individuals,
        collectives=collectives,
        returned=returned,
    )


def _nomination_list(
    texts: Texts,
    scope: Scope,
    rows: list[NominationRow],
    groups: list[tuple[str, list[NominationRow]]],
    *,
    with_status: bool,
) -> Table:
    """Nominations under section rows, numbered from 1 in each; "(Không có)" for an empty one."""
    out: list[Row] = []
    for title, group in groups:
        out.append(Row(section=title))
        if not group:
            out.append(none_in_section(texts))
        out += nomination_rows(texts, group, start=1, with_status=with_status)
    if not groups:
        out.append(none_in_section(texts))
    individuals = sum(1 for r in rows if r.nomination.subject is SubjectKind.INDIVIDUAL)
    returned = sum(1 for r in rows if r.returned)
    head = nominations_head(texts, scope)
    note = nominations_note(texts, individuals, len(rows) - individuals, returned)
    return replace(head, rows=tuple(out), note=note)


def nominations_table(
    texts: Texts, scope: Scope, rows: list[NominationRow], *, with_status: bool = False
) -> Table:
    """The "Danh sách trích ngang": "I. Cá nhân" then "II. Tập thể", numbered from 1 in each.

    With ``with_status`` the note column says where each nomination stands.
    """
    groups = [
        (subject_section(texts, subject), [r for r in rows if r.nomination.subject is subject])
        for subject in (SubjectKind.INDIVIDUAL, SubjectKind.COLLECTIVE)
    ]
    return _nomination_list(texts, scope, rows, groups, with_status=with_status)


# -- delegates -----------------------------------------------------------------------------------
def delegates_table(texts: Texts, scope: Scope, groups: list[DelegateGroup]) -> Table:
    """Active delegates grouped by unit (a section row with the unit's count), numbered on."""
    columns = _columns(texts, "delegates", (6, 26, 9, 9, 10, 30, 30, 13, 11), text=(1, 5, 6))
    out: list[Row] = []
    index = 0
    for group in groups:
        out.append(Row(section=plain(texts, f"{_LABELS}.unit_section", group=group)))
        for d in group.delegates:
            index += 1
            out.append(
                Row(
                    (
                        index,
                        d.full_name,
                        d.birth_year,
                        plain(texts, f"{_LABELS}.gender", code=d.gender),
                        d.ethnicity,
                        d.position,
                        group.unit.name,
                        plain(texts, f"{_LABELS}.category", code=d.category.value),
                        plain(texts, f"{_LABELS}.presidium", yes=d.in_presidium) or None,
                    )
                )
            )
    if not groups:
        out.append(Row(section=plain(texts, f"{_LABELS}.empty", kind="delegates")))
    return Table(
        **_base(texts, ExportKind.DELEGATES, scope),
        columns=columns,
        rows=tuple(out),
        landscape=True,
        note=plain(
            texts,
            f"{_LABELS}.delegates_note",
            total=index,
            units=len(groups),
            exemplary=sum(g.exemplary for g in groups),
            guests=sum(g.guests for g in groups),
            presidium=sum(g.presidium for g in groups),
        ),
    )


# -- the report -----------------------------------------------------------------------------------
def _names(units: Sequence[UnitRef]) -> str:
    return ", ".join(u.name for u in units)


#: Stands for a unit's name in a text rendered once per day (see :func:`late_list`).
def _as_rendered(name: str) -> bool:
    """Whether ``name`` comes out of a rendered plain text exactly as it is.

    Autoescaping and :func:`plain` undo each other; only characters a text cannot carry,
    line breaks and surrounding spaces would change.
    """
    return name.isprintable() and name == name.strip() and writable(name) == name


def late_list(texts: Texts, f: RequirementFigures) -> str:
    """The units that sent a requirement late, each with the day it arrived.

    The item is rendered once per day, with a stand-in for the name (a report may list
    thousands of units); a name rendering would change is rendered in full.
    """
    days: dict[dt.date | None, tuple[str, str] | None] = {}
    found = []
    for m in f.late:
        if m.at is None:
            continue
        day = _local_date(m, f)
        name = m.unit.name
        if day not in days:
            stand_in = UnitRef(0, "", NAME_STAND_IN, None, "")
            days[day] = around_stand_in(
                plain(texts, f"{_LABELS}.late_item", unit=stand_in, at=day)
            )
        around = days[day]
        if around is not None and _as_rendered(name):
            found.append(f"{around[0]}{name}{around[1]}")
        else:
            found.append(plain(texts, f"{_LABELS}.late_item", unit=m.unit, at=day))
    return ", ".join(found)


def _requirement_row(texts: Texts, index: int, f: RequirementFigures) -> Row:
    req = f.requirement
    return Row(
        (
            index,
            req.title,
            fmt_date(req.due_date),
            f.total,
            f.done,
            len(f.late),
            len(f.owing),
            late_list(texts, f) or None,
            _names([m.unit for m in f.owing]) or None,
        )
    )


def _forms_rows(texts: Texts, report: Report) -> tuple[Row, ...]:
    """One row per award form, then the total."""
    rows = [
        Row((i, form.name, plain(texts, f"{_LABELS}.subject", subject=form.subject), form.count))
        for i, form in enumerate(report.forms, 1)
    ]
    rows.append(
        Row((None, plain(texts, f"{_LABELS}.forms_total"), None, report.nominations), total=True)
    )
    return tuple(rows)


def _forms_columns(texts: Texts, number: float, name: float) -> tuple[Column, ...]:
    return _columns(texts, "forms", (number, name, 12, 12), text=(1,))


def report_tables(texts: Texts, report: Report) -> list[Table]:
    """The report's figures as two sheets: per requirement, and nominations per award form."""
    scope = report.scope
    req_table = Table(
        **_base(texts, ExportKind.REPORT, scope),
        columns=_columns(texts, "report", (6, 34, 10, 10, 9, 9, 9, 32, 44), text=(1, 7, 8)),
        rows=tuple(_requirement_row(texts, i, f) for i, f in enumerate(report.requirements, 1)),
        landscape=True,
    )
    forms_table = Table(
        kind=ExportKind.REPORT,
        sheet=plain(texts, f"{_LABELS}.sheet", kind="forms"),
        title=plain(texts, f"{_LABELS}.sheet_title", kind="forms"),
        subtitle=req_table.subtitle,
        as_of=req_table.as_of,
        columns=_forms_columns(texts, 6, 44),
        rows=_forms_rows(texts, report),
        landscape=False,
        note=plain(texts, f"{_LABELS}.forms_note", report=report),
        footer=req_table.footer,
    )
    return [req_table, forms_table]


def _untitled(columns: tuple[Column, ...], rows: tuple[Row, ...]) -> Table:
    """A table inside a document's text (the document carries the titles)."""
    return Table(
        kind=ExportKind.REPORT,
        sheet="",
        title="",
        subtitle="",
        as_of="",
        columns=columns,
        rows=rows,
        landscape=False,
    )


def report_document_tables(texts: Texts, report: Report) -> tuple[Table, Table]:
    """The report document's two tables: sent per requirement, and nominations per form."""
    progress = _untitled(
        _columns(texts, "report_doc", (5, 40, 12, 11, 9, 9), text=(1,)),
        tuple(
            Row(
                (
                    index,
                    f.requirement.title,
                    fmt_date(f.requirement.due_date),
                    f"{f.done}/{f.total}",
                    len(f.late),
                    len(f.owing),
                )
            )
            for index, f in enumerate(report.requirements, start=1)
        ),
    )
    return progress, _untitled(_forms_columns(texts, 5, 40), _forms_rows(texts, report))


def award_annex_table(texts: Texts, scope: Scope, rows: list[NominationRow]) -> Table:
    """The decision's annex: the accepted nominations grouped by award, numbered in each."""
    awards: dict[str, list[NominationRow]] = {}
    for row in rows:
        awards.setdefault(row.nomination.award_name, []).append(row)
    groups = [
        (plain(texts, f"{_LABELS}.award_section", number=number, award=award), group)
        for number, (award, group) in enumerate(awards.items(), start=1)
    ]
    return _nomination_list(texts, scope, rows, groups, with_status=False)
