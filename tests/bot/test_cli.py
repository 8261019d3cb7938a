"""The ``tdkt`` command line on a SQLite file of its own (in process: ``tests/cli.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from handlers.services.invites import ALPHABET

NOW = "2019-11-12T09:00"


def _requirement(status: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in status["requirements"] if r["code"] == code)


def test_demo_status_chat_and_invite(tdkt: Any) -> None:
    assert "Bỉm Sơn" in tdkt("init", "--demo").stdout
    assert "đã có sẵn" in tdkt("init", "--demo").stdout  # idempotent

    status = json.loads(
        tdkt("status", "--campaign", "BIMSON-DHTT-2019", "--now", NOW, "--json").stdout
    )
    plan = _requirement(status, "KEHOACH")
    assert plan["due"] == "15/11/2019" and plan["days_left"] == 3
    assert "P-BADINH" in {u["code"] for u in plan["missing"]}
    submitted_before = plan["submitted_count"]

    chat = tdkt(
        "chat",
        "--as",
        "badinh",
        "--now",
        NOW,
        stdin="/nop\n1\nKế hoạch tổ chức Hội nghị điển hình tiên tiến phường Ba Đình\n1\n",
    )
    assert "[1] ✅ Xác nhận gửi" in chat.stdout
    assert "Đã lưu Kế hoạch" in chat.stdout

    status = json.loads(
        tdkt("status", "--campaign", "BIMSON-DHTT-2019", "--now", NOW, "--json").stdout
    )
    plan = _requirement(status, "KEHOACH")
    assert plan["submitted_count"] == submitted_before + 1
    assert "P-BADINH" in {u["code"] for u in plan["submitted"]}

    invite = tdkt("invite", "create", "--role", "unit_head", "--unit", "Phường Bắc Sơn")
    code = invite.stdout.strip().splitlines()[-1]
    assert re.fullmatch(f"[{ALPHABET}]{{10}}", code)
    linked = tdkt("chat", "--as", "bacson", "--now", NOW, stdin=f"/start {code}\n/tinhhinh\n")
    assert "Phường Bắc Sơn — các nội dung phải nộp" in linked.stdout
    again = tdkt("chat", "--as", "intruder", stdin=f"/start {code}\n/tinhhinh\n")
    assert "đã được sử dụng" in again.stdout and "Bắc Sơn" not in again.stdout


def test_console_files_and_switching_account(tdkt: Any, tmp_path: Path) -> None:
    tdkt("init", "--demo")
    plan = tmp_path / "ke-hoach.pdf"
    plan.write_bytes(b"%PDF-1.4 ke hoach ba dinh")
    out = tdkt(
        "chat",
        "--as",
        "badinh",
        "--now",
        NOW,
        stdin=f"/nop\n1\n/tep {plan}\n1\n/tep /khong/co.pdf\n/as noivu\n/chuanop\n",
    ).stdout
    assert "ke-hoach.pdf" in out and "Đã lưu" in out
    assert "Không tìm thấy tệp" in out
    assert "Ai chưa nộp?" in out
    stored = list((tmp_path / "data" / "files").rglob("*"))
    assert any(p.is_file() and p.read_bytes() == plan.read_bytes() for p in stored)


def test_bad_files_for_cli_get_vietnamese_errors(tdkt: Any, tmp_path: Path) -> None:
    tdkt("init")
    bad_units = tmp_path / "units.csv"
    bad_units.write_text("Mã,Tên đơn vị,Loại\nP-1,Phường Một,Phường\nP-2,,Không biết\n", "utf-8")
    proc = tdkt("units", "import", str(bad_units), ok=False)
    assert proc.returncode == 1 and "Dòng 3" in proc.stderr
    bad_campaign = tmp_path / "c.yaml"
    bad_campaign.write_text("code: X\ntitle: T\nrequirements:\n  - code: A\n    kind: plan\n")
    proc = tdkt("campaign", "load", str(bad_campaign), ok=False)
    assert proc.returncode == 1 and proc.stderr.strip()
    proc = tdkt("invite", "create", "--role", "unit_head", "--unit", "Không Có", ok=False)
    assert "Không tìm thấy đơn vị" in proc.stderr


def test_status_text_and_unknown_campaign(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", NOW)  # the demo as it stood on 12/11/2019
    text = tdkt("status", "--now", NOW).stdout
    assert (
        "15/11/2019  Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị: 12/21 đã nộp"
        in text
    )
    proc = tdkt("status", "--campaign", "KHONG-CO", "--json", ok=False)
    assert proc.returncode == 1 and "Không có kế hoạch mã «KHONG-CO»" in proc.stderr


def test_reminders_preview_names_who_gets_what(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", NOW)
    items = json.loads(tdkt("reminders", "preview", "--now", NOW, "--json").stdout)
    by_kind = {item["kind"]: item for item in items}
    reminder = by_kind["reminder"]
    assert reminder["unit"] == "Phường Ba Đình" and reminder["slot"] == "b3"
    assert reminder["recipient"]["chat_id"] == "badinh" and not reminder["already_sent"]
    assert "trước ngày 15/11/2019, còn 3 ngày" in reminder["text"]
    assert by_kind["digest"]["recipient"]["chat_id"] == "noivu"
    text = tdkt("reminders", "preview", "--now", NOW).stdout
    assert "[sẽ gửi]" in text and "Tổng: 2 tin, 2 chưa gửi." in text
    assert "(trước hạn 3 ngày)" in text and "(b3)" not in text  # words, not slot codes
    quiet = tdkt("reminders", "preview", "--now", "2019-11-13T21:00").stdout
    assert "Không có tin nhắc nào" in quiet  # no plan slot on 13/11; 08:00's digest too old


def test_stats_rebuild(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", NOW)
    assert "Đã tính lại số liệu tình hình: " in tdkt("stats", "rebuild").stdout
    assert (
        "cặp nội dung – đơn vị"
        in tdkt("stats", "rebuild", "--campaign", "BIMSON-DHTT-2019").stdout
    )
    proc = tdkt("stats", "rebuild", "--campaign", "KHONG-CO", ok=False)
    assert proc.returncode == 1 and "Không có kế hoạch mã «KHONG-CO»" in proc.stderr
    text = tdkt("status", "--now", NOW).stdout
    assert "12/21 đã nộp" in text
