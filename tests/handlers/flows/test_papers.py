"""/vanban: the secretariat sets the campaign's signature block, a unit head the unit's signer."""

from __future__ import annotations

import io
from collections.abc import Callable

import docx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kernel.texts import Texts
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import build_export
from storage.models import AuditLog, Campaign, Unit
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
CODE = "BIMSON-DHTT-2019"


async def _campaign(sf: SF) -> Campaign:
    async with sf() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        return campaign


async def _unit(sf: SF, code: str) -> Unit:
    async with sf() as s:
        unit = await UnitRepository(s).get_by_code(code)
        assert unit is not None
        return unit


async def _audits(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def _docx_text(sf: SF, clock: Clock, kind: ExportKind, unit: str | None = None) -> str:
    async with sf() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        scoped = await UnitRepository(s).get_by_code(unit) if unit else None
        file = await build_export(
            s, Texts(), kind, ExportFormat.DOCX, Scope(campaign, scoped, clock())
        )
    document = docx.Document(io.BytesIO(file.data))
    cells = [
        p.text for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs
    ]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def _set(user: ChatHarness, label: str, value: str) -> None:
    await user.press(label)
    await user.send(value)


async def test_secretariat_sets_the_signature_block(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    await noivu.send("/vanban")
    assert "Thể thức văn bản xuất" in noivu.text and "mặc định" in noivu.text
    await noivu.press("Thẩm quyền ký")
    assert "KT. Chủ tịch" in noivu.text  # the example
    await noivu.send("KT.  Chủ tịch")
    assert "Đã lưu «Thẩm quyền ký (TM./KT.)»" in noivu.text
    await _set(noivu, "Chức vụ người ký", "Phó Chủ tịch")
    await _set(noivu, "Họ tên người ký", "Nguyễn Văn Bình")
    await _set(noivu, "Nơi nhận", "- Hội đồng TĐKT tỉnh (b/c)\n- Lưu: VT, NV.")
    await _set(noivu, "Số Tờ trình", "45/TTr-UBND")
    await noivu.press("Ngày Tờ trình")
    await noivu.send("31/02/2019")  # no such day: refused, the question again
    assert "Nội dung chưa hợp lệ" in noivu.text and "Ngày Tờ trình" in noivu.text
    await noivu.send("5/12/2019")
    assert "<b>05/12/2019</b>" in noivu.replies[-1].text
    await noivu.press("Xong")
    assert "Đã xong" in noivu.text

    export = (await _campaign(session_factory)).settings["export"]
    assert export == {
        "signer_for": "KT. Chủ tịch",
        "signer_title": "Phó Chủ tịch",
        "signer_name": "Nguyễn Văn Bình",
        "recipients": ["Hội đồng TĐKT tỉnh (b/c)", "Lưu: VT, NV."],
        "proposal_number": "45/TTr-UBND",
        "proposal_date": "05/12/2019",
    }
    audits = await _audits(session_factory, "campaign.papers")
    assert [a.detail["key"] for a in audits] == list(export)
    proposal = await _docx_text(session_factory, clock, ExportKind.PROPOSAL)
    assert "Số: 45/TTr-UBND" in proposal and "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in proposal
    assert "Nguyễn Văn Bình" in proposal and "- Lưu: VT, NV." in proposal

    # "-" clears a value: back to the default.
    await noivu.send("/vanban")
    await _set(noivu, "Số Tờ trình", "-")
    assert "proposal_number" not in (await _campaign(session_factory)).settings["export"]
    assert "Số:        /TTr-UBND" in await _docx_text(session_factory, clock, ExportKind.PROPOSAL)


async def test_a_value_that_breaks_the_rules_changes_nothing(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/vanban")
    await noivu.press("Họ tên người ký")
    await noivu.send("A" * 501)
    assert "quá dài" in noivu.text
    assert "export" not in (await _campaign(session_factory)).settings
    assert not await _audits(session_factory, "campaign.papers")


async def test_unit_head_sets_the_units_signer_once(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    badinh = chat("badinh")
    await badinh.send("/vanban")
    assert "Người ký văn bản của Phường Ba Đình" in badinh.text
    assert not any("Số Tờ trình" in b or "Nơi nhận" in b for b in badinh.buttons)
    await badinh.press("Chức vụ người ký")
    await badinh.send("B" * 201)  # longer than the column: refused
    assert "quá dài" in badinh.text
    await badinh.send("Chủ tịch UBND phường")
    await _set(badinh, "Họ tên người ký", "Lê Thị Hoa")
    unit = await _unit(session_factory, "P-BADINH")
    assert (unit.signer_title, unit.signer_name) == ("Chủ tịch UBND phường", "Lê Thị Hoa")
    assert len(await _audits(session_factory, "unit.papers")) == 2
    own = await _docx_text(session_factory, clock, ExportKind.PROGRESS, "P-BADINH")
    assert "CHỦ TỊCH UBND PHƯỜNG" in own and "Lê Thị Hoa" in own
    other = await _docx_text(session_factory, clock, ExportKind.PROGRESS, "P-BACSON")
    assert "Lê Thị Hoa" not in other and "THỦ TRƯỞNG ĐƠN VỊ" in other

    # Forged: a unit head pressing a campaign key is refused.
    await badinh.send("/vanban")
    await badinh.press_data("vanban.key:proposal_number")
    assert "hết hiệu lực" in badinh.text or "chọn một" in badinh.text
