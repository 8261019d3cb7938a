"""When the read models already show the campaign as it stood at an export's moment.

An export asked for at a moment reads the read models when nothing changed since
(``settled_at``), and recomputes from the sources otherwise; both must give the same figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.queries import export_data as data
from handlers.queries.export_data import Scope
from handlers.queries.export_moment import settled_at
from storage.models import Campaign, Nomination, Submission, SubmissionStatus, Unit
from storage.repositories.campaigns import CampaignRepository
from tests.harness import TZ

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
CODE = "BIMSON-DHTT-2019"
NOW = parse_now("2020-04-20T09:00", TZ)  # after every demo record


async def _campaign(s: AsyncSession) -> tuple[Campaign, list[int]]:
    campaign = await CampaignRepository(s).get_by_code(CODE)
    assert campaign is not None
    reqs = await CampaignRepository(s).requirements_for(campaign.id)
    return campaign, [r.id for r in reqs]


async def test_settled_after_the_last_change_not_before_it(session_factory: SF) -> None:
    async with session_factory() as s:
        campaign, reqs = await _campaign(s)
        assert await settled_at(s, campaign.id, reqs, NOW)
        last = await s.scalar(select(func.max(Submission.submitted_at)))
        assert last is not None
        assert not await settled_at(s, campaign.id, reqs, last - dt.timedelta(seconds=1))


@pytest.mark.parametrize("change", ["review", "unreviewed", "nomination", "retirement"])
async def test_a_change_after_the_moment_unsettles_it(session_factory: SF, change: str) -> None:
    later = NOW + dt.timedelta(minutes=5)
    async with session_factory.begin() as s:
        campaign, _ = await _campaign(s)
        if change == "review":
            first = await s.scalar(select(func.min(Submission.id)))
            await s.execute(
                update(Submission).where(Submission.id == first).values(reviewed_at=later)
            )
        elif change == "unreviewed":  # reviewed, but no time recorded: cannot tell when
            first = await s.scalar(
                select(func.min(Submission.id)).where(
                    Submission.status == SubmissionStatus.ACCEPTED
                )
            )
            await s.execute(
                update(Submission).where(Submission.id == first).values(reviewed_at=None)
            )
        elif change == "retirement":  # a unit active at the moment owed then, not now
            first = await s.scalar(select(func.min(Unit.id)))
            await s.execute(update(Unit).where(Unit.id == first).values(deactivated_at=later))
        else:
            first = await s.scalar(select(func.min(Nomination.id)))
            await s.execute(
                update(Nomination).where(Nomination.id == first).values(updated_at=later)
            )
    async with session_factory() as s:
        campaign, reqs = await _campaign(s)
        assert not await settled_at(s, campaign.id, reqs, NOW)


def _figures(report: data.Report) -> list[tuple[Any, ...]]:
    return [
        (
            f.requirement.id,
            f.total,
            f.done,
            [
                (m.unit.id, m.mark, m.at, m.late, m.parts_done, m.reason, m.count)
                for m in f.standings
            ],
        )
        for f in report.requirements
    ]


@pytest.mark.parametrize("moment", ["midway", "now"])
async def test_the_report_reads_the_same_from_the_read_models_and_the_sources(
    session_factory: SF, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    async with session_factory() as s:
        campaign, reqs = await _campaign(s)
        first, last = (
            await s.execute(
                select(func.min(Submission.submitted_at), func.max(Submission.submitted_at))
            )
        ).one()
        now = first + (last - first) / 2 if moment == "midway" else NOW
        assert await settled_at(s, campaign.id, reqs, now) == (moment == "now")
        fast = await data.report(s, Scope(campaign, None, now))

        async def never(*_: Any) -> bool:
            return False

        monkeypatch.setattr(data, "settled_at", never)
        slow = await data.report(s, Scope(campaign, None, now))
    assert _figures(fast) == _figures(slow)
    assert fast.nomination_figures == slow.nomination_figures
    assert fast.forms == slow.forms
    assert (fast.late_units, fast.overdue_units) == (slow.late_units, slow.overdue_units)
