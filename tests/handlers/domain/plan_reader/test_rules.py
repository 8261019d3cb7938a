"""The plan reader's rules, one family at a time, on short examples written for them."""

from __future__ import annotations

import pytest

from handlers.domain.plan_reader import Plan, extract_plan
from handlers.domain.plan_reader.mentions import find_mentions
from handlers.domain.plan_reader.text import clause_bounds, fold


def dues(text: str, doc_date: str | None = "2020-03-01") -> list[str | None]:
    return [item.due for item in extract_plan(text, doc_date).items]


def only(text: str, doc_date: str | None = "2020-03-01") -> Plan:
    plan = extract_plan(text, doc_date)
    assert len(plan.items) == 1, plan.items
    return plan


def test_fold_keeps_offsets() -> None:
    text = "Trước ngày 15/11, Đơn vị gửi hồ sơ"
    assert fold(text) == "truoc ngay 15/11, don vi gui ho so"
    assert len(fold(text)) == len(text)


def test_clause_does_not_end_at_an_abbreviation_or_a_dotted_date() -> None:
    text = "Nộp về phòng TC. Thảo trước ngày 22.10.2020. Câu sau."
    left, right = clause_bounds(text, text.index("22"), text.index("22") + 10)
    assert text[left:right].startswith("Nộp về phòng TC. Thảo")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Các đơn vị gửi hồ sơ trước ngày 15/11/2019.", ["2019-11-15"]),
        ("Hạn nộp chậm nhất là ngày 05 tháng 12 năm 2020.", ["2020-12-05"]),
        ("Gửi báo cáo trước 10.12.2020.", ["2020-12-10"]),
        ("Gửi ý kiến trước ngày 4-9-2025.", ["2025-09-04"]),
    ],
)
def test_day_forms(text: str, expected: list[str]) -> None:
    assert dues(text) == expected


def test_cited_documents_and_document_date_are_not_deadlines() -> None:
    text = (
        "Hà Nội, ngày 12 tháng 3 năm 2020\n"
        "Căn cứ Kế hoạch số 18/KH-UBND ngày 02/3/2020 và Chỉ thị số 34-CT/TW ngày 07/4/2014;\n"
        "Công văn 45/SNV ngày 1/2/2020 có hiệu lực từ ngày 15/2/2020.\n"
        "Các xã gửi hồ sơ trước ngày 20/4/2020.\n"
    )
    assert dues(text, None) == ["2020-04-20"]


def test_signature_stamp_and_web_stamp_are_the_document_date_not_items() -> None:
    signed = "Gửi hồ sơ trước ngày 30/10.\nKý bởi: Sở Nội vụ\n2021-10-05T10:20:00+0700"
    plan = extract_plan(signed)
    assert plan.doc_date == "2021-10-05"
    assert [i.due for i in plan.items] == ["2021-10-30"]
    web = "Cập nhật 08/05/2022 09:15\nĐại hội sẽ diễn ra vào ngày 20/6/2022."
    plan = extract_plan(web)
    assert plan.doc_date == "2022-05-08"
    assert [i.due for i in plan.items] == ["2022-06-20"]


def test_dateline_with_a_blank_day_gives_a_month() -> None:
    plan = extract_plan("UBND XÃ AN BÌNH\nAn Bình, ngày     tháng 8 năm 2021\nKẾ HOẠCH\n")
    assert plan.doc_date == "2021-08"
    assert plan.items == ()


def test_anniversaries_and_periods_are_not_deadlines() -> None:
    text = (
        "Kỷ niệm ngày sinh (19/5/1890 - 19/5/2020); thi đua giai đoạn 2020 - 2025;\n"
        "thực hiện từ tháng 7/2020 đến hết tháng 6/2021; các ngày lễ lớn năm 2020.\n"
    )
    assert dues(text) == []


def test_missing_year_comes_from_the_document_date() -> None:
    assert dues("Các đơn vị gửi danh sách trước ngày 10/4.", "2020-03-01") == ["2020-04-10"]


def test_missing_year_without_document_date_comes_from_the_text() -> None:
    text = "Biểu dương giai đoạn 2018-2023. Hội nghị sẽ diễn ra từ 25 đến 27/11."
    assert dues(text, None) == ["2023-11-25/2023-11-27"]


def test_quarters_months_and_half_forms() -> None:
    assert dues("Cấp xã hoàn thành trong quý I năm 2020.") == ["2020-Q1"]
    assert dues("Hội nghị tổ chức trong quý 3/2021.") == ["2021-Q3"]
    assert dues("Hội nghị dự kiến tổ chức trong tháng 8/2025.") == ["2025-08"]
    assert dues("Đại hội dự kiến vào tháng 11 năm 2019.") == ["2019-11"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hội nghị diễn ra từ ngày 6 đến 8/6/2020.", "2020-06-06/2020-06-08"),
        ("Tập huấn tổ chức từ ngày 30/6-1/7/2020.", "2020-06-30/2020-07-01"),
        ("Đại hội tổ chức trong 2 ngày 9 - 10.12.2020.", "2020-12-09/2020-12-10"),
        ("Từ ngày 21/10 – 23/10/2020: các phòng bình xét.", "2020-10-21/2020-10-23"),
        ("Lấy ý kiến từ ngày 20-8-2020 đến ngày 4-9-2020.", "2020-08-20/2020-09-04"),
    ],
)
def test_ranges(text: str, expected: str) -> None:
    assert dues(text) == [expected]


def test_dotted_dates_versus_section_numbers() -> None:
    assert find_mentions(fold("1.2. Mục đích\n2.3.1. Thời gian")) == []
    assert dues("1.2. Hội nghị tổ chức vào ngày 19.8 tại hội trường.", "2020-03-01") == [
        "2020-08-19"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gửi hồ sơ chậm nhất ngày 15/3 năm sau.", "--03-15"),
        ("Gửi báo cáo trước ngày 10/8 hằng năm.", "--08-10"),
        ("Gửi hồ sơ chậm nhất ngày 30 tháng 6 hàng năm.", "--06-30"),
        ("Tiếp nhận hồ sơ trước ngày 25 tháng 02 của năm sau liền kề.", "--02-25"),
    ],
)
def test_recurring_rules(text: str, expected: str) -> None:
    assert dues(text) == [expected]


def test_window_of_an_unnamed_year_is_relative() -> None:
    plan = only(
        "Hồ sơ gửi từ ngày 05 tháng 01 đến ngày 28 tháng 02 của năm tổ chức Đại hội toàn quốc."
    )
    item = plan.items[0]
    assert item.due is None
    assert item.relative and "của năm tổ chức Đại hội" in item.relative


def test_relative_limits_versus_durations() -> None:
    plan = only("Ý kiến gửi về Sở trong thời hạn 10 ngày làm việc kể từ ngày đăng tin.")
    assert plan.items[0].due is None
    assert plan.items[0].relative == "trong thời hạn 10 ngày làm việc kể từ ngày đăng tin"
    assert plan.items[0].kind == "submit"
    plan = only("Hồ sơ nộp ít nhất 07 ngày trước ngày trao thưởng.")
    assert plan.items[0].relative == "ít nhất 07 ngày trước ngày trao thưởng"
    assert dues("Lớp tập huấn tổ chức trong 02 ngày; mỗi đơn vị cử 40 ngày làm việc.") == []


def test_hours() -> None:
    plan = only("Hồ sơ gửi về Văn phòng trước 16g30 ngày 05/05/2020.")
    assert plan.items[0].time == "16:30"
    plan = only("Hội nghị sẽ khai mạc vào 14h00 ngày 20/5/2020.")
    assert plan.items[0].time == "14:00"
    plan = only("Gửi ý kiến trước 17h ngày 1/12/2020.")
    assert plan.items[0].time == "17:00"


def test_restated_deadline_is_one_item_and_headline_day_joins_its_range() -> None:
    text = (
        "Lấy ý kiến đến hết ngày 1/12/2020.\n"
        "Ý kiến gửi về Hội đồng trước 17h ngày 1/12/2020.\n"
        "Gửi hồ sơ trước ngày 15/12/2020.\n"
        "Gửi hồ sơ trước ngày 15/12/2020.\n"
    )
    plan = extract_plan(text, "2020-11-20")
    assert [(i.due, i.time) for i in plan.items] == [("2020-12-01", "17:00"), ("2020-12-15", None)]


def test_events_versus_submissions() -> None:
    text = (
        "- Ngày 11/11/2020: nộp biên bản bình bầu về phòng Tổ chức.\n"
        "- Ngày 12/11/2020: Họp Hội đồng Thi đua.\n"
        "- Liên đoàn Lao động tỉnh tổ chức trước 30/4/2021.\n"
        "- Các khu dân cư hoàn thành bình xét trước ngày 25/10/2020.\n"
    )
    kinds = [(i.due, i.kind) for i in extract_plan(text, "2020-10-01").items]
    assert kinds == [
        ("2020-11-11", "submit"),
        ("2020-11-12", "event"),
        ("2021-04-30", "event"),
        ("2020-10-25", "event"),
    ]


def test_ocr_text_without_diacritics() -> None:
    text = "(Thoi gian givi Ké hoach trudc ngay 15/11/2019).\nHoan thanh trude ngay\n20/3/2020."
    plan = extract_plan(text, "2019-09-30")
    assert [(i.due, i.kind) for i in plan.items] == [
        ("2019-11-15", "submit"),
        ("2020-03-20", "event"),
    ]


def test_past_and_status_dates_are_not_items() -> None:
    text = (
        "Ngày 26/6, Ban tổ chức đã họp triển khai.\n"
        "Tính đến ngày 22/10/2020, 14 khu dân cư đã bình xét.\n"
        "Thời hạn nhận bài thi sẽ là 31/1/2021 thay cho thời hạn cũ 30/11/2020.\n"
        "Hội nghị sơ kết đã được tổ chức vào ngày 10/6/2020 tại huyện.\n"
    )
    assert dues(text, "2020-06-28") == ["2021-01-31"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hạn nộp: 15/10/2020.", ("2020-10-15", "submit")),
        ("Thời gian: 01 buổi, ngày 20/11/2020.", ("2020-11-20", "event")),
        ("Thời gian tổ chức: ngày 20/11/2020 tại Hội trường.", ("2020-11-20", "event")),
        ("Lễ tuyên dương dự kiến tổ chức vào dịp 20/11/2020.", ("2020-11-20", "event")),
        (
            "Nhận hồ sơ từ ngày 01/10/2020 đến hết ngày 15/10/2020.",
            ("2020-10-01/2020-10-15", "submit"),
        ),
    ],
)
def test_headed_times_and_windows(text: str, expected: tuple[str, str]) -> None:
    assert [(i.due, i.kind) for i in extract_plan(text, "2020-09-01").items] == [expected]


def test_a_text_without_deadline_gives_nothing() -> None:
    text = "Đề nghị các trường giới thiệu 01 giáo viên tiêu biểu theo mẫu đính kèm."
    assert extract_plan(text).items == ()


def test_spans_quote_the_text() -> None:
    text = "Căn cứ Luật.\nCác xã gửi hồ sơ về UBND huyện trước ngày 20/4/2020.\n"
    for item in extract_plan(text).items:
        assert text[item.span[0] : item.span[1]] == item.phrase
    assert extract_plan(text).items[0].phrase == "trước ngày 20/4/2020"


def test_header_fields() -> None:
    text = (
        "UBND HUYỆN AN BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 16/KH-UBND\n"
        "An Bình, ngày 26 tháng 6 năm 2019\nKẾ HOẠCH\nTổ chức Hội nghị điển hình tiên tiến\n"
    )
    plan = extract_plan(text)
    assert plan.doc_date == "2019-06-26"
    assert plan.doc_number == "16/KH-UBND"
    assert plan.issuer == "UBND HUYỆN AN BÌNH"
    assert plan.title == "KẾ HOẠCH Tổ chức Hội nghị điển hình tiên tiến"
    assert set(plan.as_dict()) == {"doc_date", "issuer", "doc_number", "title", "items"}


def test_the_number_typed_with_a_space_before_the_slash() -> None:
    text = (
        "Số: 16 /KH-HĐTĐKT\nBắc Giang, ngày 26 tháng 6 năm 2019\n"
        "Thực hiện Chỉ thị số 34-CT/TW ngày 07 tháng 4 năm 2014 của Bộ Chính trị\n"
    )
    assert extract_plan(text).doc_number == "16/KH-HĐTĐKT"  # not the cited directive's


def test_who_is_the_acting_body_before_the_verb() -> None:
    text = (
        "- Các xã, phường gửi hồ sơ về Phòng Nội vụ trước ngày 20/4/2020.\n"
        "- Liên đoàn Lao động tỉnh tổ chức trước 30/4/2020.\n"
        "- Hồ sơ gửi về Sở trước ngày 15/5/2020.\n"
    )
    assert [i.who for i in extract_plan(text).items] == [
        "Các xã, phường",
        "Liên đoàn Lao động tỉnh",
        None,
    ]
