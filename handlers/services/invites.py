"""One-time invite codes that link a chat account to a person with a role."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from storage.models import ChatAccount, Invite, Person, Role, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "create_invite",
    "create_unit_invites",
    "ensure_account",
    "normalize_invite_code",
]

#: Unambiguous characters (no 0/O, 1/I/L) so a code can be read over the phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


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
) -> tuple[Invite, Unit | None]:
    """Create a single-use invite; a unit role needs a unit, the secretariat has none.

    Raises:
        UserError: The unit is missing, unknown, or given for the secretariat.
    """
    unit: Unit | None = None
    if role is Role.SECRETARIAT:
        if unit_ref:
            raise UserError("invite_secretariat_unit")
    else:
        if not unit_ref:
            raise UserError("invite_needs_unit")
        unit = await UnitRepository(session).find(unit_ref)
        if unit is None:
            raise UserError("unit_not_found", ref=unit_ref)
    return await _new_invite(session, role, unit, full_name, now, ttl), unit


async def create_unit_invites(
    session: AsyncSession, *, role: Role, now: dt.datetime, ttl: dt.timedelta
) -> list[tuple[Unit, Invite]]:
    """One single-use invite per active unit (bulk onboarding), each audit-logged.

    Raises:
        UserError: ``invite_all_units_secretariat`` for the secretariat role (it has no unit).
    """
    if role is Role.SECRETARIAT:
        raise UserError("invite_all_units_secretariat")
    units = [u for u in await UnitRepository(session).list_all() if u.is_active]
    return [(u, await _new_invite(session, role, u, None, now, ttl)) for u in units]


async def _new_invite(
    session: AsyncSession,
    role: Role,
    unit: Unit | None,
    full_name: str | None,
    now: dt.datetime,
    ttl: dt.timedelta,
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
        person_id=None,
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
