"""Unit kinds as a per-deployment vocabulary: the YAML file, units and campaign files using it."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds, UnitKindSpec
from handlers.io.campaign_file import CampaignFileError, parse_campaign
from handlers.io.unit_kinds_file import UnitKindsFileError, read_unit_kinds, unit_kinds_from_data
from handlers.io.units_file import read_units_file

PROVINCE = """\
# loại đơn vị của tỉnh
kinds:
  - code: to_dan_pho
    label: Tổ dân phố
    aliases: [TDP, Khu phố]
  - code: so_ban_nganh
    aliases: [Văn phòng UBND tỉnh]
"""


@pytest.fixture
def province(tmp_path: Path) -> UnitKinds:
    path = tmp_path / "unit-kinds.yaml"
    path.write_text(PROVINCE, encoding="utf-8")
    return read_unit_kinds(path)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Sở", "so_ban_nganh"),
        ("Huyện", "huyen_thi_xa"),
        ("UBND xã", "xa_phuong"),
        ("Thành phố", "huyen_thi_xa"),
        ("Trường học", "truong_hoc"),
        ("Tổ dân phố", None),
    ],
)
def test_the_defaults_read_province_words(text: str, kind: str | None) -> None:
    assert DEFAULT_UNIT_KINDS.from_text(text) == kind


def test_a_deployment_adds_kinds_and_aliases(province: UnitKinds) -> None:
    assert province.from_text("tdp") == "to_dan_pho"
    assert province.from_text("Khu phố") == "to_dan_pho"
    assert province.label("to_dan_pho") == "Tổ dân phố"
    assert province.from_text("Văn phòng UBND tỉnh") == "so_ban_nganh"
    assert province.from_text("Sở") == "so_ban_nganh"  # the built-in aliases stay
    assert list(province)[-1] == "to_dan_pho" and len(list(province)) == 11


def test_replace_keeps_only_the_kinds_listed() -> None:
    kinds = unit_kinds_from_data(
        {
            "replace": True,
            "kinds": [{"code": "khoa", "label": "Khoa"}, {"code": "phong", "label": "Phòng"}],
        }
    )
    assert list(kinds) == ["khoa", "phong"] and kinds.from_text("Sở") is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kinds": "xa"}, "cần có danh sách «kinds»"),
        ({"kinds": [{"label": "X"}]}, "Mục 1 của «kinds»: thiếu mã loại"),
        ({"kinds": [{"code": "Tổ dân phố", "label": "X"}]}, "phải viết thường, không dấu"),
        ({"kinds": [{"code": "moi"}]}, "Loại mới moi cần có tên"),
        ({"kinds": [{"code": "moi", "label": "Mới", "aliases": ["Sở"]}]}, "«Sở» chỉ cả loại"),
        ({"kinds": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}]}, "khai hai lần"),
        ({"replace": "có", "kinds": []}, "«replace» phải là true hoặc false"),
    ],
)
def test_a_wrong_file_is_refused_in_vietnamese(data: object, expected: str) -> None:
    with pytest.raises(UnitKindsFileError) as err:
        unit_kinds_from_data(data)
    assert expected in str(err.value)


def test_a_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("kinds:\n  - code: a\n    label: [x\n", encoding="utf-8")
    with pytest.raises(UnitKindsFileError) as err:
        read_unit_kinds(path)
    assert "không đúng cú pháp YAML (dòng" in str(err.value)


def test_units_file_with_the_deployment_kinds(province: UnitKinds) -> None:
    data = (
        "Mã,Tên đơn vị,Loại\n"
        "TDP-1,Tổ dân phố 1,TDP\n"
        "S-NV,Sở Nội vụ,Sở\n"
        "X-1,Hành tinh X,Hành tinh\n"
    ).encode()
    rows, result = read_units_file(data, "units.csv", province)
    assert [r.kind for r in rows] == ["to_dan_pho", "so_ban_nganh"]
    (error,) = result.errors
    assert error.row == 4 and 'Không rõ loại đơn vị "Hành tinh"' in error.message
    assert "Tổ dân phố" in error.message
    _, default = read_units_file(data, "units.csv")
    assert [e.row for e in default.errors] == [2, 4]


def test_campaign_file_with_the_deployment_kinds(province: UnitKinds) -> None:
    source = """\
code: KH-1
title: Ke hoach
requirements:
  - code: BC
    title: Bao cao
    kind: report
    due: 15/11/2019
    unit_kinds: [TDP, Sở]
  - code: BC2
    title: Bao cao 2
    kind: report
    due: 15/11/2019
    unit_kinds: [Hành tinh]
"""
    fixed = source.replace("[Hành tinh]", "[Khu phố]").encode()
    with pytest.raises(CampaignFileError) as err:
        parse_campaign(source.encode(), kinds=province)
    assert "Dòng 13" in str(err.value) and 'Loại đơn vị "Hành tinh" không có' in str(err.value)
    assert "to_dan_pho (Tổ dân phố)" in str(err.value)
    ok = parse_campaign(fixed, kinds=province)
    assert ok.requirements[0].unit_kinds == ["to_dan_pho", "so_ban_nganh"]
    with pytest.raises(CampaignFileError):
        parse_campaign(fixed)


def test_spec_codes_relabel_a_built_in_kind() -> None:
    kinds = DEFAULT_UNIT_KINDS.with_overrides([UnitKindSpec("co_quan", "Cơ quan, đơn vị")])
    assert kinds.label("co_quan") == "Cơ quan, đơn vị" and kinds.from_text("Cơ quan") == "co_quan"


def test_campaign_file_delegate_rules_with_the_deployment_kinds(province: UnitKinds) -> None:
    source = b"""\
code: KH-1
title: Ke hoach
settings:
  delegates:
    plenary: {unit_kinds: [TDP]}
requirements:
  - {code: BC, title: Bao cao, kind: report, due: 15/11/2019}
"""
    loaded = parse_campaign(source, kinds=province)
    assert loaded.settings_spec.delegates.plenary is not None
    assert loaded.settings_spec.delegates.plenary.unit_kinds == ("to_dan_pho",)
    with pytest.raises(CampaignFileError, match="TDP"):
        parse_campaign(source)  # not a built-in kind
