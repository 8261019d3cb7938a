"""The Vietnamese date grammar: dates, periods, deadlines, look-alike and invisible characters."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handlers.domain.vn_dates import (
    DateError,
    NoSuchDateError,
    Period,
    clean_text,
    parse_date,
    parse_period,
    resolve_due,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/11/2019", D(2019, 11, 15)),
        ("5/1/2020", D(2020, 1, 5)),
        ("15.11.2019", D(2019, 11, 15)),
        ("15-11-2019", D(2019, 11, 15)),
        (" 15 / 11 / 2019 ", D(2019, 11, 15)),
        ("2019-11-15", D(2019, 11, 15)),
        ("ngày 15 tháng 11 năm 2019", D(2019, 11, 15)),
        ("Ngày 15 Tháng 11 Năm 2019", D(2019, 11, 15)),
        ("ngay 15 thang 11 nam 2019", D(2019, 11, 15)),
        ("15 tháng 11 năm 2019", D(2019, 11, 15)),
        ("ngày 15/11/2019", D(2019, 11, 15)),
        ("29/2/2020", D(2020, 2, 29)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


def test_date_objects_pass_through() -> None:
    assert parse_date(D(2020, 4, 15)) == D(2020, 4, 15)
    assert parse_date(dt.datetime(2020, 4, 15, 8, 30)) == D(2020, 4, 15)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("１５/１１/２０１９", "15/11/2019"),  # full-width digits and slashes
        ("15\u200b/11/2019", "15/11/2019"),  # zero-width space
        ("\ufeff15/11/2019", "15/11/2019"),  # BOM
        ("15/11/2019\u2060", "15/11/2019"),  # word joiner
        ("ngày\u00a015\u00a0tháng\u00a011 năm 2019", "ngày 15 tháng 11 năm 2019"),  # NBSP
        ("quý  I/2020", "quý I/2020"),
    ],
)
def test_clean_text_makes_look_alikes_plain(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned
    assert resolve_due(text)[0] == resolve_due(cleaned)[0]


@pytest.mark.parametrize(
    "text", ["31/2/2020", "29/2/2019", "30/13/2019", "0/1/2020", "2020-02-30"]
)
def test_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(NoSuchDateError) as info:
        parse_date(text)
    assert str(info.value) == f'Ngày "{text}" không tồn tại.'
    assert info.value.text == text
    assert isinstance(info.value, DateError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["sắp tới", "15/11", "15/11/19", "tháng 3/2020", "", "2019"])
def test_not_dates(text: str) -> None:
    with pytest.raises(DateError, match="hãy ghi theo dạng dd/mm/yyyy") as info:
        parse_date(text)
    assert not isinstance(info.value, NoSuchDateError)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tháng 3/2020", D(2020, 3, 1), D(2020, 3, 31)),
        ("tháng 2 năm 2020", D(2020, 2, 1), D(2020, 2, 29)),
        ("quý I/2020", D(2020, 1, 1), D(2020, 3, 31)),
        ("quý 4 năm 2020", D(2020, 10, 1), D(2020, 12, 31)),
        ("6 tháng đầu năm 2020", D(2020, 1, 1), D(2020, 6, 30)),
        ("6 tháng cuối năm 2020", D(2020, 7, 1), D(2020, 12, 31)),
        ("9 tháng đầu năm 2020", D(2020, 1, 1), D(2020, 9, 30)),
        ("năm 2020", D(2020, 1, 1), D(2020, 12, 31)),
        ("QUÝ ii/２０２０", D(2020, 4, 1), D(2020, 6, 30)),
    ],
)
def test_periods(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text)
    assert period == Period(start, end, clean_text(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tháng 13/2020", "tháng phải từ 1 đến 12"),
        ("tháng 0/2020", "tháng phải từ 1 đến 12"),
        ("13 tháng đầu năm 2020", "số tháng phải từ 1 đến 12"),
        ("quý V/2020", 'Không hiểu kỳ "quý V/2020"'),
        ("15/11/2019", 'Không hiểu kỳ "15/11/2019"'),
    ],
)
def test_bad_periods(text: str, expected: str) -> None:
    with pytest.raises(DateError, match=expected):
        parse_period(text)


def test_resolve_due_dates_and_periods() -> None:
    assert resolve_due("15/11/2019") == (D(2019, 11, 15), None)
    assert resolve_due(D(2019, 11, 15)) == (D(2019, 11, 15), None)
    assert resolve_due("quý I/2020") == (D(2020, 3, 31), "quý I/2020")
    assert resolve_due("năm\u00a02020") == (D(2020, 12, 31), "năm 2020")
    with pytest.raises(DateError, match='Không hiểu hạn nộp "sắp tới": hãy ghi một ngày'):
        resolve_due("sắp tới")
    with pytest.raises(NoSuchDateError, match=re.escape('Ngày "31/2/2020" không tồn tại.')):
        resolve_due("31/2/2020")
