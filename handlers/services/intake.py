"""Plan intake: a plan read from a document becomes a draft, then a running campaign.

The secretariat sends a plan (.txt, .docx, .pdf with a text layer) or pastes its text;
:func:`start_draft` reads it with :func:`handlers.domain.plan_reader.extract_plan` and keeps
the proposals in a :class:`~storage.models.PlanDraft` (``plan``: the document's particulars and
its items). Every secretariat sees the same open drafts; each change reads the draft again
(locked on PostgreSQL), so two secretaries never overwrite each other's edits.

An item of ``plan["items"]`` is a dict::

    {"due": "2019-11-15" | "2020-06-06/2020-06-08" | "2020-08" | "2020-Q1" | "--03-15" | None,
     "kind": "plan" | "report" | "nomination_list" | "event",   # the requirement kind
     "title": "...", "who": "..." | None, "phrase": "...", "relative": "..." | None,
     "time": "HH:MM" | None, "status": "proposed" | "accepted" | "dropped",
     "units": {"mode": "all"} | {"mode": "kinds", "kinds": [...]}
              | {"mode": "blocks", "blocks": [...]} | {"mode": "codes", "codes": [...]},
     "parts": [...], "accept": [...]}   # optional: handlers.services.intake_items

:func:`create_campaign` (and the dues' forms, :class:`DueForm`) live in
:mod:`handlers.services.intake_campaign` and are re-exported here.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tempfile
from collections import Counter
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.files import check_content
from handlers.domain.vn_dates import DateError, clean_text, parse_date, parse_period
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.io.plan_file import IMAGE_SUFFIXES, MAX_BYTES, SUFFIXES, read_plan_file
from handlers.kernel.ports import FileStore
from handlers.services.intake_campaign import (
    DueForm,
    accepted_items,
    announce_campaign,
    campaign_audience,
    campaign_units,
    create_campaign,
    due_form,
)
from storage.models import Person, PlanDraft, RequirementKind, StoredFile
from storage.repositories.audit import AuditRepository
from storage.repositories.plan_drafts import OPEN, PlanDraftRepository
from storage.repositories.units import UnitRepository
from storage.text import fold_text, normalize_code

__all__ = [
    "ACCEPTS",
    "EDIT_KINDS",
    "TEXT_MAX",
    "DueForm",
    "accept_all",
    "accepted_items",
    "add_item",
    "announce_campaign",
    "campaign_audience",
    "campaign_units",
    "cancel_draft",
    "check_upload",
    "create_campaign",
    "draft_items",
    "due_form",
    "get_open",
    "keep_upload",
    "open_drafts",
    "page_of",
    "parse_due",
    "parse_unit_codes",
    "read_upload",
    "start_draft",
    "unit_kind_counts",
    "update_item",
]

#: The file types a plan is read from (the question's file request); pictures by OCR.
ACCEPTS = ("docx", "pdf", "txt", "jpg", "jpeg", "png")
#: The longest pasted plan text read.
TEXT_MAX = 100_000
#: Requirement kinds an item may be given in the chat (a dossier is then asked its parts).
EDIT_KINDS = ("plan", "report", "nomination_list", "dossier", "event")
_IMAGES = frozenset({".gif", ".heic"})  # pictures OCR does not read
_TITLE_MAX = 255
_NO_DUE = {"chua co han", "khong co han", "chua co", "khong", "-"}


# -- reading the document ------------------------------------------------------------------------
def check_upload(name: str, size: int) -> None:
    """Refuse a plan file by its name and declared size, before it is downloaded.

    Raises:
        UserError: a picture OCR does not read (ask for the Word file), a type not read, an
            empty file or one over the plan reader's limit.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix in _IMAGES:
        raise UserError("plan_file_no_text", name=name)
    if suffix not in SUFFIXES and suffix not in IMAGE_SUFFIXES:
        raise UserError("plan_file_type", name=name, types=", ".join(SUFFIXES))
    if size <= 0:
        raise UserError("file_empty")
    if size > MAX_BYTES:
        raise UserError("plan_file_too_big", name=name, limit=MAX_BYTES // (1024 * 1024))


def read_upload(name: str, data: bytes) -> str:
    """The text of an uploaded plan file (blocking: run it in a thread).

    Raises:
        UserError: the refusals of :func:`handlers.io.plan_file.read_plan_file` (encrypted,
            corrupt, no text layer, too many pages…), or an executable.
    """
    check_upload(name, len(data))
    check_content(data)  # size and executables; a wrong format is the reader's "corrupt"
    with tempfile.TemporaryDirectory(prefix="tdkt-plan-") as folder:
        path = Path(folder) / f"plan{PurePath(name).suffix.lower()}"
        path.write_bytes(data)
        return read_plan_file(path)


async def keep_upload(
    session: AsyncSession, files: FileStore, name: str, mime: str, data: bytes, now: dt.datetime
) -> int:
    """Store the plan's file (it goes with the announcement); returns its ``StoredFile`` id."""
    saved = await files.save(data)
    row = StoredFile(
        sha256=saved.sha256,
        name=name[:255],
        mime_type=mime[:127] or "application/octet-stream",
        size=saved.size,
        path=saved.path,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


def _kind_of(kind: str, what: str) -> str:
    """The requirement kind proposed for an extracted item."""
    if kind == "event":
        return RequirementKind.EVENT.value
    folded = fold_text(what)
    if kind == "submit" and "ke hoach" in folded:
        return RequirementKind.PLAN.value
    if "danh sach" in folded and ("de nghi" in folded or "khen" in folded):
        return RequirementKind.NOMINATION_LIST.value
    return RequirementKind.REPORT.value


def draft_items(text: str) -> dict[str, Any]:
    """What ``text`` says, as a draft's ``plan``: particulars and proposed items."""
    # The reader compiles some sixty patterns: imported when a plan is first read, not with
    # the flows at the bot's start-up.
    from handlers.domain.plan_reader import extract_plan

    plan = extract_plan(text)
    items = [
        {
            "due": item.due,
            "kind": _kind_of(item.kind, item.what),
            "title": " ".join(item.what.split())[:_TITLE_MAX],
            "who": item.who,
            "phrase": item.phrase,
            "relative": item.relative,
            "time": item.time,
            "status": "proposed",
            "units": {"mode": "all"},
        }
        for item in plan.items
    ]
    return {
        "doc_date": plan.doc_date,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "title": plan.title,
        "items": items,
    }


# -- drafts ---------------------------------------------------------------------------------------
def _audit(
    session: AsyncSession, action: str, draft: PlanDraft, by: Person, now: dt.datetime, **d: Any
) -> None:
    AuditRepository(session).record(
        at=now, person_id=by.id, action=action, entity="plan_draft", entity_id=draft.id, detail=d
    )


async def start_draft(
    session: AsyncSession, text: str, *, file_id: int | None, by: Person, now: dt.datetime
) -> PlanDraft:
    """Read ``text`` and keep what it proposes as a new open draft (audit-logged)."""
    draft = await PlanDraftRepository(session).add(
        PlanDraft(
            status=OPEN,
            plan=draft_items(text),
            file_id=file_id,
            created_by=by.id,
            created_at=now,
            updated_by=by.id,
            updated_at=now,
        )
    )
    _audit(session, "plan_draft.create", draft, by, now, items=len(draft.plan["items"]))
    return draft


async def open_drafts(session: AsyncSession) -> list[PlanDraft]:
    """Every draft still being reviewed (any secretariat's), oldest first."""
    return await PlanDraftRepository(session).open_drafts()


async def get_open(session: AsyncSession, draft_id: int, *, for_update: bool = False) -> PlanDraft:
    """The open draft ``draft_id``; refuses with ``intake_draft_gone`` when it is not open."""
    draft = await PlanDraftRepository(session).get_open(draft_id, for_update=for_update)
    if draft is None:
        raise UserError("intake_draft_gone")
    return draft


def _changed(draft: PlanDraft, plan: dict[str, Any], by: Person, now: dt.datetime) -> None:
    draft.plan = plan  # a new object: the JSON column sees the change
    draft.updated_by = by.id
    draft.updated_at = now


def update_item(
    session: AsyncSession,
    draft: PlanDraft,
    index: int,
    *,
    by: Person,
    now: dt.datetime,
    **changes: Any,
) -> dict[str, Any]:
    """Change item ``index`` of ``draft`` (audit-logged); returns the item as changed.

    Raises:
        UserError: ``item_gone`` when the draft has no such item.
    """
    plan = copy.deepcopy(draft.plan)
    items: list[dict[str, Any]] = plan["items"]
    if not 0 <= index < len(items):
        raise UserError("item_gone")
    items[index].update(changes)
    _changed(draft, plan, by, now)
    _audit(session, "plan_draft.edit", draft, by, now, item=index + 1, changes=changes)
    return items[index]


def accept_all(session: AsyncSession, draft: PlanDraft, *, by: Person, now: dt.datetime) -> int:
    """Accept every item still proposed; returns how many."""
    plan = copy.deepcopy(draft.plan)
    count = 0
    for item in plan["items"]:
        if item["status"] == "proposed":
            item["status"] = "accepted"
            count += 1
    if count:
        _changed(draft, plan, by, now)
        _audit(session, "plan_draft.accept_all", draft, by, now, items=count)
    return count


def add_item(
    session: AsyncSession, draft: PlanDraft, title: str, *, by: Person, now: dt.datetime
) -> int:
    """Add an item typed by hand (accepted, no due yet); returns its index."""
    plan = copy.deepcopy(draft.plan)
    plan["items"].append(
        {
            "due": None,
            "kind": RequirementKind.REPORT.value,
            "title": title[:_TITLE_MAX],
            "who": None,
            "phrase": None,
            "relative": None,
            "time": None,
            "status": "accepted",
            "units": {"mode": "all"},
        }
    )
    _changed(draft, plan, by, now)
    index = len(plan["items"]) - 1
    _audit(session, "plan_draft.add", draft, by, now, item=index + 1)
    return index


def cancel_draft(session: AsyncSession, draft: PlanDraft, *, by: Person, now: dt.datetime) -> None:
    """Give a draft up: nothing is created (audit-logged)."""
    draft.status = "cancelled"
    draft.updated_by = by.id
    draft.updated_at = now
    _audit(session, "plan_draft.cancel", draft, by, now)


# -- dues -----------------------------------------------------------------------------------------
def parse_due(text: str) -> str | None:
    """A due typed in the chat, in the draft's form: "15/11/2019", "quý I/2020", "chưa có hạn".

    A period other than a month or a quarter ("6 tháng đầu năm 2020", "năm 2020") is kept as
    the range of its days.

    Raises:
        UserError: ``intake_bad_due`` (with the reason) when the text is neither.
    """
    cleaned = clean_text(text)
    if fold_text(cleaned).strip(" .") in _NO_DUE:
        return None
    try:
        return parse_date(cleaned).isoformat()
    except DateError as err:
        date_error = err
    try:
        period = parse_period(cleaned)
    except DateError:
        raise UserError("intake_bad_due", reason=str(date_error)) from None
    folded = fold_text(cleaned)
    if folded.startswith("quy"):
        return f"{period.start.year}-Q{(period.start.month + 2) // 3}"
    if folded.startswith("thang"):
        return f"{period.start.year}-{period.start.month:02d}"
    return f"{period.start.isoformat()}/{period.end.isoformat()}"


async def parse_unit_codes(session: AsyncSession, text: str) -> list[str]:
    """Unit codes typed "P-BADINH, P-BACSON" (any case, commas or spaces), each checked.

    Raises:
        UserError: ``intake_no_units`` when none is typed, ``unit_not_found`` for an unknown one.
    """
    known = {normalize_code(u.code): u.code for u in await UnitRepository(session).list_all()}
    codes: list[str] = []
    for part in re.split(r"[,;\s]+", text):
        if not part:
            continue
        code = known.get(normalize_code(part))
        if code is None:
            raise UserError("unit_not_found", ref=part)
        if code not in codes:
            codes.append(code)
    if not codes:
        raise UserError("intake_no_units")
    return codes


def page_of(
    draft: PlanDraft, page: int, size: int
) -> tuple[int, int, list[tuple[int, dict[str, Any], DueForm]], Counter[str]]:
    """One page of the draft's items: (page, pages, [(number, item, due)], counts by status).

    ``page`` is brought within the pages there are (an item may have been added or the draft
    changed by another secretariat since it was shown).
    """
    items: list[dict[str, Any]] = draft.plan["items"]
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    first = page * size
    rows = [
        (first + i + 1, item, due_form(item["due"]))
        for i, item in enumerate(items[first : first + size])
    ]
    counts: Counter[str] = Counter({"accepted": 0, "proposed": 0, "dropped": 0})
    counts.update(item["status"] for item in items)
    return page, pages, rows, counts


async def unit_kind_counts(
    session: AsyncSession, kinds: UnitKinds = DEFAULT_UNIT_KINDS
) -> dict[str, int]:
    """The kinds of the active units with their unit counts.

    In the deployment's vocabulary order, then any other code the units hold.
    """
    counts = Counter(u.kind for u in await UnitRepository(session).list_all() if u.is_active)
    rank = {kind: i for i, kind in enumerate(kinds)}
    return {k: counts[k] for k in sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))}
