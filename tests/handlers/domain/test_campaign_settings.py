"""One schema for the campaign file's settings: every key checked, unknown keys and units refused
with their line, the stored settings kept as written."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.campaign_settings import CampaignSettings
from handlers.domain.delegate_rules import DelegateRulesError, parse_rules
from handlers.domain.delegate_settings import DelegatesSpec
from handlers.domain.reminder_policy import (
    DigestSpec,
    PolicyError,
    ReminderPolicy,
    ReminderPolicySpec,
)
from handlers.domain.sections import SettingsError
from handlers.io.campaign_file import CampaignFileError, parse_campaign
from handlers.services.campaigns import load_campaign
from storage.models import Unit
from tests.samples import DEMO_DIR

SF = async_sessionmaker[AsyncSession]
DEMO = DEMO_DIR / "bimson-2019.yaml"
UNITS = DEMO_DIR / "units.csv"
NOW = dt.datetime(2019, 10, 1, 2, 0, tzinfo=dt.UTC)
DEMO_UNITS = [row.split(",")[0] for row in UNITS.read_text("utf-8").splitlines()[1:]]


def _problem(text: str, units: list[str] | None = None) -> tuple[str, str]:
    """The only problem of a campaign file, and the line it names."""
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(text.encode(), units=units)
    (problem,) = info.value.problems
    assert problem.startswith("Dòng "), problem
    number = int(problem.split()[1].rstrip(","))
    return problem, text.splitlines()[number - 1]


def _demo(old: str, new: str) -> str:
    text = DEMO.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --------------------------------------------------------------------------- the sections


def test_the_demo_settings_are_valid() -> None:
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))["settings"]
    settings = CampaignSettings.read(raw, units=DEMO_UNITS)
    assert settings.delegates.quota.by_unit == {"P-BADINH": 15, "DN-XIMANG": 20, "DN-BAOBI": 15}
    assert settings.quotas.town_max_delegates == 300
    assert settings.milestones[0].due == dt.date(2020, 6, 20)
    assert settings.reminders.written() == {} and settings.export.place is None
    assert CampaignSettings.read(None) == CampaignSettings.read({}) == CampaignSettings()


S, P, D = SettingsError, PolicyError, DelegateRulesError


@pytest.mark.parametrize(
    ("settings", "error", "expected"),
    [
        ({"remindres": {}}, S, 'Thiết lập (settings): không có khóa "remindres"'),
        ([1], S, "Thiết lập (settings) phải là một nhóm khóa: giá trị"),
        ({"reminders": {"gio": 8}}, P, 'Chính sách nhắc: không có khóa "gio"'),
        ({"digest": {"gio": 8}}, P, 'Bản tổng hợp hằng ngày: không có khóa "gio"'),
        ({"delegates": {"quota": {"x": 1}}}, D, '"quota" không có khóa "x"'),
        ({"delegates": {"presidium": {"min": 1, "x": 1}}}, D, '"presidium" không có khóa "x"'),
        ({"delegates": {"plenary": {"x": 1}}}, D, '"plenary" không có khóa "x"'),
        ({"export": {"signer": "A"}}, S, 'Văn bản xuất (export): không có khóa "signer"'),
        ({"export": {"place": 5}}, S, '"place" phải là một chuỗi chữ.'),
        ({"export": {"recipients": "A"}}, S, '"recipients" phải là danh sách'),
        ({"quotas": {"unit_max": 1}}, S, 'Chỉ tiêu (quotas): không có khóa "unit_max"'),
        ({"quotas": {"unit_max_delegates": -1}}, S, "phải là số nguyên từ 0"),
        ({"milestones": {"a": 1}}, S, '"milestones" phải là danh sách'),
        ({"milestones": [{"title": "A", "due": "sắp"}]}, S, 'Không hiểu hạn nộp "sắp"'),
        ({"milestones": [{"title": " ", "due": "1/1/2020"}]}, S, "không được để trống"),
        ({"milestones": [{"title": "A", "due": "1/1/2020", "x": 1}]}, S, 'không có khóa "x"'),
    ],
)
def test_every_key_is_checked(settings: Any, error: type[Exception], expected: str) -> None:
    with pytest.raises(error, match=re.escape(expected)):
        CampaignSettings.read(settings)


def test_sections_raise_their_own_error_class() -> None:
    with pytest.raises(PolicyError):
        ReminderPolicySpec.read({"at": "sáng"})
    with pytest.raises(PolicyError):
        DigestSpec.read("hằng ngày")
    with pytest.raises(DelegateRulesError):
        DelegatesSpec.read({"quota": "mười"})
    assert issubclass(PolicyError, SettingsError) and issubclass(DelegateRulesError, SettingsError)


def test_written_keys_only_change_the_defaults() -> None:
    spec = ReminderPolicySpec.read({"at": 450, "quiet_hours": None})
    assert spec.written() == {"at": dt.time(7, 30), "quiet_hours": None}
    assert spec.over(ReminderPolicy(overdue_max=1)) == ReminderPolicy(
        at=dt.time(7, 30), overdue_max=1
    )


def test_quota_units_must_exist_when_the_units_are_known() -> None:
    settings = {"delegates": {"quota": {"units": {"p-a": 3}}}}
    assert parse_rules(settings).quota_for("P-A") == 3  # stored settings: not checked
    assert CampaignSettings.read(settings, units=["P-A"]).delegates.quota.by_unit == {"P-A": 3}
    with pytest.raises(DelegateRulesError, match='mã đơn vị "P-A" không có trong danh sách'):
        CampaignSettings.read(settings, units=["P-B"])


def test_delegate_due_reads_every_date_form() -> None:
    for text in ("15/4/2020", "2020-04-15", "ngày 15 tháng 4 năm 2020", "１５/４/２０２０"):
        assert parse_rules({"delegates": {"due": text}}).due == dt.date(2020, 4, 15), text


# --------------------------------------------------------------------------- lines in a file


@pytest.mark.parametrize(
    ("old", "new", "expected", "line"),
    [
        ("  delegates:\n", "  delegate:\n", 'không có khóa "delegate"', "  delegate:"),
        ("    tolerance_percent: 10", "    tolerance: 10", '"tolerance"', "    tolerance: 10"),
        ("  milestones:\n", "  milestone:\n", 'không có khóa "milestone"', "  milestone:"),
        ("      due: 20/6/2020", "      due: 31/6/2020", 'Ngày "31/6/2020"', "      due: 31/6"),
        (
            "    # policy: {before_days: [7, 3, 1], skip_non_working_days: true}",
            "    policy:\n      before_days: [7, 3, 1]\n      skip_weekends: true",
            'Chính sách nhắc: không có khóa "skip_weekends"',
            "      skip_weekends: true",
        ),
    ],
)
def test_unknown_keys_and_bad_values_name_their_line(
    old: str, new: str, expected: str, line: str
) -> None:
    problem, at = _problem(_demo(old, new))
    assert expected in problem
    assert at.startswith(line)


def test_settings_problems_are_reported_at_settings() -> None:
    problem, _ = _problem(_demo("    tolerance_percent: 10", "    tolerance_percent: 90"))
    assert 'trường "settings" (thiết lập): Thiết lập đại biểu (delegates): ' in problem
    assert '"tolerance_percent" phải là số nguyên từ 0 đến 50.' in problem
    problem, _ = _problem(_demo("      due: 20/6/2020\n", ""))
    assert '"milestones → mục 1 → due": Thiếu trường bắt buộc.' in problem


def test_unknown_unit_codes_name_their_line() -> None:
    problem, at = _problem(_demo("DN-BAOBI: 15", "DN-BAOBII: 15"), DEMO_UNITS)
    assert 'mã đơn vị "DN-BAOBII" không có trong danh sách đơn vị' in problem
    assert "DN-BAOBII" in at
    text = _demo("[P-BADINH, DT-PHUNU, DN-MTDT]", "\n      - P-BADINH\n      - DN-MTDTX")
    problem, at = _problem(text, DEMO_UNITS)
    assert 'trường "requirements → mục 2 (HNDIEM) → unit_codes" (mã đơn vị)' in problem
    assert 'Mã đơn vị "DN-MTDTX" không có trong danh sách đơn vị' in problem
    assert at == "      - DN-MTDTX"
    parse_campaign(DEMO, units=DEMO_UNITS)  # the demo names only its units


# --------------------------------------------------------------------------- loading


async def test_unknown_units_are_errors_once_units_exist(session_factory: SF) -> None:
    async with session_factory.begin() as s:
        s.add(Unit(code="P-BADINH", name="Phường Ba Đình", kind="xa_phuong"))
    with pytest.raises(CampaignFileError) as info:
        async with session_factory.begin() as s:
            await load_campaign(s, DEMO, now=NOW)
    problems = "\n".join(info.value.problems)
    assert 'Mã đơn vị "DT-PHUNU" không có trong danh sách đơn vị' in problems
    assert 'mã đơn vị "DN-XIMANG" không có trong danh sách đơn vị' in problems


async def test_without_units_the_codes_are_a_warning(session_factory: SF) -> None:
    async with session_factory.begin() as s:
        result = await load_campaign(s, DEMO, now=NOW)
    assert result.warnings == [
        "Các mã đơn vị chưa có trong danh sách đơn vị: DN-BAOBI, DN-MTDT, DN-XIMANG, "
        "DT-PHUNU, P-BADINH."
    ]
