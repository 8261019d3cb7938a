"""Plan intake services: reading uploads, dues typed in the chat, drafts and the campaign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.kernel.texts import Texts
from handlers.services import intake
from handlers.services.invites import ensure_account
from storage.models import Broadcast, Campaign, Person, Requirement, Role
from tests.handlers.flows.test_intake import PLAN
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
NOW = dt.datetime(2019, 11, 12, 2, 0, tzinfo=dt.UTC)
TEXT = (
    "UBND HUYỆN A\nSố: 7/KH-UBND\nHuyện A, ngày 02 tháng 01 năm 2020\n\n"
    "KẾ HOẠCH\nThi đua năm 2020\n"
    "Các xã gửi báo cáo sơ kết trước ngày 15/6/2020.\n"
    "Hội nghị điển hình tiên tiến của huyện tổ chức trong tháng 8/2020.\n"
)


@pytest.mark.parametrize(
    ("typed", "due"),
    [
        ("15/11/2019", "2019-11-15"),
        ("ngày 5.1.2020", "2020-01-05"),
        ("quý I/2020", "2020-Q1"),
        ("Quy iv nam 2020", "2020-Q4"),
        ("tháng 8/2025", "2025-08"),
        ("6 tháng đầu năm 2020", "2020-01-01/2020-06-30"),
        ("chưa có hạn", None),
        ("Chua co han.", None),
    ],
)
def test_parse_due(typed: str, due: str | None) -> None:
    assert intake.parse_due(typed) == due


@pytest.mark.parametrize("typed", ["31/2/2020", "mai", "quý V/2020", ""])
def test_parse_due_refuses(typed: str) -> None:
    with pytest.raises(UserError) as info:
        intake.parse_due(typed)
    assert info.value.key == "intake_bad_due"


def test_due_forms() -> None:
    assert intake.due_form("2019-11-15").due_date == dt.date(2019, 11, 15)
    ranged = intake.due_form("2020-06-06/2020-06-08")
    assert (ranged.kind, ranged.due_date) == ("range", dt.date(2020, 6, 8))
    assert intake.due_form("2020-02").due_date == dt.date(2020, 2, 29)
    assert intake.due_form("2020-12").due_date == dt.date(2020, 12, 31)
    quarter = intake.due_form("2020-Q1")
    assert (quarter.quarter, quarter.due_date) == (1, dt.date(2020, 3, 31))
    yearly = intake.due_form("--03-15")
    assert (yearly.kind, yearly.fixed, yearly.due_date) == ("yearly", False, None)
    assert intake.due_form(None).kind == "none"
    assert intake.due_form("2020-13-40").kind == "none"


def test_rendered_dues() -> None:
    texts = Texts()
    item = {"time": "14:00", "relative": "10 ngày làm việc"}
    assert texts.plain("intake.due", form=intake.due_form("2019-11-15"), item=item) == (
        "15/11/2019 lúc 14:00"
    )
    assert texts.plain("intake.due", form=intake.due_form("2020-Q3"), item=item) == (
        "quý III/2020"
    )
    assert texts.plain("intake.due", form=intake.due_form(None), item=item) == (
        "chưa có hạn (10 ngày làm việc)"
    )


@pytest.mark.parametrize(
    ("name", "size", "key"),
    [
        ("scan.gif", 10, "plan_file_no_text"),  # a png or jpg is read by OCR
        ("bang.xlsx", 10, "plan_file_type"),
        ("trong.docx", 0, "file_empty"),
        ("lon.docx", 21 * 1024 * 1024, "plan_file_too_big"),
    ],
)
def test_check_upload(name: str, size: int, key: str) -> None:
    with pytest.raises(UserError) as info:
        intake.check_upload(name, size)
    assert info.value.key == key


def test_read_upload_txt_and_executable() -> None:
    assert "15/6/2020" in intake.read_upload("plan.txt", TEXT.encode())
    with pytest.raises(UserError) as info:
        intake.read_upload("plan.txt", b"MZ\x90\x00" + b"0" * 50)
    assert info.value.key == "file_executable"


def test_draft_items_propose_kinds() -> None:
    plan = intake.draft_items(TEXT)
    assert (plan["doc_number"], plan["doc_date"]) == ("7/KH-UBND", "2020-01-02")
    assert [(i["due"], i["kind"], i["status"]) for i in plan["items"]] == [
        ("2020-06-15", "report", "proposed"),
        ("2020-08", "event", "proposed"),
    ]


async def _person(sf: SF) -> Person:
    async with sf.begin() as s:
        person = Person(full_name="Thường trực", role=Role.SECRETARIAT, created_at=NOW)
        s.add(person)
        await s.flush()
        return person


async def test_create_campaign_from_a_draft(session_factory: SF) -> None:
    person = await _person(session_factory)
    texts = Texts()
    async with session_factory.begin() as s:
        draft = await intake.start_draft(s, TEXT, file_id=None, by=person, now=NOW)
        with pytest.raises(UserError) as info:
            await intake.create_campaign(s, texts, draft, by=person, now=NOW)
        assert info.value.key == "intake_nothing_to_create"
        assert intake.accept_all(s, draft, by=person, now=NOW) == 2
        index = intake.add_item(s, draft, "Báo cáo nhanh", by=person, now=NOW)
        intake.update_item(s, draft, index, by=person, now=NOW, due="--03-15")
        campaign = await intake.create_campaign(s, texts, draft, by=person, now=NOW)
        assert campaign.code == f"KH-2020-{draft.id}"
        assert draft.status == "created"
    async with session_factory() as s:
        stored = await s.get(Campaign, campaign.id)
        assert stored is not None
        assert stored.settings == {}  # no more settings.undated: requirements
        reqs = list(
            await s.scalars(select(Requirement).order_by(Requirement.position, Requirement.id))
        )
        assert [
            (r.code, str(r.due_start), str(r.due_date), r.period_label, r.recurrence) for r in reqs
        ] == [
            ("ND1", "None", "2020-06-15", None, None),
            ("ND2", "2020-08-01", "2020-08-31", "tháng 8/2020", None),
            # the yearly rule's first occurrence, made at once (15/03/2019 is past)
            ("ND3-2020", "None", "2020-03-15", "năm 2020", None),
            ("ND3", "None", "None", None, {"every": "year", "month": 3, "day": 15}),
        ]
        assert "trước ngày 15/6/2020" in (reqs[0].description or "")
        assert await intake.open_drafts(s) == []
        with pytest.raises(UserError):
            await intake.get_open(s, draft.id)


async def _broadcasts(sf: SF) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(Broadcast)) or 0)


async def test_without_campaigns_kehoach_offers_a_new_plan(
    chat: Callable[..., ChatHarness], session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        assert await ensure_account(
            s,
            channel="console",
            external_id="noivu",
            full_name="Phòng Nội vụ",
            role=Role.SECRETARIAT,
            unit_code=None,
            now=clock(),
        )
    noivu = chat("noivu")
    await noivu.send("/kehoach")
    assert "Chưa có kế hoạch nào" in noivu.text
    assert noivu.buttons == ["📄 Kế hoạch mới từ văn bản"]
    await noivu.press("Kế hoạch mới từ văn bản")
    await noivu.send(PLAN)
    await noivu.press("Nhận tất cả")
    await noivu.press("Tạo kế hoạch")
    await noivu.press("Tạo kế hoạch")
    assert "Đã tạo kế hoạch" in noivu.text
    assert "0 đơn vị thực hiện" in noivu.text
    await noivu.press("Thông báo tới các đơn vị")
    assert "Chưa có ai trong các đơn vị thực hiện" in noivu.text
    assert await _broadcasts(session_factory) == 0


UNDATED_TEXT = (
    "UBND HUYỆN A\nSố: 7/KH-UBND\nHuyện A, ngày 02 tháng 01 năm 2020\n\n"
    "KẾ HOẠCH\nThi đua năm 2020\n"
    "Các xã gửi báo cáo sơ kết trước ngày 15/6/2020.\n"
    "Các đơn vị gửi báo cáo thành tích trước ngày 10/8 hằng năm.\n"
    "Các đơn vị gửi hồ sơ đề nghị khen thưởng trong thời hạn 10 ngày làm việc kể từ ngày "
    "kết thúc hội nghị.\n"
)


async def test_yearly_rules_and_relative_limits_become_requirements(session_factory: SF) -> None:
    person = await _person(session_factory)
    texts = Texts()
    async with session_factory.begin() as s:
        draft = await intake.start_draft(s, UNDATED_TEXT, file_id=None, by=person, now=NOW)
        assert [i["due"] for i in draft.plan["items"]] == ["2020-06-15", "--08-10", None]
        intake.accept_all(s, draft, by=person, now=NOW)
        index = intake.add_item(s, draft, "Đại hội thi đua", by=person, now=NOW)
        due = intake.parse_due("chưa có hạn")  # "thời gian sẽ thông báo sau"
        intake.update_item(s, draft, index, by=person, now=NOW, due=due)
        campaign = await intake.create_campaign(s, texts, draft, by=person, now=NOW)
    async with session_factory() as s:
        reqs = list(
            await s.scalars(
                select(Requirement)
                .where(Requirement.campaign_id == campaign.id)
                .order_by(Requirement.position)
            )
        )
        assert [(r.code, r.due_date, r.recurrence) for r in reqs] == [
            ("ND1", dt.date(2020, 6, 15), None),
            ("ND2-2020", dt.date(2020, 8, 10), None),  # this year's occurrence, made at once
            ("ND2", None, {"every": "year", "month": 8, "day": 10}),
            ("ND3", None, None),  # a relative limit: "chưa có hạn", its words kept
            ("ND4", None, None),
        ]
        assert "10 ngày làm việc kể từ ngày kết thúc hội nghị" in (reqs[3].description or "")
        stored = await s.get(Campaign, campaign.id)
        assert stored is not None and "undated" not in stored.settings
        text = texts.plain("intake.announcement", title="KH", reqs=reqs, undated=[])
        assert "Đại hội thi đua: chưa có hạn" in text
        assert "hạn hằng năm 10/08" in text
