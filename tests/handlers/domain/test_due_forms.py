"""The due forms of a requirement: read as written, written back as read."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.domain.due_forms import (
    Due,
    occurrence_code,
    read_due,
    recurrence_of,
    write_due,
    yearly_date,
)
from handlers.domain.vn_dates import DateError

D = dt.date


@pytest.mark.parametrize(
    ("text", "due", "written"),
    [
        ("15/11/2019", Due(D(2019, 11, 15)), D(2019, 11, 15)),
        ("chưa có hạn", Due(None), "chưa có hạn"),
        ("Chua co han", Due(None), "chưa có hạn"),
        ("sẽ thông báo sau", Due(None), "chưa có hạn"),
        (
            "06/06/2020 - 08/06/2020",
            Due(D(2020, 6, 8), start=D(2020, 6, 6)),
            "06/06/2020 - 08/06/2020",
        ),
        (
            "30/6/2020–1/7/2020",
            Due(D(2020, 7, 1), start=D(2020, 6, 30)),
            "30/06/2020 - 01/07/2020",
        ),
        ("quý I/2020", Due(D(2020, 3, 31), D(2020, 1, 1), "quý I/2020"), "quý I/2020"),
        ("tháng 8/2025", Due(D(2025, 8, 31), D(2025, 8, 1), "tháng 8/2025"), "tháng 8/2025"),
        ("hằng năm 15/03", Due(None, yearly=(3, 15)), "hằng năm 15/03"),
        ("hàng năm 5/8", Due(None, yearly=(8, 5)), "hằng năm 05/08"),
    ],
)
def test_each_form_reads_and_writes_back(text: str, due: Due, written: object) -> None:
    assert read_due(text) == due
    assert write_due(due.date, due.start, due.label, due.recurrence) == written
    if isinstance(written, str):
        assert read_due(written) == read_due(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hằng năm 31/02", 'Ngày "hằng năm 31/02" không tồn tại.'),
        ("08/06/2020 - 06/06/2020", "ngày cuối phải sau ngày đầu"),
        ("06/06/2020 - 31/06/2020", "không tồn tại"),
        ("sắp tới", "«chưa có hạn» hoặc «hằng năm 15/03»"),
    ],
)
def test_bad_forms_are_refused_in_vietnamese(text: str, words: str) -> None:
    with pytest.raises(DateError) as info:
        read_due(text)
    assert words in str(info.value)


def test_a_label_the_loader_would_not_read_back_is_not_the_due() -> None:
    # an occurrence of a yearly rule: due 15/03/2021, labelled "năm 2021" (another period)
    assert write_due(D(2021, 3, 15), None, "năm 2021", None) == D(2021, 3, 15)
    # a period stored before due_start existed is still written as its period
    assert write_due(D(2020, 3, 31), None, "quý I/2020", None) == "quý I/2020"


def test_yearly_rules() -> None:
    assert recurrence_of({"every": "year", "month": 3, "day": 15}) == (3, 15)
    assert recurrence_of({"every": "month", "day": 15}) is None
    assert recurrence_of({"every": "year", "month": 2, "day": 30}) is None
    assert recurrence_of(None) is None
    assert yearly_date(2, 29, 2021) == D(2021, 2, 28)
    assert yearly_date(2, 29, 2024) == D(2024, 2, 29)
    assert occurrence_code("BCNAM", 2021) == "BCNAM-2021"
