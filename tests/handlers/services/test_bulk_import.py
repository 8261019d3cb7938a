"""The bulk import use case on the demo: ids in file order, audit rows, whole-file rules."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.delegate_rules import parse_rules
from handlers.io.bulk_rows import Entry
from handlers.io.bulk_sheet import BulkKind
from handlers.services.bulk_import import (
    Actor,
    delegate_refusal,
    existing_people,
    import_delegates,
    import_nominations,
)
from storage.models import (
    AuditLog,
    Campaign,
    Delegate,
    Nomination,
    Person,
    Requirement,
    RequirementKind,
    Role,
    Unit,
)
from tests.harness import Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
SUMMARY = "Hoàn thành xuất sắc nhiệm vụ năm 2019 và nhiều năm liền."


async def _context(s: AsyncSession, clock: Clock) -> tuple[Actor, Campaign, Requirement]:
    unit = (await s.scalars(select(Unit).where(Unit.code == "P-BADINH"))).one()
    person = (
        await s.scalars(
            select(Person).where(Person.unit_id == unit.id, Person.role == Role.UNIT_HEAD)
        )
    ).first()
    req = (
        await s.scalars(
            select(Requirement).where(Requirement.kind == RequirementKind.NOMINATION_LIST)
        )
    ).first()
    assert person is not None and req is not None
    campaign = await s.get(Campaign, req.campaign_id)
    assert campaign is not None
    return Actor(person.id, unit, clock()), campaign, req


def _nominee(row: int, name: str, **values: Any) -> Entry:
    base = {
        "subject": "ca_nhan",
        "name": name,
        "gender": "nam",
        "birth_year": 1980,
        "position": "Trưởng khu phố",
        "award": "LDTT",
        "summary": SUMMARY,
    }
    return Entry(row, {**base, **values})


def _delegate(row: int, name: str) -> Entry:
    values = {
        "name": name,
        "birth_year": None,
        "gender": "nu",
        "ethnicity": "Kinh",
        "position": "Cán bộ",
        "category": "dien_hinh",
        "presidium": False,
    }
    return Entry(row, values)


async def test_nominations_are_stored_in_file_order_with_their_audit_rows(
    session_factory: SF, clock: Clock
) -> None:
    entries = [
        _nominee(4, "Lê Văn C"),
        _nominee(5, "Khu phố 5", subject="tap_the", gender=None, birth_year=None, position=None),
        _nominee(6, "Phạm Thị D", gender="nu"),
    ]
    async with session_factory.begin() as s:
        actor, campaign, req = await _context(s, clock)
        before = await existing_people(s, BulkKind.NOMINATIONS, campaign.id, actor.unit.id)
        ids = await import_nominations(
            s,
            actor,
            campaign_id=campaign.id,
            requirement_id=req.id,
            entries=entries,
            award_names={"LDTT": "Lao động tiên tiến"},
        )
    assert len(ids) == 3 and ids == sorted(ids)
    async with session_factory() as s:
        stored = [await s.get(Nomination, i) for i in ids]
        assert [(n.full_name, n.subject.value, n.award_name) for n in stored if n] == [
            ("Lê Văn C", "ca_nhan", "Lao động tiên tiến"),
            ("Khu phố 5", "tap_the", "Lao động tiên tiến"),
            ("Phạm Thị D", "ca_nhan", "Lao động tiên tiến"),
        ]
        audit = list(await s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(4)))
        after = await existing_people(s, BulkKind.NOMINATIONS, campaign.id, actor.unit.id)
    assert [a.action for a in reversed(audit)] == ["nomination.create"] * 3 + ["nomination.import"]
    assert [a.entity_id for a in reversed(audit)][:3] == ids
    assert audit[1].detail["row"] == 6 and audit[1].detail["source"] == "xlsx"
    assert audit[0].detail == {"unit": "P-BADINH", "source": "xlsx", "count": 3}
    assert sorted(after) == sorted([*before, ("Lê Văn C", 1980), ("Khu phố 5", None),
                                    ("Phạm Thị D", 1980)])  # fmt: skip


async def test_the_quota_applies_to_the_whole_file(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        actor, campaign, _ = await _context(s, clock)
        rules = parse_rules(campaign.settings)
        quota = 15  # Ba Đình's, in the demo
        entries = [_delegate(4 + i, f"Đại biểu {i}") for i in range(quota + 1)]
        refused = delegate_refusal(rules, actor.unit, [], entries, 0)
        assert refused is not None
        assert refused[0].row == 4 + quota and refused[1].key == "refuse_quota_full"
        assert delegate_refusal(rules, actor.unit, [], entries[:quota], 0) is None
        capped = dataclasses.replace(rules, upper_conference_max=3)
        refused = delegate_refusal(capped, actor.unit, [], entries[:quota], 1)
        assert refused is not None and refused[0].row == 6 and refused[1].key == "refuse_upper"
        ids = await import_delegates(s, actor, campaign_id=campaign.id, entries=entries[:2])
    async with session_factory() as s:
        names = [d.full_name for d in [await s.get(Delegate, i) for i in ids] if d]
    assert names == ["Đại biểu 0", "Đại biểu 1"]
