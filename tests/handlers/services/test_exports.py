"""The /tinhhinh chart as an export job: queued in the message, drawn from its own session."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import load_demo
from handlers.io.chart import progress_chart
from handlers.io.exports import tables, xlsx
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.queries import export_data as data
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.queries.stats import UnitFilter, requirement_stats
from handlers.services.exports import (
    CHART_JOB,
    build_export,
    build_job,
    failed_reply,
    queue_charts,
)
from storage.models import ExportJob, Nomination, SubjectKind
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
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


def _parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize(
    ("kind", "one_unit", "midway"),
    [
        (ExportKind.NOMINATIONS, False, False),
        (ExportKind.NOMINATIONS_ALL, False, False),
        (ExportKind.NOMINATIONS, True, False),
        (ExportKind.NOMINATIONS_ALL, False, True),
    ],
)
async def test_the_streamed_nominations_list_is_the_whole_table(
    session_factory: SF,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    kind: ExportKind,
    one_unit: bool,
    midway: bool,
) -> None:
    clock.set("2020-04-16T09:00")  # every nomination of the demo has been sent
    async with session_factory.begin() as s:
        await load_demo(s, clock())
    monkeypatch.setattr(data, "STREAM_UNITS", 3)  # several queries, several batches each
    monkeypatch.setattr(data, "STREAM_ROWS", 2)
    texts = Texts()
    async with session_factory() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        unit = (await UnitRepository(s).get_by_code("P-BACSON")) if one_unit else None
        now = clock()
        if midway:  # "tính đến" a moment some nominations were created after
            times = sorted(await s.scalars(select(Nomination.created_at)))
            now = times[len(times) // 2]
            assert times[0] <= now < times[-1]
        scope = Scope(campaign, unit, now)
        streamed = await build_export(s, texts, kind, ExportFormat.XLSX, scope)
        accepted_only = kind is ExportKind.NOMINATIONS and not one_unit
        rows = await data.nomination_rows(s, scope, accepted_only=accepted_only)
        batches = [
            b
            async for subject in _subjects()
            async for b in data.stream_nomination_rows(s, scope, subject)
        ]
    assert len(rows) >= (2 if one_unit else 5), len(rows)
    assert any(len(b) == 2 for b in batches)
    table = tables.nominations_table(texts, scope, rows, with_status=not accepted_only)
    whole = xlsx.workbook([table], created=scope.now)
    assert _parts(streamed.data) == _parts(whole)
    assert "P-BACSON" in streamed.name if one_unit else True


async def _subjects() -> AsyncIterator[SubjectKind]:
    for subject in (SubjectKind.INDIVIDUAL, SubjectKind.COLLECTIVE):
        yield subject
