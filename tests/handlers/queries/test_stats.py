"""The SQL status figures (handlers.queries.stats) against the reference,
handlers.queries.progress; the chart;
the secretariat's /tinhhinh and /chuanop built on them.

``campaign_progress`` marks every unit in Python; the figures here come from aggregate SQL. They
must agree exactly: on the Bỉm Sơn demo loaded at several moments and read at later ones, with
and without filters, and on random campaigns (random units, requirements, submissions with
versions, parts and every status, nominations in every status, times on both sides of the
local midnight that ends a due date, campaign timezones with and without daylight saving).
The figures "tính đến" a past moment are checked against the same checklists made in Python
from the rows as they stood then (units retired after the moment still owing then).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import load_demo, parse_now
from handlers.domain.progress import Mark, RequirementProgress, UnitMark, applies, mark_for
from handlers.flows import status as status_handlers
from handlers.io.chart import progress_chart
from handlers.queries import export_data
from handlers.queries.export_data import Scope
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import (
    NominationStats,
    RecentItem,
    RequirementStats,
    UnitFilter,
    UnitStanding,
    block_options,
    campaign_status,
    kind_options,
    missing_units,
    nomination_stats,
    recent_activity,
    requirement_stats,
    unit_standings,
    unreachable_owing,
)
from handlers.queries.stats.rules import COUNTED, cutoff
from handlers.services.invites import ensure_account
from storage.models import (
    AwardForm,
    Campaign,
    ExportJob,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    Role,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository
from tests.harness import ChatHarness, Clock, Jobs

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
TZ = "Asia/Ho_Chi_Minh"
PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------
# The reference: handlers.queries.progress, and plain Python over the rows
# ---------------------------------------------------------------------------------------------


def _counts(p: RequirementProgress) -> tuple[int, ...]:
    marks = Counter(m.mark for m in p.marks)
    late = sum(1 for m in p.marks if m.done and m.late)
    return (len(p.marks), len(p.done), marks[Mark.ACCEPTED], marks[Mark.RETURNED],
            marks[Mark.PARTIAL], late)  # fmt: skip


def _sql_counts(s: RequirementStats) -> tuple[int, ...]:
    return (s.total, s.submitted, s.accepted, s.returned, s.partial, s.late)


def _mark(m: UnitMark | UnitStanding) -> tuple[Any, ...]:
    return (m.unit.id, m.mark, m.at, m.late, m.parts_done, m.reason, m.count)


def _filters(units: Sequence[Unit]) -> list[UnitFilter]:
    blocks = sorted({u.block for u in units if u.block})
    kinds = sorted({u.kind for u in units})
    found = [UnitFilter()]
    found += [UnitFilter(block=b) for b in blocks]
    found += [UnitFilter(kind=k) for k in kinds]
    found += [UnitFilter(block=b, kind=k) for b in blocks[:2] for k in kinds]
    found += [UnitFilter(unit_id=u.id) for u in units[:3]]
    found += [UnitFilter(unit_id=u.id) for u in units[3:] if not u.is_active][:2]  # retired
    found.append(UnitFilter(block="Không có khối này"))
    return found


def _chosen(units: Sequence[Unit], where: UnitFilter) -> list[Unit]:
    return [
        u
        for u in units
        if where.block in (None, u.block)
        and where.kind in (None, u.kind)
        and where.unit_id in (None, u.id)
    ]


def _nomination_reference(
    noms: Sequence[Nomination], units: Sequence[Unit], names: dict[str, str]
) -> dict[str, Any]:
    by_id = {u.id: u for u in units}
    kept = [n for n in noms if n.unit_id in by_id and n.status is not NominationStatus.WITHDRAWN]
    standing = [n for n in kept if n.status is not NominationStatus.RETURNED]
    return {
        "total": len(standing),
        "accepted": sum(1 for n in standing if n.status is NominationStatus.ACCEPTED),
        "returned": len(kept) - len(standing),
        "units": len({n.unit_id for n in standing}),
        "by_award": Counter(
            (n.award_code, names.get(n.award_code, n.award_name), n.subject.value)
            for n in standing
        ),
        "by_subject": Counter(n.subject.value for n in standing),
        "by_gender": Counter(
            n.gender or "" for n in standing if n.subject is SubjectKind.INDIVIDUAL
        ),
        "by_block": Counter(by_id[n.unit_id].block or "" for n in standing),
        "by_unit": Counter(str(n.unit_id) for n in standing),
    }


def _nomination_figures(n: NominationStats) -> dict[str, Any]:
    return {
        "total": n.total,
        "accepted": n.accepted,
        "returned": n.returned,
        "units": n.units,
        "by_award": Counter({(a.code, a.name, a.subject): a.count for a in n.by_award}),
        "by_subject": Counter({c.key: c.count for c in n.by_subject}),
        "by_gender": Counter({c.key: c.count for c in n.by_gender}),
        "by_block": Counter({c.key: c.count for c in n.by_block}),
        "by_unit": Counter({c.key: c.count for c in n.by_unit}),
    }


def _cutoff(req: Requirement, tz: ZoneInfo) -> dt.datetime:
    if req.due_time is not None:  # "trước 16g30 ngày 15/11": late from 16:30 that day
        return dt.datetime.combine(req.due_date, req.due_time, tzinfo=tz)
    return dt.datetime.combine(req.due_date + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def _recent_reference(
    subs: Sequence[Submission],
    noms: Sequence[Nomination],
    reqs: dict[int, Requirement],
    units: Sequence[Unit],
    tz: ZoneInfo,
) -> list[tuple[Any, ...]]:
    """(at, unit id, requirement id, status, late, part, nominations), newest first."""
    ids = {u.id for u in units}
    items = [
        (
            s.submitted_at,
            s.unit_id,
            s.requirement_id,
            s.status.value,
            s.submitted_at >= _cutoff(reqs[s.requirement_id], tz),
            s.part,
            0,
        )
        for s in subs
        if s.is_current
        and s.status is not SubmissionStatus.WITHDRAWN
        and s.unit_id in ids
        and s.requirement_id in reqs
    ]
    batches: dict[tuple[int, int | None], list[Nomination]] = {}
    for n in noms:
        if n.unit_id in ids and n.status is not NominationStatus.WITHDRAWN:
            batches.setdefault((n.unit_id, n.requirement_id), []).append(n)
    for (uid, rid), batch in batches.items():
        at = max(n.created_at for n in batch)
        req = reqs.get(rid) if rid is not None else None
        late = req is not None and at >= _cutoff(req, tz)
        items.append((at, uid, rid if req else None, "submitted", late, "", len(batch)))
    items.sort(key=lambda it: it[0], reverse=True)
    return items


def _recent(it: RecentItem) -> tuple[Any, ...]:
    rid = it.requirement.id if it.requirement else None
    return (it.at, it.unit.id, rid, it.status, it.late, it.part, it.nominations)


def _submissions_then(subs: Sequence[Submission], at: dt.datetime) -> list[Submission]:
    """The versions current at ``at``, as they stood then (copies, not in the session).

    The current version of a part then: the newest sent by then (whatever ``is_current`` says
    now). A review after ``at`` is not applied: accepted or returned later, it was waiting
    (sent). A withdrawal keeps no time: it stays applied.
    """
    newest: dict[tuple[int, int, str], Submission] = {}
    for sub in subs:
        key = (sub.requirement_id, sub.unit_id, sub.part)
        if sub.submitted_at <= at and (key not in newest or sub.version > newest[key].version):
            newest[key] = sub
    reviewed = (SubmissionStatus.ACCEPTED, SubmissionStatus.RETURNED)
    return [
        Submission(
            unit_id=sub.unit_id,
            requirement_id=sub.requirement_id,
            part=sub.part,
            version=sub.version,
            status=SubmissionStatus.SUBMITTED
            if sub.status in reviewed and (sub.reviewed_at is None or sub.reviewed_at > at)
            else sub.status,
            submitted_at=sub.submitted_at,
            return_reason=sub.return_reason,
        )
        for sub in newest.values()
    ]


def _nominations_then(noms: Sequence[Nomination], at: dt.datetime) -> list[Nomination]:
    """The nominations as they stood at ``at`` (copies, not in the session).

    Created by then; one changed after ``at`` (accepted, returned or withdrawn later) was
    still waiting (sent) then.
    """
    return [
        Nomination(
            campaign_id=n.campaign_id,
            requirement_id=n.requirement_id,
            unit_id=n.unit_id,
            subject=n.subject,
            gender=n.gender,
            award_code=n.award_code,
            award_name=n.award_name,
            status=NominationStatus.SUBMITTED if n.updated_at > at else n.status,
            created_at=n.created_at,
        )
        for n in noms
        if n.created_at <= at
    ]


def _progress_then(
    campaign: Campaign,
    today: dt.date,
    reqs: Sequence[Requirement],
    units: Sequence[Unit],
    subs: Sequence[Submission],
    noms: Sequence[Nomination],
    at: dt.datetime,
) -> list[RequirementProgress]:
    """``campaign_progress`` "tính đến" ``at``, in Python from the rows as they stood then.

    The units' checklists from :func:`_submissions_then` and :func:`_nominations_then`, each
    unit's mark by ``mark_for`` as today's checklists make it. A unit retired by ``at`` owes
    nothing (listed only where it had sent something by then); one retired later owed then.
    """
    tz = ZoneInfo(campaign.timezone)
    by_key: dict[tuple[int, int], list[Submission]] = {}
    for sub in _submissions_then(subs, at):
        by_key.setdefault((sub.requirement_id, sub.unit_id), []).append(sub)
    counted: dict[tuple[int, int], list[dt.datetime]] = {}
    for n in _nominations_then(noms, at):
        if n.requirement_id is not None and n.status in COUNTED:
            counted.setdefault((n.requirement_id, n.unit_id), []).append(n.created_at)
    firsts = {key: (len(times), min(times)) for key, times in counted.items()}

    def owed(req: Requirement, unit: Unit) -> bool:
        if unit.deactivated_at is None or unit.deactivated_at > at:
            return True  # active then
        key = (req.id, unit.id)
        return bool(by_key.get(key)) or (
            req.kind is RequirementKind.NOMINATION_LIST and key in firsts
        )

    return [
        RequirementProgress(
            campaign,
            req,
            today,
            tuple(
                mark_for(req, u, by_key.get((req.id, u.id), ()), firsts.get((req.id, u.id)), tz)
                for u in units
                if applies(req, u) and owed(req, u)
            ),
        )
        for req in reqs
    ]


async def _check_campaign(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    *,
    limit: int = 2,
    past: dt.datetime | None = None,
) -> int:
    """Every figure of ``campaign`` at ``now`` against the reference, for every filter.

    With ``past``, also the figures and lists "tính đến" that moment and ``now`` (recomputed
    from the sources: the slowest part, so checked at one moment of each campaign).

    Returns:
        How many requirement × filter figures were compared.
    """
    tz = ZoneInfo(campaign.timezone)
    today = now.astimezone(tz).date()
    units = await UnitRepository(session).list_all()
    reqs = {r.id: r for r in await CampaignRepository(session).requirements_for(campaign.id)}
    subs = list(await session.scalars(select(Submission)))
    noms = list(
        await session.scalars(select(Nomination).where(Nomination.campaign_id == campaign.id))
    )
    names = {
        f.code: f.name
        for f in await session.scalars(
            select(AwardForm).where(AwardForm.campaign_id == campaign.id)
        )
    }
    compared = 0
    await _check_unreachable(session, campaign, now, units)
    for where in _filters(units):
        chosen = _chosen(units, where)
        progress = await campaign_progress(session, campaign, now, chosen)
        stats = await requirement_stats(session, campaign, now, where)
        assert [s.requirement.id for s in stats] == [p.requirement.id for p in progress]
        for s, p in zip(stats, progress, strict=True):
            assert _sql_counts(s) == _counts(p), (where, s.requirement.code)
            assert s.days_left == p.days_left
            assert s.missing == len(p.missing)
            compared += 1

        standings = await unit_standings(session, campaign, now, where)
        for p in progress:
            expected = sorted(_mark(m) for m in p.marks)
            got = sorted(_mark(m) for m in standings.get(p.requirement.id, []))
            assert got == expected, (where, p.requirement.code)
        if past is not None:
            await _check_past(session, campaign, now, where, stats, standings)
            owed = [p.requirement for p in progress]
            for at in (past, now):
                then = _progress_then(campaign, today, owed, chosen, subs, noms, at)
                await _check_then(session, campaign, now, where, at, then)
                counted = await nomination_stats(
                    session, campaign, where, unit_limit=None, as_of=at
                )
                assert _nomination_figures(counted) == _nomination_reference(
                    _nominations_then(noms, at), chosen, names
                ), (where, at)

        lists = await missing_units(session, campaign, now, where)
        for owing, p in zip(lists, progress, strict=True):
            assert [_mark(m) for m in owing.units] == [
                _mark(m) for m in sorted(p.missing, key=lambda m: _key(m.unit))
            ]
            assert owing.more == 0
        overdue = await missing_units(
            session, campaign, now, where, overdue_only=True, limit=limit
        )
        late_reqs = [p for p in progress if p.days_left < 0 and p.missing]
        assert [o.stats.requirement.id for o in overdue] == [p.requirement.id for p in late_reqs]
        for owing, p in zip(overdue, late_reqs, strict=True):
            first = sorted(p.missing, key=lambda m: m.unit.id)[:limit]
            assert {m.unit.id for m in owing.units} == {m.unit.id for m in first}
            assert owing.more == len(p.missing) - len(first)
            assert [m.unit.sort_key() for m in owing.units] == sorted(
                m.unit.sort_key() for m in owing.units
            )

        figures = await nomination_stats(session, campaign, where, unit_limit=None)
        assert _nomination_figures(figures) == _nomination_reference(noms, chosen, names)
        assert [a.count for a in figures.by_award] == sorted(
            (a.count for a in figures.by_award), reverse=True
        )
        top = await nomination_stats(session, campaign, where, unit_limit=2)
        assert [c.count for c in top.by_unit] == sorted(
            _nomination_reference(noms, chosen, names)["by_unit"].values(), reverse=True
        )[:2]

        recent = await recent_activity(
            session, campaign, where, limit=4, requirements=list(reqs.values())
        )
        expected_recent = _recent_reference(subs, noms, reqs, chosen, tz)
        assert [it.at for it in recent] == [it[0] for it in expected_recent[:4]]
        for item in recent:
            assert _recent(item) in expected_recent
    return compared


async def _check_past(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter,
    stats: Sequence[RequirementStats],
    standings: Mapping[int, Sequence[UnitStanding]],
) -> None:
    """The figures and lists "tính đến" a moment after everything agree with today's."""
    # A moment after everything (recomputed from the sources): the same units counted and
    # listed (retired ones where they sent something). The marks may differ only where the
    # random rows have two current versions of a part (the newer counts).
    after = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    then = await requirement_stats(session, campaign, now, where, as_of=after)
    assert [x.total for x in then] == [x.total for x in stats], where
    listed = await unit_standings(session, campaign, now, where, as_of=after)
    assert {rid: [u.unit.id for u in us] for rid, us in listed.items()} == {
        rid: [u.unit.id for u in us] for rid, us in standings.items()
    }, where


async def _check_then(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter,
    at: dt.datetime,
    reference: Sequence[RequirementProgress],
) -> None:
    """The figures and lists "tính đến" ``at`` against the checklists as they stood then."""
    stats = await requirement_stats(session, campaign, now, where, as_of=at)
    assert [s.requirement.id for s in stats] == [p.requirement.id for p in reference]
    for s, p in zip(stats, reference, strict=True):
        assert _sql_counts(s) == _counts(p), (where, at, s.requirement.code)
        assert s.missing == len(p.missing)
    standings = await unit_standings(session, campaign, now, where, as_of=at)
    for p in reference:
        expected = sorted(_mark(m) for m in p.marks)
        got = sorted(_mark(m) for m in standings.get(p.requirement.id, []))
        assert got == expected, (where, at, p.requirement.code)


async def _check_unreachable(
    session: AsyncSession, campaign: Campaign, now: dt.datetime, units: Sequence[Unit]
) -> None:
    """The active units nobody can be reached at that owe something overdue, as the rules say.

    The reference: the units' checklists (what each still owes), each requirement's deadline
    for that unit (its own gia hạn first) over at ``now``, minus the units with a reachable
    account.
    """
    tz = ZoneInfo(campaign.timezone)
    roles = (Role.UNIT_HEAD, Role.UNIT_MEMBER)
    reachable = {
        person.unit_id
        for _, person, _ in await PeopleRepository(session).linked_accounts(
            roles, reachable_only=True
        )
    }
    expected = set()
    for p in await campaign_progress(session, campaign, now, list(units)):
        for m in p.missing:
            late_from = cutoff(p.requirement, tz, m.unit.id)
            if m.unit.is_active and late_from is not None and late_from <= now:
                expected.add(m.unit.id)
    reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    got = await unreachable_owing(session, reqs, tz, roles, overdue_at=now)
    assert sorted(u.id for u in (*got.never_linked, *got.blocked)) == sorted(expected - reachable)


def _key(unit: Unit) -> tuple[Any, ...]:
    from storage.text import vn_sort_key

    return (unit.block is None, vn_sort_key(unit.block or ""), vn_sort_key(unit.name), unit.id)


async def _demo_campaign(sf: SF) -> Campaign:
    async with sf() as s:
        return (await CampaignRepository(s).get_active())[0]


# ---------------------------------------------------------------------------------------------
# The demo: loaded at a moment (records up to then), read then and later
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
async def test_demo_figures_equal_the_reference_this_morning(
    session_factory: SF, clock: Clock
) -> None:
    campaign = await _demo_campaign(session_factory)
    async with session_factory() as s:
        stats = await requirement_stats(s, campaign, clock())
        assert [(x.requirement.code, x.submitted, x.total) for x in stats] == [
            ("KEHOACH", 12, 21),  # HNDIEM and HOINGHI are milestones (events): never owed
            ("DECU", 2, 21),
            ("HOSO", 0, 21),
        ]
        plan = stats[0]
        assert (plan.accepted, plan.late, plan.on_time, round(plan.on_time_pct or 0)) == (
            11, 0, 12, 57,
        )  # fmt: skip
        assert await _check_campaign(s, campaign, clock()) > 0
    for later in ("2019-11-16T09:00", "2020-04-16T09:00", "2020-07-01T09:00"):
        clock.set(later)  # the same records, read later: deadlines pass, units become overdue
        async with session_factory() as s:
            await _check_campaign(s, campaign, clock())


@pytest.mark.parametrize(
    "moment",
    ["2019-10-01T09:00", "2019-11-16T09:00", "2020-03-21T09:00", "2020-04-16T09:00",
     "2020-07-01T09:00"],
)  # fmt: skip
async def test_demo_figures_equal_the_reference_later(session_factory: SF, moment: str) -> None:
    now = parse_now(moment, TZ)
    async with session_factory.begin() as s:
        assert await load_demo(s, now)  # the records dated up to that moment
    campaign = await _demo_campaign(session_factory)
    async with session_factory() as s:
        past = now - dt.timedelta(days=10)
        assert await _check_campaign(s, campaign, now, past=past) >= 3 * 20  # 5 reqs, 2 events
        await _check_campaign(s, campaign, now + dt.timedelta(days=40))


async def test_demo_figures_at_the_end(session_factory: SF) -> None:
    """Everything sent: known figures, including a late plan and a returned one."""
    now = parse_now("2020-04-16T09:00", TZ)
    async with session_factory.begin() as s:
        await load_demo(s, now)
    campaign = await _demo_campaign(session_factory)
    async with session_factory() as s:
        stats = {x.requirement.code: x for x in await requirement_stats(s, campaign, now)}
        plan = stats["KEHOACH"]
        assert (plan.submitted, plan.accepted, plan.returned, plan.late, plan.missing) == (
            17, 12, 1, 2, 4,
        )  # fmt: skip
        assert (stats["HOSO"].partial, stats["HOSO"].submitted) == (1, 1)
        noms = await nomination_stats(s, campaign)
        assert (noms.total, noms.accepted, noms.returned, noms.units) == (28, 8, 0, 5)
        assert {c.key: c.count for c in noms.by_subject} == {"ca_nhan": 20, "tap_the": 8}
        assert {c.key: c.count for c in noms.by_gender} == {"nam": 10, "nu": 10}
        assert "HNDIEM" not in stats and "HOINGHI" not in stats  # events: milestones
        overview = await campaign_status(s, campaign, now)
        assert overview.overdue_for(stats["DECU"].requirement.id) is not None
        # The pilot and unit conferences are past; the town's conference is to come.
        assert [(m.title, m.due, m.own) for m in overview.milestones] == [
            ("Hội nghị điển hình tiên tiến thị xã", dt.date(2020, 6, 20), True)
        ]
        blocks = await block_options(s)
        kinds = await kind_options(s)
    assert [(o.value, o.units) for o in blocks] == [
        ("Khối cơ quan", 4),
        ("Khối doanh nghiệp", 3),
        ("Khối Đảng - đoàn thể", 6),
        ("Khối xã, phường", 8),
    ]
    assert [o.value for o in kinds] == ["xa_phuong", "co_quan", "doan_the", "doanh_nghiep"]


# ---------------------------------------------------------------------------------------------
# Random campaigns
# ---------------------------------------------------------------------------------------------

_TIMEZONES = ("Asia/Ho_Chi_Minh", "America/Sao_Paulo", "Europe/Paris", "Pacific/Kiritimati")
_KINDS = ("xa_phuong", "co_quan", "doanh_nghiep")
_BLOCKS = ("Cụm 1", "Cụm 2", None)
_PARTS = ("Tờ trình", "Biên bản", "Báo cáo", "Danh sách")
_FORMS = (
    ("LDTT", "Lao động tiên tiến", SubjectKind.INDIVIDUAL),
    ("CSTD", "Chiến sĩ thi đua cơ sở", SubjectKind.INDIVIDUAL),
    ("TTLDTT", "Tập thể lao động tiên tiến", SubjectKind.COLLECTIVE),
)


_TICK = iter(range(1, 10**6))


def _moment(rng: random.Random, due: dt.date, tz: ZoneInfo) -> dt.datetime:
    """A time near the end of ``due`` (local): on either side of midnight, or days around.

    Every time is distinct (a microsecond tick): with equal times the reference's choice (e.g.
    which returned version's reason it reports) would depend on the order rows come back in.
    """
    midnight = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    if rng.random() < 0.4:
        offset = dt.timedelta(seconds=rng.choice((-1, 0, 1, -3600, 3599, 7200)))
    else:
        offset = dt.timedelta(minutes=rng.randint(-5 * 24 * 60, 3 * 24 * 60))
    return (midnight + offset + dt.timedelta(microseconds=next(_TICK))).astimezone(dt.UTC)


async def _random_units(
    s: AsyncSession, rng: random.Random, prefix: str, count: int
) -> list[Unit]:
    """``count`` new units of random kinds and blocks, coded ``<prefix>000``…, flushed."""
    units = [
        Unit(
            code=f"{prefix}{i:03d}",
            name=f"Đơn vị {rng.choice('ABCĐEƠ')}{i}",
            kind=rng.choice(_KINDS),
            block=rng.choice(_BLOCKS),
        )
        for i in range(count)
    ]
    s.add_all(units)
    await s.flush()
    return units


async def _random_campaign(
    s: AsyncSession,
    rng: random.Random,
    code: str,
    units: Sequence[Unit],
    silent: Sequence[Unit] = (),
) -> Campaign:
    """A random campaign of ``units``; the ``silent`` ones (retired already) send nothing."""
    tz_name = rng.choice(_TIMEZONES)
    tz = ZoneInfo(tz_name)
    campaign = Campaign(code=code, title=f"Kế hoạch {code}", timezone=tz_name)
    s.add(campaign)
    await s.flush()
    s.add_all(
        AwardForm(campaign_id=campaign.id, code=c, name=n, subject=subj, position=i)
        for i, (c, n, subj) in enumerate(_FORMS)
    )
    reqs = []
    for i in range(rng.randint(2, 7)):
        kind = rng.choice(list(RequirementKind))
        parts: list[str] = []
        if kind is RequirementKind.DOSSIER and rng.random() < 0.8:
            parts = rng.sample(_PARTS, rng.randint(1, 3))
            if rng.random() < 0.2:
                parts.append(parts[0])  # a repeated part counts once
        reqs.append(
            Requirement(
                campaign_id=campaign.id,
                code=f"R{i}",
                title=f"Nội dung {i}",
                kind=kind,
                due_date=dt.date(2020, 1, 10) + dt.timedelta(days=rng.randint(0, 10)),
                unit_kinds=rng.sample(_KINDS, rng.randint(1, 2)) if rng.random() < 0.3 else [],
                unit_blocks=(
                    rng.sample(["Cụm 1", "Cụm 2", "Cụm 3"], rng.randint(1, 2))
                    if rng.random() < 0.3
                    else []
                ),
                unit_codes=(
                    [*rng.sample([u.code for u in units], 3), "KHONG-CO"]
                    if rng.random() < 0.2
                    else []
                ),
                parts=parts,
                position=rng.randint(0, 2),
            )
        )
    s.add_all(reqs)
    await s.flush()
    statuses = list(SubmissionStatus)
    senders = [u for u in units if u not in silent]
    for req in reqs:
        for unit in senders:
            if rng.random() < 0.35:
                continue  # applicable or not: a row of a unit it does not apply to is ignored
            choices = [*(req.parts or [""]), "", "Phần lạ"]
            for part in set(rng.sample(choices, rng.randint(1, len(choices)))):
                versions = rng.randint(1, 3)
                for version in range(1, versions + 1):
                    current = version == versions or rng.random() < 0.05  # rarely two current
                    status = rng.choice(statuses)
                    at = _moment(rng, req.due_date, tz)
                    reviewed = status in (SubmissionStatus.ACCEPTED, SubmissionStatus.RETURNED)
                    s.add(
                        Submission(
                            unit_id=unit.id,
                            requirement_id=req.id,
                            part=part,
                            version=version,
                            is_current=current,
                            status=status,
                            text="nội dung",
                            return_reason=f"Lý do {version}"
                            if status is SubmissionStatus.RETURNED
                            else None,
                            submitted_at=at,
                            reviewed_at=at + dt.timedelta(hours=rng.choice((1, 1, 30, 200)))
                            if reviewed
                            else None,
                        )
                    )
    for unit in senders:
        for _ in range(rng.choice((0, 0, 1, 2, 4))):
            req = rng.choice([*reqs, None])
            code_, name, subject = rng.choice(
                [*_FORMS, ("CU", "Hình thức đã bỏ", SubjectKind.INDIVIDUAL)]
            )
            due = req.due_date if req is not None else dt.date(2020, 1, 15)
            at = _moment(rng, due, tz)
            s.add(
                Nomination(
                    campaign_id=campaign.id,
                    requirement_id=req.id if req is not None else None,
                    unit_id=unit.id,
                    subject=subject,
                    full_name=f"Người {rng.randint(1, 10_000)}",
                    gender=rng.choice(("nam", "nu", None))
                    if subject is SubjectKind.INDIVIDUAL
                    else None,
                    award_code=code_,
                    award_name=name,
                    summary="Thành tích.",
                    status=rng.choice(list(NominationStatus)),
                    created_at=at,
                    updated_at=at + dt.timedelta(hours=rng.choice((0, 0, 30, 200))),
                )
            )
    await s.flush()
    return campaign


@pytest.mark.parametrize("seed", range(8))
async def test_random_campaigns_equal_the_reference(session_factory: SF, seed: int) -> None:
    """Random campaigns, with units retired before sending anything and after sending.

    A retired unit owes nothing: it is counted and listed only where it has sent something
    (a current version, or a nomination for a nomination list), as it sent it. "Tính đến" a
    moment between two retirements, the units retired after it owed then.
    """
    rng = random.Random(seed)
    async with session_factory.begin() as s:
        units = await _random_units(s, rng, "U", rng.randint(4, 18))
        early = rng.sample(units, rng.randint(0, 2))  # retired before sending anything
        for unit in early:
            unit.deactivated_at = dt.datetime(2019, 12, 1, tzinfo=dt.UTC)
        await s.flush()
        campaigns = [
            await _random_campaign(s, rng, f"C{seed}-{k}", units, early) for k in range(2)
        ]
        ids = [c.id for c in campaigns]
        unit_ids = [u.id for u in units if u not in early]
    retired: list[dt.datetime] = []  # when the others were retired, in the days of sending
    async with session_factory.begin() as s:  # retired after sending (and nominating)
        reqs = list(await s.scalars(select(Requirement).where(Requirement.campaign_id.in_(ids))))
        for uid in rng.sample(unit_ids, rng.randint(2, min(3, len(unit_ids)))):
            # Only a nomination for one requirement (of any kind): it counts for a list only.
            req = rng.choice(reqs)
            await s.execute(
                delete(Submission).where(
                    Submission.unit_id == uid, Submission.requirement_id == req.id
                )
            )
            at = _moment(rng, req.due_date or dt.date(2020, 1, 15), ZoneInfo(TZ))
            s.add(
                Nomination(
                    campaign_id=req.campaign_id,
                    requirement_id=req.id,
                    unit_id=uid,
                    subject=SubjectKind.COLLECTIVE,
                    full_name="Tập thể",
                    award_code=_FORMS[2][0],
                    award_name=_FORMS[2][1],
                    summary="Thành tích.",
                    status=rng.choice(COUNTED),
                    created_at=at,
                    updated_at=at,
                )
            )
            retired.append(
                dt.datetime(2020, 1, 8, tzinfo=dt.UTC)
                + dt.timedelta(minutes=rng.randint(0, 12 * 24 * 60))
            )
            (await s.get_one(Unit, uid)).deactivated_at = retired[-1]
    # "Tính đến" a moment between two retirements: units retired before it and after it.
    retired.sort()
    i = rng.randrange(len(retired) - 1)
    past = retired[i] + (retired[i + 1] - retired[i]) / 2
    for campaign_id in ids:
        async with session_factory() as s:
            campaign = await s.get(Campaign, campaign_id)
            assert campaign is not None
            for day in (5, 15, 25):
                now = dt.datetime(2020, 1, day, 3, tzinfo=dt.UTC)
                limit = rng.randint(1, 3)
                await _check_campaign(
                    s, campaign, now, limit=limit, past=past if day == 25 else None
                )


@pytest.mark.parametrize("seed", range(4))
async def test_listed_units_retired_and_extended_equal_the_reference(
    session_factory: SF, seed: int
) -> None:
    """Requirements of listed units, with retired units and a gia hạn for some of them.

    Their figures are counted in SQL per requirement (and from the standings for one unit);
    compared with the reference at moments around everyone's and the units' own deadlines.
    """
    rng = random.Random(1000 + seed)
    async with session_factory.begin() as s:
        units = await _random_units(s, rng, "L", rng.randint(8, 16))
        campaign = await _random_campaign(s, rng, f"L{seed}", units)
        for req in await s.scalars(
            select(Requirement).where(Requirement.campaign_id == campaign.id)
        ):
            listed = rng.sample(units, rng.randint(3, len(units) - 2))
            req.unit_codes = [*(u.code for u in listed), "KHONG-CO"]
            req.unit_blocks = []
            assert req.due_date is not None
            req.unit_due = {
                str(u.id): (req.due_date + dt.timedelta(days=rng.randint(-1, 12))).isoformat()
                for u in rng.sample(listed, 2)
            }
        for unit in rng.sample(units, 3):
            unit.deactivated_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # before every `now`
        campaign_id = campaign.id
    async with session_factory() as s:
        campaign = await s.get_one(Campaign, campaign_id)
        units = await UnitRepository(s).list_all()
        for day in (5, 15, 25):
            now = dt.datetime(2020, 1, day, 3, tzinfo=dt.UTC)
            for where in _filters(units):
                progress = await campaign_progress(s, campaign, now, _chosen(units, where))
                stats = await requirement_stats(s, campaign, now, where)
                assert [_sql_counts(x) for x in stats] == [_counts(p) for p in progress], where
                lists = await missing_units(s, campaign, now, where, stats=stats)
                for owing, p in zip(lists, progress, strict=True):
                    assert [_mark(m) for m in owing.units] == [
                        _mark(m) for m in sorted(p.missing, key=lambda m: _key(m.unit))
                    ]


async def test_a_unit_retired_after_the_moment_owed_then(session_factory: SF) -> None:
    """ "Tính đến" a moment, a unit is retired only if it was retired by then.

    A unit retired after the moment was active then: it owed the requirement, is counted and
    listed as "chưa nộp". A unit retired before it owed nothing: counted only if it had sent.
    """
    at = dt.datetime(2020, 1, 15, 3, tzinfo=dt.UTC)  # the moment "tính đến"
    before, after = at - dt.timedelta(days=3), at + dt.timedelta(days=5)
    async with session_factory.begin() as s:
        sent, later, gone, gone_sent = await _random_units(s, random.Random(7), "R", 4)
        campaign = Campaign(code="RET", title="Kế hoạch RET", timezone=TZ)
        s.add(campaign)
        await s.flush()
        req = Requirement(
            campaign_id=campaign.id,
            code="BC",
            title="Báo cáo",
            kind=RequirementKind.REPORT,
            due_date=dt.date(2020, 1, 10),
            position=0,
        )
        s.add(req)
        await s.flush()
        for unit in (sent, gone_sent):  # both sent before the moment
            s.add(
                Submission(
                    unit_id=unit.id,
                    requirement_id=req.id,
                    part="",
                    version=1,
                    is_current=True,
                    status=SubmissionStatus.SUBMITTED,
                    text="Báo cáo.",
                    submitted_at=dt.datetime(2020, 1, 5, tzinfo=dt.UTC),
                )
            )
        later.deactivated_at = after  # active at the moment, sent nothing
        gone.deactivated_at = before  # retired by the moment, sent nothing
        gone_sent.deactivated_at = before  # retired by the moment, after sending
        ids = {sent.id: "sent", later.id: "later", gone.id: "gone", gone_sent.id: "gone_sent"}
        campaign_id, req_id = campaign.id, req.id
    now = after + dt.timedelta(days=1)
    async with session_factory() as s:
        campaign = await s.get_one(Campaign, campaign_id)
        (then,) = await requirement_stats(s, campaign, now, as_of=at)
        assert (then.total, then.submitted, then.missing) == (3, 2, 1)
        listed = await unit_standings(s, campaign, now, as_of=at)
        assert {ids[u.unit.id]: u.mark for u in listed[req_id]} == {
            "sent": Mark.SUBMITTED,
            "later": Mark.MISSING,  # "chưa nộp" then
            "gone_sent": Mark.SUBMITTED,
        }
        # Now every retired unit owes nothing: only the two that sent are counted.
        (today,) = await requirement_stats(s, campaign, now)
        assert (today.total, today.submitted, today.missing) == (2, 2, 0)
        # The report "tính đến" the moment (nothing was sent after it: only a retirement).
        report = await export_data.report(s, Scope(campaign, None, at))
        (figures,) = report.requirements
        assert (figures.total, figures.done) == (3, 2)
        assert [ids[u.unit.id] for u in figures.owing] == ["later"]
        assert [ids[u.id] for u in report.overdue_units] == ["later"]


# ---------------------------------------------------------------------------------------------
# The chart
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
async def test_chart_is_a_png_that_opens_again(session_factory: SF, clock: Clock) -> None:
    campaign = await _demo_campaign(session_factory)
    async with session_factory() as s:
        stats = await requirement_stats(s, campaign, clock())
    png = progress_chart(stats, subtitle="Lọc: khối/cụm «Khối xã, phường»")
    assert png.startswith(PNG)
    image = imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width == 1000 and 350 <= height <= 900
    assert image[..., :3].std() > 0.05  # something is drawn
    assert progress_chart(stats, subtitle="Lọc: khối/cụm «Khối xã, phường»") == png  # cached

    empty = imread(io.BytesIO(progress_chart([])), format="png")
    assert empty.shape[1] == 1000
    many = [*stats, *stats, *stats, *stats]  # 20 requirements: taller, still one image
    tall = imread(io.BytesIO(progress_chart(many)), format="png")
    assert tall.shape[0] > height


# ---------------------------------------------------------------------------------------------
# /tinhhinh and /chuanop
# ---------------------------------------------------------------------------------------------


def _overview(harness: ChatHarness) -> str:
    return next(r.text for r in harness.replies if "Tình hình thực hiện" in r.text)


@pytest.mark.usefixtures("demo")
async def test_overview_has_the_chart_and_the_figures(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    overview, chart = noivu.replies  # the chart is drawn by the export worker, after the text
    assert "📊 Đang vẽ biểu đồ…" in overview.text
    assert chart.file is not None and chart.file.name == "tinh-hinh.png"
    assert chart.file.mime_type == "image/png" and chart.file.data.startswith(PNG)
    assert "Đã nộp: <b>12/21</b>; chưa nộp: 9" in overview.text
    assert "Đúng hạn: 12 (100% số đã nộp); đã tiếp nhận: 11" in overview.text
    assert "🏅 Đề cử: <b>11</b> (cá nhân 8, tập thể 3) của 2 đơn vị" in overview.text
    assert "Gửi gần đây" in overview.text and "Phường Ngọc Trạo: mục 1" in overview.text
    assert noivu.buttons == [
        "🔎 Xem một đơn vị",
        "🏢 Lọc theo khối/cụm",
        "🏷 Lọc theo loại đơn vị",
        "🏅 Số liệu đề cử",
        "➕ Xem thêm",
    ]
    assert len(overview.text) < 3500
    assert "📎 tinh-hinh.png" in noivu.text  # a text-only channel names the file


async def test_overview_at_the_end_names_overdue_units(
    session_factory: SF, chat: Chat, clock: Clock
) -> None:
    clock.set("2020-04-16T09:00")
    async with session_factory.begin() as s:
        await load_demo(s, clock())
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    text = _overview(noivu)
    assert "Đã nộp: <b>17/21</b>; chưa nộp: 4 (trong đó 1 bị trả lại)" in text
    assert "Đúng hạn: 15 (88% số đã nộp); muộn: 2; đã tiếp nhận: 12" in text
    # The pilot and unit conferences (events) are milestones: never "quá hạn chưa nộp".
    assert "Tổ chức Hội nghị điểm" not in text and "Tổ chức Hội nghị điển hình" not in text
    assert "⏰ Quá hạn chưa nộp: Phường Ba Đình, Phường Đông Sơn, Phường Lam Sơn và 13" in text
    assert "(trong đó 1 nộp chưa đủ)" in text
    assert "4 đề cử (mục 2) (muộn)" in text
    assert "📌 Hội nghị điển hình tiên tiến thị xã — 20/06/2020, còn 65 ngày\n" in text
    assert len(text) < 3500


@pytest.mark.usefixtures("demo")
async def test_filter_by_block_then_kind_then_clear(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Lọc theo khối/cụm")
    assert noivu.buttons == [
        "Khối cơ quan (4 đơn vị)",
        "Khối doanh nghiệp (3 đơn vị)",
        "Khối Đảng - đoàn thể (6 đơn vị)",
        "Khối xã, phường (8 đơn vị)",
        "↩️ Quay lại",
    ]
    await noivu.press("Khối xã, phường")
    text = _overview(noivu)
    assert "Đang lọc: khối/cụm «Khối xã, phường»" in text
    assert "Đã nộp: <b>4/8</b>; chưa nộp: 4" in text
    assert noivu.replies[-1].file is not None  # the chart follows the filter
    assert "✖️ Bỏ lọc" in noivu.buttons
    await noivu.press("Xem một đơn vị")
    assert len(noivu.buttons) == 8 and "Phường Ba Đình" in noivu.buttons
    assert "Công ty CP Xi măng Bỉm Sơn" not in noivu.buttons
    await noivu.press("Phường Ba Đình")
    assert "Phường Ba Đình — các nội dung phải nộp" in noivu.text

    await noivu.send("/tinhhinh")  # a new overview starts without a filter
    assert "Đang lọc" not in _overview(noivu)
    await noivu.press("Lọc theo loại đơn vị")
    await noivu.send("doanh nghiep")  # typed instead of pressed
    assert "Đang lọc: loại «Doanh nghiệp»" in _overview(noivu)
    assert "Đã nộp: <b>2/3</b>" in _overview(noivu)
    await noivu.press("Lọc theo khối/cụm")
    await noivu.press("Quay lại")
    assert "Đang lọc: loại «Doanh nghiệp»" in _overview(noivu)
    await noivu.press("Bỏ lọc")
    assert "Đã nộp: <b>12/21</b>" in _overview(noivu)
    assert "✖️ Bỏ lọc" not in noivu.buttons


@pytest.mark.usefixtures("demo")
async def test_nomination_figures_follow_the_filter(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Số liệu đề cử")
    assert "Tổng số: 11 đề cử của 2 đơn vị; đã tiếp nhận 3." in noivu.text
    assert "Cá nhân theo giới tính:" in noivu.text and "Theo hình thức đề nghị:" in noivu.text
    genders = next(line for line in noivu.text.splitlines() if "theo giới tính" in line)
    assert "Nam " in genders and "Nữ " in genders  # words from the template, not codes
    assert "📊 Tình hình nộp" in noivu.buttons
    await noivu.press("Lọc theo khối/cụm")
    await noivu.press("Khối xã, phường")
    assert "Số liệu đề cử" in noivu.text and "Tổng số: 6 đề cử của 1 đơn vị" in noivu.text
    assert "Phường Bắc Sơn: 6" in noivu.text
    await noivu.press("Tình hình nộp")
    assert "Đang lọc: khối/cụm «Khối xã, phường»" in _overview(noivu)


@pytest.mark.usefixtures("demo")
async def test_typed_filters(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh khối: xa phuong loai:phuong")
    text = _overview(noivu)
    assert "Đang lọc: khối/cụm «Khối xã, phường», loại «Xã/phường»" in text
    await noivu.send("/tinhhinh cum:khong co")
    assert "Không tìm thấy khối/cụm «khong co»" in noivu.text
    assert "Khối xã, phường (8 đơn vị)" in noivu.buttons
    await noivu.press("Khối doanh nghiệp")
    assert "Đang lọc: khối/cụm «Khối doanh nghiệp»" in _overview(noivu)
    await noivu.send("/tinhhinh DN-XIMANG")  # not a filter: a unit, as before
    assert "Công ty CP Xi măng Bỉm Sơn — các nội dung phải nộp" in noivu.text


@pytest.mark.usefixtures("demo")
async def test_the_chart_is_not_drawn_in_the_message(
    chat: Chat, jobs: Jobs, session_factory: SF
) -> None:
    jobs.auto = False
    noivu = chat("noivu")
    await noivu.send("/tinhhinh khoi:Khối xã, phường")
    assert not any(r.file for r in noivu.replies)
    assert "📊 Đang vẽ biểu đồ…" in noivu.text and jobs.woken == ["export"]
    async with session_factory() as s:
        (job,) = (await s.scalars(select(ExportJob))).all()
    assert (job.kind, job.status) == ("chart", "pending")
    assert job.params == {
        "block": "Khối xã, phường",
        "kind": None,
        "subtitle": "Đang lọc: khối/cụm «Khối xã, phường»",
        "index": 1,
    }
    await jobs.run()
    (chart,) = jobs.take(noivu.key)
    assert chart.file is not None and chart.file.name == "tinh-hinh.png"
    assert chart.file.data.startswith(PNG)


@pytest.mark.usefixtures("demo")
async def test_group_gets_chart_and_overview_without_buttons(chat: Chat) -> None:
    group = chat("noivu", private=False)
    await group.send("/tinhhinh")
    assert group.replies[-1].file is not None
    assert "12/21" in group.text and group.buttons == []
    assert "Lọc nhanh" not in group.text
    await group.send("/tinhhinh loai:khong ro")
    assert "Không tìm thấy loại đơn vị «khong ro». Có thể gõ: Xã/phường; Cơ quan" in group.text
    assert group.buttons == []


@pytest.mark.usefixtures("demo")
async def test_unit_head_keeps_the_checklist(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    assert [r.file for r in badinh.replies] == [None]
    assert "Phường Ba Đình — các nội dung phải nộp" in badinh.text
    await badinh.send("/tinhhinh khoi:xa phuong")
    assert "đơn vị mình" in badinh.text


@pytest.mark.usefixtures("demo")
async def test_chuanop_from_sql_with_filter_and_limit(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    noivu = chat("noivu")
    await noivu.send("/chuanop khoi:doanh nghiep")
    assert "Đang lọc: khối/cụm «Khối doanh nghiệp»" in noivu.text
    plan = noivu.text.split("Kế hoạch tổ chức Hội nghị")[1].split("\n\n")[0]
    assert "Chưa nộp 1/3 đơn vị" in plan and "Công ty CP Bao bì Bỉm Sơn" in plan
    assert "Phường Ba Đình" not in noivu.text
    monkeypatch.setattr(status_handlers.chuanop, "CHUANOP_LIMIT", 2)
    await noivu.send("/chuanop")
    assert "Chưa nộp 9/21 đơn vị" in noivu.text and "… và 7 đơn vị khác" in noivu.text
    await noivu.send("/chuanop khoi:khong co")
    assert "Không tìm thấy khối/cụm «khong co». Có thể gõ: Khối cơ quan" in noivu.text


def test_parse_filter() -> None:
    parse = status_handlers.parse_filter
    assert parse("DN-XIMANG") is None
    assert parse("ba dinh khoi:x") is None  # a unit name first: not a filter
    assert parse("khoi:Khối xã, phường") == {"block": "Khối xã, phường"}
    assert parse("KHỐI: a  loại : b") == {"block": "a", "kind": "b"}
    assert parse("cụm:c") == {"block": "c"}


# ---------------------------------------------------------------------------------------------
# A deadline with an hour ("trước 16g30 ngày 15/11/2019")
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
async def test_a_deadline_hour_makes_what_comes_after_it_late(
    session_factory: SF, chat: Chat, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await s.execute(
            update(Requirement)
            .where(Requirement.code == "KEHOACH")
            .values(due_time=dt.time(16, 30))
        )
        await ensure_account(
            s, channel="console", external_id="halan", full_name="Lãnh đạo xã Hà Lan",
            role=Role.UNIT_HEAD, unit_code="X-HALAN", now=clock(),
        )  # fmt: skip
    badinh, halan = chat("badinh"), chat("halan")
    await badinh.send("/tinhhinh")
    assert "(hạn 16h30 15/11/2019, còn 3 ngày): chưa nộp" in badinh.text
    for head, moment in ((badinh, "2019-11-15T16:00"), (halan, "2019-11-15T16:45")):
        clock.set(moment)
        await head.send("/nop")
        await head.press("Kế hoạch tổ chức")
        await head.send("Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị.")
        await head.press("Xác nhận gửi")
        assert ("Lưu ý: nộp sau hạn 16h30 15/11/2019." in head.text) is (head is halan)
    await badinh.send("/tinhhinh")
    assert "đã nộp ngày 15/11/2019 16:00\n" in badinh.text  # before the hour: on time
    await halan.send("/tinhhinh")
    assert "đã nộp ngày 15/11/2019 16:45 (muộn)" in halan.text  # after it, the same day
    campaign = await _demo_campaign(session_factory)
    async with session_factory() as s:
        (plan, *_) = await requirement_stats(s, campaign, clock())
        assert (plan.requirement.code, plan.late) == ("KEHOACH", 1)
        assert await _check_campaign(s, campaign, clock()) > 0  # SQL and reference agree


@pytest.mark.usefixtures("demo")
async def test_a_milestone_is_never_owed(chat: Chat, clock: Clock) -> None:
    clock.set("2020-04-16T09:00")  # both conferences (events) are past, nothing was sent
    noivu, badinh = chat("noivu"), chat("badinh")
    await noivu.send("/chuanop")
    assert "Kế hoạch tổ chức Hội nghị" in noivu.text and "Tổ chức Hội nghị" not in noivu.text
    await badinh.send("/chuanop")
    assert "Hồ sơ sau Hội nghị" in badinh.text and "Tổ chức Hội nghị" not in badinh.text
    await badinh.send("/nop")
    assert badinh.buttons and not [b for b in badinh.buttons if "Tổ chức Hội nghị" in b]
    await badinh.send("/huy")
    await badinh.send("/tinhhinh")
    owed, milestones = badinh.text.split("Mốc thời gian (không phải nộp):")
    assert "Tổ chức Hội nghị" not in owed
    assert (
        "📌 Tổ chức Hội nghị điểm điển hình tiên tiến — 20/03/2020; đơn vị tổ chức: 3 đơn vị"
        " (đã qua)\n"
    ) in milestones
    assert "📌 Hội nghị điển hình tiên tiến thị xã — 20/06/2020, còn 65 ngày" in milestones
