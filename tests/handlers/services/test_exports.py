"""The /tinhhinh chart as an export job: queued in the message, drawn from its own session."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.io.chart import progress_chart
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.queries.stats import UnitFilter, requirement_stats
from handlers.services.exports import CHART_JOB, build_job, failed_reply, queue_charts
from storage.models import ExportJob
from storage.repositories.campaigns import CampaignRepository
from tests.harness import Clock

SF = async_sessionmaker[AsyncSession]
CODE = "BIMSON-DHTT-2019"
BLOCK = "Khối xã, phường"


async def _queue(sf: SF, now: dt.datetime, where: UnitFilter, subtitle: str | None) -> int:
    async with sf.begin() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        (job,) = await queue_charts(
            s, [(2, campaign)], now, where, subtitle, ChatKey("console", "noivu"), None
        )
        return job.id


@pytest.mark.usefixtures("demo")
async def test_a_chart_job_draws_the_filtered_figures(session_factory: SF, clock: Clock) -> None:
    where = UnitFilter(block=BLOCK)
    job_id = await _queue(session_factory, clock(), where, "Đang lọc: khối xã")
    async with session_factory() as s:
        job = await s.get_one(ExportJob, job_id)
        assert (job.kind, job.fmt, job.status, job.unit_id) == (CHART_JOB, "png", "pending", None)
        reply = await build_job(s, Texts(), job_id)
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        filtered = await requirement_stats(s, campaign, clock(), where)
        everyone = await requirement_stats(s, campaign, clock())
    assert [x.total for x in filtered] != [x.total for x in everyone]  # the filter matters
    assert reply.text == "" and reply.file is not None
    assert reply.file.name == "tinh-hinh-2.png" and reply.file.mime_type == "image/png"
    assert reply.file.data == progress_chart(filtered, subtitle="Đang lọc: khối xã")
    assert reply.file.data != progress_chart(everyone, subtitle="Đang lọc: khối xã")


@pytest.mark.usefixtures("demo")
async def test_a_chart_that_fails_is_announced_as_a_chart(
    session_factory: SF, clock: Clock
) -> None:
    job_id = await _queue(session_factory, clock(), UnitFilter(), None)
    async with session_factory() as s:
        job = await s.get_one(ExportJob, job_id)
    text = failed_reply(Texts(), job).text
    assert "Chưa vẽ được biểu đồ tình hình nộp" in text and "/xuat" not in text
