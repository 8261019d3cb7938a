"""``export_campaign``: the YAML ``campaign load`` reads back into the same campaign.

A "fresh database" is played by loading the export under another campaign code next to the
original (the units are the same): its export must be the original's, code aside. The CLI test
(tests/bot/test_cli_campaign_export.py) loads it on a database of its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.io.campaign_file import CampaignFileError, parse_campaign
from handlers.kernel.texts import Texts
from handlers.services import intake
from handlers.services.campaign_export import export_campaign
from handlers.services.campaigns import find_campaign, load_campaign
from handlers.services.recurrence import generate_occurrences
from handlers.services.requirements import extend_deadline, find_requirement
from storage.models import Person, Requirement, Role, Unit
from tests.harness import Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
DEMO = "BIMSON-DHTT-2019"
D = dt.date


async def _export(sf: SF, code: str) -> str:
    async with sf() as s:
        return await export_campaign(s, code)


async def _round_trip(sf: SF, clock: Clock, code: str) -> str:
    """Export ``code``, load it again as-is (no change) and as a copy; return the export."""
    text = await _export(sf, code)
    async with sf.begin() as s:
        again = await load_campaign(s, text.encode(), now=clock())
    assert not again.changed, again
    assert await _export(sf, code) == text
    copy = text.replace(f"code: {code}\n", "code: BANSAO\n", 1)
    assert copy != text
    async with sf.begin() as s:
        created = await load_campaign(s, copy.encode(), now=clock())
    assert created.campaign_change == "created" and not created.warnings
    assert await _export(sf, "BANSAO") == copy
    return text


async def test_the_demo_round_trips(session_factory: SF, clock: Clock) -> None:
    text = await _round_trip(session_factory, clock, DEMO)
    data = yaml.safe_load(text)
    assert list(data)[:3] == ["code", "title", "doc_number"]
    assert "Bỉm Sơn" in text and "\\u" not in text  # Vietnamese kept as written
    assert data["doc_date"] == "30/09/2019"
    hoso = next(r for r in data["requirements"] if r["code"] == "HOSO")
    assert hoso["parts"][0] == "Báo cáo tổng kết Hội nghị" and hoso["due"] == "15/04/2020"
    assert data["settings"]["delegates"]["quota"]["units"]["P-BADINH"] == 15
    assert [f["code"] for f in data["award_forms"]][:2] == ["CSTDCS", "LDTT"]


async def test_an_extension_round_trips(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        for new, units in ((D(2019, 11, 22), []), (D(2019, 11, 29), ["P-BADINH"])):
            await extend_deadline(
                s, Texts(), req, new_due=new, unit_codes=units, reason="Mưa bão", by=None,
                now=clock(),
            )  # fmt: skip
    text = await _round_trip(session_factory, clock, DEMO)
    plan = next(r for r in yaml.safe_load(text)["requirements"] if r["code"] == "KEHOACH")
    assert (plan["due"], plan["extended_due"]) == ("15/11/2019", "22/11/2019")
    assert plan["unit_due"] == {"P-BADINH": "29/11/2019"}
    async with session_factory() as s:
        badinh = await s.scalar(select(Unit).where(Unit.code == "P-BADINH"))
        copy = await s.scalar(
            select(Requirement).where(Requirement.code == "KEHOACH", Requirement.id != req.id)
        )
        assert badinh is not None and copy is not None
        assert (copy.due_date, copy.original_due) == (D(2019, 11, 22), D(2019, 11, 15))
        assert copy.unit_due == {str(badinh.id): "2019-11-29"}


async def test_an_hour_round_trips(session_factory: SF, clock: Clock) -> None:
    text = await _export(session_factory, DEMO)
    timed = text.replace("    due: 15/11/2019\n", "    due: 15/11/2019\n    time: '16:30'\n", 1)
    assert timed != text
    async with session_factory.begin() as s:
        loaded = await load_campaign(s, timed.encode(), now=clock())
    assert loaded.requirements_updated == ["KEHOACH"]
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.due_time == dt.time(16, 30)
    exported = await _round_trip(session_factory, clock, DEMO)  # → a copy, byte-identical
    assert exported == timed
    plan = next(r for r in yaml.safe_load(exported)["requirements"] if r["code"] == "KEHOACH")
    assert (plan["due"], plan["time"]) == ("15/11/2019", "16:30")
    async with session_factory() as s:
        copy = await s.scalar(
            select(Requirement).where(Requirement.code == "KEHOACH", Requirement.id != req.id)
        )
        assert copy is not None and copy.due_time == dt.time(16, 30)


def test_an_hour_is_read_as_written() -> None:
    for written in ("16:30", "16h30", "16g30", 990):  # 990: PyYAML's unquoted 16:30
        (req,) = parse_campaign(_with({"time": written})).requirements
        assert req.time == dt.time(16, 30)
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(_with({"time": "chiều"}))
    assert 'ví dụ time: "16:30"' in str(info.value)


async def test_a_file_with_another_deadline_replaces_the_extension(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        await extend_deadline(
            s, Texts(), req, new_due=D(2019, 11, 22), unit_codes=[], reason="Mưa bão", by=None,
            now=clock(),
        )  # fmt: skip
    text = await _export(session_factory, DEMO)
    plain = text.replace("    extended_due: 22/11/2019\n", "", 1)
    async with session_factory.begin() as s:
        kept = await load_campaign(s, plain.encode(), now=clock())
    assert not kept.changed  # the plan's own deadline: the gia hạn stays
    assert await _export(session_factory, DEMO) == text
    later = plain.replace("due: 15/11/2019\n", "due: 30/11/2019\n", 1)
    async with session_factory.begin() as s:
        await load_campaign(s, later.encode(), now=clock())
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert (req.due_date, req.original_due) == (D(2019, 11, 30), None)
    assert await _export(session_factory, DEMO) == later


async def test_a_campaign_from_the_intake_round_trips(session_factory: SF, clock: Clock) -> None:
    now = clock()
    text = (
        "UBND HUYỆN A\nSố: 7/KH-UBND\nHuyện A, ngày 02 tháng 01 năm 2020\n\n"
        "KẾ HOẠCH\nThi đua năm 2020\n"
        "Các xã gửi báo cáo sơ kết trước\nngày 15/6/2020.\n"  # a line break in the phrase
        "Hội nghị điển hình tiên tiến của huyện tổ chức trong tháng 8/2020.\n"
    )
    async with session_factory.begin() as s:
        person = Person(full_name="Thường trực", role=Role.SECRETARIAT, created_at=now)
        s.add(person)
        await s.flush()
        draft = await intake.start_draft(s, text, file_id=None, by=person, now=now)
        intake.accept_all(s, draft, by=person, now=now)
        blocks = {"mode": "blocks", "blocks": ["Khối xã, phường"]}
        intake.update_item(s, draft, 0, by=person, now=now, units=blocks, accept=["pdf"])
        index = intake.add_item(s, draft, "Báo cáo nhanh", by=person, now=now)
        intake.update_item(s, draft, index, by=person, now=now, due="--03-15")
        campaign = await intake.create_campaign(s, Texts(), draft, by=person, now=now)
        code = campaign.code
    exported = await _round_trip(session_factory, clock, code)
    data = yaml.safe_load(exported)
    assert [(r["code"], r["due"], r.get("period_label")) for r in data["requirements"]] == [
        ("ND1", "15/06/2020", None),
        ("ND2", "tháng 8/2020", None),
        ("ND3-2020", "15/03/2020", "năm 2020"),  # the yearly rule's first occurrence
        ("ND3", "hằng năm 15/03", None),
    ]
    assert "trước ngày 15/6/2020" in data["requirements"][0]["description"]
    assert "settings" not in data
    first, second = data["requirements"][:2]
    assert (first["unit_blocks"], first["accept"]) == (["Khối xã, phường"], ["pdf"])
    assert "unit_blocks" not in second  # written only when the requirement names blocks


async def test_texts_are_written_as_the_loader_stores_them(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        req.description = "Gửi về\n  phòng Nội vụ."
    text = await _export(session_factory, DEMO)
    assert "description: Gửi về phòng Nội vụ.\n" in text
    copy = text.replace(f"code: {DEMO}\n", "code: BANSAO\n", 1)
    async with session_factory.begin() as s:
        await load_campaign(s, copy.encode(), now=clock())
    assert await _export(session_factory, "BANSAO") == copy


async def test_an_unknown_campaign_is_refused(session_factory: SF) -> None:
    with pytest.raises(UserError) as info:
        await _export(session_factory, "KHONG-CO")
    assert info.value.key == "campaign_not_found"


REQUIREMENT = {"code": "BC", "title": "Báo cáo", "kind": "report", "due": "15/11/2019"}


def _with(requirement: dict[str, object] | None = None, **top: object) -> dict[str, object]:
    req = {**REQUIREMENT, **(requirement or {})}
    return {"code": "X", "title": "Kế hoạch", "requirements": [req], **top}


def test_the_format_reads_the_new_keys() -> None:
    spec = parse_campaign(
        _with(
            {"period_label": "quý IV/2019", "extended_due": "20/11/2019",
             "unit_due": {"p-badinh": "25/11/2019"}},
            settings={"undated": [{"title": "Đại hội", "kind": "event", "due": None,
                                   "relative": "sẽ thông báo sau"}]},
        ),
        units=["P-BADINH"],
    )  # fmt: skip
    (req,) = spec.requirements
    assert (req.label, req.current_due) == ("quý IV/2019", D(2019, 11, 20))
    assert req.unit_due == {"P-BADINH": D(2019, 11, 25)}
    assert spec.settings_spec.undated[0].relative == "sẽ thông báo sau"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_with({"extended_due": "15/11/2019"}), "phải sau hạn 15/11/2019"),
        (_with({"extended_due": "20/11/2019", "unit_due": {"P-BADINH": "18/11/2019"}}),
         "phải sau hạn 20/11/2019"),
        (_with({"unit_due": {"P-KHONGCO": "18/11/2019"}}), "P-KHONGCO"),
        (_with(settings={"undated": [{"title": " "}]}), "title"),
        (_with(settings={"undated": [{"title": "A", "kind": "meeting"}]}), "kind"),
        (_with(settings={"undated": [{"title": "A", "when": "sau"}]}), "when"),
        (_with(settings={"undated": "sau"}), "undated"),
    ],
)  # fmt: skip
def test_the_new_keys_are_checked(data: dict[str, object], words: str) -> None:
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(data, units=["P-BADINH"])
    assert words in str(info.value)


FORMS = """\
code: HINHTHUC
title: Kế hoạch thử các dạng hạn
requirements:
  - {code: NGAY, title: Báo cáo, kind: report, due: 15/11/2019}
  - {code: KHOANG, title: Hội thi, kind: report, due: 06/06/2020 - 08/06/2020}
  - {code: QUY, title: Sơ kết quý, kind: report, due: quý I/2020}
  - {code: THANG, title: Báo cáo tháng, kind: report, due: tháng 8/2025}
  - {code: CHUACO, title: Đại hội, kind: report, due: chưa có hạn}
  - {code: HANGNAM, title: Báo cáo năm, kind: report, due: hằng năm 15/03}
"""


async def test_every_due_form_loads_and_round_trips(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        await load_campaign(s, FORMS.encode(), now=clock())
    async with session_factory() as s:
        rows = {
            r.code: (r.due_start, r.due_date, r.period_label, r.recurrence)
            for r in await s.scalars(select(Requirement).where(Requirement.code.in_(
                ["NGAY", "KHOANG", "QUY", "THANG", "CHUACO", "HANGNAM"])))
        }  # fmt: skip
    assert rows == {
        "NGAY": (None, D(2019, 11, 15), None, None),
        "KHOANG": (D(2020, 6, 6), D(2020, 6, 8), None, None),
        "QUY": (D(2020, 1, 1), D(2020, 3, 31), "quý I/2020", None),
        "THANG": (D(2025, 8, 1), D(2025, 8, 31), "tháng 8/2025", None),
        "CHUACO": (None, None, None, None),
        "HANGNAM": (None, None, None, {"every": "year", "month": 3, "day": 15}),
    }
    data = yaml.safe_load(await _round_trip(session_factory, clock, "HINHTHUC"))
    assert [r["due"] for r in data["requirements"]] == [
        "15/11/2019",
        "06/06/2020 - 08/06/2020",
        "quý I/2020",
        "tháng 8/2025",
        "chưa có hạn",
        "hằng năm 15/03",
    ]
    # the yearly rule's occurrence (made by the scheduler's pass) round-trips too
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, "HINHTHUC")
        (made,) = await generate_occurrences(s, campaign, clock())
        assert (made.code, made.due_date, made.period_label) == (
            "HANGNAM-2020",
            D(2020, 3, 15),
            "năm 2020",
        )
    text = await _export(session_factory, "HINHTHUC")
    async with session_factory.begin() as s:
        assert not (await load_campaign(s, text.encode(), now=clock())).changed
        copy = text.replace("code: HINHTHUC\n", "code: BANSAO2\n", 1)
        assert not (await load_campaign(s, copy.encode(), now=clock())).warnings
        assert await generate_occurrences(s, campaign, clock()) == []  # exactly once
    assert await _export(session_factory, "BANSAO2") == copy
    data = yaml.safe_load(text)
    occurrence = data["requirements"][5]
    assert (occurrence["code"], occurrence["due"], occurrence["period_label"]) == (
        "HANGNAM-2020",
        "15/03/2020",
        "năm 2020",
    )


async def test_an_old_file_with_undated_items_still_loads(
    session_factory: SF, clock: Clock
) -> None:
    text = FORMS.replace("code: HINHTHUC", "code: CU") + (
        "settings:\n  undated:\n    - {title: Đại hội, kind: event, due: null,"
        " relative: sẽ thông báo sau}\n"
    )
    async with session_factory.begin() as s:
        result = await load_campaign(s, text.encode(), now=clock())
    assert result.campaign_change == "created"
    data = yaml.safe_load(await _round_trip(session_factory, clock, "CU"))
    assert data["settings"]["undated"][0]["relative"] == "sẽ thông báo sau"


@pytest.mark.parametrize(
    ("due", "words"),
    [
        ("hằng năm 31/02", 'Ngày "hằng năm 31/02" không tồn tại.'),
        ("08/06/2020 - 06/06/2020", "ngày cuối phải sau ngày đầu"),
        ("có thể", "«chưa có hạn» hoặc «hằng năm 15/03»"),
    ],
)
def test_a_bad_due_form_names_its_line(due: str, words: str) -> None:
    text = FORMS.replace("due: chưa có hạn", f"due: {due}")
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(text.encode())
    message = str(info.value)
    assert "Dòng 8" in message and "(CHUACO) → due" in message
    assert words in message


def test_a_gia_han_needs_a_due_day() -> None:
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(_with({"due": "chưa có hạn", "extended_due": "20/11/2019"}))
    assert "không thể có extended_due" in str(info.value)
