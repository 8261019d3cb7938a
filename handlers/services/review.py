"""Review decisions: accept what a unit sent, or return it with a reason (the unit is told).

A decision re-reads the item with a row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writing transactions) and refuses with :class:`StaleItemError` when it changed since it
was shown — a new version, an edit, a withdrawal, or another secretary's decision. Nothing is
written then.

A returned item counts as missing again (:mod:`handlers.queries.progress`), and the unit is told
at once through :func:`handlers.services.notices.notify_unit`.

``Nomination`` has no ``reviewed_by`` / ``reviewed_at`` columns: who reviewed it, and when, is in
the audit log (``nomination.accepted`` / ``nomination.returned``); ``updated_at`` is set too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import effective_due
from handlers.domain.errors import UserError
from handlers.domain.files import MAX_FILE_BYTES
from handlers.domain.items import Item, ItemKey, is_withdrawn, revision_of, sent_at_of
from handlers.domain.progress import local_today
from handlers.kernel.messages import ChatKey, OutgoingFile
from handlers.kernel.ports import FileStore
from handlers.kernel.texts import Texts
from handlers.services.items import load_item
from handlers.services.notices import Queued, notify_unit
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Person,
    Requirement,
    Role,
    StoredFile,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.files import FileRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "Attachment",
    "Returned",
    "Reviewed",
    "StaleItemError",
    "accept",
    "attachment",
    "check",
    "describe",
    "return_",
]

_LOGGER = logging.getLogger(__name__)

_DECISIONS = ("nomination.accepted", "nomination.returned")


@dataclass(frozen=True, slots=True)
class Reviewed:
    """An item with what its card and its texts name: requirement, unit, campaign."""

    item: Item
    req: Requirement | None
    unit: Unit
    campaign: Campaign

    @property
    def is_nomination(self) -> bool:
        """Whether the item is a nomination (else a submission version)."""
        return isinstance(self.item, Nomination)

    @property
    def tz(self) -> str:
        """The zone the item's times are shown in: its campaign's."""
        return self.campaign.timezone

    @property
    def late_days(self) -> int:
        """How many days after its requirement's deadline the item was sent (0: in time)."""
        if self.req is None:
            return 0
        sent = local_today(sent_at_of(self.item), self.tz)
        due = effective_due(self.req, self.unit.id)
        return 0 if due is None else max(0, (sent - due).days)

    def days_left(self, now: dt.datetime) -> int | None:
        """Days from ``now`` to its requirement's deadline (negative: past; None: no deadline)."""
        due = None if self.req is None else effective_due(self.req, self.unit.id)
        if due is None:
            return None
        return (due - local_today(now, self.tz)).days


@dataclass(frozen=True, slots=True)
class Returned:
    """A returned item and the notice queued to its unit (None: nobody of it is linked)."""

    reviewed: Reviewed
    notice: Queued | None

    @property
    def reached(self) -> int:
        """How many people of the unit will get the notice."""
        return self.notice.pending if self.notice is not None else 0


class StaleItemError(Exception):
    """The item on show can no longer be acted on; nothing was written.

    Attributes:
        tz: The zone its times are shown in (None when the item is gone).
        params: The arguments of the ``duyet.stale`` text: ``why`` (``gone``, ``withdrawn``,
            ``accepted``, ``returned``, ``new_version``, ``edited``), ``it``, ``req`` and, by
            case, ``who``, ``at``, ``newest``.
    """

    def __init__(self, why: str, reviewed: Reviewed | None = None, **params: Any) -> None:
        super().__init__(why)
        self.tz = reviewed.tz if reviewed is not None else None
        self.params: dict[str, Any] = {
            "why": why,
            "it": reviewed.item if reviewed is not None else None,
            "req": reviewed.req if reviewed is not None else None,
            **params,
        }


async def describe(session: AsyncSession, item: Item) -> Reviewed:
    """The item with its requirement, unit and campaign."""
    campaigns = CampaignRepository(session)
    req_id = item.requirement_id
    req = await campaigns.requirement(req_id) if req_id is not None else None
    unit = await UnitRepository(session).get(item.unit_id)
    campaign_id = item.campaign_id if isinstance(item, Nomination) else None
    if campaign_id is None and req is not None:
        campaign_id = req.campaign_id
    campaign = await campaigns.get(campaign_id) if campaign_id is not None else None
    assert unit is not None and campaign is not None, "foreign keys hold"
    return Reviewed(item, req, unit, campaign)


async def _reviewer(session: AsyncSession, item: Item) -> tuple[str | None, dt.datetime | None]:
    """Who reviewed ``item`` and when (nominations: from the audit log)."""
    if isinstance(item, Submission):
        person_id, at = item.reviewed_by, item.reviewed_at
    else:
        row = await AuditRepository(session).latest("nomination", item.id, _DECISIONS)
        if row is None:
            person_id, at = None, item.updated_at
        else:
            person_id, at = row.person_id, row.at
    person = await PeopleRepository(session).get(person_id) if person_id is not None else None
    return (person.full_name if person is not None else None), at


async def check(
    session: AsyncSession, key: ItemKey | None, seen: int, *, lock: bool = False
) -> Reviewed:
    """The item on show, if it is as it was shown (``seen``: its version or revision then).

    Args:
        session: The open session.
        key: The item on show.
        seen: :func:`handlers.domain.items.revision_of` the item when it was shown.
        lock: Lock the row until the transaction ends (a decision follows).

    Raises:
        StaleItemError: It is gone, withdrawn, already decided, or changed since.
    """
    item = await load_item(session, key, lock=lock)
    if item is None:
        raise StaleItemError("gone")
    reviewed = await describe(session, item)
    if is_withdrawn(item):
        raise StaleItemError("withdrawn", reviewed)
    if item.status.value != SubmissionStatus.SUBMITTED.value:  # accepted or returned
        who, at = await _reviewer(session, item)
        raise StaleItemError(item.status.value, reviewed, who=who, at=at)
    if isinstance(item, Submission):
        if not item.is_current or item.version != seen:
            subs = SubmissionRepository(session)
            history = await subs.history(item.unit_id, item.requirement_id, item.part)
            newest = history[0].version if history else item.version
            raise StaleItemError("new_version", reviewed, newest=newest)
    elif revision_of(item) != seen:
        raise StaleItemError("edited", reviewed)
    return reviewed


async def _decide(
    session: AsyncSession,
    key: ItemKey | None,
    seen: int,
    *,
    actor: Person,
    now: dt.datetime,
    reason: str | None,
) -> tuple[Reviewed, dict[str, Any]]:
    """Lock the item on show and accept it (``reason`` None) or return it.

    Returns the item and the detail of its audit row (written by the caller, which may add to
    it).
    """
    if actor.role is not Role.SECRETARIAT:
        raise UserError("secretariat_only")
    reviewed = await check(session, key, seen, lock=True)
    item, req = reviewed.item, reviewed.req
    accepted = reason is None
    item.return_reason = reason
    detail: dict[str, Any] = {
        "unit": reviewed.unit.code,
        "requirement": req.code if req is not None else None,
    }
    if not accepted:
        detail["reason"] = reason
    if isinstance(item, Submission):
        item.status = SubmissionStatus.ACCEPTED if accepted else SubmissionStatus.RETURNED
        item.reviewed_by = actor.id
        item.reviewed_at = now
        detail.update(part=item.part, version=item.version)
    else:  # nominations keep no reviewer columns: the audit row records who decided
        item.status = NominationStatus.ACCEPTED if accepted else NominationStatus.RETURNED
        item.updated_at = now
        detail.update(revision=item.revision, reviewed_by=actor.id)
    return reviewed, detail


def _audit(
    session: AsyncSession,
    reviewed: Reviewed,
    verb: str,
    detail: dict[str, Any],
    *,
    actor: Person,
    now: dt.datetime,
) -> None:
    entity = "nomination" if reviewed.is_nomination else "submission"
    AuditRepository(session).record(
        at=now,
        person_id=actor.id,
        action=f"{entity}.{verb}",
        entity=entity,
        entity_id=reviewed.item.id,
        detail=detail,
    )


async def accept(
    session: AsyncSession, key: ItemKey | None, seen: int, *, actor: Person, now: dt.datetime
) -> Reviewed:
    """Accept the item on show, unless it changed since it was shown (see :func:`check`).

    Raises:
        UserError: The actor is not the secretariat.
        StaleItemError: The item changed since it was shown.
    """
    reviewed, detail = await _decide(session, key, seen, actor=actor, now=now, reason=None)
    _audit(session, reviewed, "accepted", detail, actor=actor, now=now)
    return reviewed


async def return_(
    session: AsyncSession,
    texts: Texts,
    key: ItemKey | None,
    seen: int,
    *,
    reason: str,
    actor: Person,
    origin: ChatKey,
    now: dt.datetime,
) -> Returned:
    """Return the item on show to its unit with ``reason``; queue the notice telling the unit.

    The caller wakes the sender after the commit when :attr:`Returned.notice` is set.

    Raises:
        UserError: The actor is not the secretariat.
        StaleItemError: The item changed since it was shown.
    """
    reviewed, detail = await _decide(session, key, seen, actor=actor, now=now, reason=reason)
    text = texts(
        "duyet.notice",
        tz=reviewed.tz,
        it=reviewed.item,
        is_nomination=reviewed.is_nomination,
        req=reviewed.req,
        unit=reviewed.unit,
        reason=reason,
        days_left=reviewed.days_left(now),
    )
    notice = await notify_unit(session, reviewed.unit, text, by=actor, origin=origin, now=now)
    returned = Returned(reviewed, notice)
    detail["notified"] = returned.reached
    _audit(session, reviewed, "returned", detail, actor=actor, now=now)
    return returned


@dataclass(frozen=True, slots=True)
class Attachment:
    """An item's stored file and whether it goes along with the card.

    ``attached``: ``""`` (no file), ``"sent"`` (in :attr:`file`), ``"above"`` (sent with the card
    shown before), ``"too_big"`` (over what a chat carries), ``"unreadable"`` (missing in the
    store).
    """

    stored: StoredFile | None
    attached: str
    file: OutgoingFile | None = None


async def attachment(
    session: AsyncSession, files: FileStore, file_id: int | None, *, with_file: bool
) -> Attachment:
    """The item's file, read from the store when ``with_file`` (and it is small enough)."""
    stored = await FileRepository(session).get(file_id) if file_id is not None else None
    if stored is None:
        return Attachment(None, "")
    if stored.size > MAX_FILE_BYTES:
        return Attachment(stored, "too_big")
    if not with_file:
        return Attachment(stored, "above")
    try:
        data = await files.read(stored.path)
    except (OSError, ValueError) as err:
        _LOGGER.warning("stored file %s (%s) cannot be read: %s", stored.id, stored.path, err)
        return Attachment(stored, "unreadable")
    return Attachment(stored, "sent", OutgoingFile(stored.name, stored.mime_type, data))
