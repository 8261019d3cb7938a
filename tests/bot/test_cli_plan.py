"""``tdkt plan extract``: a real subprocess on small .txt, .docx and .pdf plans made here."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from tests.cli import Ran, Tdkt
from tests.handlers.io.test_ocr import plan_png, scanned_pdf, with_ocr
from tests.handlers.io.test_plan_file import SAMPLE, blank_pdf, text_pdf

__all__ = ["with_ocr"]  # the fixture, imported

PLAN = (
    "UBND HUYỆN AN BÌNH\nSố: 16/KH-UBND\nAn Bình, ngày 26 tháng 6 năm 2019\n"
    "KẾ HOẠCH\nTổ chức Hội nghị điển hình tiên tiến\n"
    "Căn cứ Kế hoạch số 19/KH-UBND ngày 24/5/2019;\n"
    "1. Các xã gửi hồ sơ trước 16g30 ngày 15/11/2019.\n"
    "2. Hội nghị cấp huyện tổ chức trong quý I năm 2020.\n"
)


def tdkt(tmp_path: Path, *args: str, ocr: bool = True) -> Ran:
    # Without OCR no tool can be found: a scan has no text layer to read.
    env = None if ocr else {"PATH": str(tmp_path / "no-tools")}
    return Tdkt(tmp_path, env)("plan", "extract", *args, ok=False)


def test_txt_plan_as_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    proc = tdkt(tmp_path, str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["doc_date"] == "2019-06-26"
    assert out["doc_number"] == "16/KH-UBND"
    assert out["issuer"] == "UBND HUYỆN AN BÌNH"
    assert out["title"].startswith("KẾ HOẠCH")
    items = out["items"]
    assert [(i["due"], i["kind"]) for i in items] == [
        ("2019-11-15", "submit"),
        ("2020-Q1", "event"),
    ]
    assert items[0]["time"] == "16:30"
    for item in items:
        assert PLAN[item["span"][0] : item["span"][1]] == item["phrase"]


def test_doc_date_option_sets_the_missing_year(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("Các xã gửi hồ sơ trước ngày 10/4.", encoding="utf-8")
    out = json.loads(tdkt(tmp_path, str(path), "--doc-date", "2021-03-01", "--json").stdout)
    assert out["doc_date"] == "2021-03-01"
    assert [i["due"] for i in out["items"]] == ["2021-04-10"]


def test_docx_and_pdf(tmp_path: Path) -> None:
    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    document.save(str(tmp_path / "plan.docx"))
    out = json.loads(tdkt(tmp_path, str(tmp_path / "plan.docx"), "--json").stdout)
    assert [i["due"] for i in out["items"]] == ["2019-11-15", "2020-Q1"]
    pdf = text_pdf(tmp_path / "plan.pdf", SAMPLE)
    out = json.loads(tdkt(tmp_path, str(pdf), "--json").stdout)
    assert [i["due"] for i in out["items"]] == ["2019-11-15"]


def test_bad_input_is_one_vietnamese_line_and_status_1(tmp_path: Path) -> None:
    proc = tdkt(tmp_path, str(blank_pdf(tmp_path / "scan.pdf")), "--json", ocr=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert "không có lớp chữ" in proc.stderr and "Word" in proc.stderr
    (tmp_path / "bad.docx").write_bytes(b"junk")
    proc = tdkt(tmp_path, str(tmp_path / "bad.docx"))
    assert proc.returncode == 1
    assert "bị hỏng" in proc.stderr


@pytest.mark.usefixtures("with_ocr")
def test_a_photo_and_a_scan_are_read_by_ocr(tmp_path: Path) -> None:
    for path in (plan_png(tmp_path / "anh.png"), scanned_pdf(tmp_path / "ban-quet.pdf")):
        proc = tdkt(tmp_path, str(path), "--json")
        assert proc.returncode == 0, proc.stderr
        plan = json.loads(proc.stdout)
        assert plan["doc_date"] == "2019-11-01"
        assert [item["due"] for item in plan["items"]] == ["2019-11-25"]
    proc = tdkt(tmp_path, str(tmp_path / "anh.png"), ocr=False)
    assert proc.returncode == 1
    assert "không có lớp chữ" in proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    proc = tdkt(tmp_path, str(path), "--doc-date", "26/6/2019")
    assert proc.returncode == 2
    assert "YYYY-MM-DD" in proc.stderr
    assert tdkt(tmp_path).returncode == 2


def test_no_deadline_prints_no_items(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("Đề nghị các trường giới thiệu 01 giáo viên theo mẫu.", encoding="utf-8")
    proc = tdkt(tmp_path, str(path), "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["items"] == []
