"""``tdkt campaign extend`` and ``tdkt campaign req edit|add|remove|show`` on the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import Tdkt

DEMO = "BIMSON-DHTT-2019"
NOW = "2019-11-12T09:00"


def test_cli_extend_for_one_unit_then_everyone(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", NOW)
    base = ("campaign", "extend", DEMO, "KEHOACH", "--now", NOW)
    past = tdkt(*base, "--to", "10/11/2019", "--reason", "Mưa bão", ok=False)
    assert past.returncode == 1 and "ngày này đã qua" in past.stderr
    bad = tdkt(*base, "--to", "31/02/2019", "--reason", "Mưa bão", ok=False)
    assert bad.returncode == 1 and "Không hiểu ngày" in bad.stderr
    unknown = tdkt(*base, "--to", "20/11/2019", "--units", "X", "--reason", "Mưa", ok=False)
    assert "Không có đơn vị mã X" in unknown.stderr
    one = tdkt(*base, "--to", "20/11/2019", "--units", "P-BADINH", "--reason", "Bầu cử")
    assert "Đã gia hạn" in one.stdout and "Phường Ba Đình" in one.stdout
    assert "Đã gửi thông báo tới 1 đơn vị" in one.stdout
    everyone = tdkt(*base, "--to", "18/11/2019", "--reason", "Chờ hướng dẫn của tỉnh")
    assert "cho mọi đơn vị" in everyone.stdout and "chưa có ai liên kết" in everyone.stdout
    status = json.loads(tdkt("status", "--campaign", DEMO, "--now", NOW, "--json").stdout)
    plan = next(r for r in status["requirements"] if r["code"] == "KEHOACH")
    assert plan["due"] == "18/11/2019" and plan["extended_from"] == "2019-11-15"
    badinh = next(u for u in plan["missing"] if u["code"] == "P-BADINH")
    assert badinh["due_date"] == "2019-11-20"
    shown = tdkt("campaign", "req", "show", DEMO, "KEHOACH").stdout
    assert "đã gia hạn đến 18/11/2019 (hạn ban đầu 15/11/2019)" in shown
    assert "mọi đơn vị 15/11/2019 → 18/11/2019. Lý do: Chờ hướng dẫn của tỉnh" in shown


def test_cli_edit_add_remove(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", NOW)
    edit = ("campaign", "req", "edit", DEMO, "KEHOACH")
    assert "Đã đổi tên nội dung" in tdkt(*edit, "--title", "Kế hoạch của đơn vị").stdout
    refused = tdkt(*edit, "--who", "P-BADINH", ok=False)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert "Đã đổi các đơn vị phải nộp" in tdkt(*edit, "--who", "P-BADINH", "--yes").stdout
    none = tdkt(*edit, ok=False)
    assert none.returncode == 2
    add = ("campaign", "req", "add", DEMO, "BOSUNG", "--title", "Báo cáo bổ sung")
    assert "Đã thêm nội dung BOSUNG" in tdkt(*add, "--due", "01/12/2019", "--now", NOW).stdout
    taken = tdkt(*add, "--due", "01/12/2019", "--now", NOW, ok=False)
    assert "đã có nội dung mã BOSUNG" in taken.stderr
    assert "Đã bỏ nội dung" in tdkt("campaign", "req", "remove", DEMO, "BOSUNG").stdout
    hour = ("campaign", "req", "add", DEMO, "GIO", "--title", "Báo cáo trước giờ họp")
    bad = tdkt(*hour, "--due", "01/12/2019", "--time", "25:00", "--now", NOW, ok=False)
    assert bad.returncode == 1 and "Không hiểu giờ «25:00»" in bad.stderr
    assert (
        "không có nội dung mã «GIO»"
        in tdkt("campaign", "req", "show", DEMO, "GIO", ok=False).stderr
    )
    tdkt(*hour, "--due", "01/12/2019", "--time", "16h30", "--now", NOW)
    assert "16h30 01/12/2019" in tdkt("campaign", "req", "show", DEMO, "GIO").stdout
    kept = tdkt("campaign", "req", "remove", DEMO, "KEHOACH", ok=False)
    assert "Không thể bỏ" in kept.stderr
    gone = tdkt("campaign", "req", "show", DEMO, "KHONG", ok=False)
    assert "không có nội dung mã «KHONG»" in gone.stderr


def test_cli_reads_and_shows_the_offices_own_kinds(tmp_path: Path) -> None:
    kinds = tmp_path / "loai-don-vi.yaml"
    kinds.write_text(
        "kinds:\n  - code: to_dan_pho\n    label: Tổ dân phố\n    aliases: [TDP]\n",
        encoding="utf-8",
    )
    tdkt = Tdkt(tmp_path, {"TDKT_UNIT_KINDS_FILE": str(kinds)})
    tdkt("init", "--demo", "--now", NOW)
    edit = ("campaign", "req", "edit", DEMO, "KEHOACH", "--who", "TDP, Xã")
    assert "Đã đổi các đơn vị phải nộp" in tdkt(*edit, "--yes").stdout
    shown = tdkt("campaign", "req", "show", DEMO, "KEHOACH").stdout
    assert "các đơn vị loại Tổ dân phố, Xã/phường" in shown and "to_dan_pho" not in shown
    # Without the file the kind is unknown: refused, nothing changes.
    plain = Tdkt(tmp_path)
    refused = plain(*edit, ok=False)
    assert refused.returncode == 1 and "TDP" in refused.stderr
    assert "to_dan_pho" in plain("campaign", "req", "show", DEMO, "KEHOACH").stdout
