"""Reminder policy: parsing, merging, working days, reminder slots, quiet hours, digest days."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import (
    DigestPolicy,
    PolicyError,
    QuietHours,
    ReminderPolicy,
    Slot,
    WorkingCalendar,
    digest_days,
    effective_policy,
    parse_digest,
    parse_policy,
    quiet_shift,
    reminder_slots,
)
from handlers.io.campaign_file import CampaignFileError, parse_campaign
from handlers.services.campaigns import load_campaign
from storage.models import Campaign, Requirement
from tests.fresh import fresh_python
from tests.samples import DEMO_DIR

SF = async_sessionmaker[AsyncSession]
DEMO = DEMO_DIR / "bimson-2019.yaml"
NOW = dt.datetime(2019, 10, 1, 2, 0, tzinfo=dt.UTC)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
CAL = WorkingCalendar()  # shared by the property tests (it only caches holiday years)
SKIP = ReminderPolicy(skip_non_working_days=True)


def d(day: int, month: int, year: int = 2019) -> dt.date:
    return dt.date(year, month, day)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def hanoi(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def plan(slots: list[Slot]) -> list[tuple[str, dt.date]]:
    return [(s.key, s.day) for s in slots]


def _minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "TEST-2020",
        "title": "Kế hoạch thử",
        "requirements": [
            {"code": "BC", "title": "Báo cáo", "kind": "report", "due": "15/11/2019"},
        ],
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- slots


def test_default_policy_on_the_bim_son_plan() -> None:
    slots = reminder_slots(d(15, 11), ReminderPolicy(), VN)

    assert [(s.key, s.day, s.day.strftime("%a"), s.offset_days) for s in slots] == [
        ("b7", d(8, 11), "Fri", -7),
        ("b3", d(12, 11), "Tue", -3),
        ("b1", d(14, 11), "Thu", -1),
        ("d0", d(15, 11), "Fri", 0),
        ("o2", d(17, 11), "Sun", 2),
        ("o4", d(19, 11), "Tue", 4),
        ("o6", d(21, 11), "Thu", 6),
        ("o8", d(23, 11), "Sat", 8),
        ("o10", d(25, 11), "Mon", 10),
    ]
    for slot in slots:
        assert slot.at == utc(2019, 11, slot.day.day, 1, 0)  # 08:00 in Hà Nội
        assert slot.at.tzinfo is dt.UTC
        assert slot.at.astimezone(VN).time() == dt.time(8, 0)


def test_bim_son_plan_skipping_non_working_days() -> None:
    slots = reminder_slots(d(15, 11), SKIP, VN, CAL)

    assert [(s.key, s.day, s.offset_days) for s in slots] == [
        ("b7", d(8, 11), -7),
        ("b3", d(12, 11), -3),
        ("b1", d(14, 11), -1),
        ("d0", d(15, 11), 0),
        ("o2", d(18, 11), 2),  # Sunday 17/11 → Monday
        ("o4", d(19, 11), 4),
        ("o6", d(21, 11), 6),
        ("o8", d(25, 11), 8),  # Saturday 23/11 → Monday 25/11; o10 (also 25/11) is dropped
    ]
    assert [s.at for s in slots][-1] == utc(2019, 11, 25, 1)
    assert reminder_slots(d(15, 11), SKIP, VN) == slots  # a default calendar is made


def test_monday_deadline_collapses_b1_onto_b3() -> None:
    policy = ReminderPolicy(skip_non_working_days=True, overdue_max=0)
    assert plan(reminder_slots(d(18, 11), policy, VN, CAL)) == [
        ("b7", d(11, 11)),
        ("b3", d(15, 11)),  # Friday; b1 (Sunday 17/11) moves to Friday too and is dropped
        ("d0", d(18, 11)),
    ]


def test_sunday_deadline_keeps_b1_over_d0() -> None:
    policy = ReminderPolicy(skip_non_working_days=True, overdue_max=1)
    assert plan(reminder_slots(d(17, 11), policy, VN, CAL)) == [
        ("b7", d(8, 11)),
        ("b3", d(14, 11)),
        ("b1", d(15, 11)),  # Saturday → Friday; d0 (Sunday → Friday) comes later: dropped
        ("o2", d(19, 11)),
    ]


def test_vn_public_holidays_2019_2020_as_the_package_lists_them() -> None:
    days = (d(1, 1) + dt.timedelta(days=i) for i in range(731))
    named = {day: CAL.holiday_name(day) for day in days if CAL.holiday_name(day)}
    assert sorted(named) == [
        d(1, 1),
        d(4, 2),
        d(5, 2),
        d(6, 2),
        d(7, 2),
        d(8, 2),  # Tết Kỷ Hợi
        d(14, 4),
        d(15, 4),  # Giỗ Tổ (a Sunday) and its day off in lieu
        d(29, 4),  # day off in exchange for Saturday 04/05/2019
        d(30, 4),
        d(1, 5),
        d(2, 9),
        d(1, 1, 2020),
        *(d(day, 1, 2020) for day in range(23, 30)),  # Tết Canh Tý: 29 Tết to mùng 5
        d(2, 4, 2020),
        d(30, 4, 2020),
        d(1, 5, 2020),
        d(2, 9, 2020),
    ]
    assert named[d(25, 1, 2020)] == "Tết Nguyên Đán"
    assert named[d(2, 9, 2020)] == "Quốc khánh"
    assert not CAL.is_working_day(d(29, 4))
    assert CAL.is_working_day(d(4, 5))  # the Saturday worked in exchange
    assert CAL.holiday_name(d(4, 5)) is None
    assert not CAL.is_working_day(d(9, 11)) and CAL.holiday_name(d(9, 11)) is None  # Saturday


def test_tet_2020_moves_and_drops_slots() -> None:
    # Due Wednesday 22/1/2020, the last working day before Tết (Thursday 23/1 to Wednesday 29/1).
    assert plan(reminder_slots(d(22, 1, 2020), SKIP, VN, CAL)) == [
        ("b7", d(15, 1, 2020)),
        ("b3", d(17, 1, 2020)),  # Sunday 19/1 → Friday
        ("b1", d(21, 1, 2020)),
        ("d0", d(22, 1, 2020)),
        ("o2", d(30, 1, 2020)),  # Friday 24/1 (29 Tết) → Thursday 30/1; o4, o6, o8 too: dropped
        ("o10", d(3, 2, 2020)),  # Saturday 1/2 → Monday
    ]
    # Due Monday 27/1/2020, mùng 3 Tết: the due-day reminder cannot go out on the day.
    assert plan(reminder_slots(d(27, 1, 2020), SKIP, VN, CAL)) == [
        ("b7", d(20, 1, 2020)),
        ("b3", d(22, 1, 2020)),  # Friday 24/1 → Wednesday 22/1; b1 and d0 land there: dropped
        ("o2", d(30, 1, 2020)),
        ("o4", d(31, 1, 2020)),
        ("o6", d(3, 2, 2020)),
        ("o8", d(4, 2, 2020)),
        ("o10", d(6, 2, 2020)),
    ]


def test_national_day_moves_slots() -> None:
    # 2/9/2020 is a Wednesday: b1 of a Thursday deadline goes out on Tuesday.
    assert plan(reminder_slots(d(3, 9, 2020), SKIP, VN, CAL))[:4] == [
        ("b7", d(27, 8, 2020)),
        ("b3", d(31, 8, 2020)),
        ("b1", d(1, 9, 2020)),
        ("d0", d(3, 9, 2020)),
    ]
    # 2/9/2019 is a Monday: o2 of Friday 30/8 skips the weekend and the holiday.
    assert plan(reminder_slots(d(30, 8), SKIP, VN, CAL))[3:] == [
        ("d0", d(30, 8)),
        ("o2", d(3, 9)),  # Sunday 1/9 → Tuesday 3/9; o4 (Tuesday 3/9) is dropped
        ("o6", d(5, 9)),
        ("o8", d(9, 9)),  # Saturday 7/9 → Monday 9/9; o10 (Monday 9/9) is dropped
    ]


def test_extra_holidays_and_working_days() -> None:
    cal = WorkingCalendar(extra_holidays=[d(15, 11)], extra_working_days=[d(16, 11), d(2, 9)])
    assert not cal.is_working_day(d(15, 11)) and cal.holiday_name(d(15, 11)) == "Ngày nghỉ"
    assert cal.is_working_day(d(16, 11)) and cal.holiday_name(d(16, 11)) is None
    assert cal.is_working_day(d(2, 9)) and cal.holiday_name(d(2, 9)) is None
    assert cal.at_or_before(d(17, 11)) == d(16, 11)
    assert cal.at_or_after(d(15, 11)) == d(16, 11)
    policy = ReminderPolicy(skip_non_working_days=True, before_days=(1,), overdue_max=1)
    assert plan(reminder_slots(d(15, 11), policy, VN, cal)) == [
        ("b1", d(14, 11)),  # d0 (the extra day off) moves onto b1: dropped
        ("o2", d(18, 11)),
    ]
    with pytest.raises(ValueError, match="vừa được ghi là ngày nghỉ vừa là ngày làm việc"):
        WorkingCalendar(extra_holidays=[d(1, 1)], extra_working_days=[d(1, 1)])


_HOLIDAY_YEARS = "range(2015, 2036)"


def _holidays_in_subprocess(code: str) -> Any:
    """The JSON a fresh interpreter prints after running ``code``."""
    return json.loads(fresh_python(code))


def test_the_vietnamese_holidays_load_alone_and_match_the_package_registry() -> None:
    dump = (
        f"\nfor year in {_HOLIDAY_YEARS}: cal.get(datetime.date(year, 1, 1))\n"
        "print(json.dumps([sorted((str(k), v) for k, v in cal.items()),"
        " sorted(map(str, cal.weekend_workdays)), 'holidays.countries' in sys.modules]))"
    )
    ours = _holidays_in_subprocess(
        "import datetime, json, sys\n"
        "from handlers.domain.reminder_policy import vietnamese_public_holidays\n"
        "cal = vietnamese_public_holidays()" + dump
    )
    registry = _holidays_in_subprocess(
        "import datetime, json, sys\n"
        "import holidays, holidays.countries\n"
        "cal = holidays.country_holidays('VN', language='vi')" + dump
    )
    assert ours[2] is False and registry[2] is True  # not the 250-odd other countries
    assert ours[:2] == registry[:2]
    assert ("2019-04-29", "Ngày nghỉ (thay cho ngày 04/05/2019)") in map(tuple, ours[0])
    assert "2019-05-04" in ours[1]  # a Saturday worked in exchange


def test_the_vietnamese_holidays_reuse_a_loaded_package() -> None:
    loaded = _holidays_in_subprocess(
        "import json, sys, holidays.countries\n"
        "from handlers.domain.reminder_policy import vietnamese_public_holidays\n"
        "print(json.dumps(type(vietnamese_public_holidays()) is holidays.countries.Vietnam))"
    )
    assert loaded is True


def test_calendar_walks() -> None:
    assert CAL.at_or_before(d(15, 11)) == d(15, 11)
    assert CAL.at_or_after(d(15, 11)) == d(15, 11)
    assert CAL.at_or_before(d(29, 1, 2020)) == d(22, 1, 2020)
    assert CAL.at_or_after(d(23, 1, 2020)) == d(30, 1, 2020)


def test_disabled_and_empty_policies() -> None:
    assert reminder_slots(d(15, 11), ReminderPolicy(enabled=False), VN) == []
    nothing = ReminderPolicy(before_days=(), on_due_day=False, overdue_max=0)
    assert reminder_slots(d(15, 11), nothing, VN) == []
    only_late = ReminderPolicy(before_days=(), on_due_day=False, overdue_every_days=7)
    assert [s.key for s in reminder_slots(d(15, 11), only_late, VN)] == [
        "o7",
        "o14",
        "o21",
        "o28",
        "o35",
    ]


def test_local_time_is_resolved_in_the_campaign_timezone() -> None:
    policy = ReminderPolicy(before_days=(1,), on_due_day=False, overdue_max=0, at=dt.time(2, 30))
    # Clocks go forward at 02:00 on 28/3/2021 in Berlin: 02:30 does not exist; 03:30 CEST.
    (gap,) = reminder_slots(d(29, 3, 2021), policy, BERLIN)
    assert gap.day == d(28, 3, 2021) and gap.at == utc(2021, 3, 28, 1, 30)
    # Clocks go back at 03:00 on 31/10/2021: 02:30 happens twice; the first one (CEST).
    (twice,) = reminder_slots(d(1, 11, 2021), policy, BERLIN)
    assert twice.at == utc(2021, 10, 31, 0, 30)
    (summer,) = reminder_slots(d(2, 7, 2021), policy, BERLIN)
    assert summer.at == utc(2021, 7, 1, 0, 30)
    (late,) = reminder_slots(
        d(2, 7, 2021),
        ReminderPolicy(before_days=(1,), on_due_day=False, overdue_max=0, at=dt.time(6)),
        VN,
    )
    assert late.at == utc(2021, 6, 30, 23, 0)  # 06:00 in Hà Nội is the evening before in UTC


_policies = st.builds(
    ReminderPolicy,
    before_days=st.lists(st.integers(1, 60), unique=True, max_size=6).map(tuple),
    on_due_day=st.booleans(),
    overdue_every_days=st.integers(1, 30),
    overdue_max=st.integers(0, 20),
    at=st.times(),
    skip_non_working_days=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31)), _policies)
def test_slot_properties(due: dt.date, policy: ReminderPolicy) -> None:
    slots = reminder_slots(due, policy, VN, CAL)

    candidates = [-n for n in policy.before_days] + [0] * policy.on_due_day
    candidates += [k * policy.overdue_every_days for k in range(1, policy.overdue_max + 1)]
    keys = [s.key for s in slots]
    assert len(set(keys)) == len(keys)
    assert all(a.day < b.day and a.at < b.at for a, b in itertools.pairwise(slots))
    for slot in slots:
        prefix = "b" if slot.offset_days < 0 else "d" if slot.offset_days == 0 else "o"
        assert slot.key == f"{prefix}{abs(slot.offset_days)}"
        assert slot.offset_days in candidates
        if slot.offset_days <= 0:
            assert slot.day <= due
        else:
            assert slot.day > due
        local = slot.at.astimezone(VN)
        assert slot.at.tzinfo is dt.UTC
        assert (local.date(), local.time()) == (slot.day, policy.at)
        original = due + dt.timedelta(days=slot.offset_days)
        if policy.skip_non_working_days:
            assert CAL.is_working_day(slot.day)
            assert abs((slot.day - original).days) < 15
        else:
            assert slot.day == original
    if policy.skip_non_working_days:
        # Every candidate's moved day is covered: only same-day duplicates are dropped.
        moved = {
            CAL.at_or_before(due + dt.timedelta(days=o))
            if o <= 0
            else CAL.at_or_after(due + dt.timedelta(days=o))
            for o in candidates
        }
        assert {s.day for s in slots} == moved
    else:
        assert sorted(s.offset_days for s in slots) == sorted(candidates)


# --------------------------------------------------------------------------- quiet hours


def test_quiet_hours_contains() -> None:
    night = QuietHours(dt.time(21), dt.time(7))
    assert night.contains(dt.time(21)) and night.contains(dt.time(23, 59))
    assert night.contains(dt.time(0)) and night.contains(dt.time(6, 59, 59))
    assert not night.contains(dt.time(7)) and not night.contains(dt.time(20, 59))
    lunch = QuietHours(dt.time(11, 30), dt.time(13, 30))
    assert lunch.contains(dt.time(12)) and not lunch.contains(dt.time(13, 30))
    assert not lunch.contains(dt.time(11, 29))
    with pytest.raises(PolicyError, match="phải khác nhau"):
        QuietHours(dt.time(7), dt.time(7))


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (hanoi(2019, 11, 15, 22, 30), utc(2019, 11, 16, 0)),  # → 07:00 tomorrow
        (hanoi(2019, 11, 15, 21, 0), utc(2019, 11, 16, 0)),
        (hanoi(2019, 11, 16, 0, 5), utc(2019, 11, 16, 0)),  # after midnight → 07:00 today
        (hanoi(2019, 11, 16, 6, 59), utc(2019, 11, 16, 0)),
        (hanoi(2019, 11, 16, 7, 0), utc(2019, 11, 16, 0)),  # outside: unchanged
        (hanoi(2019, 11, 15, 8, 0), utc(2019, 11, 15, 1)),
        (hanoi(2019, 11, 15, 20, 59), utc(2019, 11, 15, 13, 59)),
    ],
)
def test_quiet_shift_wrapping_midnight(local: dt.datetime, expected: dt.datetime) -> None:
    night = QuietHours(dt.time(21), dt.time(7))
    shifted = quiet_shift(local, night, VN)
    assert shifted == expected and shifted.tzinfo is dt.UTC


def test_quiet_shift_within_a_day_and_without_quiet_hours() -> None:
    lunch = QuietHours(dt.time(11, 30), dt.time(13, 30))
    inside = dt.datetime(2019, 11, 15, 12, 0, tzinfo=VN)
    assert quiet_shift(inside, lunch, VN) == dt.datetime(2019, 11, 15, 13, 30, tzinfo=VN)
    outside = utc(2019, 11, 15, 3, 0)  # 10:00 in Hà Nội
    assert quiet_shift(outside, lunch, VN) == outside
    as_local = dt.datetime(2019, 11, 15, 23, 0, tzinfo=VN)
    unchanged = quiet_shift(as_local, None, VN)
    assert unchanged == as_local and unchanged.tzinfo is dt.UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        quiet_shift(dt.datetime(2019, 11, 15, 12, 0), lunch, VN)  # noqa: DTZ001


# --------------------------------------------------------------------------- parsing


def test_parse_policy_defaults_and_yaml_values() -> None:
    assert parse_policy(None) == parse_policy({}) == ReminderPolicy()
    text = (
        "at: 8:30\n"  # unquoted: PyYAML reads the base-60 integer 510
        "quiet_hours: 21:00-07:00\n"
        "before_days: [1, 14, 3]\n"
        "skip_non_working_days: yes\n"
        "include_members: true\n"
        "overdue_max: 0\n"
    )
    data = yaml.safe_load(text)
    assert data["at"] == 510
    assert parse_policy(data) == ReminderPolicy(
        at=dt.time(8, 30),
        quiet_hours=QuietHours(dt.time(21), dt.time(7)),
        before_days=(14, 3, 1),
        skip_non_working_days=True,
        include_members=True,
        overdue_max=0,
    )
    assert parse_policy({"at": "18:45", "quiet_hours": "12:00 – 13:30"}).quiet_hours == QuietHours(
        dt.time(12), dt.time(13, 30)
    )
    assert parse_policy({"at": "18:45"}).at == dt.time(18, 45)
    assert (
        parse_policy(
            {"quiet_hours": None}, ReminderPolicy(quiet_hours=QuietHours(dt.time(21), dt.time(7)))
        ).quiet_hours
        is None
    )
    assert ReminderPolicy(before_days=(1, 3)).before_days == (3, 1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"remind_before_days": [7, 3, 1]},
            'Chính sách nhắc: không có khóa "remind_before_days"; chỉ nhận: at, before_days,',
        ),
        ({"at": "25:00"}, 'Chính sách nhắc: "at" phải là giờ dạng HH:MM, ví dụ "08:00".'),
        ({"at": "8h"}, '"at" phải là giờ dạng HH:MM'),
        ({"at": 8}, '"at" phải là giờ dạng HH:MM'),
        ({"at": 1440}, '"at" phải là giờ dạng HH:MM'),
        ({"at": None}, '"at" phải là giờ dạng HH:MM'),
        (
            {"before_days": [7, 90]},
            'Chính sách nhắc: "before_days" phải là danh sách số ngày từ 1 đến 60.',
        ),
        ({"before_days": [0]}, '"before_days" phải là danh sách số ngày từ 1 đến 60.'),
        ({"before_days": 7}, '"before_days" phải là danh sách số ngày từ 1 đến 60.'),
        ({"before_days": ["7"]}, '"before_days" phải là danh sách số ngày từ 1 đến 60.'),
        ({"before_days": [3, 7, 3]}, '"before_days" có số ngày bị ghi lặp lại (3).'),
        ({"overdue_every_days": 0}, '"overdue_every_days" phải là số ngày từ 1 đến 30.'),
        ({"overdue_every_days": 31}, '"overdue_every_days" phải là số ngày từ 1 đến 30.'),
        ({"overdue_every_days": 2.5}, '"overdue_every_days" phải là số ngày từ 1 đến 30.'),
        ({"overdue_max": 21}, '"overdue_max" phải là số lần từ 0 đến 20'),
        ({"overdue_max": -1}, '"overdue_max" phải là số lần từ 0 đến 20'),
        ({"overdue_max": True}, '"overdue_max" phải là số lần từ 0 đến 20'),
        ({"enabled": "có"}, 'Chính sách nhắc: "enabled" phải là true hoặc false.'),
        ({"skip_non_working_days": 1}, '"skip_non_working_days" phải là true hoặc false.'),
        ({"quiet_hours": "21:00"}, '"quiet_hours" phải là khoảng giờ dạng HH:MM-HH:MM'),
        ({"quiet_hours": "21:00-24:00"}, '"quiet_hours" phải là khoảng giờ dạng HH:MM-HH:MM'),
        ({"quiet_hours": "21:00-21:00"}, '"quiet_hours": giờ bắt đầu và giờ kết thúc'),
    ],
)
def test_parse_policy_errors_are_vietnamese_and_name_the_key(
    data: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    assert expected in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_policy_rejects_a_non_mapping() -> None:
    with pytest.raises(PolicyError, match="Chính sách nhắc phải là một nhóm khóa: giá trị"):
        parse_policy([7, 3, 1])  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match='"overdue_max"'):
        ReminderPolicy(overdue_max=30)


def test_effective_policy_merge_order() -> None:
    campaign = {
        "quotas": {"unit_max_delegates": 150},
        "reminders": {"at": "07:30", "before_days": [5], "skip_non_working_days": True},
    }
    assert effective_policy(None, None) == ReminderPolicy()
    assert effective_policy({"quotas": {}}, {}) == ReminderPolicy()
    assert effective_policy(campaign, None) == ReminderPolicy(
        at=dt.time(7, 30), before_days=(5,), skip_non_working_days=True
    )
    assert effective_policy(campaign, {"before_days": [2], "skip_non_working_days": False}) == (
        ReminderPolicy(at=dt.time(7, 30), before_days=(2,))
    )
    assert effective_policy(None, {"overdue_max": 1}) == ReminderPolicy(overdue_max=1)
    with pytest.raises(PolicyError, match='"at"'):
        effective_policy({"reminders": {"at": "sáng"}}, {"at": "09:00"})


def test_parse_digest() -> None:
    assert parse_digest(None) == parse_digest({}) == DigestPolicy()
    assert parse_digest({"reminders": {}, "digest": None}) == DigestPolicy()
    assert parse_digest({"digest": {"at": "17:00", "working_days_only": False}}) == DigestPolicy(
        at=dt.time(17), working_days_only=False
    )
    assert parse_digest({"digest": {"enabled": False}}).enabled is False
    with pytest.raises(PolicyError) as info:
        parse_digest({"digest": {"time": "17:00"}})
    assert str(info.value) == (
        'Bản tổng hợp hằng ngày: không có khóa "time"; chỉ nhận: at, enabled, working_days_only.'
    )
    with pytest.raises(PolicyError, match='"working_days_only" phải là true hoặc false'):
        parse_digest({"digest": {"working_days_only": "có"}})
    with pytest.raises(PolicyError, match="phải là một nhóm khóa"):
        parse_digest({"digest": "hằng ngày"})


def test_digest_days() -> None:
    start, end = d(20, 1, 2020), d(3, 2, 2020)  # across Tết 2020
    assert digest_days(start, end, DigestPolicy(), CAL) == [
        d(20, 1, 2020),
        d(21, 1, 2020),
        d(22, 1, 2020),
        d(30, 1, 2020),
        d(31, 1, 2020),
        d(3, 2, 2020),
    ]
    every_day = digest_days(start, end, DigestPolicy(working_days_only=False), CAL)
    assert len(every_day) == 15 and every_day[0] == start and every_day[-1] == end
    assert digest_days(start, end, DigestPolicy(enabled=False), CAL) == []
    assert digest_days(end, start, DigestPolicy(), CAL) == []
    assert digest_days(d(4, 5), d(5, 5), DigestPolicy(), CAL) == [d(4, 5)]  # Saturday worked


# --------------------------------------------------------------------------- campaign file


def test_campaign_file_with_a_bad_policy_names_line_and_key(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8")
    anchor = "    accept: [pdf, doc, docx, odt]\n"
    assert text.count(anchor) == 1
    text = text.replace(anchor, anchor + "    policy: {before_days: [7, 90]}\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "[7, 90]" in row)

    with pytest.raises(CampaignFileError) as info:
        parse_campaign(path)

    assert info.value.problems == [
        f'Dòng {line}, trường "requirements → mục 1 (KEHOACH) → policy" (chính sách nhắc): '
        'Chính sách nhắc: "before_days" phải là danh sách số ngày từ 1 đến 60.'
    ]


def test_demo_policy_example_is_valid() -> None:
    text = DEMO.read_text(encoding="utf-8")
    example = "    # policy: {"
    assert text.count(example) == 1
    spec = parse_campaign(text.replace(example, "    policy: {").encode())
    hoso = next(r for r in spec.requirements if r.code == "HOSO")
    assert parse_policy(hoso.policy).skip_non_working_days is True


@pytest.mark.parametrize(
    ("settings_", "expected"),
    [
        ({"reminders": {"at": "25:00"}}, 'Chính sách nhắc: "at" phải là giờ dạng HH:MM'),
        ({"reminders": [7, 3, 1]}, "Chính sách nhắc phải là một nhóm khóa: giá trị"),
        ({"digest": {"working_days_only": "có"}}, '"working_days_only" phải là true hoặc false'),
        ({"digest": {"gio": "17:00"}}, 'Bản tổng hợp hằng ngày: không có khóa "gio"'),
    ],
)
def test_campaign_settings_are_validated(settings_: dict[str, Any], expected: str) -> None:
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(_minimal(settings=settings_))
    (problem,) = info.value.problems
    assert problem.startswith('trường "settings" (thiết lập): ')
    assert expected in problem


async def test_loaded_policies_give_the_effective_policy(session_factory: SF) -> None:
    text = (
        "code: NHAC-2019\n"
        "title: Kế hoạch thử nhắc hạn\n"
        "requirements:\n"
        "  - {code: KEHOACH, title: Kế hoạch, kind: plan, due: 15/11/2019,\n"
        "     policy: {before_days: [3], overdue_max: 1}}\n"
        "settings:\n"
        "  reminders: {at: 7:30, skip_non_working_days: true}\n"
        "  digest: {at: '16:30'}\n"
    )
    async with session_factory.begin() as s:
        await load_campaign(s, text.encode(), now=NOW)
    async with session_factory() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        req = (await s.scalars(select(Requirement))).one()

    assert req.policy == {"before_days": [3], "overdue_max": 1}  # stored as written
    assert campaign.settings["reminders"] == {"at": 450, "skip_non_working_days": True}
    policy = effective_policy(campaign.settings, req.policy)
    assert policy == ReminderPolicy(
        before_days=(3,), overdue_max=1, at=dt.time(7, 30), skip_non_working_days=True
    )
    assert parse_digest(campaign.settings).at == dt.time(16, 30)
    slots = reminder_slots(req.due_date, policy, ZoneInfo(campaign.timezone), CAL)
    assert [(s.key, s.at) for s in slots] == [
        ("b3", utc(2019, 11, 12, 0, 30)),
        ("d0", utc(2019, 11, 15, 0, 30)),
        ("o2", utc(2019, 11, 18, 0, 30)),
    ]
