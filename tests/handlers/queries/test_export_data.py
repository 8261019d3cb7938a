"""The export figures (handlers.queries.export_data) against the reference, and where they show.

The report and the progress table count through the status SQL (handlers.queries.stats); here
they are checked against ``campaign_progress`` (marks in Python) and plain counts over the rows,
for every unit and for single units, at two moments. Also: the forms come in the catalogue's
order, times show in the campaign's timezone, and the chart's words come from the templates.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.domain.progress import Mark, RequirementProgress, Standing, UnitMark
from handlers.io.chart import progress_chart
from handlers.kernel.texts import Texts
from handlers.queries import export_data as data
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import requirement_stats
from handlers.services.exports import build_export
from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationStatus,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
from tests.harness import TZ, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
CODE = "BIMSON-DHTT-2019"


@pytest.fixture
def clock() -> Clock:
    """20/04/2020 09:00: every demo record is loaded."""
    return Clock(parse_now("2020-04-20T09:00", TZ))


async def _campaign(s: AsyncSession) -> Campaign:
    campaign = await CampaignRepository(s).get_by_code(CODE)
    assert campaign is not None
    return campaign


def _ids(marks: Iterable[Standing[Any]]) -> list[tuple[Any, ...]]:
    return [(m.unit.id, m.mark, m.at, m.late) for m in marks]


def _check(figures: data.RequirementFigures, reference: RequirementProgress) -> None:
    assert figures.requirement.id == reference.requirement.id
    assert figures.days_left == reference.days_left
    assert (figures.total, figures.done) == (len(reference.marks), len(reference.done))
    assert _ids(figures.on_time) == _ids([m for m in reference.done if not m.late])
    assert _ids(figures.late) == _ids([m for m in reference.done if m.late])
    assert _ids(figures.owing) == _ids(reference.missing)
    assert [(m.parts_done, m.reason, m.count) for m in figures.standings] == [
        (m.parts_done, m.reason, m.count) for m in reference.marks
    ]


async def _as_it_stood(s: AsyncSession, now: dt.datetime) -> None:
    """Turn the data back to how it stood at ``now`` (flushed, never committed).

    What was sent after ``now`` goes, the version current then is current again, and a review
    (or a withdrawal of a nomination) after ``now`` is undone: the reference of "tính đến".
    """
    await s.execute(delete(Submission).where(Submission.submitted_at > now))
    await s.execute(delete(Nomination).where(Nomination.created_at > now))
    await s.execute(
        update(Submission)
        .where(Submission.reviewed_at > now)
        .values(status=SubmissionStatus.SUBMITTED, reviewed_at=None, return_reason=None)
    )
    await s.execute(
        update(Nomination)
        .where(Nomination.updated_at > now)
        .values(status=NominationStatus.SUBMITTED)
    )
    newest: dict[tuple[int, int, str], int] = {}
    for sub in await s.scalars(select(Submission)):
        key = (sub.unit_id, sub.requirement_id, sub.part)
        newest[key] = max(newest.get(key, 0), sub.version)
    for sub in await s.scalars(select(Submission)):
        sub.is_current = sub.version == newest[(sub.unit_id, sub.requirement_id, sub.part)]
    await s.flush()


@pytest.mark.parametrize("moment", ["2019-11-16T09:00", "2020-03-25T09:00", "2020-04-20T09:00"])
async def test_report_figures_equal_the_reference(session_factory: SF, moment: str) -> None:
    # Every demo record is loaded (up to 20/04/2020); a report "tính đến" an earlier moment
    # counts only what existed then, like the reference computed on the data as it stood.
    now = parse_now(moment, TZ)
    async with session_factory() as s:
        campaign = await _campaign(s)
        units = await UnitRepository(s).list_all()
        scopes = [Scope(campaign, unit, now) for unit in [None, *units[::5]]]
        reports = [await data.report(s, scope) for scope in scopes]
        progresses = [await data.progress(s, scope) for scope in scopes]
        await _as_it_stood(s, now)
        for scope, report, progress in zip(scopes, reports, progresses, strict=True):
            unit = scope.unit
            scoped = [unit] if unit else units
            reference = await campaign_progress(s, campaign, now, scoped)
            assert len(report.requirements) == len(reference)
            for figures, ref in zip(report.requirements, reference, strict=True):
                _check(figures, ref)
            late = {m.unit.id for p in reference for m in p.done if m.late}
            overdue = {m.unit.id for p in reference if p.days_left < 0 for m in p.missing}
            assert [u.id for u in report.late_units] == [u.id for u in scoped if u.id in late]
            assert [u.id for u in report.overdue_units] == [
                u.id for u in scoped if u.id in overdue
            ]
            assert [u.id for u in progress.units] == [u.id for u in scoped]
            assert [f.stats for f in progress.items] == [f.stats for f in report.requirements]

            ids = {u.id for u in scoped}
            rows = [
                n
                for n in await s.scalars(
                    select(Nomination).where(Nomination.campaign_id == campaign.id)
                )
                if n.unit_id in ids and n.status is not NominationStatus.WITHDRAWN
            ]
            counted = [n for n in rows if n.status is not NominationStatus.RETURNED]
            subjects = Counter(n.subject.value for n in counted)
            assert (report.individuals, report.collectives) == (
                subjects["ca_nhan"],
                subjects["tap_the"],
            )
            assert report.nominations == len(counted)
            assert report.returned_nominations == len(rows) - len(counted)
            assert report.nominating_units == len({n.unit_id for n in counted})
            forms = Counter((n.award_code, n.subject.value) for n in counted)
            assert {(f.code, f.subject): f.count for f in report.forms} == dict(forms)
            listed = await data.nomination_rows(s, scope)
            assert sorted(r.nomination.id for r in listed) == sorted(n.id for n in rows)
        await s.rollback()


async def test_forms_come_in_the_catalogue_order(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        # A code the catalogue no longer has is listed after every form of the catalogue.
        first = await s.scalar(
            select(Nomination)
            .where(Nomination.status == NominationStatus.SUBMITTED)
            .order_by(Nomination.id)
        )
        assert first is not None
        first.award_code, first.award_name = "CU", "Bằng khen cũ"
    async with session_factory() as s:
        campaign = await _campaign(s)
        report = await data.report(s, Scope(campaign, None, clock()))
        catalogue = list(
            await s.scalars(
                select(AwardForm.code)
                .where(AwardForm.campaign_id == campaign.id)
                .order_by(AwardForm.position, AwardForm.id)
            )
        )
    codes = [f.code for f in report.forms]
    assert codes[-1] == "CU" and report.forms[-1].rank == len(catalogue)
    assert codes[:-1] == [c for c in catalogue if c in codes]
    assert [f.rank for f in report.forms] == sorted(f.rank for f in report.forms)


async def test_exports_show_times_in_the_campaigns_timezone(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await s.execute(
            update(Campaign).where(Campaign.code == CODE).values(timezone="Europe/Paris")
        )
    async with session_factory() as s:
        campaign = await _campaign(s)
        scope = Scope(campaign, None, clock())  # 09:00 in Bỉm Sơn is 04:00 in Paris
        file = await build_export(s, Texts(), ExportKind.PROGRESS, ExportFormat.XLSX, scope)
    sheet = openpyxl.load_workbook(io.BytesIO(file.data)).active
    assert sheet["A3"].value == "Tính đến 20/04/2020 04:00"
    assert sheet.oddFooter.center.text == "Trang &P/&N"


async def test_chart_words_come_from_the_templates(
    session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    async with session_factory() as s:
        stats = await requirement_stats(s, await _campaign(s), clock())
    (tmp_path / "chart.j2").write_text(
        "{% macro title(today) %}Tiến độ{% endmacro %}\n"
        "{% macro segments() %}\nA\nB\nC\n{% endmacro %}\n"
        "{% macro empty() %}Trống{% endmacro %}\n",
        encoding="utf-8",
    )
    default = progress_chart(stats)
    assert progress_chart(stats, texts=Texts()) == default
    assert progress_chart(stats, texts=Texts(tmp_path)) != default


def test_one_standing_type_for_both_sources() -> None:
    unit = Unit(id=1, code="X", name="X", kind="khac")
    mark = UnitMark(unit, Mark.ACCEPTED)
    assert isinstance(mark, Standing) and mark.done
    assert not UnitMark(unit, Mark.RETURNED).done


async def test_only_near_deadlines_are_sap_den_han_in_the_report(
    session_factory: SF, demo: None
) -> None:
    at = parse_now("2019-11-12T09:00", TZ)  # plans due in 3 days; the rest 4–5 months away
    async with session_factory() as s:
        campaign = await CampaignRepository(s).get_by_code("BIMSON-DHTT-2019")
        assert campaign is not None
        file = await build_export(
            s, Texts(), ExportKind.REPORT, ExportFormat.DOCX, Scope(campaign, None, at)
        )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(file.data)).paragraphs)
    urged = [line for line in text.splitlines() if "Sắp đến hạn" in line]
    assert len(urged) == 1 and "còn 3 ngày" in urged[0]
    assert "nội dung khác có hạn từ 15/04/2020 trở đi" in text  # events are milestones
