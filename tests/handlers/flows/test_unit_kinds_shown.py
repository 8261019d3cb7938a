"""A deployment's own unit kinds are named by their labels wherever a kind is shown or offered,
and the secretariat's filtered overview keeps the line on the late units no reminder reaches."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.milestones import Milestone
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds, UnitKindSpec
from handlers.kernel.context import CoreDeps
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from handlers.services import intake, notices
from storage.files import LocalFileStore
from storage.models import Campaign, Unit
from tests.harness import ChatHarness, Clock, Jobs

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
KINDS = DEFAULT_UNIT_KINDS.with_overrides(
    [UnitKindSpec("xi_nghiep", "Xí nghiệp", ("xi nghiep thanh vien",))]
)


@pytest.fixture
async def plant(session_factory: SF) -> str:
    """One demo business becomes a «Xí nghiệp» (a kind only this deployment has)."""
    async with session_factory.begin() as s:
        unit = (await s.scalars(select(Unit).where(Unit.kind == "doanh_nghiep"))).first()
        assert unit is not None
        await s.execute(update(Unit).where(Unit.id == unit.id).values(kind="xi_nghiep"))
        return unit.name


def _noivu(
    session_factory: SF,
    clock: Clock,
    tmp_path: Path,
    jobs: Jobs,
    user: str = "noivu",
    kinds: UnitKinds = KINDS,
) -> ChatHarness:
    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(unit_kinds=kinds.labels),
        clock=clock,
        wake=jobs.wake,
        unit_kinds=kinds,
    )
    return ChatHarness(make_core(deps), user, jobs=jobs)


async def test_the_status_filter_names_the_kind_by_its_label(
    session_factory: SF, clock: Clock, tmp_path: Path, jobs: Jobs, plant: str
) -> None:
    noivu = _noivu(session_factory, clock, tmp_path, jobs)
    await noivu.send("/tinhhinh loai:xí nghiệp thành viên")
    assert "loại «Xí nghiệp»" in noivu.text and "xi_nghiep" not in noivu.text
    await noivu.send("/tinhhinh loai:khong co")
    assert "Xí nghiệp (1 đơn vị)" in noivu.buttons, noivu.buttons


async def test_intake_and_broadcasts_offer_and_name_the_kind(
    session_factory: SF, plant: str
) -> None:
    async with session_factory() as s:
        counts = await intake.unit_kind_counts(s, KINDS)
        assert counts["xi_nghiep"] == 1
        assert list(counts)[-1] == "xi_nghiep"  # after the built-in kinds, in vocabulary order
        label = await notices.audience_label(
            s, Texts(), {"kind": "unit_kind", "value": "xi_nghiep"}, KINDS
        )
    assert "Xí nghiệp" in label and "xi_nghiep" not in label


async def test_a_filtered_overview_keeps_the_unreachable_late_units_it_covers(
    session_factory: SF, clock: Clock, tmp_path: Path, jobs: Jobs, plant: str
) -> None:
    clock.set("2019-11-20T09:00")  # the plans were due on 15/11
    noivu = _noivu(session_factory, clock, tmp_path, jobs)
    await noivu.send("/tinhhinh")
    everyone = re.search(r"(\d+) đơn vị quá hạn không nhận được tin nhắc", noivu.text)
    assert everyone, noivu.text
    await noivu.send("/tinhhinh khoi:xa phuong")
    communes = re.search(r"(\d+) đơn vị quá hạn không nhận được tin nhắc", noivu.text)
    assert communes, noivu.text
    assert 0 < int(communes.group(1)) < int(everyone.group(1))
    assert plant not in noivu.text.split("không nhận được tin nhắc")[1]


def test_milestones_and_requirements_name_the_deployments_kinds_by_label() -> None:
    texts = Texts(unit_kinds=KINDS.labels)
    milestone = Milestone(
        "Hội nghị", dt.date(2020, 3, 1), unit_kinds=("xi_nghiep",), requirement_id=1
    )
    assert texts("common.organisers", m=milestone) == "Xí nghiệp"
    built_in = Milestone("Hội nghị", dt.date(2020, 3, 1), unit_kinds=("xa_phuong",))
    assert texts("common.organisers", m=built_in) == DEFAULT_UNIT_KINDS.labels["xa_phuong"]
    req = SimpleNamespace(unit_codes=[], unit_kinds=["xi_nghiep"], unit_blocks=["Cụm 1"])
    assert texts("noidung.who", req=req) == "các đơn vị loại Xí nghiệp thuộc Cụm 1"
    change = {"unit_codes": [], "unit_kinds": ["xi_nghiep", "xa_phuong"]}
    assert texts("noidung.value_text", field="who", values=change) == (
        "các đơn vị loại Xí nghiệp, Xã/phường"
    )


async def test_delegate_rules_may_name_the_offices_own_kind(
    session_factory: SF, clock: Clock, tmp_path: Path, jobs: Jobs
) -> None:
    async with session_factory.begin() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        settings = dict(campaign.settings or {})
        settings["delegates"] = {"plenary": {"unit_kinds": ["xi_nghiep"]}}  # as stored
        campaign.settings = settings
    office = _noivu(session_factory, clock, tmp_path, jobs, "badinh")
    await office.send("/daibieu")
    assert "có lỗi" not in office.text and "Đại biểu" in office.text, office.text
    built_in = _noivu(session_factory, clock, tmp_path, jobs, "badinh", DEFAULT_UNIT_KINDS)
    await built_in.send("/daibieu")
    assert "Thiết lập đại biểu của kế hoạch" in built_in.text and "có lỗi" in built_in.text
