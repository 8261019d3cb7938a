"""Lists in bulk from Excel: nominations (from ``/decu``), delegates (from ``/daibieu``), units.

A unit head presses "Nhập từ tệp Excel" in ``/decu`` or ``/daibieu`` (handed over here through
:class:`~handlers.kernel.states.Entry`), gets the template (:mod:`handlers.io.bulk_sheet`) and
sends it back filled. Every row is checked with the wizards' field rules
(:mod:`handlers.io.bulk_rows`); when any is wrong, every problem is listed with its row and
column and nothing is imported (the file can be sent again at once). Duplicates (same name and
birth year in the file or already in the unit's list) are shown and the unit head decides to
skip or keep them. Then a preview, and ✅ imports everything in the message's transaction
(:mod:`handlers.services.bulk_import`). The stored file is read and checked again at ✅, so a
list that changed meanwhile (a quota filled) is refused then.

``/nhapdonvi`` (secretariat): the units list the same way (``tdkt units import`` in the chat).

``/xuatmau``: a unit's lists (nominations in play, delegates on the list) back in the same
template, one file per list and active campaign: a unit head's own, or ``/xuatmau MÃ-ĐƠN-VỊ``
for the secretariat. Sent back, its rows are flagged as duplicates (already in the system).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath
from typing import Any

from markupsafe import Markup

from handlers.domain.delegate_rules import DelegateRulesError, parse_rules
from handlers.domain.errors import UserError
from handlers.domain.fields import ETHNIC_GROUPS, GENDERS, MIN_AGE, MIN_BIRTH_YEAR, award_choices
from handlers.domain.files import check_file
from handlers.domain.progress import local_today
from handlers.io.bulk_rows import Entry, Problem, check_delegates, check_nominations, duplicates
from handlers.io.bulk_sheet import COLUMNS, BulkKind, TemplateSpec, read_bulk, write_template
from handlers.io.units_file import UnitsFileError, read_units_file
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import FileRequest, OutgoingFile, Reply
from handlers.services import bulk_import
from handlers.services.units import import_units_data
from storage.models import Campaign, Delegate, DelegateCategory, Nomination, Role, Unit
from storage.repositories.delegates import DelegateRepository

__all__ = [
    "STATES",
    "Confirm",
    "Duplicates",
    "State",
    "begin_delegates",
    "begin_nominations",
    "begin_units",
    "export_lists",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Most row problems listed in one message (the count of the others follows).
SHOWN_PROBLEMS = 40


class State(StrEnum):
    """The steps of this flow."""

    FILE = "nhap.file"
    DUPLICATES = "nhap.dups"
    CONFIRM = "nhap.confirm"
    UNITS_FILE = "nhap.units"
    UNITS_CONFIRM = "nhap.units_confirm"


class Duplicates(CallbackData, prefix="nhap.dups"):
    """Skip the duplicated rows (``skip``) or import them too."""

    skip: bool


class Confirm(CallbackData, prefix="nhap.confirm"):
    """Import (``go``) or cancel."""

    go: bool


# --------------------------------------------------------------------------- the template


async def _campaign(ctx: Ctx) -> Campaign:
    campaign = await ctx.campaigns.get(ctx.data["campaign"])
    if campaign is None:
        raise UserError("item_gone")
    return campaign


async def _awards(ctx: Ctx, campaign_id: int | None = None) -> dict[str, dict[str, str]]:
    forms = await ctx.campaigns.award_forms_for(campaign_id or ctx.data["campaign"])
    return {s: award_choices(forms, s) for s in ("ca_nhan", "tap_the")}


async def _spec(
    ctx: Ctx, kind: BulkKind, campaign: Campaign, unit: Unit | None = None
) -> TemplateSpec:
    """The template's words (``templates/nhap.j2``) and drop-downs (``unit``: the acting one's)."""
    today = local_today(ctx.now, campaign.timezone)
    years = (MIN_BIRTH_YEAR, today.year - MIN_AGE)
    choices: dict[str, list[str]] = {
        "gender": [ctx.label("fields.gender", code=g) for g in GENDERS],
    }
    if kind is BulkKind.NOMINATIONS:
        awards = await _awards(ctx, campaign.id)
        names = [n for forms in awards.values() for n in forms.values()]
        choices["award"] = list(dict.fromkeys(names))
    else:
        choices["ethnicity"] = list(ETHNIC_GROUPS)
        choices["category"] = [ctx.label("fields.category", code=c) for c in DelegateCategory]
        choices["presidium"] = [ctx.label("nhap.yes"), ctx.label("nhap.no")]
    params: dict[str, Any] = {"kind": kind.value, "campaign": campaign, "unit": unit or ctx.unit}
    return TemplateSpec(
        kind=kind,
        campaign_code=campaign.code,
        title=ctx.label("nhap.sheet_heading", **params),
        labels={k: ctx.label("nhap.column", key=k, kind=kind.value) for k in COLUMNS[kind]},
        example={
            k: ctx.label("nhap.example", key=k, kind=kind.value, choices=choices)
            for k in COLUMNS[kind]
        },
        guide=ctx.label("nhap.guide", years=years, choices=choices, **params).split("\n"),
        guide_title=ctx.label("nhap.guide_title"),
        sheet_title=ctx.label("nhap.sheet_title", kind=kind.value),
        choices=choices,
        year_range=years,
    )


async def _template_file(ctx: Ctx, kind: BulkKind) -> OutgoingFile:
    campaign = await _campaign(ctx)
    data = write_template(await _spec(ctx, kind, campaign))
    name = ctx.label("nhap.template_name", kind=kind.value, campaign=campaign)
    return OutgoingFile(name, XLSX_MIME, data)


def _kind(ctx: Ctx) -> BulkKind:
    return BulkKind(ctx.data["kind"])


async def begin_nominations(ctx: Ctx) -> list[Reply]:
    """Entry from ``/decu``: data ``campaign`` and ``req``; sends the template."""
    ctx.require_unit_head()
    ctx.goto(State.FILE, kind=BulkKind.NOMINATIONS.value)
    return await _send_template(ctx)


async def begin_delegates(ctx: Ctx) -> list[Reply]:
    """Entry from ``/daibieu``: data ``campaign``; sends the template."""
    ctx.require_unit_head()
    ctx.goto(State.FILE, kind=BulkKind.DELEGATES.value)
    return await _send_template(ctx)


def _file_request(ctx: Ctx) -> FileRequest:
    _, unit = ctx.require_unit_head()
    return FileRequest(ctx.label("nhap.file_what", kind=_kind(ctx).value), unit.name, ("xlsx",))


async def _send_template(ctx: Ctx) -> list[Reply]:
    """The template with how to fill it in; the step then waits for the file."""
    kind = _kind(ctx)
    text = ctx.t("nhap.template_sent", kind=kind.value)
    file = await _template_file(ctx, kind)
    return [Reply(text, file=file, file_request=_file_request(ctx))]


async def _ask_file(ctx: Ctx) -> list[Reply]:
    text = ctx.t("nhap.ask_file", kind=_kind(ctx).value)
    return [Reply(text, file_request=_file_request(ctx))]


async def _receive(ctx: Ctx) -> bytes:
    """The message's file, checked by name and size before it is downloaded."""
    file = ctx.msg.file
    if file is None:
        raise UserError("bulk_send_file")
    check_file(file.name, file.size, frozenset({PurePath(file.name).suffix.lower()}))
    return await file.read()


# --------------------------------------------------------------------------- checking


async def _checked(ctx: Ctx, data: bytes) -> tuple[list[Entry], list[Problem]]:
    """Read and check every row of ``data`` for the conversation's list."""
    kind, campaign = _kind(ctx), await _campaign(ctx)
    rows = read_bulk(data, kind, campaign.code)
    today = local_today(ctx.now, campaign.timezone)
    if kind is BulkKind.NOMINATIONS:
        return check_nominations(rows, today, await _awards(ctx))
    return check_delegates(rows, today)


def _problems_reply(ctx: Ctx, problems: list[Problem]) -> Reply:
    kind = _kind(ctx).value
    lines = [
        ctx.t(
            "nhap.problem",
            row=p.row,
            column=ctx.label("nhap.column", key=p.column, kind=kind) if p.column else None,
            reason=Markup(ctx.t(f"errors.{p.key}", **p.params)),
        )
        for p in problems[:SHOWN_PROBLEMS]
    ]
    more = len(problems) - len(lines)
    return ctx.reply("nhap.problems", lines=[Markup(line) for line in lines], more=more)


async def _rules_refusal(ctx: Ctx, entries: list[Entry]) -> None:
    """Refuse a delegates file the wizard would refuse for one of its rows (quota, cap)."""
    if _kind(ctx) is not BulkKind.DELEGATES:
        return
    _, unit = ctx.require_unit_head()
    campaign = await _campaign(ctx)
    try:
        rules = parse_rules(campaign.settings, ctx.deps.unit_kinds)
    except DelegateRulesError as exc:
        raise UserError("delegate_settings_invalid", code=campaign.code, detail=str(exc)) from None
    repo = DelegateRepository(ctx.session)
    current = await repo.active_for_unit(campaign.id, unit.id)
    total = await repo.count_active(campaign.id)
    found = bulk_import.delegate_refusal(rules, unit, current, entries, total)
    if found is not None:
        entry, refusal = found
        reason = Markup(ctx.t(f"delegate_findings.{refusal.key}", **refusal.params))
        raise UserError("bulk_refused", row=entry.row, reason=reason, count=len(entries))


async def _dups(ctx: Ctx, entries: list[Entry]) -> list[tuple[Entry, int | None]]:
    _, unit = ctx.require_unit_head()
    existing = await bulk_import.existing_people(
        ctx.session, _kind(ctx), ctx.data["campaign"], unit.id
    )
    return duplicates(entries, existing)


async def _entries(ctx: Ctx) -> list[Entry]:
    """The stored file's entries, checked again; without the duplicates when so decided."""
    data = await ctx.deps.files.read(ctx.data["path"])
    entries, problems = await _checked(ctx, data)
    if problems:
        raise UserError("bulk_changed")
    if ctx.data.get("skip_dups"):
        dropped = {entry.row for entry, _ in await _dups(ctx, entries)}
        entries = [e for e in entries if e.row not in dropped]
    return entries


async def _file(ctx: Ctx) -> list[Reply]:
    """Checks the file: lists its problems, or shows its duplicates, or previews it."""
    data = await _receive(ctx)
    ctx.goto(State.FILE)  # a file sent at the preview replaces the previous one
    ctx.data.pop("path", None)
    entries, problems = await _checked(ctx, data)
    if problems:
        return [_problems_reply(ctx, problems)]
    saved = await ctx.deps.files.save(data)
    ctx.goto(State.FILE, path=saved.path, skip_dups=False)
    if await _dups(ctx, entries):
        ctx.goto(State.DUPLICATES)
        return await _ask_duplicates(ctx)
    await _rules_refusal(ctx, entries)
    ctx.goto(State.CONFIRM)
    return await _ask_confirm(ctx)


async def _ask_duplicates(ctx: Ctx) -> list[Reply]:
    data = await ctx.deps.files.read(ctx.data["path"])
    entries, _ = await _checked(ctx, data)
    found = await _dups(ctx, entries)
    buttons = (
        Duplicates(skip=True).button(ctx.label("nhap.skip_dups_label", n=len(found))),
        Duplicates(skip=False).button(ctx.label("nhap.keep_dups_label")),
        Confirm(go=False).button(ctx.label("buttons.cancel")),
    )
    return [ctx.reply("nhap.duplicates", buttons=buttons, found=found[:SHOWN_PROBLEMS])]


async def _duplicates(ctx: Ctx) -> list[Reply]:
    """Skip or keep the duplicated rows, then the preview (a new file starts over)."""
    if ctx.msg.file is not None:
        return await _file(ctx)
    if ctx.pressed(Confirm) is not None:
        return _cancelled(ctx)
    ctx.data["skip_dups"] = ctx.expect(Duplicates).skip
    entries = await _entries(ctx)
    if not entries:
        ctx.end()
        return [ctx.reply("nhap.nothing_left")]
    await _rules_refusal(ctx, entries)
    ctx.goto(State.CONFIRM)
    return await _ask_confirm(ctx)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    entries = await _entries(ctx)
    individuals = sum(1 for e in entries if e.subject == "ca_nhan")
    buttons = (
        Confirm(go=True).button(ctx.label("nhap.import_label", n=len(entries))),
        Confirm(go=False).button(ctx.label("buttons.cancel")),
    )
    return [
        ctx.reply(
            "nhap.preview",
            buttons=buttons,
            kind=_kind(ctx).value,
            individuals=individuals,
            collectives=len(entries) - individuals,
            names=[e.values["name"] for e in entries[:10]],
            total=len(entries),
        )
    ]


def _cancelled(ctx: Ctx) -> list[Reply]:
    ctx.end()
    return [ctx.reply("nhap.cancelled")]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Imports every entry in this message's transaction (a new file starts over)."""
    if ctx.msg.file is not None:
        return await _file(ctx)
    if not ctx.expect(Confirm).go:
        return _cancelled(ctx)
    person, unit = ctx.require_unit_head()
    kind = _kind(ctx)
    if kind is BulkKind.DELEGATES:
        await DelegateRepository(ctx.session).lock_campaign(ctx.data["campaign"])
    entries = await _entries(ctx)
    await _rules_refusal(ctx, entries)
    actor = bulk_import.Actor(person.id, unit, ctx.now)
    if kind is BulkKind.NOMINATIONS:
        awards = await _awards(ctx)
        await bulk_import.import_nominations(
            ctx.session,
            actor,
            campaign_id=ctx.data["campaign"],
            requirement_id=ctx.data["req"],
            entries=entries,
            award_names={**awards["ca_nhan"], **awards["tap_the"]},
        )
    else:
        await bulk_import.import_delegates(
            ctx.session, actor, campaign_id=ctx.data["campaign"], entries=entries
        )
    ctx.end()
    return [ctx.reply("nhap.imported", kind=kind.value, n=len(entries))]


# --------------------------------------------------------------------------- units


async def begin_units(ctx: Ctx) -> list[Reply]:
    """``/nhapdonvi``: the secretariat sends the units list (CSV or XLSX)."""
    ctx.require_secretariat()
    ctx.end()
    ctx.goto(State.UNITS_FILE)
    return await _ask_units(ctx)


async def _ask_units(ctx: Ctx) -> list[Reply]:
    request = FileRequest(ctx.label("nhap.units_what"), None, ("xlsx", "csv"))
    return [Reply(ctx.t("nhap.ask_units"), file_request=request)]


async def _units_file(ctx: Ctx) -> list[Reply]:
    """Checks the units file; lists the wrong rows or asks to confirm."""
    ctx.require_secretariat()
    file = ctx.msg.file
    data = await _receive(ctx)
    assert file is not None
    try:
        rows, result = read_units_file(data, file.name)
    except UnitsFileError as exc:
        raise UserError("bulk_units_unreadable", reason=str(exc)) from None
    if result.errors:
        return [ctx.reply("nhap.units_problems", errors=result.errors)]
    saved = await ctx.deps.files.save(data)
    ctx.goto(State.UNITS_CONFIRM, path=saved.path, name=file.name)
    buttons = (
        Confirm(go=True).button(ctx.label("nhap.import_label", n=len(rows))),
        Confirm(go=False).button(ctx.label("buttons.cancel")),
    )
    return [ctx.reply("nhap.units_preview", buttons=buttons, rows=rows, warnings=result.warnings)]


async def _ask_units_confirm(ctx: Ctx) -> list[Reply]:
    buttons = (
        Confirm(go=True).button(ctx.label("nhap.import_label", n=0)),
        Confirm(go=False).button(ctx.label("buttons.cancel")),
    )
    return [ctx.reply("nhap.units_again", buttons=buttons)]


async def _units_confirm(ctx: Ctx) -> list[Reply]:
    """Creates or updates the units, all or nothing."""
    ctx.require_secretariat()
    if not ctx.expect(Confirm).go:
        return _cancelled(ctx)
    data = await ctx.deps.files.read(ctx.data["path"])
    result = await import_units_data(ctx.session, data, ctx.data["name"])
    if result.errors:
        raise UserError("bulk_changed")
    ctx.audit(
        "units.import",
        "unit",
        None,
        file=ctx.data["name"],
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    ctx.end()
    return [ctx.reply("nhap.units_imported", r=result)]


# --------------------------------------------------------------------------- export


def _nomination_row(ctx: Ctx, n: Nomination) -> dict[str, Any]:
    individual = n.subject.value == "ca_nhan"
    return {
        "name": n.full_name if individual else "",
        "gender": ctx.label("fields.gender", code=n.gender) if n.gender else "",
        "birth_year": n.birth_year,
        "position": n.position or "",
        "workplace": "" if individual else n.full_name,
        "award": n.award_name,
        "summary": n.summary,
    }


def _delegate_row(ctx: Ctx, d: Delegate) -> dict[str, Any]:
    return {
        "name": d.full_name,
        "gender": ctx.label("fields.gender", code=d.gender),
        "birth_year": d.birth_year,
        "ethnicity": d.ethnicity,
        "position": d.position,
        "category": ctx.label("fields.category", code=d.category.value),
        "presidium": ctx.label("nhap.yes" if d.in_presidium else "nhap.no"),
    }


async def _export_unit(ctx: Ctx) -> Unit:
    person = ctx.require_linked()
    ref = ctx.data.get("args", "")
    if person.role is Role.SECRETARIAT:
        if not ref:
            raise UserError("bulk_export_which_unit")
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        return unit
    _, unit = ctx.require_unit_head()
    if ref:
        other = await ctx.units.find(ref)
        if other is None or other.id != unit.id:
            raise UserError("not_your_unit")
    return unit


async def export_lists(ctx: Ctx) -> list[Reply]:
    """``/xuatmau [MÃ-ĐƠN-VỊ]``: the unit's lists in the import template, one file each."""
    unit = await _export_unit(ctx)
    ctx.end()
    delegates = DelegateRepository(ctx.session)
    replies: list[Reply] = []
    for campaign in await ctx.campaigns.get_active():
        lists = {
            BulkKind.NOMINATIONS: [
                _nomination_row(ctx, n)
                for n in await ctx.nominations.for_unit(unit.id, [campaign.id])
            ],
            BulkKind.DELEGATES: [
                _delegate_row(ctx, d)
                for d in await delegates.active_for_unit(campaign.id, unit.id)
            ],
        }
        for kind, rows in lists.items():
            if not rows:
                continue
            spec = await _spec(ctx, kind, campaign, unit)
            name = ctx.label("nhap.export_name", kind=kind.value, campaign=campaign, unit=unit)
            text = ctx.t("nhap.exported", kind=kind.value, n=len(rows), unit=unit)
            replies.append(
                Reply(text, file=OutgoingFile(name, XLSX_MIME, write_template(spec, rows)))
            )
    if not replies:
        return [ctx.reply("nhap.nothing_to_export", unit=unit)]
    return replies


STATES: StateTable = {
    State.FILE: StateSpec(_file, _ask_file),
    State.DUPLICATES: StateSpec(_duplicates, _ask_duplicates),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
    State.UNITS_FILE: StateSpec(_units_file, _ask_units),
    State.UNITS_CONFIRM: StateSpec(_units_confirm, _ask_units_confirm),
}
