"""Units: importing the list (``tdkt units import``, the demo), listing, retiring, renaming.

Deactivating, reactivating and renaming a unit are audit-logged; :func:`list_units` also says
who of each unit has linked a chat account, and on which channel.

Importing the units list is all or nothing, by code.

Every row is checked first (:func:`handlers.io.units_file.read_units_file`); if any row is
wrong, nothing is written and the result lists the wrong rows. Units are matched by code, so
importing the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.io.units_file import ImportResult, UnitsFileError, read_units_file
from storage.models import Role, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "LinkedAccount",
    "UnitSummary",
    "find_unit_by_code",
    "import_units",
    "import_units_data",
    "list_units",
    "rename_unit",
    "set_unit_active",
]

logger = logging.getLogger(__name__)


async def import_units_data(
    session: AsyncSession, data: bytes, filename: str, kinds: UnitKinds | None = None
) -> ImportResult:
    """Import units from a file's content (e.g. a file sent in chat); see :func:`import_units`."""
    rows, result = read_units_file(data, filename, kinds)
    if result.errors:
        logger.info("Units file %s rejected: %d wrong rows", filename, len(result.errors))
        return result
    repo = UnitRepository(session)
    for row in rows:
        _, change = await repo.upsert(
            code=row.code,
            name=row.name,
            kind=row.kind,
            block=row.block,
            staff_count=row.staff_count,
        )
        if change == "created":
            result.created += 1
        elif change == "updated":
            result.updated += 1
        else:
            result.unchanged += 1
    logger.info(
        "Units file %s imported: %d created, %d updated, %d unchanged",
        filename,
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


async def import_units(
    session: AsyncSession, path: str | os.PathLike[str], kinds: UnitKinds | None = None
) -> ImportResult:
    """Create or update units from a CSV or XLSX file, all or nothing. Never commits.

    Args:
        session: The open session (the caller commits when :attr:`ImportResult.ok`).
        path: The file.
        kinds: The deployment's unit kinds (default: the built-in vocabulary); a row of another
            kind is an error with its line.

    Returns:
        Counts of created/updated/unchanged units, or the row errors (then nothing was written).

    Raises:
        UnitsFileError: The file cannot be opened, is not CSV/XLSX, or lacks a required column.
    """
    file = Path(path)
    try:
        data = await asyncio.to_thread(file.read_bytes)
    except OSError:
        raise UnitsFileError(f'Không mở được tệp "{file.name}".') from None
    return await import_units_data(session, data, file.name, kinds)


# -- units as an office has them ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """One chat account linked to a person of a unit."""

    name: str
    role: Role
    channel: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class UnitSummary:
    """One unit as the secretariat sees it: its kind, whether it is active, who is linked."""

    id: int
    code: str
    name: str
    kind: str
    block: str | None
    active: bool
    accounts: tuple[LinkedAccount, ...] = ()
    #: The kind in words, from the deployment's vocabulary.
    kind_label: str = ""

    @property
    def head_linked(self) -> bool:
        """Whether some unit head has a linked account the bot can write to."""
        return any(a.role is Role.UNIT_HEAD and a.reachable for a in self.accounts)

    @property
    def reachable(self) -> bool:
        """Whether a reminder can reach someone of the unit (a head or a member)."""
        return any(a.reachable for a in self.accounts)

    def channels(self, role: Role) -> list[str]:
        """The channels on which people with ``role`` are reachable, sorted."""
        return sorted({a.channel for a in self.accounts if a.role == role and a.reachable})

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready values."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "block": self.block,
            "active": self.active,
            "head_linked": self.head_linked,
            "head_channels": self.channels(Role.UNIT_HEAD),
            "member_channels": self.channels(Role.UNIT_MEMBER),
            "accounts": [
                {
                    "name": a.name,
                    "role": a.role.value,
                    "channel": a.channel,
                    "reachable": a.reachable,
                }
                for a in self.accounts
            ],
        }


async def list_units(session: AsyncSession, kinds: UnitKinds | None = None) -> list[UnitSummary]:
    """Every unit (active or not), by block then name, with its linked accounts.

    Args:
        session: The open session.
        kinds: The deployment's unit kinds, for the kinds' labels (default: built-in).
    """
    vocabulary = kinds or DEFAULT_UNIT_KINDS
    units = await UnitRepository(session).list_all()
    rows = await PeopleRepository(session).linked_accounts((Role.UNIT_HEAD, Role.UNIT_MEMBER))
    by_unit: dict[int, list[LinkedAccount]] = {}
    for account, person, _ in rows:
        if person.unit_id is None:
            continue
        reachable = account.chat_id is not None and account.unreachable_at is None
        by_unit.setdefault(person.unit_id, []).append(
            LinkedAccount(person.full_name, person.role, account.channel, reachable)
        )
    return [
        UnitSummary(
            id=u.id,
            code=u.code,
            name=u.name,
            kind=u.kind,
            block=u.block,
            active=u.is_active,
            accounts=tuple(by_unit.get(u.id, ())),
            kind_label=vocabulary.label(u.kind),
        )
        for u in units
    ]


async def find_unit_by_code(session: AsyncSession, code: str) -> Unit:
    """The unit with ``code`` (case-insensitive); refuses with ``unit_not_found``."""
    unit = await UnitRepository(session).get_by_code(code)
    if unit is None:
        raise UserError("unit_not_found", ref=code)
    return unit


def _record(
    session: AsyncSession,
    action: str,
    unit: Unit,
    person_id: int | None,
    now: dt.datetime,
    **detail: object,
) -> None:
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action=action,
        entity="unit",
        entity_id=unit.id,
        detail={"code": unit.code, **detail},
    )


async def set_unit_active(
    session: AsyncSession, unit: Unit, active: bool, *, person_id: int | None, now: dt.datetime
) -> bool:
    """Deactivate (retire) or reactivate a unit, audit-logged; never commits.

    A retired unit keeps its history (items, exports) but is out of reminders and of the units
    owing new requirements. It cannot be retired while it has items awaiting review.

    Returns:
        True when the unit changed, False when it already was in that state.

    Raises:
        UserError: ``unit_has_pending`` when deactivating a unit with items awaiting review.
    """
    if unit.is_active == active:
        return False
    if not active:
        pending = await UnitRepository(session).pending_count(unit.id)
        if pending:
            raise UserError("unit_has_pending", name=unit.name, count=pending)
        unit.deactivated_at = now
    else:
        unit.deactivated_at = None
    await session.flush()
    _record(session, "unit.reactivate" if active else "unit.deactivate", unit, person_id, now)
    logger.info("Unit %s %s", unit.code, "reactivated" if active else "deactivated")
    return True


async def rename_unit(
    session: AsyncSession, unit: Unit, name: str, *, person_id: int | None, now: dt.datetime
) -> bool:
    """Give a unit a new name, audit-logged with the old one; never commits.

    Returns:
        True when the name changed.

    Raises:
        UserError: ``unit_name_invalid`` for an empty or over-long name, or one with no letter.
    """
    new = " ".join(name.split())
    if not 2 <= len(new) <= 255 or not any(ch.isalpha() for ch in new):
        raise UserError("unit_name_invalid")
    if new == unit.name:
        return False
    old, unit.name = unit.name, new
    await session.flush()
    _record(session, "unit.rename", unit, person_id, now, old=old, new=new)
    return True
