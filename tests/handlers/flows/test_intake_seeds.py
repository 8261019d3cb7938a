"""The issue's "done when": from the seed 004 (OCR text) and seed 002 documents to running
campaigns in the chat, without touching YAML (handlers/flows/intake.py and intake_items.py).

The seeds are read in place from the shared folder beside the checkout (``TDKT_PLANS_DEV`` points
at ``../shared/plans-dev``; the seeds are in its sibling ``seeds``), never copied into the project.
In CI (``CI`` or ``TDKT_PLANS_DEV`` set) a missing folder fails; elsewhere the tests skip.

Each document is sent as a file through /kehoach, every proposal accepted, one item narrowed to
a block of units, the campaign created; then a unit of that block sees the item in /tinhhinh and
a unit of another block does not; /kehoach lists the new campaign as running and opens it, and
the status report without a campaign (``tdkt status --json``) covers it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.queries.progress import status_report
from handlers.services.invites import ensure_account
from storage.models import Campaign, CampaignState, PlanDraft, Requirement, Role
from tests.harness import ChatHarness, Clock

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

ROOT = Path(__file__).resolve().parents[3]
DEV = Path(os.environ.get("TDKT_PLANS_DEV") or ROOT / ".." / "shared" / "plans-dev")
SEEDS = DEV / ".." / "seeds"
IN_CI = bool(os.environ.get("CI") or os.environ.get("TDKT_PLANS_DEV"))

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.skipif(not IN_CI and not SEEDS.is_dir(), reason="no ../shared/seeds here"),
]


def _seed(number: str) -> bytes:
    assert SEEDS.is_dir(), f"the seeds are missing: {SEEDS}"
    (path,) = SEEDS.glob(f"{number}_*.txt")
    return path.read_bytes()


async def _link_head(sf: SF, clock: Clock, handle: str, unit: str) -> None:
    async with sf.begin() as s:
        assert await ensure_account(
            s,
            channel="console",
            external_id=handle,
            full_name=f"Trưởng {unit}",
            role=Role.UNIT_HEAD,
            unit_code=unit,
            now=clock(),
        )


async def _open_item_by_due(h: ChatHarness, due: str) -> None:
    """Opens the first item whose due line reads ``due`` (paging through the list)."""
    for _ in range(10):
        lines = h.text.splitlines()
        for row, line in enumerate(lines):
            if f"Hạn: {due}" in line:
                number = lines[row - 1].split(".", 1)[0].strip()
                await h.press(f"Xem/sửa nội dung {number}")
                return
        assert "Trang sau ▶" in h.buttons, h.text
        await h.press("Trang sau ▶")
    raise AssertionError(f"no item due {due}")


async def _campaign_from(
    noivu: ChatHarness, name: str, data: bytes, *, due: str, block: str
) -> None:
    """Sends the plan, accepts everything, narrows the item due ``due`` to ``block``, creates."""
    await noivu.send("/kehoach")
    await noivu.press("Kế hoạch mới từ văn bản")
    await noivu.upload(name, data, mime="text/plain")
    assert "Nhận tất cả" in noivu.text or "Nhận tất cả" in " ".join(noivu.buttons)
    await noivu.press("Nhận tất cả")
    await _open_item_by_due(noivu, due)
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Theo khối thi đua")
    (label,) = [b for b in noivu.buttons if b.startswith(f"{block} (")]
    await noivu.press(label)
    assert f"Đơn vị thực hiện: {block}" in noivu.text
    await noivu.press("Quay lại danh sách")
    await noivu.press("Tạo kế hoạch")
    assert block in noivu.text
    await noivu.press("Tạo kế hoạch")
    assert "Đã tạo kế hoạch" in noivu.text
    await noivu.press("Không, để sau")


async def _created(sf: SF) -> tuple[Campaign, list[Requirement]]:
    async with sf() as s:
        draft = (await s.scalars(select(PlanDraft).order_by(PlanDraft.id.desc()).limit(1))).one()
        campaign = await s.get(Campaign, draft.campaign_id)
        assert campaign is not None
        reqs = list(
            await s.scalars(
                select(Requirement)
                .where(Requirement.campaign_id == campaign.id)
                .order_by(Requirement.position)
            )
        )
        return campaign, reqs


async def _check_units_see_it(
    chat: Chat, narrowed: Requirement, other: Requirement, inside: str, outside: str
) -> None:
    unit_in, unit_out = chat(inside), chat(outside)
    await unit_in.send("/tinhhinh")
    assert _listed(unit_in.text, narrowed)
    await unit_out.send("/tinhhinh")
    assert not _listed(unit_out.text, narrowed)
    assert _listed(unit_out.text, other)


def _listed(text: str, req: Requirement) -> bool:
    """Whether the unit's checklist has a line with the requirement's title and due.

    The due is its day, or the period it is written as ("quý I/2020", due its last day).
    """
    dues = [f"{req.due_date:%d/%m/%Y}", *([req.period_label] if req.period_label else [])]
    return any(
        req.title[:30] in line and any(due in line for due in dues) for line in text.splitlines()
    )


async def test_seed_004_ocr_text_to_a_running_campaign(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _link_head(session_factory, clock, "pgd", "CQ-PGDDT")
    noivu = chat("noivu")
    await _campaign_from(
        noivu, "ke-hoach-004.txt", _seed("004"), due="15/11/2019", block="Khối xã, phường"
    )
    campaign, reqs = await _created(session_factory)
    assert campaign.state is CampaignState.ACTIVE
    assert str(campaign.doc_date) == "2019-09-30"
    narrowed = next(r for r in reqs if r.unit_blocks)
    assert (str(narrowed.due_date), narrowed.unit_blocks) == ("2019-11-15", ["Khối xã, phường"])
    other = next(r for r in reqs if str(r.due_date) == "2020-04-15")
    assert not other.unit_blocks
    await _check_units_see_it(chat, narrowed, other, "badinh", "pgd")

    # /kehoach lists the campaigns with their state and opens one
    await noivu.send("/kehoach")
    assert f"{campaign.code} — " in noivu.text
    assert "BIMSON-DHTT-2019" in noivu.text
    await noivu.press(f"{campaign.code} (Đang thực hiện)")
    assert f"({campaign.code})" in noivu.text
    assert "Trạng thái: Đang thực hiện" in noivu.text

    # the status report without a campaign covers every running one
    async with session_factory() as s:
        report = await status_report(s, None, clock())
    codes = [item["campaign"]["code"] for item in report]
    assert {"BIMSON-DHTT-2019", campaign.code} <= set(codes)


async def test_seed_002_to_a_running_campaign(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _link_head(session_factory, clock, "pgd", "CQ-PGDDT")
    noivu = chat("noivu")
    await _campaign_from(
        noivu, "ke-hoach-002.txt", _seed("002"), due="quý I/2020", block="Khối xã, phường"
    )
    campaign, reqs = await _created(session_factory)
    assert campaign.state is CampaignState.ACTIVE
    assert campaign.doc_number is not None and "16" in campaign.doc_number
    narrowed = next(r for r in reqs if r.unit_blocks)
    assert (str(narrowed.due_date), narrowed.unit_blocks) == ("2020-03-31", ["Khối xã, phường"])
    other = next(r for r in reqs if str(r.due_date) == "2020-06-30")
    await _check_units_see_it(chat, narrowed, other, "badinh", "pgd")
    async with session_factory() as s:
        report = await status_report(s, None, clock())
    assert campaign.code in [item["campaign"]["code"] for item in report]
