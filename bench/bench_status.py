"""Time the secretariat's status figures on big synthetic data, SQLite and PostgreSQL.

Usage::

    python bench/bench_status.py [--runs 15] [--units 10000] [--nominations 500000]
                                 [--requirements 20] [--pg-url URL] [--no-pg] [--no-sqlite]

For each database (a fresh SQLite file in a temporary directory; a fresh PostgreSQL schema that
is dropped afterwards) and for two sizes -- the full one and one tenth of its units and
nominations (same requirements) -- the script migrates an empty database with Alembic, seeds
one campaign with bulk inserts (units, requirements, award forms, submissions for 60-80 % of
the unit × requirement pairs with older versions and dossier parts, nominations in every
status), runs ``VACUUM ANALYZE`` on PostgreSQL (what autovacuum does after bulk inserts) or
``ANALYZE`` on SQLite, then times ``--runs`` times, each in a new session:

* ``figures``: :func:`handlers.queries.stats.requirement_stats` +
  :func:`handlers.queries.stats.nomination_stats`
  (what the issue asks to time), and each of them alone;
* ``overview``: :func:`handlers.queries.stats.campaign_status` (figures, overdue units, newest
  items);
* ``filtered``: the figures for one block (khối/cụm);
* ``/chuanop``: the secretariat's list of who still owes what (10 units per requirement);
* ``unit /tinhhinh`` and ``unit /chuanop``: a unit head's checklist and what it still owes
  (:func:`handlers.queries.progress.campaign_progress` for that unit);
* ``reminders due`` and ``reminders, none due``: the reminder planning pass
  (:func:`handlers.services.reminders.plan_due`: the slots due, the digest, the milestone
  reminders) at a moment when the most requirements have a reminder slot due
  (:func:`reminder_moment`; 90 % of the units have a linked head, so thousands of reminders at
  10 000 units: their number is printed and checked at every run) and at one when nothing is;
  ``the digest``: the secretariat's digest of that moment, composed
  (:func:`handlers.services.reminders.digest_notices`: read when it is sent, not by the pass);
  ``reminders, a page``: the reminders of one page of the units' ids
  (:func:`handlers.services.reminders.reminder_page`, :data:`UNIT_PAGE` ids mid-table), what
  the scheduler reads right before sending them; ``reminders, every page``: every reminder of
  that moment (:func:`handlers.services.reminders.plan_notices`), which grows with them.
* ``announcement to all``: the secretariat's announcement to every unit queued (the audience's
  accounts read, :func:`handlers.services.notices.announce`: one copy per account);
  ``gia hạn for all``: the earliest deadline extended for everyone, each unit told
  (:func:`handlers.services.requirements.extend_deadline`: one notice per unit). Both run in
  the secretary's message; each run is rolled back.

The bulk inserts bypass the ORM, so the status read models (standings and nomination counts)
are rebuilt after seeding (``tdkt stats rebuild``; its time is printed with the seeding steps).
Before the timed runs the garbage collector freezes what lives on, as the bot does once it has
started (:func:`bot.runtime.resume_gc`).

It prints the median and p95 of each (wall time) and the median CPU time of this process (with
SQLite's driver thread; PostgreSQL's server is not in it), and the ratios big / small of the
medians. A secretary with a linked account makes the digest due with the reminders.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from benchdb import DEFAULT_PG_URL, postgres_engine, postgres_reachable, sqlite_engine
from results import Figure, record
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import WorkingCalendar, due_slot, effective_policy
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import (
    UnitFilter,
    campaign_status,
    missing_units,
    nomination_stats,
    requirement_stats,
)
from handlers.services.notices import announce, audience_accounts
from handlers.services.reminders import (
    UNIT_PAGE,
    digest_notices,
    plan_due,
    plan_notices,
    reminder_page,
    upcoming_instants,
)
from handlers.services.requirements import extend_deadline
from storage import nomination_counts, standings
from storage.db import make_session_factory
from storage.models import (
    AwardForm,
    Campaign,
    ChatAccount,
    Nomination,
    NominationStatus,
    Person,
    Requirement,
    RequirementKind,
    Role,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository

__all__ = ["main"]

TZ = dt.timezone(dt.timedelta(hours=7))
#: The moment the figures are asked for: about half of the deadlines have passed.
NOW = dt.datetime(2020, 4, 1, 9, 0, tzinfo=TZ)
#: A moment when no reminder or digest is due (after the 08:00 slots' grace, before the next).
NOTHING_DUE = dt.datetime(2020, 4, 2, 3, 0, tzinfo=TZ)
CHUNK = 5000
#: When the earliest deadline is extended for everyone (before every deadline).
EXTEND_AT = dt.datetime(2019, 10, 1, 9, 0, tzinfo=TZ)

KINDS = ("xa_phuong", "co_quan", "doan_the", "doanh_nghiep", "truong_hoc")
PARTS = ("Báo cáo tổng kết", "Danh sách trích ngang", "Tờ trình", "Biên bản", "Báo cáo thành tích")
FORMS = (
    ("CSTDCS", "Chiến sĩ thi đua cơ sở", SubjectKind.INDIVIDUAL),
    ("LDTT", "Lao động tiên tiến", SubjectKind.INDIVIDUAL),
    ("GK_CN", "Giấy khen của Chủ tịch UBND", SubjectKind.INDIVIDUAL),
    ("BK_CN", "Bằng khen của Chủ tịch UBND tỉnh", SubjectKind.INDIVIDUAL),
    ("TTLDXS", "Tập thể lao động xuất sắc", SubjectKind.COLLECTIVE),
    ("TTLDTT", "Tập thể lao động tiên tiến", SubjectKind.COLLECTIVE),
    ("GK_TT", "Giấy khen của Chủ tịch UBND", SubjectKind.COLLECTIVE),
    ("BK_TT", "Bằng khen của Chủ tịch UBND tỉnh", SubjectKind.COLLECTIVE),
)


@dataclass(frozen=True)
class Size:
    """How much data to seed."""

    label: str
    units: int
    requirements: int
    nominations: int


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------------------------


def _requirement_rows(campaign_id: int, n: int, unit_codes: Sequence[str]) -> list[dict[str, Any]]:
    """``n`` requirements: plans, reports, events, dossiers of 5 parts, 2 nomination lists.

    Deadlines spread from 15/11/2019 to 15/6/2020; a few apply to some unit kinds or to a list
    of unit codes only.
    """
    kinds = (
        RequirementKind.PLAN,
        RequirementKind.REPORT,
        RequirementKind.EVENT,
        RequirementKind.DOSSIER,
        RequirementKind.REPORT,
    )
    rows = []
    first_due = dt.date(2019, 11, 15)
    for i in range(n):
        kind = RequirementKind.NOMINATION_LIST if i in (n // 2, n - 1) else kinds[i % len(kinds)]
        rows.append(
            {
                "campaign_id": campaign_id,
                "code": f"R{i:02d}",
                "title": f"Nội dung số {i + 1} ({kind.value})",
                "kind": kind,
                "due_date": first_due + dt.timedelta(days=(i * 210) // max(n - 1, 1)),
                "unit_kinds": [KINDS[i % 3], KINDS[3]] if i % 7 == 3 else [],
                "unit_codes": list(unit_codes[: max(len(unit_codes) // 20, 3)])
                if i % 9 == 5
                else [],
                "parts": list(PARTS) if kind is RequirementKind.DOSSIER else [],
                "position": i,
                "policy": {},
                "accept": [],
            }
        )
    return rows


def _applies(req: Requirement, unit: tuple[int, str, str]) -> bool:
    _, code, kind = unit
    if req.unit_codes and code not in req.unit_codes:
        return False
    return not req.unit_kinds or kind in req.unit_kinds


def _submission_rows(
    rng: random.Random, reqs: Sequence[Requirement], units: Sequence[tuple[int, str, str]]
) -> Iterable[dict[str, Any]]:
    """Submissions for 60-80 % of the applicable pairs (per requirement), some with history."""
    for req in reqs:
        if req.kind is RequirementKind.NOMINATION_LIST:
            continue
        share = rng.uniform(0.6, 0.8)
        due = dt.datetime.combine(req.due_date, dt.time(17), tzinfo=TZ)
        for unit in units:
            if not _applies(req, unit) or rng.random() > share:
                continue
            parts = [""]
            if req.parts:
                parts = list(req.parts) if rng.random() < 0.8 else rng.sample(req.parts, 2)
            for part in parts:
                at = due + dt.timedelta(hours=rng.uniform(-30 * 24, 6 * 24))
                if rng.random() < 0.15:  # an older version, replaced
                    yield _submission(unit[0], req.id, part, 1, False, at, "returned")
                    version = 2
                else:
                    version = 1
                status = rng.choices(("accepted", "submitted", "returned"), (6, 3, 1))[0]
                at += dt.timedelta(hours=rng.uniform(1, 48))
                yield _submission(unit[0], req.id, part, version, True, at, status)


def _submission(
    unit_id: int, req_id: int, part: str, version: int, current: bool, at: dt.datetime, status: str
) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "requirement_id": req_id,
        "part": part,
        "version": version,
        "is_current": current,
        "text": "Nội dung đã nộp",
        "status": SubmissionStatus(status),
        "return_reason": "Thiếu chữ ký" if status == "returned" else None,
        "submitted_at": at,
        # A reviewed version has its review time (the exports check it; see export_moment).
        "reviewed_at": at if status in ("accepted", "returned") else None,
    }


def _nomination_rows(
    rng: random.Random,
    campaign_id: int,
    reqs: Sequence[Requirement],
    units: Sequence[tuple[int, str, str]],
    n: int,
) -> Iterable[dict[str, Any]]:
    lists = [r for r in reqs if r.kind is RequirementKind.NOMINATION_LIST]
    statuses = (
        NominationStatus.SUBMITTED,
        NominationStatus.ACCEPTED,
        NominationStatus.RETURNED,
        NominationStatus.WITHDRAWN,
    )
    weights = [1.0 / (1 + (i % 50)) for i in range(len(units))]  # some units nominate a lot
    picked = rng.choices(units, weights, k=n)
    for i in range(n):
        req = rng.choice(lists) if lists and rng.random() < 0.9 else None
        code, name, subject = rng.choice(FORMS)
        due = req.due_date if req is not None else dt.date(2020, 4, 15)
        at = dt.datetime.combine(due, dt.time(12), tzinfo=TZ) - dt.timedelta(
            hours=rng.uniform(-72, 40 * 24)
        )
        individual = subject is SubjectKind.INDIVIDUAL
        yield {
            "campaign_id": campaign_id,
            "requirement_id": req.id if req is not None else None,
            "unit_id": picked[i][0],
            "subject": subject,
            "full_name": f"Người được đề cử {i}" if individual else f"Tập thể {i}",
            "gender": rng.choice(("nam", "nu")) if individual else None,
            "birth_year": rng.randint(1960, 2000) if individual else None,
            "position": None,
            "award_code": code,
            "award_name": name,
            "summary": "Hoàn thành xuất sắc nhiệm vụ.",
            "status": rng.choices(statuses, (70, 20, 5, 5))[0],
            "created_at": at,
            "updated_at": at,
            "revision": 1,
        }


async def _insert(engine: AsyncEngine, table: Any, rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` in chunks of :data:`CHUNK` (executemany), one transaction per chunk."""
    count = 0
    chunk: list[dict[str, Any]] = []

    async def flush() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(table), chunk)

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await flush()
            count += len(chunk)
            chunk = []
    if chunk:
        await flush()
        count += len(chunk)
    return count


async def seed(engine: AsyncEngine, size: Size, seed_value: int = 2019) -> dict[str, float]:
    """Seed one campaign of ``size``; return seconds per step (and row counts)."""
    rng = random.Random(seed_value)
    report: dict[str, float] = {}
    start = time.perf_counter()
    blocks = max(size.units // 500, 4)
    units = [
        {
            "code": f"U{i:05d}",
            "name": f"Đơn vị số {i}",
            "kind": KINDS[i % len(KINDS)],
            "block": f"Cụm thi đua số {i % blocks + 1}" if i % 97 else None,
            "staff_count": 20,
        }
        for i in range(size.units)
    ]
    await _insert(engine, Unit.__table__, units)
    sf = make_session_factory(engine)
    async with sf.begin() as session:
        campaign = Campaign(code="BENCH", title="Kế hoạch thử tải", timezone="Asia/Ho_Chi_Minh")
        session.add(campaign)
        await session.flush()
        campaign_id = campaign.id
        session.add_all(
            AwardForm(campaign_id=campaign_id, code=c, name=n, subject=s, position=i)
            for i, (c, n, s) in enumerate(FORMS)
        )
    unit_rows = [
        (uid, code, kind)
        for uid, code, kind in (
            await _fetch(sf, select(Unit.id, Unit.code, Unit.kind).order_by(Unit.id))
        )
    ]
    await _insert(
        engine,
        Requirement.__table__,
        _requirement_rows(campaign_id, size.requirements, [c for _, c, _ in unit_rows]),
    )
    async with sf() as session:
        reqs = list(
            await session.scalars(
                select(Requirement).where(Requirement.campaign_id == campaign_id)
            )
        )
    report["seed units+requirements s"] = time.perf_counter() - start
    start = time.perf_counter()
    report["submissions"] = await _insert(
        engine, Submission.__table__, _submission_rows(rng, reqs, unit_rows)
    )
    report["seed submissions s"] = time.perf_counter() - start
    start = time.perf_counter()
    report["nominations"] = await _insert(
        engine,
        Nomination.__table__,
        _nomination_rows(rng, campaign_id, reqs, unit_rows, size.nominations),
    )
    report["seed nominations s"] = time.perf_counter() - start
    await _insert(
        engine,
        Person.__table__,
        [
            *(
                {"full_name": f"Lãnh đạo {code}", "role": Role.UNIT_HEAD, "unit_id": uid}
                for uid, code, _ in unit_rows
                if uid % 10  # 90 % of the units have a head
            ),
            {"full_name": "Thư ký Hội đồng", "role": Role.SECRETARIAT, "unit_id": None},
        ],
    )
    people = await _fetch(sf, select(Person.id))
    await _insert(
        engine,
        ChatAccount.__table__,
        (
            {"person_id": pid, "channel": "telegram", "external_id": str(pid), "chat_id": str(pid)}
            for (pid,) in people
        ),
    )
    start = time.perf_counter()
    async with sf.begin() as session:
        report["standings"] = await standings.rebuild(session)
    report["rebuild standings s"] = time.perf_counter() - start
    start = time.perf_counter()
    async with sf.begin() as session:
        report["nomination counts"] = await nomination_counts.rebuild(session)
    report["rebuild nomination counts s"] = time.perf_counter() - start
    start = time.perf_counter()
    # What autovacuum does after bulk inserts on PostgreSQL (statistics, and the visibility map
    # that lets index-only scans skip the table); statistics only on SQLite.
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE"))
    else:  # committed: SQLAlchemy's AUTOCOMMIT on SQLite rolled it back (the engine BEGINs)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    report["vacuum/analyze s"] = time.perf_counter() - start
    return report


async def _fetch(sf: async_sessionmaker[AsyncSession], query: Any) -> list[Any]:
    async with sf() as session:
        return list((await session.execute(query)).tuples())


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


async def _time(
    sf: async_sessionmaker[AsyncSession],
    runs: int,
    work: Callable[[AsyncSession, Campaign], Awaitable[object]],
    after: Callable[[], Awaitable[None]] | None = None,
) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of ``runs`` runs of ``work``; ``after`` runs after each, untimed.

    CPU is the process's (this thread and SQLite's driver thread; not PostgreSQL's server):
    on a shared machine it moves far less than the wall time with the other jobs' load.
    """
    timings = []
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        async with sf() as session:
            campaign = (
                await session.scalars(select(Campaign).where(Campaign.code == "BENCH"))
            ).one()
            start, cpu = time.perf_counter(), time.process_time()
            await work(session, campaign)
            timings.append((time.perf_counter() - start, time.process_time() - cpu))
        if after is not None:
            await after()
    return timings[1:]


def _vacuum(engine: AsyncEngine, *tables: str) -> Callable[[], Awaitable[None]]:
    """After a run that wrote and rolled back: PostgreSQL's VACUUM of ``tables`` (autovacuum's
    work in a real deployment), so that the next run does not wade through the dead rows of
    the runs before it (thousands per run). Nothing on SQLite, which reuses the pages."""

    async def vacuum() -> None:
        if engine.dialect.name != "postgresql":
            return
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"VACUUM {', '.join(tables)}"))

    return vacuum


async def time_figures(engine: AsyncEngine, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Time the secretariat's figures ``runs`` times each; seconds per run, by kind."""
    sf = make_session_factory(engine)
    block = (await _fetch(sf, select(Unit.block).where(Unit.block.is_not(None)).limit(1)))[0][0]
    n_units = (await _fetch(sf, select(func.count()).select_from(Unit)))[0][0]
    one_unit = (await _fetch(sf, select(Unit.id).order_by(Unit.id).offset(n_units // 2)))[0][0]
    texts = Texts()
    due_at, expected = await reminder_moment(sf, texts)
    print(f"  reminders due at {due_at.isoformat()}: {expected} reminders planned")

    async def figures(session: AsyncSession, campaign: Campaign) -> None:
        await requirement_stats(session, campaign, NOW)
        await nomination_stats(session, campaign)

    async def req_only(session: AsyncSession, campaign: Campaign) -> None:
        await requirement_stats(session, campaign, NOW)

    async def noms_only(session: AsyncSession, campaign: Campaign) -> None:
        await nomination_stats(session, campaign)

    async def overview(session: AsyncSession, campaign: Campaign) -> None:
        await campaign_status(session, campaign, NOW)

    async def filtered(session: AsyncSession, campaign: Campaign) -> None:
        where = UnitFilter(block=block)
        await requirement_stats(session, campaign, NOW, where)
        await nomination_stats(session, campaign, where)

    async def chuanop(session: AsyncSession, campaign: Campaign) -> None:
        await missing_units(session, campaign, NOW, limit=10)

    async def unit_status(session: AsyncSession, campaign: Campaign) -> None:
        unit = await session.get_one(Unit, one_unit)
        await campaign_progress(session, campaign, NOW, [unit])

    async def unit_owes(session: AsyncSession, campaign: Campaign) -> None:
        unit = await session.get_one(Unit, one_unit)
        progress = await campaign_progress(session, campaign, NOW, [unit])
        owed = [p for p in progress if p.marks and not p.marks[0].done]
        assert len(owed) <= len(progress)

    async with sf() as session:
        (due,) = await plan_due(session, texts, due_at, calendar=WorkingCalendar())
    group = due.reminders[0]
    middle = (one_unit // UNIT_PAGE) * UNIT_PAGE
    window = (middle, middle + UNIT_PAGE)  # a page of the units' ids, mid-table

    assert due.digest is not None
    digest = due.digest

    async def reminders_due(session: AsyncSession, _campaign: Campaign) -> None:
        (plan,) = await plan_due(session, texts, due_at, calendar=WorkingCalendar())
        assert plan.reminders and plan.digest  # the slots, and the digest's recipients

    async def the_digest(session: AsyncSession, _campaign: Campaign) -> None:
        assert await digest_notices(session, texts, digest, due_at)

    async def reminders_page(session: AsyncSession, _campaign: Campaign) -> None:
        assert await reminder_page(session, texts, group, window)

    async def reminders_all(session: AsyncSession, _campaign: Campaign) -> None:
        planned = await plan_notices(session, texts, due_at, calendar=WorkingCalendar())
        assert sum(p.kind == "reminder" for p in planned) == expected

    secretary = (await _fetch(sf, select(Person.id).where(Person.role == Role.SECRETARIAT)))[0][0]
    extended = (
        await _fetch(
            sf,
            select(Requirement.id)
            .where(Requirement.kind != RequirementKind.EVENT, Requirement.due_date.is_not(None))
            .order_by(Requirement.due_date, Requirement.id)
            .limit(1),
        )
    )[0][0]

    notices_vacuum = _vacuum(engine, "broadcasts", "broadcast_deliveries", "deadline_changes")

    async def announce_all(session: AsyncSession, _campaign: Campaign) -> None:
        audience = {"kind": "all"}
        recipients = await audience_accounts(session, audience, NOW)
        queued = await announce(
            session,
            texts,
            text="Thông báo họp giao ban",
            file_id=None,
            audience=audience,
            recipients=recipients,
            by=Person(id=secretary),
            origin=ChatKey("console", "bench"),
            now=NOW,
        )
        assert queued.pending  # rolled back with the session: each run starts afresh

    async def extend_all(session: AsyncSession, _campaign: Campaign) -> None:
        req = await session.get_one(Requirement, extended)
        assert req.due_date is not None
        done = await extend_deadline(
            session,
            texts,
            req,
            new_due=req.due_date + dt.timedelta(days=30),
            reason="Gia hạn để đo thời gian",
            by=None,
            now=EXTEND_AT,
        )
        assert done.told  # rolled back with the session

    async def reminders_none(session: AsyncSession, _campaign: Campaign) -> None:
        assert not await plan_notices(session, texts, NOTHING_DUE, calendar=WorkingCalendar())

    return {
        "unit /tinhhinh": await _time(sf, runs, unit_status),
        "unit /chuanop": await _time(sf, runs, unit_owes),
        "/chuanop": await _time(sf, runs, chuanop),
        "reminders due": await _time(sf, runs, reminders_due),
        "reminders, a page": await _time(sf, runs, reminders_page),
        "reminders, every page": await _time(sf, runs, reminders_all),
        "the digest": await _time(sf, runs, the_digest),
        "reminders, none due": await _time(sf, runs, reminders_none),
        "announcement to all": await _time(sf, runs, announce_all, notices_vacuum),
        "gia hạn for all": await _time(sf, runs, extend_all, notices_vacuum),
        "figures": await _time(sf, runs, figures),
        "  requirement_stats": await _time(sf, runs, req_only),
        "  nomination_stats": await _time(sf, runs, noms_only),
        "overview": await _time(sf, runs, overview),
        "filtered (1 block)": await _time(sf, runs, filtered),
    }


async def reminder_moment(
    sf: async_sessionmaker[AsyncSession], texts: Texts
) -> tuple[dt.datetime, int]:
    """The moment (half an hour after a slot) when the most requirements have a reminder due.

    The candidates are the reminder and digest moments of the 60 days around :data:`NOW`; the
    one where the most requirements have a slot due is taken (the latest of equals). Returns it
    and how many reminders :func:`plan_notices` plans then (asserted to be some).
    """
    calendar = WorkingCalendar()
    async with sf() as session:
        campaign = (await session.scalars(select(Campaign).where(Campaign.code == "BENCH"))).one()
        tz = ZoneInfo(campaign.timezone)
        reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
        instants = await upcoming_instants(
            session, NOW - dt.timedelta(days=30), dt.timedelta(days=60), calendar
        )
        best: tuple[int, dt.datetime] | None = None
        for instant in instants:
            moment = instant + dt.timedelta(minutes=30)
            due = sum(
                r.due_date is not None
                and due_slot(
                    r.due_date,
                    effective_policy(campaign.settings, r.policy),
                    tz,
                    calendar,
                    moment,
                    dt.timedelta(hours=12),
                )
                is not None
                for r in reqs
            )
            if best is None or due >= best[0]:
                best = (due, moment)
        assert best is not None and best[0], "no reminder slot is due around NOW"
        planned = await plan_notices(session, texts, best[1], calendar=calendar)
    count = sum(p.kind == "reminder" for p in planned)
    assert count, "a reminder slot is due but no reminder is planned"
    return best[1], count


def _stats(timings: Sequence[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in timings)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return statistics.median(ms), p95


async def bench_database(
    label: str,
    engine_factory: Callable[[], contextlib.AbstractAsyncContextManager[AsyncEngine]],
    sizes: Sequence[Size],
    runs: int,
) -> None:
    """Seed and time every size on one kind of database; print the figures."""
    medians: dict[str, dict[str, tuple[float, float]]] = {}
    figures: dict[tuple[str, str], Figure] = {}
    for size in sizes:
        async with engine_factory() as engine:
            report = await seed(engine, size)
            setup = ", ".join(
                f"{k} {v:.1f}" if k.endswith(" s") else f"{k} {int(v)}" for k, v in report.items()
            )
            print(
                f"[{label} {size.label}] {size.units} units × {size.requirements} requirements, "
                f"{size.nominations} nominations; {setup}"
            )
            medians[size.label] = {}
            # As the bot after start-up (bot.runtime.resume_gc): what lives on is frozen, so a
            # full collection in a timed run walks that run's objects, not the whole heap.
            gc.collect()
            gc.freeze()
            try:
                timed = await time_figures(engine, runs)
            finally:
                gc.unfreeze()
            for kind, timings in timed.items():
                median, p95 = _stats([wall for wall, _ in timings])
                cpu, _ = _stats([cpu for _, cpu in timings])
                medians[size.label][kind] = (median, cpu)
                figures[(size.label, kind)] = Figure(
                    f"status.{kind.strip()}", label, f"{size.units} units", median, "ms", p95, cpu
                )
                print(
                    f"  {label:<10} {size.label:<5} {kind:<22} n={len(timings):<3} "
                    f"median={median:9.1f} ms  p95={p95:9.1f} ms  cpu={cpu:8.1f} ms"
                )
    if len(sizes) == 2:
        big, small = (s.label for s in sizes)
        for kind, (median, cpu) in medians[big].items():
            base, base_cpu = medians[small][kind]
            ratio = median / base if base else float("nan")
            cpu_ratio = cpu / base_cpu if base_cpu else float("nan")
            print(
                f"  {label:<10} ratio {big}/{small} {kind:<22} {ratio:6.1f}×"
                f"  cpu {cpu_ratio:6.1f}×"
            )
            figures[(big, kind)] = replace(figures[(big, kind)], ratio=ratio)
    for figure in figures.values():
        record(figure)


async def run(args: argparse.Namespace) -> None:
    """Benchmark SQLite, then PostgreSQL when reachable."""
    big = Size("big", args.units, args.requirements, args.nominations)
    small = Size("small", args.units // 10, args.requirements, args.nominations // 10)
    sizes = [big, small]
    if not args.no_sqlite:
        await bench_database("sqlite", sqlite_engine, sizes, args.runs)
    if not args.no_pg and await postgres_reachable(args.pg_url):
        await bench_database("postgresql", lambda: postgres_engine(args.pg_url), sizes, args.runs)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (15)")
    parser.add_argument("--units", type=int, default=10_000, help="units, big size (10000)")
    parser.add_argument("--requirements", type=int, default=20, help="requirements (20)")
    parser.add_argument(
        "--nominations", type=int, default=500_000, help="nominations, big size (500000)"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (asyncpg)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
