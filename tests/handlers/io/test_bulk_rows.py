"""The rows of a bulk list checked with the wizards' field rules; duplicates."""

from __future__ import annotations

import datetime as dt

from handlers.io.bulk_rows import Entry, Problem, check_delegates, check_nominations, duplicates
from handlers.io.bulk_sheet import SheetRow

TODAY = dt.date(2019, 11, 12)
AWARDS = {
    "ca_nhan": {"LDTT": "Lao động tiên tiến", "CSTD": "Chiến sĩ thi đua cơ sở"},
    "tap_the": {"TTLDTT": "Tập thể lao động tiên tiến"},
}
SUMMARY = "Hoàn thành xuất sắc nhiệm vụ năm 2019 và nhiều năm liền."


def person(number: int, **cells: str) -> SheetRow:
    base = {
        "name": "Lê Văn C",
        "gender": "nam",
        "birth_year": "1980",
        "position": "Trưởng khu phố",
        "workplace": "",
        "award": "lao dong tien tien",
        "summary": SUMMARY,
    }
    return SheetRow(number, {**base, **cells})


def test_individuals_and_collectives_are_read_with_the_wizards_values() -> None:
    collective = {"name": "", "gender": "", "birth_year": "", "position": ""}
    rows = [
        person(4),
        person(5, **collective, workplace="Khu phố 5", award="Tập thể lao động tiên tiến"),
        person(6, name="Phạm  Thị D", gender="NỮ", workplace="Phường Ba Đình", award="CSTD"),
    ]
    entries, problems = check_nominations(rows, TODAY, AWARDS)
    assert problems == []
    assert [e.values for e in entries] == [
        {
            "subject": "ca_nhan",
            "name": "Lê Văn C",
            "gender": "nam",
            "birth_year": 1980,
            "position": "Trưởng khu phố",
            "award": "LDTT",
            "summary": SUMMARY,
        },
        {"subject": "tap_the", "name": "Khu phố 5", "award": "TTLDTT", "summary": SUMMARY},
        {
            "subject": "ca_nhan",
            "name": "Phạm Thị D",
            "gender": "nu",
            "birth_year": 1980,
            "position": "Trưởng khu phố, Phường Ba Đình",
            "award": "CSTD",
            "summary": SUMMARY,
        },
    ]
    assert [e.subject for e in entries] == ["ca_nhan", "tap_the", "ca_nhan"]


def test_every_problem_of_every_row_is_listed_with_its_column() -> None:
    rows = [
        person(4, birth_year="2019", summary="ngắn"),
        person(5, gender="", award="Tập thể lao động tiên tiến"),
        SheetRow(6, {**person(6).cells, "birth_year": ""}, formulas=("birth_year",)),
        person(7, name="", workplace="", position="", award="TTLDTT"),
        person(8),
    ]
    entries, problems = check_nominations(rows, TODAY, AWARDS)
    assert [e.row for e in entries] == [8]
    assert [(p.row, p.column, p.key) for p in problems] == [
        (4, "birth_year", "birth_year_invalid"),
        (4, "summary", "text_too_short"),
        (5, "gender", "bulk_cell_empty"),
        (5, "award", "bulk_not_in_list"),
        (6, "birth_year", "bulk_formula"),
        (7, "workplace", "bulk_cell_empty"),
    ]
    assert problems[3] == Problem(
        5,
        "award",
        "bulk_not_in_list",
        {
            "value": "Tập thể lao động tiên tiến",
            "options": ["Lao động tiên tiến", "Chiến sĩ thi đua cơ sở"],
        },
    )


def test_delegates_are_read_with_the_delegate_wizards_fields() -> None:
    rows = [
        SheetRow(4, {"name": "Trần Thị B", "gender": "Nữ", "birth_year": "", "ethnicity": "muong",
                     "position": "Bí thư", "category": "Điển hình", "presidium": ""}),
        SheetRow(5, {"name": "Lò Văn E", "gender": "Nam", "birth_year": "1970",
                     "ethnicity": "H'Mông", "position": "Già làng", "category": "khach moi",
                     "presidium": "x"}),
        SheetRow(6, {"name": "X", "gender": "?", "birth_year": "1970", "ethnicity": "1",
                     "position": "", "category": "Khác", "presidium": "có lẽ"}),
    ]  # fmt: skip
    entries, problems = check_delegates(rows, TODAY)
    assert [e.values for e in entries] == [
        {
            "name": "Trần Thị B",
            "birth_year": None,
            "gender": "nu",
            "ethnicity": "Mường",
            "position": "Bí thư",
            "category": "dien_hinh",
            "presidium": False,
        },
        {
            "name": "Lò Văn E",
            "birth_year": 1970,
            "gender": "nam",
            "ethnicity": "Mông",
            "position": "Già làng",
            "category": "khach_moi",
            "presidium": True,
        },
    ]
    assert [(p.row, p.column, p.key) for p in problems] == [
        (6, "name", "name_invalid"),
        (6, "gender", "bulk_not_in_list"),
        (6, "ethnicity", "ethnicity_invalid"),
        (6, "position", "bulk_cell_empty"),
        (6, "category", "bulk_not_in_list"),
        (6, "presidium", "bulk_not_in_list"),
    ]


def test_duplicates_in_the_file_and_in_the_system_are_found() -> None:
    def entry(row: int, name: str, year: int | None) -> Entry:
        return Entry(row, {"name": name, "birth_year": year})

    entries = [
        entry(4, "Lê Văn C", 1980),
        entry(5, "LÊ VĂN C", 1980),
        entry(6, "Lê Văn C", 1981),
        entry(7, "Trần Thị B", 1975),
        entry(8, "Khu phố 5", None),
    ]
    found = duplicates(entries, [("Tran Thi B", 1975), ("Khu phố 5", None), ("Lê Văn C", 1990)])
    assert [(e.row, first) for e, first in found] == [(5, 4), (7, None), (8, None)]
