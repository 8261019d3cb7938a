"""People of the units and of the secretariat: listing, removing, moving; roles in words.

Several unit heads and members may be linked to one unit. The secretariat removes a person
(their row stays for the history; their chat accounts stop acting for them and may link again
with a new code) or moves a unit head or member to another active unit. Both are audit-logged
and refused with a Vietnamese reason when they cannot be done: an unknown person, a move to an
unknown or retired unit, removing the last secretariat account.

Two secretaries removing each other at the same moment cannot leave the office without one: the
secretariat rows are locked (``FOR UPDATE`` on PostgreSQL; SQLite writes one at a time) before
they are counted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from storage.models import Person, Role, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository
from storage.text import fold_text

__all__ = [
    "PersonSummary",
    "list_people",
    "move_person",
    "parse_role",
    "remove_person",
]

logger = logging.getLogger(__name__)

#: Ways to write a role (folded) → the role.
_ROLE_WORDS: dict[str, Role] = {
    "secretariat": Role.SECRETARIAT,
    "thuong truc": Role.SECRETARIAT,
    "thu ky": Role.SECRETARIAT,
    "unit head": Role.UNIT_HEAD,
    "lanh dao": Role.UNIT_HEAD,
    "lanh dao don vi": Role.UNIT_HEAD,
    "unit member": Role.UNIT_MEMBER,
    "can bo": Role.UNIT_MEMBER,
    "thanh vien": Role.UNIT_MEMBER,
}


def parse_role(text: str) -> Role:
    """Read a role written as its code (``unit_head``) or in Vietnamese (``lãnh đạo``).

    Raises:
        UserError: ``role_unknown`` for anything else.
    """
    role = _ROLE_WORDS.get(fold_text(text))
    if role is None:
        raise UserError("role_unknown", value=text)
    return role


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """One person as the secretariat sees them."""

    id: int
    name: str
    role: Role
    unit_code: str | None
    unit_name: str | None
    #: The channels of their chat accounts, sorted.
    channels: tuple[str, ...]
    #: Whether the bot can write to one of their accounts.
    reachable: bool

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "channels": list(self.channels),
            "reachable": self.reachable,
        }


async def list_people(session: AsyncSession, unit: Unit | None = None) -> list[PersonSummary]:
    """The people not removed (of ``unit`` if given), secretariat first, then by unit and id."""
    people_repo = PeopleRepository(session)
    people = await people_repo.people(unit_id=unit.id if unit else None)
    units = {u.id: u for u in await UnitRepository(session).list_all()}
    accounts = await people_repo.accounts_of([p.id for p in people])
    result = []
    for person in people:
        mine = [a for a in accounts if a.person_id == person.id]
        home = units.get(person.unit_id) if person.unit_id is not None else None
        result.append(
            PersonSummary(
                id=person.id,
                name=person.full_name,
                role=person.role,
                unit_code=home.code if home else None,
                unit_name=home.name if home else None,
                channels=tuple(sorted({a.channel for a in mine})),
                reachable=any(a.chat_id and a.unreachable_at is None for a in mine),
            )
        )
    order = {Role.SECRETARIAT: 0, Role.UNIT_HEAD: 1, Role.UNIT_MEMBER: 2}
    return sorted(result, key=lambda p: (p.unit_code or "", order[p.role], p.id))


async def _person(session: AsyncSession, person_id: int) -> Person:
    person = await PeopleRepository(session).person_for_update(person_id)
    if person is None or person.removed_at is not None:
        raise UserError("person_not_found", ref=person_id)
    return person


def _audit(
    session: AsyncSession,
    action: str,
    person: Person,
    by: int | None,
    now: dt.datetime,
    **detail: object,
) -> None:
    AuditRepository(session).record(
        at=now,
        person_id=by,
        action=action,
        entity="person",
        entity_id=person.id,
        detail={"name": person.full_name, "role": person.role.value, **detail},
    )


async def remove_person(
    session: AsyncSession, person_id: int, *, by: int | None, now: dt.datetime
) -> Person:
    """Remove a person, audit-logged; never commits.

    Their chat accounts stop acting for them at once (the next message is answered as from
    someone not linked); their submissions and the history keep their name.

    Returns:
        The removed person.

    Raises:
        UserError: ``person_not_found`` (unknown or already removed); ``last_secretariat`` when
            they are the only secretariat account left.
    """
    people = PeopleRepository(session)
    seen = await people.get(person_id)
    if seen is not None and seen.role is Role.SECRETARIAT:
        # lock every secretariat row first (fresh values), so a concurrent removal is counted
        left = await people.lock_secretariat()
        if [p.id for p in left] == [person_id]:
            raise UserError("last_secretariat", name=seen.full_name)
    person = await _person(session, person_id)
    unit = await UnitRepository(session).get(person.unit_id) if person.unit_id else None
    person.removed_at = now
    await session.flush()
    _audit(session, "person.remove", person, by, now, unit=unit.code if unit else None)
    logger.info("Person %s removed", person.id)
    return person


async def move_person(
    session: AsyncSession, person_id: int, unit_ref: str, *, by: int | None, now: dt.datetime
) -> tuple[Person, Unit, Unit]:
    """Move a unit head or member to another unit, audit-logged; never commits.

    Returns:
        The person, the unit they left and the unit they joined.

    Raises:
        UserError: ``person_not_found``; ``person_no_unit`` for the secretariat;
            ``unit_not_found`` / ``unit_inactive`` for the target; ``person_same_unit``.
    """
    person = await _person(session, person_id)
    if person.role is Role.SECRETARIAT or person.unit_id is None:
        raise UserError("person_no_unit", name=person.full_name)
    units = UnitRepository(session)
    target = await units.get_by_code(unit_ref) or await units.find(unit_ref)
    if target is None:
        raise UserError("unit_not_found", ref=unit_ref)
    if not target.is_active:
        raise UserError("unit_inactive", name=target.name)
    source = await units.get(person.unit_id)
    assert source is not None
    if target.id == source.id:
        raise UserError("person_same_unit", name=person.full_name, unit=target.name)
    person.unit_id = target.id
    await session.flush()
    _audit(session, "person.move", person, by, now, old=source.code, new=target.code)
    logger.info("Person %s moved from %s to %s", person.id, source.code, target.code)
    return person, source, target
