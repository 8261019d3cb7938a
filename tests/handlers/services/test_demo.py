"""The Bỉm Sơn demo: units, campaign and seeded records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.services.campaigns import load_campaign
from handlers.services.demo import DemoRecordsError, SeedResult, seed_demo_records
from handlers.services.units import import_units
from storage.models import (
    AuditLog,
    Nomination,
    NominationStatus,
    Requirement,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from tests.samples import DEMO_DIR

SF = async_sessionmaker[AsyncSession]
DEMO = DEMO_DIR
CODE = "BIMSON-DHTT-2019"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AFTER_ALL = dt.datetime(2020, 5, 1, 9, 0, tzinfo=TZ)


def _records() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(
        (DEMO / "records.yaml").read_text(encoding="utf-8")
    )
    return data


async def _setup(sf: SF) -> None:
    async with sf.begin() as s:
        assert (await import_units(s, DEMO / "units.csv")).ok
        result = await load_campaign(s, DEMO / "bimson-2019.yaml", now=AFTER_ALL)
        assert result.warnings == []  # every pilot unit exists


async def _seed(
    sf: SF,
    now: dt.datetime,
    path: Path = DEMO / "records.yaml",
    until: dt.datetime | None = None,
) -> SeedResult:
    async with sf.begin() as s:
        return await seed_demo_records(s, CODE, path, now, until=until)


async def _count(sf: SF, model: type, *where: Any) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC; PostgreSQL aware values."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def test_seed_everything(session_factory: SF) -> None:
    await _setup(session_factory)
    records = _records()
    reviewed = sum(
        1 for r in records["submissions"] if r.get("status", "submitted") != "submitted"
    )
    reviewed += sum(
        1 for r in records["nominations"] if r.get("status", "submitted") != "submitted"
    )

    result = await _seed(session_factory, AFTER_ALL)

    assert result == SeedResult(
        submissions=33,  # none for HNDIEM and HOINGHI: events are milestones, nothing is sent
        nominations=28,
        audit_rows=33 + 28 + reviewed,
        not_yet=0,
        skipped=False,
    )
    assert len(records["submissions"]) == 33 and len(records["nominations"]) == 28
    assert await _count(session_factory, Submission) == 33
    assert await _count(session_factory, Nomination) == 28
    demo_audit = await _count(session_factory, AuditLog, AuditLog.action != "campaign.load")
    assert demo_audit == result.audit_rows

    async with session_factory() as s:
        units = {u.id: u for u in await s.scalars(select(Unit))}
        reqs = {r.id: r for r in await s.scalars(select(Requirement))}
        subs = list(await s.scalars(select(Submission)))
        noms = list(await s.scalars(select(Nomination)))

    ba_dinh = next(u for u in units.values() if u.code == "P-BADINH")
    assert not [x for x in subs if x.unit_id == ba_dinh.id]
    assert not [x for x in noms if x.unit_id == ba_dinh.id]
    plans = [x for x in subs if reqs[x.requirement_id].code == "KEHOACH"]
    assert len(plans) == 18
    assert len({x.unit_id for x in subs}) >= 15

    returned = [x for x in subs if x.status is SubmissionStatus.RETURNED]
    assert len(returned) == 1
    assert units[returned[0].unit_id].code == "DT-LDLD"
    assert returned[0].return_reason and "bổ sung" in returned[0].return_reason
    assert {x.status for x in subs} == {
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.RETURNED,
    }

    def local_day(x: Submission) -> dt.date:
        return _utc(x.submitted_at).astimezone(TZ).date()

    late = [x for x in subs if local_day(x) > reqs[x.requirement_id].due_date]
    on_time = [x for x in subs if local_day(x) <= reqs[x.requirement_id].due_date]
    assert len(late) == 5 and len(on_time) == 28
    # X-QUANGTRUNG sent its plan at 16:40 local on the due day: on time.
    quang_trung = next(x for x in plans if units[x.unit_id].code == "X-QUANGTRUNG")
    assert _utc(quang_trung.submitted_at) == dt.datetime(2019, 11, 15, 9, 40, tzinfo=dt.UTC)
    assert quang_trung in on_time

    dossier = [x for x in subs if reqs[x.requirement_id].code == "HOSO"]
    assert all(x.part in reqs[x.requirement_id].parts for x in dossier)
    assert all(x.is_current and x.version == 1 for x in subs)

    assert {n.subject for n in noms} == {SubjectKind.INDIVIDUAL, SubjectKind.COLLECTIVE}
    people = [n for n in noms if n.subject is SubjectKind.INDIVIDUAL]
    assert {n.gender for n in people} == {"nam", "nu"}
    assert all(n.birth_year and 1940 < n.birth_year < 2002 for n in people)
    assert all(n.gender is None for n in noms if n.subject is SubjectKind.COLLECTIVE)
    assert all(reqs[n.requirement_id].code == "DECU" for n in noms if n.requirement_id)
    assert all(n.requirement_id is not None for n in noms)
    gk = next(n for n in noms if n.award_code == "GK_CN")
    assert gk.award_name == "Giấy khen của Chủ tịch UBND thị xã"
    assert {n.status for n in noms} == {NominationStatus.SUBMITTED, NominationStatus.ACCEPTED}
    assert len({n.unit_id for n in noms}) == 5


async def test_seed_twice_is_a_no_op(session_factory: SF) -> None:
    await _setup(session_factory)
    await _seed(session_factory, AFTER_ALL)
    audit = await _count(session_factory, AuditLog)

    again = await _seed(session_factory, AFTER_ALL)

    assert again == SeedResult(skipped=True)
    assert await _count(session_factory, Submission) == 33
    assert await _count(session_factory, Nomination) == 28
    assert await _count(session_factory, AuditLog) == audit


async def test_seed_everything_even_with_an_early_clock(session_factory: SF) -> None:
    """The demo clock may sit inside the campaign: without ``until`` every record goes in."""
    await _setup(session_factory)
    now = dt.datetime(2019, 11, 12, 9, 0, tzinfo=TZ)

    result = await _seed(session_factory, now)

    assert (result.submissions, result.nominations, result.not_yet) == (33, 28, 0)
    async with session_factory() as s:
        stamps = set(
            await s.scalars(select(AuditLog.at).where(AuditLog.action != "campaign.load"))
        )
        first = (
            await s.scalars(
                select(AuditLog)
                .where(AuditLog.action == "submission.submitted")
                .order_by(AuditLog.id)
                .limit(1)
            )
        ).one()
    assert {_utc(at) for at in stamps} == {now.astimezone(dt.UTC)}
    # The earliest record (DN-MTDT's plan, 21/10/2019 08:40 local) keeps its own time.
    assert first.detail["source"] == "demo"
    assert first.detail["unit"] == "DN-MTDT"
    assert first.detail["happened_at"] == "2019-10-21T01:40:00+00:00"


async def test_seed_until_a_day_inside_campaign(session_factory: SF) -> None:
    """With ``until`` at 14/11/2019 08:00 only what had happened by then is there."""
    await _setup(session_factory)
    now = dt.datetime(2019, 11, 14, 8, 0, tzinfo=TZ)

    result = await _seed(session_factory, AFTER_ALL, until=now)

    # Plans sent up to 13/11/2019 16:20 (14 of them) and the 11 nominations sent early
    # (05/11 and 08/11/2019); everything else is later.
    assert result.submissions == 14
    assert result.nominations == 11
    assert result.not_yet == 33 - 14 + 28 - 11
    async with session_factory() as s:
        subs = list(await s.scalars(select(Submission)))
    assert all(_utc(x.submitted_at) <= now for x in subs)
    # DT-LDLD's plan (sent 12/11) is returned only on 14/11 09:10: still "submitted" at 08:00.
    assert SubmissionStatus.RETURNED not in {x.status for x in subs}
    assert all(x.reviewed_at is None or _utc(x.reviewed_at) <= now for x in subs)


async def test_bad_records_insert_nothing(session_factory: SF, tmp_path: Path) -> None:
    await _setup(session_factory)
    bad = tmp_path / "records.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "submissions": [
                    {"unit": "P-BACSON", "requirement": "KEHOACH", "at": "01/11/2019 08:00"},
                    {"unit": "P-BACSON", "requirement": "HNDIEM", "at": "01/03/2020 08:00"},
                    {"unit": "KHONGCO", "requirement": "KEHOACH", "at": "01/11/2019 08:00"},
                ],
                "nominations": [
                    {
                        "unit": "P-BACSON",
                        "subject": "tap_the",
                        "full_name": "Tổ 1",
                        "award": "GK_CN",
                        "summary": "x",
                        "at": "10/04/2020 08:00",
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )

    with pytest.raises(DemoRecordsError) as info:
        await _seed(session_factory, AFTER_ALL, bad)

    message = str(info.value)
    assert 'Bài nộp thứ 2: yêu cầu "HNDIEM" không áp dụng cho đơn vị "P-BACSON"' in message
    assert 'Bài nộp thứ 3: không có đơn vị mã "KHONGCO"' in message
    assert 'Đề cử thứ 1: hình thức "GK_CN" không dành cho đối tượng tap_the' in message
    assert await _count(session_factory, Submission) == 0
    assert await _count(session_factory, Nomination) == 0


async def test_seed_needs_campaign_and_aware_now(session_factory: SF) -> None:
    with pytest.raises(DemoRecordsError, match="Chưa có kế hoạch"):
        await _seed(session_factory, AFTER_ALL)
    await _setup(session_factory)
    with pytest.raises(ValueError, match="aware"):
        await _seed(session_factory, dt.datetime(2020, 5, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        await _seed(session_factory, AFTER_ALL, until=dt.datetime(2020, 5, 1))  # noqa: DTZ001
