"""``tdkt campaign export``: the file loads on a fresh database identically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.cli import Tdkt

DEMO = "BIMSON-DHTT-2019"
UNITS = Path(__file__).parents[2] / "bot" / "demo" / "units.csv"


def test_export_loads_back_identically_on_a_fresh_database(
    tdkt: Any,
    tmp_path: Path,
) -> None:
    tdkt("init", "--demo")
    tdkt(
        "campaign", "extend", DEMO, "KEHOACH", "--to", "25/11/2019", "--reason", "Mưa bão",
        "--units", "P-BADINH", "--now", "2019-11-12T09:00",
    )  # fmt: skip
    printed = tdkt("campaign", "export", DEMO).stdout
    written = tmp_path / "kehoach.yaml"
    assert "kehoach.yaml" in tdkt("campaign", "export", DEMO, "-o", str(written)).stdout
    content = written.read_bytes()
    assert content.decode("utf-8") == printed
    plan = next(r for r in yaml.safe_load(printed)["requirements"] if r["code"] == "KEHOACH")
    assert plan["unit_due"] == {"P-BADINH": "25/11/2019"}

    assert "không thay đổi" in tdkt("campaign", "load", str(written)).stdout  # same database

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    again = _other_database(fresh)
    again("init")
    again("units", "import", str(UNITS))
    assert "đã tạo mới" in again("campaign", "load", str(written)).stdout
    copy = fresh / "copy.yaml"
    again("campaign", "export", DEMO, "--output", str(copy))
    assert copy.read_bytes() == content


def test_export_of_an_unknown_campaign_is_refused(tdkt: Any) -> None:
    tdkt("init")
    proc = tdkt("campaign", "export", "KHONG-CO", ok=False)
    assert proc.returncode == 1 and "KHONG-CO" in proc.stderr and not proc.stdout


def _other_database(data_dir: Path) -> Tdkt:
    """``tdkt`` on a data directory of its own (a fresh database)."""
    return Tdkt(data_dir)
