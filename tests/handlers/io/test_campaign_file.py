"""The campaign file: validation, period resolution, idempotent loading."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.vn_dates import resolve_due
from handlers.io.campaign_file import DEFAULT_AWARD_FORMS, CampaignFileError, parse_campaign
from handlers.services.campaigns import load_campaign
from storage.models import (
    AuditLog,
    AwardForm,
    Campaign,
    Requirement,
    RequirementKind,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from tests.samples import DEMO_DIR

SF = async_sessionmaker[AsyncSession]
DEMO = DEMO_DIR / "bimson-2019.yaml"
NOW = dt.datetime(2019, 10, 1, 2, 0, tzinfo=dt.UTC)


def _minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "TEST-2020",
        "title": "Kế hoạch thử",
        "requirements": [
            {"code": "BC", "title": "Báo cáo quý", "kind": "report", "due": "quý I/2020"},
            {
                "code": "HS",
                "title": "Hồ sơ",
                "kind": "dossier",
                "due": "15/4/2020",
                "parts": ["Tờ trình", "Biên bản"],
            },
        ],
    }
    data.update(overrides)
    return data


async def _count(sf: SF, model: type, *where: Any) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _load(sf: SF, data: Any) -> Any:
    async with sf.begin() as s:
        return await load_campaign(s, data, now=NOW)


# --------------------------------------------------------------------------- periods and dates


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("15/11/2019", dt.date(2019, 11, 15), None),
        ("5-1-2020", dt.date(2020, 1, 5), None),
        ("2020-04-15", dt.date(2020, 4, 15), None),
        ("ngày 20 tháng 3 năm 2020", dt.date(2020, 3, 20), None),
        ("quý I/2020", dt.date(2020, 3, 31), "quý I/2020"),
        ("Quý 2/2020", dt.date(2020, 6, 30), "Quý 2/2020"),
        ("quý IV năm 2020", dt.date(2020, 12, 31), "quý IV năm 2020"),
        ("tháng 3/2020", dt.date(2020, 3, 31), "tháng 3/2020"),
        ("tháng 2/2020", dt.date(2020, 2, 29), "tháng 2/2020"),
        ("tháng 2/2019", dt.date(2019, 2, 28), "tháng 2/2019"),
        ("năm 2020", dt.date(2020, 12, 31), "năm 2020"),
        ("6 tháng đầu năm 2020", dt.date(2020, 6, 30), "6 tháng đầu năm 2020"),
        ("9 tháng đầu năm 2020", dt.date(2020, 9, 30), "9 tháng đầu năm 2020"),
        ("6 tháng cuối năm 2020", dt.date(2020, 12, 31), "6 tháng cuối năm 2020"),
        ("quy i/2020", dt.date(2020, 3, 31), "quy i/2020"),
    ],
)
def test_resolve_due(text: str, expected: dt.date, label: str | None) -> None:
    assert resolve_due(text) == (expected, label)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/2/2020", 'Ngày "31/2/2020" không tồn tại.'),
        ("quý V/2020", 'Không hiểu hạn nộp "quý V/2020": hãy ghi một ngày (15/11/2019)'),
        ("tháng 13/2020", 'Kỳ "tháng 13/2020" không hợp lệ: tháng phải từ 1 đến 12.'),
        ("13 tháng đầu năm 2020", "số tháng phải từ 1 đến 12"),
        ("sắp tới", 'Không hiểu hạn nộp "sắp tới"'),
    ],
)
def test_resolve_due_rejects(text: str, expected: str) -> None:
    with pytest.raises(ValueError) as info:
        resolve_due(text)
    assert expected in str(info.value)


@pytest.mark.parametrize("doc_date", ["23/7/2019", "2019-07-23", dt.date(2019, 7, 23)])
def test_doc_date_formats(doc_date: Any) -> None:
    assert parse_campaign(_minimal(doc_date=doc_date)).doc_date == dt.date(2019, 7, 23)


# --------------------------------------------------------------------------- validation errors


def test_bad_due_names_field_and_line(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8").replace("due: 31/3/2020", "due: quý năm 2020")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "quý năm 2020" in row)

    with pytest.raises(CampaignFileError) as info:
        parse_campaign(path)

    message = str(info.value)
    assert message.startswith("Tệp kế hoạch có lỗi")
    assert f"Dòng {line}" in message
    assert "mục 3 (HOINGHI) → due" in message
    assert "hạn nộp" in message
    assert 'Không hiểu hạn nộp "quý năm 2020"' in message
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"timezone": "Asia/Ha_Noi"}, 'Múi giờ "Asia/Ha_Noi" không hợp lệ'),
        ({"titel": "x"}, '"titel": Trường này không có trong mẫu'),
        ({"code": "Mã có dấu"}, "chỉ được gồm chữ cái không dấu"),
        ({"title": "   "}, '"title" (tên): Không được để trống'),
        ({"requirements": []}, "Phải có ít nhất một mục"),
        ({"doc_date": "30/13/2019"}, 'Ngày "30/13/2019" không tồn tại'),
        (
            {"award_forms": [{"code": "X", "name": "Giấy khen", "subject": "ho_gia_dinh"}]},
            "chỉ nhận: ca_nhan, tap_the",
        ),
    ],
)
def test_field_errors_are_vietnamese(patch: dict[str, Any], expected: str) -> None:
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(_minimal(**patch))
    assert expected in str(info.value)


def test_requirement_rules() -> None:
    data = _minimal()
    data["requirements"][0]["kind"] = "plann"
    data["requirements"][1]["parts"] = []
    data["requirements"].append(
        {"code": "X", "title": "X", "kind": "plan", "due": "1/1/2020", "unit_kinds": ["phuong"]}
    )
    data["requirements"].append(
        {"code": "Y", "title": "Y", "kind": "plan", "due": "1/1/2020", "unit_kinds": ["chua co"]}
    )
    with pytest.raises(CampaignFileError) as info:
        parse_campaign(data)
    problems = info.value.problems
    assert any("mục 1 (BC) → kind" in p and '"plann" không hợp lệ' in p for p in problems)
    assert any("mục 2 (HS)" in p and 'phải có "parts"' in p for p in problems)
    assert any('Loại đơn vị "chua co" không có' in p for p in problems)
    assert not any("mục 3 (X)" in p for p in problems)  # "phuong" is a known kind
    assert len(problems) == 3


def test_duplicate_codes_and_parts_outside_dossiers() -> None:
    dup = _minimal()
    dup["requirements"].append({"code": "bc", "title": "Lặp", "kind": "plan", "due": "1/1/2020"})
    with pytest.raises(CampaignFileError, match=r'Mã yêu cầu "BC" bị trùng \(mục 1 và mục 3\)'):
        parse_campaign(dup)
    parts = _minimal()
    parts["requirements"][0]["parts"] = ["a"]
    with pytest.raises(CampaignFileError, match="chỉ loại dossier"):
        parse_campaign(parts)


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(CampaignFileError, match=r"sai cú pháp YAML ở dòng 4, cột 3"):
        parse_campaign(b"code: A\ntitle: B\nrequirements: [\n  - x: : :\n")
    with pytest.raises(CampaignFileError, match="nhóm trường"):
        parse_campaign(b"- just\n- a list\n")


# --------------------------------------------------------------------------- loading


async def test_load_demo_campaign(session_factory: SF) -> None:
    result = await _load(session_factory, DEMO)

    assert result.campaign_change == "created"
    assert result.requirements_created == ["KEHOACH", "HNDIEM", "HOINGHI", "DECU", "HOSO"]
    assert result.award_forms.created == [
        "CSTDCS",
        "LDTT",
        "TTLDXS",
        "TTLDTT",
        "GK_CN",
        "GK_TT",
        "BK_CN",
        "BK_TT",
    ]
    async with session_factory() as s:
        repo = CampaignRepository(s)
        campaign = await repo.get_by_code("bimson-dhtt-2019")
        assert campaign is not None
        assert campaign.code == "BIMSON-DHTT-2019"
        assert campaign.title.startswith("Kế hoạch tổ chức Hội nghị điển hình tiên tiến các cấp")
        assert campaign.title.endswith("Đại hội thi đua yêu nước toàn quốc lần thứ X")
        assert campaign.doc_number == "…/KH-UBND"
        assert campaign.doc_date == dt.date(2019, 9, 30)
        assert campaign.issuer == "UBND thị xã Bỉm Sơn"
        assert campaign.timezone == "Asia/Ho_Chi_Minh"
        assert campaign.settings["quotas"] == {
            "unit_max_delegates": 150,
            "town_max_delegates": 300,
        }
        assert campaign.settings["milestones"] == [
            {"title": "Hội nghị điển hình tiên tiến thị xã", "due": "20/6/2020"}
        ]
        reqs = await repo.requirements_for(campaign.id)
        assert [(r.code, r.kind, r.due_date) for r in reqs] == [
            ("KEHOACH", RequirementKind.PLAN, dt.date(2019, 11, 15)),
            ("HNDIEM", RequirementKind.EVENT, dt.date(2020, 3, 20)),
            ("HOINGHI", RequirementKind.EVENT, dt.date(2020, 3, 31)),
            ("DECU", RequirementKind.NOMINATION_LIST, dt.date(2020, 4, 15)),
            ("HOSO", RequirementKind.DOSSIER, dt.date(2020, 4, 15)),
        ]
        by_code = {r.code: r for r in reqs}
        assert by_code["HNDIEM"].unit_codes == ["P-BADINH", "DT-PHUNU", "DN-MTDT"]
        assert by_code["KEHOACH"].unit_codes == [] and by_code["KEHOACH"].unit_kinds == []
        assert by_code["HOSO"].parts == [
            "Báo cáo tổng kết Hội nghị",
            "Danh sách trích ngang đại biểu",
            "Tờ trình",
            "Biên bản",
            "Báo cáo thành tích",
        ]
        assert all(r.period_label is None for r in reqs)
        forms = await repo.award_forms_for(campaign.id)
        assert [(f.code, f.subject) for f in forms][4:6] == [
            ("GK_CN", SubjectKind.INDIVIDUAL),
            ("GK_TT", SubjectKind.COLLECTIVE),
        ]
    # No units exist yet: the pilot codes are reported, not rejected.
    assert any("P-BADINH" in w for w in result.warnings)
    assert await _count(session_factory, AuditLog, AuditLog.action == "campaign.load") == 1


async def test_loading_twice_changes_nothing(session_factory: SF) -> None:
    await _load(session_factory, DEMO)
    async with session_factory() as s:
        before = [
            (r.id, r.code) for r in await s.scalars(select(Requirement).order_by(Requirement.id))
        ]

    again = await _load(session_factory, DEMO.read_bytes())

    assert again.campaign_change == "unchanged"
    assert not again.changed
    assert again.requirements_unchanged == ["KEHOACH", "HNDIEM", "HOINGHI", "DECU", "HOSO"]
    assert again.requirements_created == again.requirements_updated == []
    assert await _count(session_factory, Campaign) == 1
    assert await _count(session_factory, Requirement) == 5
    assert await _count(session_factory, AwardForm) == 8
    assert await _count(session_factory, AuditLog) == 1  # nothing changed: no new audit row
    async with session_factory() as s:
        after = [
            (r.id, r.code) for r in await s.scalars(select(Requirement).order_by(Requirement.id))
        ]
    assert after == before


async def test_changes_update_in_place(session_factory: SF) -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    await _load(session_factory, data)
    async with session_factory() as s:
        ids = {r.code: r.id for r in await s.scalars(select(Requirement))}

    changed = copy.deepcopy(data)
    changed["title"] = "Kế hoạch đã sửa"
    changed["requirements"][0]["due"] = "20/11/2019"
    changed["requirements"][4]["parts"] = ["Tờ trình", "Biên bản"]
    changed["requirements"][3]["due"] = "quý II/2020"
    result = await _load(session_factory, changed)

    assert result.campaign_change == "updated"
    assert sorted(result.requirements_updated) == ["DECU", "HOSO", "KEHOACH"]
    assert sorted(result.requirements_unchanged) == ["HNDIEM", "HOINGHI"]
    async with session_factory() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        assert campaign.title == "Kế hoạch đã sửa"
        reqs = {r.code: r for r in await s.scalars(select(Requirement))}
    assert {code: r.id for code, r in reqs.items()} == ids
    assert reqs["KEHOACH"].due_date == dt.date(2019, 11, 20)
    assert reqs["HOSO"].parts == ["Tờ trình", "Biên bản"]
    assert reqs["DECU"].due_date == dt.date(2020, 6, 30)
    assert reqs["DECU"].period_label == "quý II/2020"
    assert await _count(session_factory, AuditLog) == 2


async def test_period_due_is_stored_with_label(session_factory: SF) -> None:
    await _load(session_factory, _minimal())
    async with session_factory() as s:
        req = (await s.scalars(select(Requirement).where(Requirement.code == "BC"))).one()
    assert req.due_date == dt.date(2020, 3, 31)
    assert req.period_label == "quý I/2020"


async def test_default_award_forms_when_omitted(session_factory: SF) -> None:
    result = await _load(session_factory, _minimal())
    assert result.award_forms.created == [f.code for f in DEFAULT_AWARD_FORMS]
    async with session_factory() as s:
        forms = {f.code: f for f in await s.scalars(select(AwardForm))}
    for code in ("CSTDCS", "LDTT", "CSTD_TINH", "TTLDTT", "TTLDXS", "GK_CN", "BK_CN"):
        assert code in forms
    assert forms["CSTDCS"].name == "Chiến sĩ thi đua cơ sở"
    assert forms["TTLDXS"].name == "Tập thể lao động xuất sắc"
    assert forms["GK_TT"].subject is SubjectKind.COLLECTIVE
    assert forms["BK_CN"].name == "Bằng khen của Chủ tịch UBND tỉnh"
    assert forms["BK_CN"].subject is SubjectKind.INDIVIDUAL


async def test_award_forms_are_replaced_by_the_file(session_factory: SF) -> None:
    await _load(session_factory, _minimal())
    forms = [
        {"code": "GK_CN", "name": "Giấy khen của Chủ tịch UBND huyện", "subject": "ca_nhan"},
        {"code": "NEW", "name": "Danh hiệu mới", "subject": "tap_the"},
    ]
    result = await _load(session_factory, _minimal(award_forms=forms))
    assert result.award_forms.created == ["NEW"]
    assert result.award_forms.updated == ["GK_CN"]
    assert len(result.award_forms.removed) == len(DEFAULT_AWARD_FORMS) - 1
    async with session_factory() as s:
        rows = list(await s.scalars(select(AwardForm).order_by(AwardForm.position)))
    assert [(f.code, f.name, f.position) for f in rows] == [
        ("GK_CN", "Giấy khen của Chủ tịch UBND huyện", 0),
        ("NEW", "Danh hiệu mới", 1),
    ]


async def test_missing_requirements_deleted_unless_used(session_factory: SF) -> None:
    data = _minimal()
    data["requirements"].append(
        {"code": "DUNG", "title": "Đã có bài nộp", "kind": "report", "due": "năm 2020"}
    )
    await _load(session_factory, data)
    async with session_factory.begin() as s:
        unit = Unit(code="P-A", name="Phường A", kind="xa_phuong")
        s.add(unit)
        await s.flush()
        req = (await s.scalars(select(Requirement).where(Requirement.code == "DUNG"))).one()
        s.add(
            Submission(
                unit_id=unit.id,
                requirement_id=req.id,
                status=SubmissionStatus.SUBMITTED,
                submitted_at=NOW,
            )
        )

    result = await _load(session_factory, _minimal(requirements=[_minimal()["requirements"][0]]))

    assert result.requirements_removed == ["HS"]
    assert result.requirements_kept == ["DUNG"]
    assert any('"DUNG"' in w and "giữ lại" in w for w in result.warnings)
    async with session_factory() as s:
        codes = sorted(r.code for r in await s.scalars(select(Requirement)))
    assert codes == ["BC", "DUNG"]


async def test_deadline_before_the_plan_date_is_a_warning(session_factory: SF) -> None:
    result = await _load(session_factory, _minimal(doc_date="1/4/2020"))
    assert result.warnings == [
        'Yêu cầu "BC": hạn nộp 31/03/2020 trước ngày văn bản 01/04/2020.',
    ]
    assert result.requirements_created == ["BC", "HS"]
