"""OCR of a picture or a scanned PDF (handlers.io.ocr), through the plan file reader.

The pages are rendered here, at test time, from a short Vietnamese plan (Pillow with matplotlib's
DejaVu font, which has every Vietnamese letter). Tesseract with its Vietnamese data and poppler's
``pdftoppm`` are system tools (``make system-deps``): without them the OCR tests skip on a
developer's machine and FAIL under CI (env ``CI`` set). The path without them (the document has
no text layer: send the Word file) is tested by hiding the tools (an empty ``PATH``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import matplotlib
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from handlers.domain.errors import UserError
from handlers.domain.plan_reader import extract_plan
from handlers.io import ocr
from handlers.io.plan_file import read_plan_file

PLAN_LINES = (
    "UBND THỊ XÃ BỈM SƠN",
    "Số: 47/KH-UBND",
    "Bỉm Sơn, ngày 01 tháng 11 năm 2019",
    "",
    "KẾ HOẠCH",
    "Tổng kết công tác thi đua năm 2019",
    "",
    "1. Các phường, xã gửi báo cáo tổng kết",
    "trước ngày 25/11/2019.",
)


def page_image(lines: Sequence[str] = PLAN_LINES) -> Image.Image:
    """A white page with ``lines`` in black, as a scanner at about 150 dpi would see them."""
    font_file = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif.ttf"
    font = ImageFont.truetype(str(font_file), 40)
    image = Image.new("L", (1400, 60 * len(lines) + 120), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((80, 60 + 60 * row), line, font=font, fill=0)
    return image


def plan_png(path: Path) -> Path:
    """The plan as a photo (PNG)."""
    page_image().save(path)
    return path


def scanned_pdf(path: Path, pages: int = 1) -> Path:
    """The plan as a scanned PDF: pictures of pages, no text layer."""
    first, *rest = [page_image() for _ in range(pages)]
    first.save(path, save_all=True, append_images=rest, resolution=150)
    return path


def _unavailable(reason: str) -> NoReturn:
    message = f"{reason}: run `make system-deps` (apt-get install tesseract-ocr-vie poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(message)  # a missing OCR never passes silently in CI
    pytest.skip(message)


@pytest.fixture
def with_ocr() -> None:
    """Tesseract with Vietnamese and pdftoppm are installed (else skip, or fail in CI)."""
    if not ocr.ocr_available(pdf=True):
        _unavailable("no tesseract with Vietnamese data, or no pdftoppm")


@pytest.fixture
def without_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No OCR tool can be found (an empty PATH)."""
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not ocr.ocr_available()


def _refusal(path: Path) -> str:
    with pytest.raises(UserError) as info:
        read_plan_file(path)
    return info.value.key


@pytest.mark.usefixtures("with_ocr")
def test_a_photo_of_the_plan_is_read(tmp_path: Path) -> None:
    text = read_plan_file(plan_png(tmp_path / "anh.png"))
    plan = extract_plan(text)
    assert plan.doc_date == "2019-11-01"
    assert [(item.due, item.kind) for item in plan.items] == [("2019-11-25", "submit")]


@pytest.mark.usefixtures("with_ocr")
def test_a_scanned_pdf_is_read(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "ban-quet.pdf")
    assert not "".join(p.extract_text() or "" for p in PdfReader(path).pages).strip()
    plan = extract_plan(read_plan_file(path))
    assert [item.due for item in plan.items] == ["2019-11-25"]


@pytest.mark.usefixtures("with_ocr")
def test_ocr_refusals(tmp_path: Path) -> None:
    page_image(["", ""]).save(tmp_path / "trang.png")  # nothing written on it
    assert _refusal(tmp_path / "trang.png") == "plan_file_ocr_empty"
    (tmp_path / "hong.jpg").write_bytes(b"\xff\xd8 not a picture")
    assert _refusal(tmp_path / "hong.jpg") == "plan_file_ocr_failed"
    Image.new("L", (200, 280), 255).save(
        tmp_path / "dai.pdf",
        save_all=True,
        append_images=[Image.new("L", (200, 280), 255) for _ in range(ocr.OCR_PAGES)],
    )
    assert _refusal(tmp_path / "dai.pdf") == "plan_file_scan_too_long"


@pytest.mark.usefixtures("without_ocr")
def test_without_ocr_a_picture_or_a_scan_has_no_text_layer(tmp_path: Path) -> None:
    assert _refusal(plan_png(tmp_path / "anh.png")) == "plan_file_no_text"
    assert _refusal(scanned_pdf(tmp_path / "ban-quet.pdf")) == "plan_file_no_text"
    (tmp_path / "anh.heic").write_bytes(b"....ftypheic")
    assert _refusal(tmp_path / "anh.heic") == "plan_file_no_text"
