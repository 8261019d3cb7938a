"""The delegate rules: thresholds, findings, settings (pure, no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.delegate_rules import (
    DelegateRules,
    DelegateRulesError,
    Finding,
    Level,
    add_refusal,
    check,
    exemplary_range,
    parse_rules,
    percent,
    summarize,
)
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKindSpec
from handlers.kernel.texts import Texts
from tests.samples import DEMO_DIR

DEMO = DEMO_DIR / "bimson-2019.yaml"


@dataclass(frozen=True)
class U:
    code: str = "P-BADINH"
    kind: str = "xa_phuong"
    staff_count: int | None = 24


@dataclass(frozen=True)
class D:
    category: str = "dien_hinh"
    gender: str = "nam"
    in_presidium: bool = False
    status: str = "active"


def _list(exemplary: int, guests: int, presidium: int = 0, women: int = 0) -> list[D]:
    people = [D("dien_hinh") for _ in range(exemplary)] + [D("khach_moi") for _ in range(guests)]
    return [
        D(p.category, "nu" if i < women else "nam", i < presidium) for i, p in enumerate(people)
    ]


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def _by_code(findings: list[Finding], code: str) -> Finding:
    return next(f for f in findings if f.code == code)


_TEXTS = Texts()


def _say(finding: Finding | None) -> str:
    """The finding as the flow words it (templates/delegate_findings.j2)."""
    assert finding is not None
    return _TEXTS(f"delegate_findings.{finding.key}", **finding.params)


# --------------------------------------------------------------------------- defaults


def test_defaults_are_the_bim_son_worked_example() -> None:
    rules = DelegateRules()
    assert rules.unit_conference_max == 150
    assert rules.upper_conference_max == 300
    assert (rules.exemplary_percent, rules.tolerance_percent) == (70, 10)
    assert (rules.presidium_min, rules.presidium_max) == (5, 7)
    assert rules.plenary_below_staff == 200
    assert rules.plenary_unit_kinds == ("doanh_nghiep",)
    assert rules.quota_for("P-BADINH") is None and rules.due is None
    assert parse_rules(None) == parse_rules({}) == parse_rules({"delegates": None}) == rules


def test_demo_settings_give_quotas_by_unit_code() -> None:
    settings = yaml.safe_load(DEMO.read_text(encoding="utf-8"))["settings"]
    rules = parse_rules(settings)
    assert rules.quota_for("P-BADINH") == rules.quota_for("p-badinh") == 15
    assert rules.quota_for("DN-XIMANG") == 20
    assert rules.quota_for("P-BACSON") == 12
    assert rules.upper_conference_max == 300 and rules.unit_conference_max == 150
    assert settings["quotas"] == {"unit_max_delegates": 150, "town_max_delegates": 300}


# --------------------------------------------------------------------------- arithmetic


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_percent_rounds_half_up(part: int, whole: int) -> None:
    p = percent(part, whole)
    # 100·part/whole lies in [p − ½, p + ½): the nearest whole percent, halves going up.
    assert 2 * whole * p - whole <= 200 * part < 2 * whole * p + whole


def test_percent_examples_and_refuses_empty() -> None:
    assert [percent(11, 20), percent(9, 12), percent(2, 3), percent(1, 8), percent(1, 200)] == [
        55,
        75,
        67,
        13,
        1,
    ]
    with pytest.raises(ValueError):
        percent(1, 0)


@given(
    st.integers(1, 400),
    st.integers(0, 400),
    st.integers(0, 100),
    st.integers(0, 50),
)
def test_exemplary_range_is_the_tolerance_or_the_nearest_count(
    total: int, raw: int, target: int, tolerance: int
) -> None:
    exemplary = raw % (total + 1)
    rules = DelegateRules(exemplary_percent=target, tolerance_percent=tolerance)
    low, high = exemplary_range(rules, total)
    nearest = (2 * target * total + 100) // 200  # round half up
    within = abs(100 * exemplary - target * total) <= tolerance * total
    assert (low <= exemplary <= high) == (within or exemplary == nearest)
    assert 0 <= low <= nearest <= high <= total

    codes = _codes(check(rules, U(), _list(exemplary, total - exemplary)))
    assert ("ratio_low" in codes) == (exemplary < low)
    assert ("ratio_high" in codes) == (exemplary > high)


@pytest.mark.parametrize(
    ("exemplary", "guests", "code"),
    [
        (11, 9, "ratio_low"),  # 55 %
        (12, 8, None),  # 60 %: the lower bound is included
        (14, 6, None),  # 70 %
        (16, 4, None),  # 80 %: the upper bound is included
        (17, 3, "ratio_high"),  # 85 %
        (1, 1, None),  # 50 %, but 1 of 2 is the nearest count to 70 %
        (2, 1, None),
        (0, 1, "ratio_low"),
        (1, 0, None),
    ],
)
def test_ratio_boundaries(exemplary: int, guests: int, code: str | None) -> None:
    codes = _codes(check(DelegateRules(), U(), _list(exemplary, guests, presidium=5)))
    ratio = [c for c in codes if c.startswith("ratio")]
    assert ratio == ([code] if code else [])


def test_ratio_messages_are_plain_vietnamese() -> None:
    low = _by_code(check(DelegateRules(), U(), _list(11, 9)), "ratio_low")
    assert low.level is Level.WARNING and not low.blocking
    assert _say(low) == (
        "Tỷ lệ đại biểu điển hình 55 % (11/20), thấp hơn khoảng 70 % theo kế hoạch; "
        "nên bổ sung điển hình hoặc giảm khách mời."
    )
    high = _by_code(check(DelegateRules(), U(), _list(19, 1)), "ratio_high")
    assert high.level is Level.INFO
    assert _say(high).startswith("Tỷ lệ đại biểu điển hình 95 % (19/20), cao hơn khoảng 70 %")


# --------------------------------------------------------------------------- presidium


@given(st.integers(1, 40), st.integers(0, 40))
def test_presidium_warning_outside_five_to_seven(total: int, raw: int) -> None:
    presidium = raw % (total + 1)
    findings = check(DelegateRules(), U(), _list(total, 0, presidium=presidium))
    assert ("presidium_size" in _codes(findings)) == (not 5 <= presidium <= 7)


@pytest.mark.parametrize(
    ("presidium", "message"),
    [
        (0, "Chưa chọn ai vào đoàn chủ tịch; kế hoạch quy định 5–7 người."),
        (3, "Đoàn chủ tịch có 3 người; kế hoạch quy định 5–7 người."),
        (4, "Đoàn chủ tịch có 4 người; kế hoạch quy định 5–7 người."),
        (5, None),
        (7, None),
        (8, "Đoàn chủ tịch có 8 người; kế hoạch quy định 5–7 người."),
    ],
)
def test_presidium_boundaries(presidium: int, message: str | None) -> None:
    findings = check(DelegateRules(), U(), _list(10, 0, presidium=presidium))
    found = [f for f in findings if f.code == "presidium_size"]
    assert [_say(f) for f in found] == ([message] if message else [])
    assert all(f.level is Level.WARNING for f in found)


def test_presidium_check_can_be_turned_off_and_is_silent_on_an_empty_list() -> None:
    off = parse_rules({"delegates": {"presidium": False}})
    assert "presidium_size" not in _codes(check(off, U(), _list(3, 0)))
    assert "presidium_size" not in _codes(check(DelegateRules(), U(), []))
    five = parse_rules({"delegates": {"presidium": {"min": 5, "max": 5}}})
    assert _say(_by_code(check(five, U(), _list(6, 0, presidium=6)), "presidium_size")) == (
        "Đoàn chủ tịch có 6 người; kế hoạch quy định 5 người."
    )


# --------------------------------------------------------------------------- quota and caps


@given(st.integers(0, 60), st.integers(0, 60))
def test_quota_error_exactly_when_over_and_adding_refused_at_quota(total: int, quota: int) -> None:
    rules = DelegateRules(quota_default=quota)
    people = _list(total, 0)
    findings = check(rules, U(), people)
    assert ("quota_exceeded" in _codes(findings)) == (total > quota)
    assert ("quota_full" in _codes(findings)) == (total == quota > 0)
    refusal = add_refusal(rules, U(), people)
    assert (refusal is not None) == (total >= quota)
    if refusal is not None:
        assert refusal.blocking and refusal.code == "quota_exceeded"
    summary = summarize(rules, U(), people)
    assert (summary.total, summary.quota) == (total, quota)


def test_quota_messages() -> None:
    rules = DelegateRules(quota_default=10)
    over = _by_code(check(rules, U(), _list(12, 0)), "quota_exceeded")
    assert over.level is Level.ERROR and over.blocking
    assert _say(over) == "Đơn vị đã đăng ký 12 đại biểu, vượt chỉ tiêu 10 được phân bổ (thừa 2)."
    full = add_refusal(rules, U(), _list(10, 0))
    assert full is not None
    assert _say(full).startswith("Đơn vị đã đăng ký đủ 10/10 đại biểu theo chỉ tiêu")
    assert add_refusal(rules, U(), _list(9, 0)) is None
    none = _by_code(check(DelegateRules(), U(), []), "no_quota")
    assert none.level is Level.INFO


def test_withdrawn_delegates_do_not_count() -> None:
    rules = DelegateRules(quota_default=2)
    people = [*_list(2, 0), D(status="withdrawn"), D(status="withdrawn")]
    assert summarize(rules, U(), people).total == 2
    assert "quota_exceeded" not in _codes(check(rules, U(), people))


@pytest.mark.parametrize(("total", "blocked"), [(0, False), (299, False), (300, True)])
def test_upper_conference_cap(total: int, blocked: bool) -> None:
    rules = DelegateRules()
    refusal = add_refusal(rules, U(), [], campaign_total=total)
    assert (refusal is not None) == blocked
    if refusal is not None:
        assert refusal.code == "upper_exceeded" and "300" in _say(refusal)
    assert "upper_exceeded" not in _codes(check(rules, U(), [], campaign_total=300))
    over = _by_code(check(rules, U(), [], campaign_total=301), "upper_exceeded")
    assert over.blocking and "thừa 1" in _say(over)


# --------------------------------------------------------------------------- conference form


def test_plenary_note_below_200_staff_for_any_kind_when_configured() -> None:
    rules = DelegateRules(plenary_unit_kinds=())
    note = _by_code(check(rules, U("CQ-X", "co_quan", 150), []), "plenary")
    assert note.level is Level.INFO
    assert _say(note) == (
        "Đơn vị có 150 cán bộ (dưới 200) nên tổ chức hội nghị toàn thể, "
        "không phải hội nghị đại biểu."
    )


@pytest.mark.parametrize(
    ("kind", "staff", "code"),
    [
        ("doanh_nghiep", 185, "plenary"),
        ("doanh_nghiep", 199, "plenary"),
        ("doanh_nghiep", 200, "delegate_conference"),
        ("doanh_nghiep", 1050, "delegate_conference"),
        ("doanh_nghiep", None, "staff_unknown"),
        ("xa_phuong", 24, "unit_conference"),  # Bỉm Sơn: wards hold up to 150 delegates
    ],
)
def test_conference_form_follows_seed_004(kind: str, staff: int | None, code: str) -> None:
    findings = check(DelegateRules(), U("X", kind, staff), [])
    conference = [
        f.code
        for f in findings
        if f.code in ("plenary", "delegate_conference", "staff_unknown", "unit_conference")
    ]
    assert conference == [code]


def test_enterprise_messages_say_lao_dong() -> None:
    findings = check(DelegateRules(), U("DN-MTDT", "doanh_nghiep", 185), [])
    assert "Đơn vị có 185 lao động (dưới 200) nên tổ chức hội nghị toàn thể" in (
        _say(_by_code(findings, "plenary"))
    )
    big = check(DelegateRules(), U("DN-XIMANG", "doanh_nghiep", 1050), [])
    assert _say(_by_code(big, "delegate_conference")) == (
        "Đơn vị có 1050 lao động (từ 200 trở lên) nên tổ chức hội nghị đại biểu, "
        "tối đa 150 đại biểu."
    )
    off = parse_rules({"delegates": {"plenary": False}})
    assert "unit_conference" in _codes(check(off, U("DN-MTDT", "doanh_nghiep", 185), []))


def test_findings_are_sorted_errors_first() -> None:
    rules = DelegateRules(quota_default=3)
    findings = check(rules, U(), _list(1, 4, presidium=1))
    levels = [f.level for f in findings]
    assert levels == sorted(levels, key=[Level.ERROR, Level.WARNING, Level.INFO].index)
    assert _codes(findings)[:3] == ["quota_exceeded", "ratio_low", "presidium_size"]
    assert "no_women" in _codes(findings)
    assert "no_women" not in _codes(check(rules, U(), _list(1, 0, women=1)))


# --------------------------------------------------------------------------- settings


def test_full_settings_are_read() -> None:
    rules = parse_rules(
        {
            "delegates": {
                "quota": {"default": 8, "units": {"p-a": 10}},
                "unit_conference_max": 200,
                "upper_conference_max": 400,
                "exemplary_percent": 75,
                "tolerance_percent": 5,
                "presidium": {"min": 3, "max": 9},
                "plenary": {"below_staff": 150, "unit_kinds": ["Xã/phường", "co_quan"]},
                "due": "15/4/2020",
            }
        }
    )
    assert rules.quota_for("P-A") == 10 and rules.quota_for("P-B") == 8
    assert (rules.unit_conference_max, rules.upper_conference_max) == (200, 400)
    assert (rules.exemplary_percent, rules.tolerance_percent) == (75, 5)
    assert (rules.presidium_min, rules.presidium_max) == (3, 9)
    assert rules.plenary_below_staff == 150
    assert rules.plenary_unit_kinds == ("xa_phuong", "co_quan")
    assert rules.due == dt.date(2020, 4, 15)
    assert parse_rules({"delegates": {"quota": 5, "due": "2020-04-15"}}).quota_for("X") == 5
    assert parse_rules({"delegates": {"due": dt.date(2020, 4, 15)}}).due == dt.date(2020, 4, 15)
    assert parse_rules({"delegates": {"plenary": {"unit_kinds": []}}}).plenary_unit_kinds == ()


@pytest.mark.parametrize(
    ("delegates", "expected"),
    [
        ("150", "phải là một nhóm khóa: giá trị"),
        ({"quota": -1}, '"quota" phải là số nguyên từ 0 đến 300.'),
        ({"quota": {"default": "mười"}}, '"quota → default" phải là số nguyên'),
        ({"quota": {"mac_dinh": 3}}, '"quota" không có khóa "mac_dinh"'),
        ({"quota": {"units": [1, 2]}}, '"quota → units" phải là một nhóm khóa'),
        ({"quota": {"units": {"P-A": 1.5}}}, '"quota → units → P-A" phải là số nguyên'),
        ({"quota": {"units": {"P-A": 1, "p-a": 2}}}, 'mã đơn vị "P-A" bị ghi lặp lại'),
        (
            {"upper_conference_max": 20, "quota": {"units": {"A": 15, "B": 10}}},
            "tổng chỉ tiêu riêng của các đơn vị (25) vượt số đại biểu tối đa",
        ),
        ({"upper_conference_max": 0}, '"upper_conference_max" phải là số nguyên từ 1'),
        ({"unit_conference_max": True}, '"unit_conference_max" phải là số nguyên'),
        ({"exemplary_percent": 170}, '"exemplary_percent" phải là số nguyên từ 0 đến 100.'),
        ({"tolerance_percent": 60}, '"tolerance_percent" phải là số nguyên từ 0 đến 50.'),
        ({"presidium": {"min": 8, "max": 7}}, '"presidium": "min" (8) lớn hơn "max" (7).'),
        ({"presidium": 5}, '"presidium" phải là một nhóm khóa'),
        ({"plenary": {"below_staff": 0}}, '"plenary → below_staff" phải là số nguyên'),
        ({"plenary": {"unit_kinds": ["nha_may"]}}, 'không có loại đơn vị "nha_may"'),
        ({"plenary": {"unit_kinds": "doanh_nghiep"}}, '"plenary → unit_kinds" phải là danh sách'),
        ({"due": "31/2/2020"}, 'ngày "31/2/2020" không tồn tại'),
        ({"due": "tháng 4"}, '"due" phải là một ngày dạng dd/mm/yyyy'),
        ({"hạn": "15/4/2020"}, 'không có khóa "hạn"; chỉ nhận: quota, unit_conference_max'),
    ],
)
def test_bad_settings_name_the_key_in_vietnamese(delegates: Any, expected: str) -> None:
    with pytest.raises(DelegateRulesError) as err:
        parse_rules({"delegates": delegates})
    message = str(err.value)
    assert message.startswith("Thiết lập đại biểu (delegates): ")
    assert expected in message


def test_the_plenary_kinds_may_be_a_deployments_own() -> None:
    kinds = DEFAULT_UNIT_KINDS.with_overrides(
        [UnitKindSpec("nha_may", "Nhà máy", ("nha may thanh vien",))]
    )
    settings = {"delegates": {"plenary": {"unit_kinds": ["Nhà máy thành viên", "co_quan"]}}}
    assert parse_rules(settings, kinds).plenary_unit_kinds == ("nha_may", "co_quan")
    stored = {"delegates": {"plenary": {"unit_kinds": ["nha_may"]}}}  # as a campaign keeps it
    assert parse_rules(stored, kinds).plenary_unit_kinds == ("nha_may",)
    with pytest.raises(DelegateRulesError, match='không có loại đơn vị "nha_may"'):
        parse_rules(stored)  # the built-in kinds have no such kind
