"""The unit filter typed after /tinhhinh and /chuanop."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain.unit_filter import match_block, match_kind, parse_filter


@dataclass(frozen=True)
class _Option:
    value: str
    label: str


BLOCKS = [_Option("Khối cơ quan", "Khối cơ quan"), _Option("Khối xã, phường", "Khối xã, phường")]


def test_parse_filter() -> None:
    assert parse_filter("khối:Khối xã, phường loại:phường") == {
        "block": "Khối xã, phường",
        "kind": "phường",
    }
    assert parse_filter("CUM:co quan") == {"block": "co quan"}
    assert parse_filter("ba dinh") is None


def test_match_block_by_any_unambiguous_part() -> None:
    assert match_block("khoi xa phuong", BLOCKS) == "Khối xã, phường"
    assert match_block("co quan", BLOCKS) == "Khối cơ quan"
    assert match_block("khoi", BLOCKS) is None  # both
    assert match_block("", BLOCKS) is None


def test_match_kind_only_among_present_kinds() -> None:
    kinds = [_Option("phuong", "Phường"), _Option("doanh_nghiep", "Doanh nghiệp")]
    assert match_kind("doanh nghiep", kinds) == "doanh_nghiep"
    assert match_kind("xa", kinds) is None
