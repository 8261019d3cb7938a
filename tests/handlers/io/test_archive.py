"""The ZIP of accepted files: a folder per unit and requirement, Vietnamese names, an index."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import openpyxl
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.io.exports.archive import safe_name
from handlers.kernel.dispatcher import Core
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import build_export
from storage.models import Submission, SubmissionStatus
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
from tests.harness import ChatHarness
from tests.samples import pdf_bytes

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]
PLAN = "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị"


async def _send_plan(chat: Chat, name: str, data: bytes) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.send("1")
    await badinh.upload(name, data)
    await badinh.press("Xác nhận gửi")
    assert "Đã lưu" in badinh.text


async def _zip(sf: SF, core: Core, unit: str | None = None) -> zipfile.ZipFile:
    async with sf() as s:
        campaign = await CampaignRepository(s).get_by_code("BIMSON-DHTT-2019")
        assert campaign is not None
        scoped = await UnitRepository(s).get_by_code(unit) if unit else None
        file = await build_export(
            s,
            core.deps.texts,
            ExportKind.FILES,
            ExportFormat.ZIP,
            Scope(campaign, scoped, core.deps.clock()),
            files=core.deps.files,
        )
    assert file.name == "tep-da-tiep-nhan-BIMSON-DHTT-2019" + (f"-{unit}" if unit else "") + ".zip"
    return zipfile.ZipFile(io.BytesIO(file.data))


async def test_accepted_files_by_unit_and_requirement_with_an_index(
    chat: Chat, demo: None, core: Core, session_factory: SF
) -> None:
    data = pdf_bytes("ke hoach Ba Dinh")
    await _send_plan(chat, "Kế hoạch: Ba Đình/2019.pdf", data)
    archive = await _zip(session_factory, core)
    assert archive.namelist() == ["Mục lục.xlsx"]  # sent, not yet accepted

    async with session_factory.begin() as s:
        await s.execute(
            update(Submission)
            .where(Submission.file_id.is_not(None))
            .values(status=SubmissionStatus.ACCEPTED)
        )
    archive = await _zip(session_factory, core)
    path = f"Phường Ba Đình/{PLAN}/Kế hoạch- Ba Đình_2019.pdf"  # "/" went at the boundary
    assert sorted(archive.namelist()) == sorted(["Mục lục.xlsx", path])
    assert archive.read(path) == data
    assert archive.getinfo(path).flag_bits & 0x800  # the name is marked UTF-8
    index = openpyxl.load_workbook(io.BytesIO(archive.read("Mục lục.xlsx"))).active
    rows = [r for r in index.iter_rows(min_row=5, values_only=True) if r[0] == 1]
    assert rows == [(1, "Phường Ba Đình", PLAN, "Kế hoạch: Ba Đình_2019.pdf", rows[0][4], path)]

    mine = await _zip(session_factory, core, "P-BADINH")
    assert path in mine.namelist()
    other = await _zip(session_factory, core, "P-BACSON")
    assert other.namelist() == ["Mục lục.xlsx"]


def test_safe_names() -> None:
    assert safe_name('a/b\\c:d*e?f"g<h>i|j') == "a-b-c-d-e-f-g-h-i-j"
    assert safe_name("  ..  ") == "tep"
    long = "Kế hoạch " * 20 + ".pdf"
    assert len(safe_name(long)) <= 80 and safe_name(long).endswith(".pdf")
