"""What a draft item targets: units, dossier parts, file types (services.intake_items)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.services.intake_items import (
    block_counts,
    item_targets,
    parse_accept,
    parse_parts,
)
from storage.models import Unit

SF = async_sessionmaker[AsyncSession]


def test_an_old_item_targets_every_unit_with_the_default_types() -> None:
    assert item_targets({"kind": "report", "units": {"mode": "all"}}) == {
        "unit_kinds": [],
        "unit_codes": [],
        "unit_blocks": [],
        "parts": [],
        "accept": [],
    }


@pytest.mark.parametrize(
    ("units", "key", "value"),
    [
        ({"mode": "kinds", "kinds": ["xa_phuong"]}, "unit_kinds", ["xa_phuong"]),
        ({"mode": "codes", "codes": ["P-BADINH"]}, "unit_codes", ["P-BADINH"]),
        ({"mode": "blocks", "blocks": ["Khối cơ quan"]}, "unit_blocks", ["Khối cơ quan"]),
    ],
)
def test_each_way_of_choosing_units(units: dict[str, Any], key: str, value: list[str]) -> None:
    targets = item_targets({"kind": "plan", "units": units, "accept": ["pdf"]})
    assert targets[key] == value
    assert [k for k in ("unit_kinds", "unit_codes", "unit_blocks") if targets[k]] == [key]
    assert targets["accept"] == ["pdf"]


def test_parts_only_for_a_dossier_which_needs_them() -> None:
    item = {"kind": "report", "title": "Báo cáo", "parts": ["Tờ trình"]}
    assert item_targets(item)["parts"] == []  # kept in the draft, not a report's
    assert item_targets({**item, "kind": "dossier"})["parts"] == ["Tờ trình"]
    with pytest.raises(UserError) as err:
        item_targets({"kind": "dossier", "title": "Hồ sơ", "parts": []})
    assert err.value.key == "intake_dossier_no_parts"


def test_parts_typed_one_per_line() -> None:
    text = "1. Tờ trình\n2) Báo cáo thành tích ; - Biên bản họp\n\n• tờ trình\n a) Danh sách"
    assert parse_parts(text) == ["Tờ trình", "Báo cáo thành tích", "Biên bản họp", "Danh sách"]


@pytest.mark.parametrize(
    "text", ["", " \n ; ", "x" * 121, "\n".join(f"Phần {i}" for i in range(31))]
)
def test_bad_parts_are_refused(text: str) -> None:
    with pytest.raises(UserError) as err:
        parse_parts(text)
    assert err.value.key == "intake_parts_bad"


def test_types_typed() -> None:
    assert parse_accept("pdf, DOCX .pdf; xlsx") == ["pdf", "docx", "xlsx"]
    assert parse_accept("Mặc định") == []
    for bad in ("exe", "pdf, tar", ", ;"):
        with pytest.raises(UserError) as err:
            parse_accept(bad)
        assert err.value.key == "req_accept_bad"


async def test_blocks_of_active_units_with_counts(session_factory: SF) -> None:
    async with session_factory.begin() as s:
        s.add_all(
            [
                Unit(code="A", name="A", kind="co_quan", block="Khối xã, phường"),
                Unit(code="B", name="B", kind="co_quan", block="Khối cơ quan"),
                Unit(code="C", name="C", kind="co_quan", block="Khối cơ quan"),
                Unit(code="D", name="D", kind="co_quan", block=None),
                Unit(
                    code="E",
                    name="E",
                    kind="co_quan",
                    block="Khối đã giải thể",
                    deactivated_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC),
                ),
            ]
        )
    async with session_factory() as s:
        assert await block_counts(s) == {"Khối cơ quan": 2, "Khối xã, phường": 1}
