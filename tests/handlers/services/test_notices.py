"""Notices to units (services/notices.py), the recipients query and the claims of copies."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows import broadcast, review
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.services import notices
from handlers.services.invites import ensure_account
from storage.models import (
    Broadcast,
    BroadcastDelivery,
    NoticeStatus,
    Person,
    Role,
    SentNotice,
    Unit,
)
from storage.repositories.notices import BroadcastRepository, NoticeRepository
from storage.repositories.people import PeopleRepository
from tests.harness import Clock, statements

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
ORIGIN = ChatKey("console", "noivu")


async def _link(sf: SF, clock: Clock) -> None:
    """A member and an unreachable second head of P-BADINH (besides badinh)."""
    async with sf.begin() as s:
        for handle, name, role in (
            ("badinh-cb", "Cán bộ văn phòng", Role.UNIT_MEMBER),
            ("badinh-pho", "Phó Chủ tịch", Role.UNIT_HEAD),
        ):
            assert await ensure_account(
                s,
                channel="console",
                external_id=handle,
                full_name=name,
                role=role,
                unit_code="P-BADINH",
                now=clock(),
            )
        assert await PeopleRepository(s).mark_unreachable("console", "badinh-pho", clock()) == 1


async def _unit(s: AsyncSession, code: str) -> Unit:
    return (await s.scalars(select(Unit).where(Unit.code == code))).one()


async def _secretary(s: AsyncSession) -> Person:
    return (await s.scalars(select(Person).where(Person.role == Role.SECRETARIAT))).one()


async def test_linked_accounts_by_role_unit_and_reachability(sf: SF, clock: Clock) -> None:
    await _link(sf, clock)
    async with sf() as s:
        people = PeopleRepository(s)
        badinh = await _unit(s, "P-BADINH")
        heads = await people.linked_accounts([Role.UNIT_HEAD], unit_ids=[badinh.id])
        assert sorted(a.external_id for a, _, _ in heads) == ["badinh", "badinh-pho"]
        assert all(u is not None and u.id == badinh.id for _, _, u in heads)
        reachable = await people.linked_accounts(
            [Role.UNIT_HEAD, Role.UNIT_MEMBER], unit_ids=[badinh.id], reachable_only=True
        )
        assert [a.external_id for a, _, _ in reachable] == ["badinh", "badinh-cb"]
        secretaries = await people.linked_accounts([Role.SECRETARIAT])
        assert [(a.external_id, u) for a, _, u in secretaries] == [("noivu", None)]
        assert await people.linked_accounts([Role.UNIT_HEAD], unit_ids=[]) == []


async def test_notify_unit_queues_a_notice_per_account(sf: SF, clock: Clock) -> None:
    await _link(sf, clock)
    async with sf.begin() as s:
        badinh = await _unit(s, "P-BADINH")
        queued = await notices.notify_unit(
            s, badinh, "Hồ sơ bị trả lại", by=await _secretary(s), origin=ORIGIN, now=clock()
        )
        assert queued is not None
        assert (queued.copies, queued.pending, queued.blocked, queued.units) == (3, 2, 1, 1)
        b = queued.broadcast
        assert (b.kind, b.audience, b.audience_label) == (
            notices.NOTICE,
            {"kind": "unit", "unit_id": badinh.id},
            "Phường Ba Đình",
        )
    async with sf() as s:
        copies = list(await s.scalars(select(BroadcastDelivery)))
    statuses = sorted(c.status for c in copies)
    assert statuses == sorted([NoticeStatus.PENDING, NoticeStatus.PENDING, NoticeStatus.BLOCKED])
    assert notices.copy_reply(Texts(), b, None).text == "Hồ sơ bị trả lại"  # sent as it is


async def test_notify_unit_without_anyone_linked_writes_nothing(sf: SF, clock: Clock) -> None:
    async with sf.begin() as s:
        halan = await _unit(s, "X-HALAN")
        queued = await notices.notify_unit(
            s, halan, "…", by=await _secretary(s), origin=ORIGIN, now=clock()
        )
        assert queued is None
    async with sf() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_audience_label_is_plain_text(sf: SF) -> None:
    async with sf() as s:
        label = await notices.audience_label(
            s, Texts(), {"kind": "block", "value": "Khối A & B <1>"}
        )
        kind = await notices.audience_label(s, Texts(), {"kind": "unit_kind", "value": "co_quan"})
        gone = await notices.audience_label(s, Texts(), {"kind": "late", "requirement_id": 0})
    assert label == "Khối/cụm: Khối A & B <1>"
    assert kind == "Loại đơn vị: Cơ quan"
    assert gone == "Đơn vị chưa nộp (nội dung không còn tồn tại)"


async def test_claims_of_dead_claimants_expire_in_both_tables(sf: SF, clock: Clock) -> None:
    now = clock()
    await _link(sf, clock)
    async with sf.begin() as s:
        badinh = await _unit(s, "P-BADINH")
        queued = await notices.notify_unit(
            s, badinh, "…", by=await _secretary(s), origin=ORIGIN, now=now
        )
        assert queued is not None
        notes = NoticeRepository(s)
        for key, who in (("a", "host:1:x"), ("b", "host:2:y")):
            assert await notes.claim(
                SentNotice(
                    key=key,
                    kind="digest",
                    slot="s",
                    status=NoticeStatus.CLAIMED,
                    claimed_at=now,
                    claimed_by=who,
                )
            )
        copies = BroadcastRepository(s)
        first = await copies.claim_next(queued.broadcast.id, "host:1:x", now)
        second = await copies.claim_next(queued.broadcast.id, "host:2:y", now)
        assert len(first) == len(second) == 1
    async with sf.begin() as s:
        notes, copies = NoticeRepository(s), BroadcastRepository(s)
        assert sorted(await notes.claimants()) == ["host:1:x", "host:2:y"]
        assert sorted(await copies.claimants()) == ["host:1:x", "host:2:y"]
        before = now - dt.timedelta(minutes=15)  # both claims are within the lease
        assert await notes.expire_claims(before, now, ["host:2:y"]) == 1
        assert await copies.expire_claims(before, now, ["host:2:y"]) == 1
        assert await notes.claimants() == ["host:1:x"]
        assert await copies.claimants() == ["host:1:x"]
        later = now + dt.timedelta(minutes=20)  # after the lease: every claim left is unknown
        assert await notes.expire_claims(later - dt.timedelta(minutes=15), later) == 1
        assert await copies.expire_claims(later - dt.timedelta(minutes=15), later) == 1
    async with sf() as s:
        rows = list(await s.scalars(select(SentNotice)))
        assert {(r.status, r.detail) for r in rows} == {(NoticeStatus.UNKNOWN, "interrupted")}
        counts = await BroadcastRepository(s).counts(queued.broadcast.id)
    assert counts == {NoticeStatus.UNKNOWN: 2, NoticeStatus.BLOCKED: 1}


@pytest.mark.parametrize(
    "data",
    [
        broadcast.PickAudience(kind=broadcast.AudienceKind.LATE),
        broadcast.PickRequirement(requirement_id=12),
        broadcast.PickBlock(index=3),
        broadcast.PickKind(kind="xa_phuong"),
        broadcast.Back(),
        broadcast.Confirm(act=broadcast.Act.SEND),
        review.ItemAct(act=review.Act.LATER),
        review.Back(),
    ],
)
def test_button_data_round_trips(data: CallbackData) -> None:
    packed = data.pack()
    assert packed.startswith(("tb.", "duyet."))
    assert type(data).unpack(packed) == data
    others: list[type[CallbackData]] = [
        broadcast.Back,
        broadcast.PickBlock,
        review.Back,
        review.ItemAct,
    ]
    assert all(kind.unpack(packed) is None for kind in others if kind is not type(data))


def test_forged_button_data_is_refused() -> None:
    assert broadcast.PickBlock.unpack("tb.block:x") is None
    assert broadcast.Confirm.unpack("tb.confirm:sendit") is None
    assert review.ItemAct.unpack("duyet.item:ok:1") is None
    assert review.Back.unpack("duyet.back:1") is None
    assert review.ItemAct.unpack("ok") is None


@pytest.fixture
def sf(session_factory: SF) -> SF:
    """A shorter name for the session factory."""
    return session_factory


async def _announce_all(sf: SF, clock: Clock) -> tuple[notices.Queued, int]:
    """Queue an announcement to every unit; what was queued and how many statements it took."""
    async with statements(sf) as seen, sf.begin() as s:
        recipients = await notices.audience_accounts(s, {"kind": "all"}, clock())
        queued = await notices.announce(
            s,
            Texts(),
            text="Họp giao ban",
            file_id=None,
            audience={"kind": "all"},
            recipients=recipients,
            by=await _secretary(s),
            origin=ORIGIN,
            now=clock(),
        )
    return queued, len(seen)


async def test_an_announcement_to_every_unit_takes_the_same_statements_however_many(
    sf: SF, clock: Clock
) -> None:
    """The audience, its accounts and the copies are read and written as sets, not per unit."""
    await _link(sf, clock)
    first, statements = await _announce_all(sf, clock)
    async with sf.begin() as s:
        badinh = await _unit(s, "P-BADINH")
        s.add_all(
            Unit(
                code=f"P-MOI{n:02d}", name=f"Phường Mới {n}", kind=badinh.kind, block=badinh.block
            )
            for n in range(30)
        )
        for n in range(30):
            await ensure_account(
                s,
                channel="console",
                external_id=f"moi-{n}",
                full_name=f"Lãnh đạo {n}",
                role=Role.UNIT_HEAD,
                unit_code=f"P-MOI{n:02d}",
                now=clock(),
            )
    second, again = await _announce_all(sf, clock)
    assert (second.copies, second.pending) == (first.copies + 30, first.pending + 30)
    assert second.units == first.units + 30
    assert again == statements
    async with sf() as s:
        copies = (
            await s.execute(
                select(BroadcastDelivery.unit_id, BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == second.broadcast.id
                )
            )
        ).all()
        ids = {u.id for u in await s.scalars(select(Unit).where(Unit.code.like("P-MOI%")))}
    assert ids <= {unit_id for unit_id, _ in copies}
    assert sum(status is NoticeStatus.BLOCKED for _, status in copies) == second.blocked >= 1


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ({"kind": "block", "value": "Khối xã, phường"}, "block"),
        ({"kind": "unit_kind", "value": "xa_phuong"}, "kind"),
        ({"kind": "campaign"}, "campaign"),
    ],
)
async def test_audiences_name_the_units_the_rules_name(
    sf: SF, clock: Clock, audience: dict[str, object], expected: str
) -> None:
    """Each audience's units in SQL are the units the Python rules name."""
    from handlers.domain.progress import applies
    from storage.repositories.campaigns import CampaignRepository

    async with sf() as s:
        units = list(await s.scalars(select(Unit)))
        campaign = (await CampaignRepository(s).get_active())[0]
        if expected == "campaign":
            audience = {"kind": "campaign", "campaign_id": campaign.id}
            reqs = await CampaignRepository(s).requirements_for(campaign.id)
            want = {u.id for u in units if u.is_active and any(applies(r, u) for r in reqs)}
        elif expected == "block":
            want = {u.id for u in units if u.block == audience["value"]}
        else:
            want = {u.id for u in units if u.kind == audience["value"]}
        assert want, "the demo has such units"
        count = await notices.audience_unit_count(s, audience, clock())
        recipients = await notices.audience_accounts(s, audience, clock())
        linked = {
            unit_id
            for (unit_id,) in (
                await s.execute(
                    select(Person.unit_id).where(
                        Person.role.in_((Role.UNIT_HEAD, Role.UNIT_MEMBER)),
                        Person.removed_at.is_(None),
                        Person.unit_id.is_not(None),
                    )
                )
            ).all()
        }
    assert count == len(want)
    assert {r.unit_id for r in recipients} == want & linked
