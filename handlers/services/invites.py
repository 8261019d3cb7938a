"""One-time invite codes that link a chat account to a person with a role."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from storage.models import ChatAccount, Invite, Person, Role, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "InviteBatch",
    "create_invite",
    "create_invite_batch",
    "create_unit_invites",
    "ensure_account",
    "normalize_invite_code",
    "revoke_invites",
]

#: Unambiguous characters (no 0/O, 1/I/L) so a code can be read over the phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10

logger = logging.getLogger(__name__)


def normalize_invite_code(text: str) -> str:
    """Upper-case a typed code and drop spaces and dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    unit_ref: str | None,
    full_name: str | None,
    now: dt.datetime,
    ttl: dt.timedelta,
    by: int | None = None,
) -> tuple[Invite, Unit | None]:
    """Create a single-use invite; a unit role needs a unit, the secretariat has none.

    Args:
        session: The open session (never committed here).
        role: The role the code gives.
        unit_ref: The unit's code or name (unit roles only).
        full_name: The invited person's name, if known.
        now: The current time.
        ttl: How long the code is valid.
        by: Who asked for it (a secretariat person), for the audit log.

    Raises:
        UserError: The unit is missing, unknown, retired, or given for the secretariat.
    """
    unit: Unit | None = None
    if role is Role.SECRETARIAT:
        if unit_ref:
            raise UserError("invite_secretariat_unit")
    else:
        if not unit_ref:
            raise UserError("invite_needs_unit")
        units = UnitRepository(session)
        unit = await units.get_by_code(unit_ref) or await units.find(unit_ref)
        if unit is None:
            raise UserError("unit_not_found", ref=unit_ref)
        if not unit.is_active:
            raise UserError("unit_inactive", name=unit.name)
    return await _new_invite(session, role, unit, full_name, now, ttl, by), unit


@dataclass(frozen=True, slots=True)
class InviteBatch:
    """A batch of invites, one per active unit, and how many older codes it revoked."""

    invites: list[tuple[Unit, Invite]]
    revoked: int


async def create_invite_batch(
    session: AsyncSession,
    *,
    role: Role,
    now: dt.datetime,
    ttl: dt.timedelta,
    revoke_old: bool = False,
    by: int | None = None,
) -> InviteBatch:
    """One single-use invite per active unit (bulk onboarding), each audit-logged.

    With ``revoke_old``, the unused codes of the same role printed before are revoked first
    (audit-logged), so only the new sheet works. Someone linking with an old code at that
    moment either finished first (they stay linked) or is told the code was revoked.

    Raises:
        UserError: ``invite_all_units_secretariat`` for the secretariat role (it has no unit).
    """
    if role is Role.SECRETARIAT:
        raise UserError("invite_all_units_secretariat")
    revoked = await revoke_invites(session, role=role, now=now, by=by) if revoke_old else 0
    units = [u for u in await UnitRepository(session).list_all() if u.is_active]
    made = [(u, await _new_invite(session, role, u, None, now, ttl, by)) for u in units]
    return InviteBatch(made, revoked)


async def create_unit_invites(
    session: AsyncSession, *, role: Role, now: dt.datetime, ttl: dt.timedelta
) -> list[tuple[Unit, Invite]]:
    """One single-use invite per active unit; see :func:`create_invite_batch`."""
    batch = await create_invite_batch(session, role=role, now=now, ttl=ttl)
    return batch.invites


async def revoke_invites(
    session: AsyncSession,
    *,
    role: Role,
    now: dt.datetime,
    unit: Unit | None = None,
    by: int | None = None,
) -> int:
    """Revoke the unused, unexpired codes of ``role`` (of one unit, if given); never commits.

    Each revoked invite is touched by one ``UPDATE … WHERE used_at IS NULL AND revoked_at IS
    NULL``: two revocations at once revoke each code once, and a code being used at that moment
    is either used (kept) or revoked (the linking is refused), never both.

    Returns:
        How many codes were revoked (audit-logged when any).
    """
    count = await PeopleRepository(session).revoke_invites(
        role, now, unit_ids=[unit.id] if unit is not None else None
    )
    if count:
        AuditRepository(session).record(
            at=now,
            person_id=by,
            action="invite.revoke",
            entity="invite",
            entity_id=None,
            detail={"role": role.value, "unit": unit.code if unit else None, "count": count},
        )
        logger.info("Revoked %d unused %s invites", count, role.value)
    return count


async def _new_invite(
    session: AsyncSession,
    role: Role,
    unit: Unit | None,
    full_name: str | None,
    now: dt.datetime,
    ttl: dt.timedelta,
    by: int | None = None,
) -> Invite:
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invite = await PeopleRepository(session).add_invite(
        Invite(
            code=code,
            role=role,
            unit_id=unit.id if unit else None,
            full_name=full_name,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    AuditRepository(session).record(
        at=now,
        person_id=by,
        action="invite.create",
        entity="invite",
        entity_id=invite.id,
        detail={"role": role.value, "unit": unit.code if unit else None},
    )
    return invite


async def ensure_account(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    full_name: str,
    role: Role,
    unit_code: str | None,
    now: dt.datetime,
) -> bool:
    """Create a ready linked account (demo, first administrator); False if it already exists.

    Raises:
        UserError: ``unit_code`` names no unit.
    """
    people = PeopleRepository(session)
    if await people.account(channel, external_id) is not None:
        return False
    unit = None
    if unit_code is not None:
        unit = await UnitRepository(session).get_by_code(unit_code)
        if unit is None:
            raise UserError("unit_not_found", ref=unit_code)
    person = await people.add_person(
        Person(full_name=full_name, role=role, unit_id=unit.id if unit else None, created_at=now)
    )
    await people.add_account(
        ChatAccount(
            person_id=person.id,
            channel=channel,
            external_id=external_id,
            chat_id=external_id,
            display_name=full_name,
            linked_at=now,
        )
    )
    AuditRepository(session).record(
        at=now,
        person_id=None,
        action="account.create",
        entity="person",
        entity_id=person.id,
        detail={"channel": channel, "external_id": external_id, "role": role.value},
    )
    return True
