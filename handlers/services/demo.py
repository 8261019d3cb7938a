"""Demo records: submissions and nominations of a few units, for trying the bot out.

The records file (``bot/demo/records.yaml``) gives times in the campaign's timezone as
"dd/mm/yyyy HH:MM". :func:`seed_demo_records` inserts every record by default. With ``until`` it
inserts only what had happened by then: a record sent later is skipped, and a review after it has
not happened yet (the row stays ``submitted``), so the data shows the state of that day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.nominations import NominationRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository
from storage.text import normalize_code

__all__ = ["DemoRecordsError", "SeedResult", "seed_demo_records"]

logger = logging.getLogger(__name__)

_LOCAL_FORMAT = "%d/%m/%Y %H:%M"


class DemoRecordsError(ValueError):
    """The records file does not fit the campaign or the units (message in Vietnamese)."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    """What :func:`seed_demo_records` inserted."""

    submissions: int = 0
    nominations: int = 0
    audit_rows: int = 0
    #: Records dated after ``until``, not inserted.
    not_yet: int = 0
    #: True when the campaign already had submissions or nominations: nothing was inserted.
    skipped: bool = False


def _text(value: Any) -> Any:
    return str(value).strip() if isinstance(value, str | int | float) else value


_Str = Annotated[str, BeforeValidator(_text)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: _Str
    at: _Str
    reviewed_at: _Str | None = None
    return_reason: _Str | None = None


class _SubmissionRecord(_Record):
    requirement: _Str
    part: _Str = ""
    status: Literal["submitted", "accepted", "returned"] = "submitted"
    text: _Str | None = None


class _NominationRecord(_Record):
    requirement: _Str | None = None
    subject: Literal["ca_nhan", "tap_the"]
    full_name: _Str
    gender: Literal["nam", "nu"] | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    position: _Str | None = None
    award: _Str
    summary: _Str
    status: Literal["submitted", "accepted", "returned"] = "submitted"


class _RecordsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    submissions: list[_SubmissionRecord] = Field(default_factory=list)
    nominations: list[_NominationRecord] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Timed:
    """A record's times in UTC: when it was sent, and when it was reviewed (None = not yet)."""

    at: dt.datetime
    reviewed_at: dt.datetime | None


def _read_records(path: Path) -> _RecordsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError:
        raise DemoRecordsError(f'Không mở được tệp "{path.name}".') from None
    except yaml.YAMLError:
        raise DemoRecordsError(f'Tệp "{path.name}" sai cú pháp YAML.') from None
    try:
        return _RecordsFile.model_validate(raw or {})
    except ValidationError as exc:
        where = "; ".join(
            ".".join(str(p) for p in e["loc"]) + f" ({e['type']})" for e in exc.errors()
        )
        raise DemoRecordsError(f'Tệp "{path.name}" có mục không hợp lệ: {where}.') from None


def _local_time(text: str, tz: ZoneInfo, where: str) -> dt.datetime:
    try:
        local = dt.datetime.strptime(text, _LOCAL_FORMAT).replace(tzinfo=tz)
    except ValueError:
        raise DemoRecordsError(
            f'{where}: thời điểm "{text}" phải ghi dạng dd/mm/yyyy HH:MM.'
        ) from None
    return local.astimezone(dt.UTC)


def _times(record: _Record, tz: ZoneInfo, until: dt.datetime | None, where: str) -> _Timed | None:
    """Return the record's UTC times, or None when it was sent after ``until``."""
    at = _local_time(record.at, tz, where)
    if until is not None and at > until:
        return None
    reviewed: dt.datetime | None = None
    if record.reviewed_at is not None:
        reviewed = _local_time(record.reviewed_at, tz, where)
        if reviewed < at:
            raise DemoRecordsError(f"{where}: thời điểm xử lý trước thời điểm nộp.")
        if until is not None and reviewed > until:
            reviewed = None
    return _Timed(at, reviewed)


def _applies(requirement: Requirement, unit: Unit) -> bool:
    codes = {normalize_code(c) for c in requirement.unit_codes}
    if codes and normalize_code(unit.code) not in codes:
        return False
    if requirement.unit_blocks and unit.block not in requirement.unit_blocks:
        return False
    return not requirement.unit_kinds or unit.kind in requirement.unit_kinds


def _reviewed_status(status: str, timed: _Timed) -> str:
    """The status as of ``until``: a review that has not happened yet leaves it submitted."""
    if status != "submitted" and timed.reviewed_at is None:
        return "submitted"
    return status


def _check_review(status: str, record: _Record) -> str | None:
    if status != "submitted" and record.reviewed_at is None:
        return f"mục có trạng thái {status} phải có thời điểm xử lý (reviewed_at)."
    if status == "returned" and not record.return_reason:
        return "mục bị trả lại phải có lý do (return_reason)."
    return None


class _Seeder:
    """Checks every record against the database, then inserts them (never commits)."""

    def __init__(
        self,
        session: AsyncSession,
        campaign: Campaign,
        now: dt.datetime,
        until: dt.datetime | None,
    ) -> None:
        self._s = session
        self._campaign = campaign
        self._now = now
        self._until = until
        self._tz = ZoneInfo(campaign.timezone)
        self._audit = AuditRepository(session)
        self.audit_rows = 0

    def _log(
        self, happened_at: dt.datetime, action: str, entity: str, entity_id: int, **detail: Any
    ) -> None:
        self._audit.record(
            at=self._now,
            person_id=None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail={"source": "demo", "happened_at": happened_at.isoformat(), **detail},
        )
        self.audit_rows += 1

    async def run(self, records: _RecordsFile) -> SeedResult:
        requirements = {
            normalize_code(r.code): r
            for r in await CampaignRepository(self._s).requirements_for(self._campaign.id)
        }
        forms = {
            normalize_code(f.code): f
            for f in await CampaignRepository(self._s).award_forms_for(self._campaign.id)
        }
        unit_codes = [r.unit for r in records.submissions] + [r.unit for r in records.nominations]
        units = await UnitRepository(self._s).by_codes(unit_codes)

        problems: list[str] = []
        submissions: list[tuple[_Timed, _SubmissionRecord, Unit, Requirement]] = []
        nominations: list[tuple[_Timed, _NominationRecord, Unit, Requirement | None, AwardForm]]
        nominations = []
        not_yet = 0
        for index, sub in enumerate(records.submissions, start=1):
            where = f"Bài nộp thứ {index}"
            unit = units.get(normalize_code(sub.unit))
            req = requirements.get(normalize_code(sub.requirement))
            problem = self._check_submission(sub, unit, req)
            if problem or unit is None or req is None:
                problems.append(f"{where}: {problem}")
                continue
            timed = _times(sub, self._tz, self._until, where)
            if timed is None:
                not_yet += 1
            else:
                submissions.append((timed, sub, unit, req))
        default_list = next(
            (r for r in requirements.values() if r.kind is RequirementKind.NOMINATION_LIST), None
        )
        for index, nom in enumerate(records.nominations, start=1):
            where = f"Đề cử thứ {index}"
            unit = units.get(normalize_code(nom.unit))
            form = forms.get(normalize_code(nom.award))
            req = (
                requirements.get(normalize_code(nom.requirement))
                if nom.requirement
                else default_list
            )
            problem = self._check_nomination(nom, unit, form, req)
            if problem or unit is None or form is None:
                problems.append(f"{where}: {problem}")
                continue
            timed = _times(nom, self._tz, self._until, where)
            if timed is None:
                not_yet += 1
            else:
                nominations.append((timed, nom, unit, req, form))
        if problems:
            raise DemoRecordsError("Dữ liệu minh họa không khớp kế hoạch:\n" + "\n".join(problems))

        submissions.sort(key=lambda item: item[0].at)
        nominations.sort(key=lambda item: item[0].at)
        for timed, sub, unit, req in submissions:
            await self._insert_submission(timed, sub, unit, req)
        for timed, nom, unit, maybe_req, form in nominations:
            await self._insert_nomination(timed, nom, unit, maybe_req, form)
        return SeedResult(
            submissions=len(submissions),
            nominations=len(nominations),
            audit_rows=self.audit_rows,
            not_yet=not_yet,
        )

    @staticmethod
    def _check_submission(
        sub: _SubmissionRecord, unit: Unit | None, req: Requirement | None
    ) -> str | None:
        if unit is None:
            return f'không có đơn vị mã "{sub.unit}".'
        if req is None:
            return f'kế hoạch không có yêu cầu mã "{sub.requirement}".'
        if not _applies(req, unit):
            return f'yêu cầu "{req.code}" không áp dụng cho đơn vị "{unit.code}".'
        if req.kind is RequirementKind.EVENT:
            return f'"{req.code}" là mốc thời gian (sự kiện), không nhận bài nộp.'
        if req.kind is RequirementKind.DOSSIER and sub.part not in req.parts:
            return f'hồ sơ "{req.code}" không có thành phần "{sub.part}".'
        if req.kind is not RequirementKind.DOSSIER and sub.part:
            return f'yêu cầu "{req.code}" không chia thành phần.'
        return _check_review(sub.status, sub)

    @staticmethod
    def _check_nomination(
        nom: _NominationRecord,
        unit: Unit | None,
        form: AwardForm | None,
        req: Requirement | None,
    ) -> str | None:
        if unit is None:
            return f'không có đơn vị mã "{nom.unit}".'
        if form is None:
            return f'kế hoạch không có hình thức khen thưởng mã "{nom.award}".'
        if form.subject is not SubjectKind(nom.subject):
            return f'hình thức "{form.code}" không dành cho đối tượng {nom.subject}.'
        if nom.requirement and req is None:
            return f'kế hoạch không có yêu cầu mã "{nom.requirement}".'
        if req is not None and req.kind is not RequirementKind.NOMINATION_LIST:
            return f'yêu cầu "{req.code}" không phải danh sách đề cử.'
        return _check_review(nom.status, nom)

    async def _insert_submission(
        self, timed: _Timed, sub: _SubmissionRecord, unit: Unit, req: Requirement
    ) -> None:
        status = SubmissionStatus(_reviewed_status(sub.status, timed))
        row = await SubmissionRepository(self._s).add_version(
            Submission(
                unit_id=unit.id,
                requirement_id=req.id,
                part=sub.part,
                text=sub.text,
                status=status,
                return_reason=sub.return_reason if status is SubmissionStatus.RETURNED else None,
                submitted_at=timed.at,
                reviewed_at=timed.reviewed_at
                if status is not SubmissionStatus.SUBMITTED
                else None,
            )
        )
        detail = {"unit": unit.code, "requirement": req.code, "part": sub.part}
        self._log(timed.at, "submission.submitted", "submission", row.id, **detail)
        if status is not SubmissionStatus.SUBMITTED and timed.reviewed_at is not None:
            self._log(
                timed.reviewed_at, f"submission.{status.value}", "submission", row.id, **detail
            )

    async def _insert_nomination(
        self,
        timed: _Timed,
        nom: _NominationRecord,
        unit: Unit,
        req: Requirement | None,
        form: AwardForm,
    ) -> None:
        status = NominationStatus(_reviewed_status(nom.status, timed))
        row = await NominationRepository(self._s).add(
            Nomination(
                campaign_id=self._campaign.id,
                requirement_id=req.id if req is not None else None,
                unit_id=unit.id,
                subject=form.subject,
                full_name=nom.full_name,
                gender=nom.gender if form.subject is SubjectKind.INDIVIDUAL else None,
                birth_year=nom.birth_year if form.subject is SubjectKind.INDIVIDUAL else None,
                position=nom.position,
                award_code=form.code,
                award_name=form.name,
                summary=nom.summary,
                status=status,
                return_reason=nom.return_reason if status is NominationStatus.RETURNED else None,
                created_at=timed.at,
                updated_at=timed.reviewed_at
                if status is not NominationStatus.SUBMITTED
                else timed.at,
            )
        )
        detail = {"unit": unit.code, "award": form.code, "full_name": nom.full_name}
        self._log(timed.at, "nomination.submitted", "nomination", row.id, **detail)
        if status is not NominationStatus.SUBMITTED and timed.reviewed_at is not None:
            self._log(
                timed.reviewed_at, f"nomination.{status.value}", "nomination", row.id, **detail
            )


async def seed_demo_records(
    session: AsyncSession,
    campaign_code: str,
    records_path: str | os.PathLike[str],
    now: dt.datetime,
    *,
    until: dt.datetime | None = None,
) -> SeedResult:
    """Insert the demo submissions and nominations of ``records_path`` into a loaded campaign.

    Every record is checked first (unit exists, requirement applies to the unit, dossier part
    exists, award form exists for the subject); any mismatch raises and inserts nothing. Each
    inserted row gets an audit row (dated ``now``, with ``detail.source == "demo"`` and the
    record's own time in ``detail.happened_at``), plus one for its review when it was accepted or
    returned. Never commits.

    Args:
        session: The open session.
        campaign_code: Code of a campaign already loaded (with its units imported).
        records_path: The records YAML file.
        now: Aware current time: when the audit rows say the rows were inserted.
        until: Aware time; when given, only what had happened by then is inserted (see the
            module docstring). None inserts every record.

    Returns:
        Counts of inserted rows; ``skipped`` when the campaign already had submissions or
        nominations (the call is then a no-op, so seeding twice never duplicates).

    Raises:
        ValueError: ``now`` or ``until`` is naive.
        DemoRecordsError: The campaign does not exist or a record does not fit it.
    """
    if now.utcoffset() is None or (until is not None and until.utcoffset() is None):
        raise ValueError("now and until must be timezone-aware")
    campaign = await CampaignRepository(session).get_by_code(campaign_code)
    if campaign is None:
        raise DemoRecordsError(f'Chưa có kế hoạch mã "{campaign_code}"; hãy nạp kế hoạch trước.')
    if await CampaignRepository(session).campaign_usage(campaign.id):
        logger.info("Campaign %s already has records; demo seeding skipped", campaign.code)
        return SeedResult(skipped=True)
    records = await asyncio.to_thread(_read_records, Path(records_path))
    result = await _Seeder(
        session,
        campaign,
        now.astimezone(dt.UTC),
        until.astimezone(dt.UTC) if until is not None else None,
    ).run(records)
    await session.flush()
    logger.info(
        "Seeded demo records for %s: %d submissions, %d nominations, %d not yet due",
        campaign.code,
        result.submissions,
        result.nominations,
        result.not_yet,
    )
    return result
