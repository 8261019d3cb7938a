"""``dump_campaign``: stable YAML that reads back to the same values."""

from __future__ import annotations

import datetime as dt

import yaml

from handlers.io.campaign_file.write import dump_campaign, vn_date


def test_values_read_back_as_written() -> None:
    tricky = ["08:00", "12:30", "yes", "no", "null", "2019-12-05", "…/KH-UBND", "1e3", "0123"]
    data = {
        "code": "X",
        "title": "Kế hoạch: “thi đua” – năm 2020",
        "doc_date": dt.date(2019, 9, 30),
        "settings": {"export": {"bases": tricky}, "reminders": {"at": "08:00"}},
        "empty": [],
        "none": None,
    }
    text = dump_campaign(data)
    assert yaml.safe_load(text) == {**data, "doc_date": "30/09/2019"}
    assert "Kế hoạch: “thi đua” – năm 2020" in text  # Vietnamese as written, not escaped
    assert list(yaml.safe_load(text)) == list(data)  # the given key order
    assert dump_campaign(data) == text


def test_long_lines_are_not_folded() -> None:
    long = " ".join(["Hội nghị điển hình tiên tiến"] * 40)
    text = dump_campaign({"description": long, "list": ["a", "b"]})
    assert text == f"description: {long}\nlist:\n  - a\n  - b\n"


def test_vn_date() -> None:
    assert vn_date(dt.date(2020, 3, 5)) == "05/03/2020"
