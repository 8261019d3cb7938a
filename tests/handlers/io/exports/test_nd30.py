"""The signature block and the Tờ trình's number (handlers/io/exports/nd30.py), as printed.

The secretariat sets the signature per campaign (``settings.export``: signer_for, signer_title,
signer_name, organ, place, recipients) and the Tờ trình's number and date once; a unit's own
export signs for the unit with its head's position and name. Each document is read back with
python-docx and printed through LibreOffice (pdftotext per page).
"""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.io.exports.nd30 import proposal_reference
from handlers.kernel.texts import Texts
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import build_export
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
from tests.harness import TZ, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
CODE = "BIMSON-DHTT-2019"

EXPORT = {
    "organ": "Ủy ban nhân dân thị xã Bỉm Sơn",
    "place": "Bỉm Sơn",
    "signer_for": "KT. Chủ tịch",
    "signer_title": "Phó Chủ tịch",
    "signer_name": "Nguyễn Văn Bình",
    "recipients": ["Hội đồng TĐKT tỉnh (b/c)", "Lưu: VT, NV."],
    "proposal_number": "45/TTr-UBND",
    "proposal_date": "05/12/2019",
}


@pytest.fixture
def clock() -> Clock:
    """20/04/2020 09:00: every demo record is loaded."""
    return Clock(parse_now("2020-04-20T09:00", TZ))


async def _configure(sf: SF) -> None:
    async with sf.begin() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        unit = await UnitRepository(s).get_by_code("P-BACSON")
        assert campaign is not None and unit is not None
        campaign.settings = {**(campaign.settings or {}), "export": EXPORT}
        unit.signer_title, unit.signer_name = "Chủ tịch UBND phường", "Lê Thị Hoa"


async def _export(sf: SF, clock: Clock, kind: ExportKind, unit: str | None = None) -> bytes:
    async with sf() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        scoped = await UnitRepository(s).get_by_code(unit) if unit else None
        file = await build_export(
            s, Texts(), kind, ExportFormat.DOCX, Scope(campaign, scoped, clock())
        )
    return file.data


def _cells(document: Any) -> list[str]:
    return [p.text for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs]


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in document.paragraphs] + _cells(document))


def test_proposal_reference_reads_the_settings() -> None:
    assert proposal_reference({"export": EXPORT})[0] == "45/TTr-UBND"
    assert str(proposal_reference({"export": EXPORT})[1]) == "2019-12-05"
    assert proposal_reference({}) == (None, None)
    assert proposal_reference({"export": {"proposal_date": "31/02/2019"}}) == (None, None)


async def test_the_signature_block_is_the_campaigns_and_the_units(
    session_factory: SF, clock: Clock
) -> None:
    before = _text(await _export(session_factory, clock, ExportKind.PROPOSAL))
    assert "Số:        /TTr-UBND" in before and "THỦ TRƯỞNG CƠ QUAN" in before
    await _configure(session_factory)

    proposal = _text(await _export(session_factory, clock, ExportKind.PROPOSAL))
    assert "Số: 45/TTr-UBND" in proposal
    assert "Bỉm Sơn, ngày 05 tháng 12 năm 2019" in proposal  # the Tờ trình's own date
    assert "ỦY BAN NHÂN DÂN THỊ XÃ BỈM SƠN" in proposal
    lines = proposal.splitlines()
    at = lines.index("KT. CHỦ TỊCH")
    assert lines[at + 1] == "PHÓ CHỦ TỊCH" and "Nguyễn Văn Bình" in lines[at + 2 :]
    assert "- Hội đồng TĐKT tỉnh (b/c)" in lines and "- Lưu: VT, NV." in lines
    # The attached trích ngang names the Tờ trình it goes with.
    assert "(Kèm theo Tờ trình số 45/TTr-UBND ngày 5 tháng 12 năm 2019" in proposal

    # The standalone list: the campaign's signature, not attached to any Tờ trình.
    standalone = _text(await _export(session_factory, clock, ExportKind.NOMINATIONS))
    assert "Tờ trình" not in standalone and "KT. CHỦ TỊCH" in standalone

    # A unit's own export signs for the unit, with its head's position and name.
    own = _text(await _export(session_factory, clock, ExportKind.REPORT, "P-BACSON"))
    assert "CHỦ TỊCH UBND PHƯỜNG" in own and "Lê Thị Hoa" in own
    assert "Nguyễn Văn Bình" not in own and "KT. CHỦ TỊCH" not in own


async def test_the_signed_papers_print(session_factory: SF, clock: Clock, tmp_path: Path) -> None:
    assert shutil.which("soffice") and shutil.which("pdftotext"), "run `make system-deps`"
    await _configure(session_factory)
    files = {
        "proposal": await _export(session_factory, clock, ExportKind.PROPOSAL),
        "own": await _export(session_factory, clock, ExportKind.NOMINATIONS, "P-BACSON"),
    }
    for name, data in files.items():
        (tmp_path / f"{name}.docx").write_bytes(data)
    await asyncio.to_thread(
        subprocess.run,
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(tmp_path / f"{name}.docx") for name in files),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    pages: dict[str, list[str]] = {}
    for name in files:
        out = await asyncio.to_thread(
            subprocess.run,
            ["pdftotext", "-layout", str(tmp_path / f"{name}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        pages[name] = [p for p in out.stdout.split("\f") if p.strip()]
    proposal = pages["proposal"]
    assert "Số: 45/TTr-UBND" in proposal[0]
    signed = next(p for p in proposal if "KT. CHỦ TỊCH" in p)
    assert "PHÓ CHỦ TỊCH" in signed and "Nguyễn Văn Bình" in signed  # one page, not split
    annex = next(p for p in proposal if "STT" in p)
    assert "Kèm theo Tờ trình số 45/TTr-UBND" in annex
    own = pages["own"]
    assert "STT" in own[0]  # the table starts under its title
    assert "CHỦ TỊCH UBND PHƯỜNG" in own[-1] and "Lê Thị Hoa" in own[-1]
