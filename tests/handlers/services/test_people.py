"""People as an office has them: several heads per unit, removing, moving, the last secretariat.

On the Bỉm Sơn demo, noivu is the only secretariat account and badinh the head of P-BADINH.
Run on PostgreSQL too (TEST_DATABASE_URL): the concurrent cases lock rows there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.services.invites import create_invite
from handlers.services.people import list_people, move_person, parse_role, remove_person
from handlers.services.units import find_unit_by_code, set_unit_active
from storage.models import AuditLog, Person, Role
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
TTL = dt.timedelta(days=7)

pytestmark = pytest.mark.usefixtures("demo")


async def _link(
    sf: SF, clock: Clock, chat: Chat, handle: str, role: Role, unit: str | None
) -> int:
    async with sf.begin() as s:
        invite, _ = await create_invite(
            s, role=role, unit_ref=unit, full_name=handle, now=clock(), ttl=TTL
        )
        code = invite.code
    user = chat(handle)
    await user.send(f"/start {code}")
    assert "liên kết" in user.text.lower() or "chào" in user.text.lower(), user.text
    return await _person_id(sf, handle)


async def _person_id(sf: SF, name: str) -> int:
    async with sf() as s:
        person = (await s.scalars(select(Person).where(Person.full_name == name))).one()
        return person.id


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("unit_head", Role.UNIT_HEAD),
        ("Lãnh đạo", Role.UNIT_HEAD),
        ("secretariat", Role.SECRETARIAT),
        ("Thường trực", Role.SECRETARIAT),
        ("can bo", Role.UNIT_MEMBER),
    ],
)
def test_roles_are_read_as_codes_or_words(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_an_unknown_role_is_refused_in_vietnamese() -> None:
    with pytest.raises(UserError) as err:
        parse_role("admin")
    assert err.value.key == "role_unknown"


async def test_several_heads_and_members_of_one_unit(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    await _link(session_factory, clock, chat, "pho-badinh", Role.UNIT_HEAD, "P-BADINH")
    await _link(session_factory, clock, chat, "canbo-badinh", Role.UNIT_MEMBER, "P-BADINH")
    async with session_factory() as s:
        unit = await find_unit_by_code(s, "P-BADINH")
        people = await list_people(s, unit)
    assert [(p.name, p.role) for p in people] == [
        ("Lãnh đạo UBND phường Ba Đình", Role.UNIT_HEAD),
        ("pho-badinh", Role.UNIT_HEAD),
        ("canbo-badinh", Role.UNIT_MEMBER),
    ]
    assert all(p.channels == ("console",) and p.reachable for p in people)
    second = chat("pho-badinh")
    await second.send("/nop")
    assert "Kế hoạch" in second.text


async def test_a_removed_person_is_unlinked_and_can_link_again(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    badinh = await _person_id(session_factory, "Lãnh đạo UBND phường Ba Đình")
    noivu = await _person_id(session_factory, "Phòng Nội vụ thị xã Bỉm Sơn")
    async with session_factory.begin() as s:
        await remove_person(s, badinh, by=noivu, now=clock())
    user = chat("badinh")
    await user.send("/nop")
    assert "chưa được liên kết" in user.text
    (entry,) = await _audit(session_factory, "person.remove")
    assert entry.person_id == noivu and entry.entity_id == badinh
    assert entry.detail["unit"] == "P-BADINH"
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await remove_person(s, badinh, by=noivu, now=clock())
    assert err.value.key == "person_not_found"
    # the same chat account links again with a new code, as a new person
    async with session_factory.begin() as s:
        invite, _ = await create_invite(
            s,
            role=Role.UNIT_MEMBER,
            unit_ref="P-BADINH",
            full_name="Cán bộ mới",
            now=clock(),
            ttl=TTL,
        )
        code = invite.code
    await user.send(f"/start {code}")
    assert "Cán bộ đơn vị" in user.text
    async with session_factory() as s:
        people = await list_people(s, await find_unit_by_code(s, "P-BADINH"))
    assert [(p.name, p.role) for p in people] == [("Cán bộ mới", Role.UNIT_MEMBER)]


async def test_the_last_secretariat_cannot_be_removed(session_factory: SF, clock: Clock) -> None:
    noivu = await _person_id(session_factory, "Phòng Nội vụ thị xã Bỉm Sơn")
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await remove_person(s, noivu, by=noivu, now=clock())
    assert err.value.key == "last_secretariat"
    assert await _audit(session_factory, "person.remove") == []


async def test_two_secretaries_removing_each_other_at_once_leave_one(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    vanthu = await _link(session_factory, clock, chat, "vanthu", Role.SECRETARIAT, None)
    noivu = await _person_id(session_factory, "Phòng Nội vụ thị xã Bỉm Sơn")

    async def remove(who: int, by: int) -> str:
        try:
            async with session_factory.begin() as s:
                await remove_person(s, who, by=by, now=clock())
        except UserError as err:
            return err.key
        return "removed"

    results = await asyncio.gather(remove(noivu, vanthu), remove(vanthu, noivu))
    assert sorted(results) == ["last_secretariat", "removed"]
    async with session_factory() as s:
        left = [p for p in await list_people(s) if p.role is Role.SECRETARIAT]
    assert len(left) == 1


async def test_a_head_moves_to_another_unit(session_factory: SF, clock: Clock, chat: Chat) -> None:
    badinh = await _person_id(session_factory, "Lãnh đạo UBND phường Ba Đình")
    async with session_factory.begin() as s:
        _, old, new = await move_person(s, badinh, "P-BACSON", by=None, now=clock())
        assert (old.code, new.code) == ("P-BADINH", "P-BACSON")
    (entry,) = await _audit(session_factory, "person.move")
    assert entry.detail["old"] == "P-BADINH" and entry.detail["new"] == "P-BACSON"
    user = chat("badinh")
    await user.send("/tinhhinh")
    assert "Bắc Sơn" in user.text


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("P-KHONGCO", "unit_not_found"),
        ("P-BACSON", "unit_inactive"),
        ("P-BADINH", "person_same_unit"),
    ],
)
async def test_a_move_to_an_unknown_retired_or_same_unit_changes_nothing(
    session_factory: SF, clock: Clock, target: str, key: str
) -> None:
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "P-BACSON")
        unit.deactivated_at = clock()  # retired (its pending items do not matter here)
    badinh = await _person_id(session_factory, "Lãnh đạo UBND phường Ba Đình")
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await move_person(s, badinh, target, by=None, now=clock())
    assert err.value.key == key
    async with session_factory() as s:
        person = await s.get_one(Person, badinh)
        unit = await find_unit_by_code(s, "P-BADINH")
        assert person.unit_id == unit.id
    assert await _audit(session_factory, "person.move") == []


async def test_the_secretariat_has_no_unit_to_move_from(session_factory: SF, clock: Clock) -> None:
    noivu = await _person_id(session_factory, "Phòng Nội vụ thị xã Bỉm Sơn")
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await move_person(s, noivu, "P-BADINH", by=None, now=clock())
    assert err.value.key == "person_no_unit"


async def test_an_invite_for_a_retired_unit_is_refused(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "P-BADINH")
        await set_unit_active(s, unit, False, person_id=None, now=clock())
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await create_invite(
                s, role=Role.UNIT_HEAD, unit_ref="P-BADINH", full_name=None, now=clock(), ttl=TTL
            )
    assert err.value.key == "unit_inactive"


async def test_a_code_of_a_unit_retired_since_does_not_link(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    async with session_factory.begin() as s:
        invite, _ = await create_invite(
            s, role=Role.UNIT_HEAD, unit_ref="X-HALAN", full_name=None, now=clock(), ttl=TTL
        )
        code = invite.code
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "X-HALAN")
        await set_unit_active(s, unit, False, person_id=None, now=clock())
    user = chat("halan")
    await user.send(f"/start {code}")
    assert "Xã Hà Lan, đơn vị đã ngừng theo dõi" in user.text
    await user.send("/nop")
    assert "chưa được liên kết" in user.text
