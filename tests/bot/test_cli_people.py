"""`tdkt people list|remove|move` and `tdkt invite create` roles: refusals in Vietnamese."""

from __future__ import annotations

import json
from typing import Any


def test_people_listed_moved_and_removed(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", "2019-11-12T09:00")
    status = tdkt("status", "--now", "2019-11-18T08:00").stdout
    assert "8 đơn vị quá hạn không nhận được tin nhắc: 8 đơn vị chưa ai liên kết" in status
    people = json.loads(tdkt("people", "list", "--json").stdout)
    assert [(p["name"], p["role"], p["unit"]) for p in people] == [
        ("Phòng Nội vụ thị xã Bỉm Sơn", "secretariat", None),
        ("Lãnh đạo UBND phường Ba Đình", "unit_head", "P-BADINH"),
    ]
    noivu, badinh = people[0]["id"], people[1]["id"]
    last = tdkt("people", "remove", str(noivu), ok=False)
    assert last.returncode == 1 and "tài khoản Thường trực cuối cùng" in last.stderr
    unknown = tdkt("people", "move", str(badinh), "P-KHONGCO", ok=False)
    assert unknown.returncode == 1 and "Không tìm thấy đơn vị «P-KHONGCO»" in unknown.stderr
    tdkt("units", "deactivate", "X-HALAN")
    retired = tdkt("people", "move", str(badinh), "X-HALAN", ok=False)
    assert retired.returncode == 1 and "Xã Hà Lan đã ngừng theo dõi" in retired.stderr
    moved = tdkt("people", "move", str(badinh), "P-BACSON")
    assert "Đã chuyển Lãnh đạo UBND phường Ba Đình từ Phường Ba Đình sang Phường Bắc Sơn" in (
        moved.stdout
    )
    listed = tdkt("people", "list", "--unit", "P-BACSON").stdout
    assert f"#{badinh} Lãnh đạo UBND phường Ba Đình — Lãnh đạo đơn vị, Phường Bắc Sơn" in listed
    assert "Đã xóa Lãnh đạo UBND phường Ba Đình" in tdkt("people", "remove", str(badinh)).stdout
    gone = tdkt("people", "remove", str(badinh), ok=False)
    assert gone.returncode == 1 and f"Không tìm thấy người dùng số {badinh}" in gone.stderr
    assert "Chưa có ai liên kết." in tdkt("people", "list", "--unit", "P-BACSON").stdout


def test_invite_roles_in_words_and_unknown_roles(tdkt: Any) -> None:
    tdkt("init", "--demo")
    made = tdkt("invite", "create", "--role", "thường trực").stdout
    assert "Vai trò: secretariat" in made and "Zalo: nhắn «start " in made
    bad = tdkt("invite", "create", "--role", "admin", "--unit", "P-BADINH", ok=False)
    assert bad.returncode == 2 and "Vai trò «admin» không có" in bad.stderr
    missing = tdkt("invite", "create", "--unit", "P-BADINH", ok=False)
    assert missing.returncode == 2 and "cần --role" in missing.stderr
