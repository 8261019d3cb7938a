"""The campaign file: a YAML description of a plan (kế hoạch) and what each unit must send.

An office copies ``bot/demo/bimson-2019.yaml``, edits it and loads it with :func:`load_campaign`.
Loading is idempotent by campaign code: loading the same file twice changes nothing, and a changed
file updates the rows in place.

Format (top-level keys)::

    code: BIMSON-DHTT-2019          # required, ASCII letters/digits/-_. (stored upper-case)
    title: Kế hoạch …               # required
    doc_number: 123/KH-UBND         # optional
    doc_date: 30/9/2019             # optional; dd/mm/yyyy or ISO 2019-09-30
    issuer: UBND thị xã Bỉm Sơn     # optional
    timezone: Asia/Ho_Chi_Minh      # optional (default), an IANA zone name
    active: true                    # optional (default true)
    award_forms:                    # optional; omitted = DEFAULT_AWARD_FORMS (Luật TĐKT 2022)
      - {code: CSTDCS, name: Chiến sĩ thi đua cơ sở, subject: ca_nhan}
    requirements:                   # required, at least one
      - code: KEHOACH               # required, unique in the file
        title: Kế hoạch của đơn vị  # required
        kind: plan                  # plan | report | nomination_list | dossier | event
        description: …              # optional
        due: 15/11/2019             # a date, or a period: "tháng 3/2020", "quý I/2020",
                                    # "6 tháng đầu năm 2020", "năm 2020" (→ its last day)
        unit_kinds: [xa_phuong]     # optional; empty = every kind
        unit_codes: [P-BADINH]      # optional; empty = every unit
        parts: [Tờ trình, …]        # dossier only (required there): one submission per part
        accept: [pdf, docx]         # optional: file types accepted; empty = documents, pictures
        policy: {}                  # optional reminder policy, stored as is; keys (defaults):
                                    # before_days [7, 3, 1], on_due_day true,
                                    # overdue_every_days 2, overdue_max 5, at "08:00",
                                    # skip_non_working_days false, quiet_hours null
                                    # ("21:00-07:00"), include_members false, enabled true
    settings: {}                    # optional, free (quotas, milestones…), stored as is, except
                                    # reminders: {…} (campaign-wide policy, same keys) and
                                    # digest: {enabled, at, working_days_only}, and
                                    # delegates: {quota, …} (domain/delegate_rules), validated

Requirements are matched by code. A requirement that disappeared from the file is deleted when no
submission or nomination refers to it; otherwise it is kept untouched and listed in
:attr:`LoadResult.requirements_kept` so the office can decide (nothing a unit sent is ever lost by
reloading a file). Award forms are replaced by the file's list (matched by code; nominations keep
their award code and name as text, so they are unaffected).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.delegate_rules import DelegateRulesError, parse_rules
from handlers.domain.reminder_policy import PolicyError, parse_digest, parse_policy
from handlers.domain.vocab import REQUIREMENT_KIND_LABELS, UNIT_KINDS, unit_kind_from_text
from handlers.io.files import DOCUMENT_EXTENSIONS
from storage.models import RequirementKind, SubjectKind
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import AwardFormData, AwardFormsChange, CampaignRepository
from storage.repositories.units import Change, UnitRepository
from storage.text import fold_text, normalize_code

__all__ = [
    "DEFAULT_AWARD_FORMS",
    "DEFAULT_TIMEZONE",
    "AwardFormSpec",
    "CampaignFile",
    "CampaignFileError",
    "DueDate",
    "LoadResult",
    "RequirementSpec",
    "load_campaign",
    "parse_campaign",
    "parse_vn_date",
    "resolve_due",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

#: Award forms used when a campaign file lists none: the titles and forms a district-level
#: secretariat handles under Luật Thi đua, khen thưởng 2022 (danh hiệu thi đua first, then
#: hình thức khen thưởng). Names repeat between ``_CN`` and ``_TT``; the subject tells them apart.
DEFAULT_AWARD_FORMS: tuple[AwardFormData, ...] = (
    AwardFormData("CSTDCS", "Chiến sĩ thi đua cơ sở", SubjectKind.INDIVIDUAL),
    AwardFormData("LDTT", "Lao động tiên tiến", SubjectKind.INDIVIDUAL),
    AwardFormData("CSTD_TINH", "Chiến sĩ thi đua cấp tỉnh", SubjectKind.INDIVIDUAL),
    AwardFormData("TTLDTT", "Tập thể lao động tiên tiến", SubjectKind.COLLECTIVE),
    AwardFormData("TTLDXS", "Tập thể lao động xuất sắc", SubjectKind.COLLECTIVE),
    AwardFormData("CTD_TINH", "Cờ thi đua của Ủy ban nhân dân tỉnh", SubjectKind.COLLECTIVE),
    AwardFormData("GK_CN", "Giấy khen", SubjectKind.INDIVIDUAL),
    AwardFormData("GK_TT", "Giấy khen", SubjectKind.COLLECTIVE),
    AwardFormData("BK_CN", "Bằng khen của Chủ tịch UBND tỉnh", SubjectKind.INDIVIDUAL),
    AwardFormData("BK_TT", "Bằng khen của Chủ tịch UBND tỉnh", SubjectKind.COLLECTIVE),
)

_FIELD_LABELS: dict[str, str] = {
    "code": "mã",
    "title": "tên",
    "doc_number": "số văn bản",
    "doc_date": "ngày văn bản",
    "issuer": "cơ quan ban hành",
    "timezone": "múi giờ",
    "active": "đang áp dụng",
    "award_forms": "hình thức khen thưởng",
    "name": "tên",
    "subject": "đối tượng",
    "requirements": "yêu cầu",
    "kind": "loại",
    "description": "mô tả",
    "due": "hạn nộp",
    "unit_kinds": "loại đơn vị",
    "unit_codes": "mã đơn vị",
    "parts": "thành phần hồ sơ",
    "accept": "loại tệp được nhận",
    "policy": "chính sách nhắc",
    "settings": "thiết lập",
}

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_DMY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDY_DATE = re.compile(r"^(?:ngay )?(\d{1,2}) thang (\d{1,2}) nam (\d{4})$")
_QUARTER = re.compile(r"^quy (i|ii|iii|iv|[1-4]) (?:nam )?(\d{4})$")
_MONTH = re.compile(r"^thang (\d{1,2}) (?:nam )?(\d{4})$")
_FIRST_MONTHS = re.compile(r"^(\d{1,2}) thang (dau|cuoi) nam (\d{4})$")
_YEAR = re.compile(r"^nam (\d{4})$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

_DUE_HINT = (
    "hãy ghi một ngày (15/11/2019) hoặc một kỳ (tháng 3/2020, quý I/2020, "
    "6 tháng đầu năm 2020, năm 2020)"
)


class CampaignFileError(ValueError):
    """The campaign file cannot be used; the message (Vietnamese) names every problem.

    Attributes:
        problems: One Vietnamese sentence per problem, each naming the field and, when the file
            was YAML text, its line.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"• {p}" for p in problems)
        super().__init__(f"Tệp kế hoạch có lỗi:\n{lines}")


# --------------------------------------------------------------------------- dates and periods


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f'Ngày "{text}" không tồn tại.') from None


def _last_day(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _date_or_none(text: str) -> dt.date | None:
    """Return the date ``text`` writes, None when it is not written as a date.

    Raises:
        ValueError: ``text`` is written as a date that does not exist (31/2/2020).
    """
    if m := _DMY.match(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _ISO.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _WORDY_DATE.match(fold_text(text)):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    return None


def parse_vn_date(value: str | dt.date) -> dt.date:
    """Read a date written dd/mm/yyyy (or with ``.``/``-``), ISO, or "ngày 15 tháng 11 năm 2019".

    Args:
        value: The text, or a date (YAML turns an unquoted ISO date into one).

    Returns:
        The date.

    Raises:
        ValueError: With a Vietnamese message when the text is not a valid date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    date = _date_or_none(text)
    if date is None:
        raise ValueError(
            f'Không hiểu ngày "{text}": hãy ghi theo dạng dd/mm/yyyy, ví dụ 23/7/2019.'
        )
    return date


def resolve_due(value: str | dt.date) -> tuple[dt.date, str | None]:
    """Turn a ``due`` value into (due date, period label).

    A date gives itself and no label. A period gives its last day and the text as written:
    "quý I/2020" → 31/03/2020, "tháng 2/2020" → 29/02/2020, "6 tháng đầu năm 2020" → 30/06/2020,
    "6 tháng cuối năm 2020" → 31/12/2020, "năm 2020" → 31/12/2020.

    Raises:
        ValueError: With a Vietnamese message when the value is neither a date nor a period.
    """
    if isinstance(value, dt.date):
        return parse_vn_date(value), None
    text = " ".join(value.split())
    date = _date_or_none(text)
    if date is not None:
        return date, None
    folded = fold_text(text)
    year_text: str
    if m := _QUARTER.match(folded):
        quarter = _ROMAN.get(m[1]) or int(m[1])
        year_text, month = m[2], quarter * 3
    elif m := _MONTH.match(folded):
        year_text, month = m[2], int(m[1])
    elif m := _FIRST_MONTHS.match(folded):
        year_text, month = m[3], int(m[1]) if m[2] == "dau" else 12
        if not 1 <= int(m[1]) <= 12:
            raise ValueError(f'Kỳ "{text}" không hợp lệ: số tháng phải từ 1 đến 12.')
    elif m := _YEAR.match(folded):
        year_text, month = m[1], 12
    else:
        raise ValueError(f'Không hiểu hạn nộp "{text}": {_DUE_HINT}.')
    if not 1 <= month <= 12:
        raise ValueError(f'Kỳ "{text}" không hợp lệ: tháng phải từ 1 đến 12.')
    if len(text) > 64:
        raise ValueError(f'Tên kỳ "{text}" quá dài (tối đa 64 ký tự).')
    return _last_day(int(year_text), month), text


@dataclass(frozen=True, slots=True)
class DueDate:
    """A resolved deadline: the date, and the period text when the file named a period."""

    date: dt.date
    period_label: str | None = None


def _due_before(value: Any) -> Any:
    if isinstance(value, DueDate):
        return value
    if isinstance(value, str | dt.date):
        date, label = resolve_due(value)
        return DueDate(date, label)
    raise ValueError(f"Thiếu hoặc sai hạn nộp: {_DUE_HINT}.")


def _date_before(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str | dt.date):
        return parse_vn_date(value)
    raise ValueError("Ngày phải ghi theo dạng dd/mm/yyyy, ví dụ 23/7/2019.")


# --------------------------------------------------------------------------- field types


def _code(max_len: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not _CODE.match(value) or len(value) > max_len:
            raise ValueError(
                f'Mã "{value}" chỉ được gồm chữ cái không dấu, chữ số và các dấu - _ . '
                f"(tối đa {max_len} ký tự)."
            )
        return normalize_code(value)

    return check


def _text(max_len: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("Không được để trống.")
        if len(value) > max_len:
            raise ValueError(f"Quá dài ({len(value)} ký tự, tối đa {max_len}).")
        return value

    return check


def _optional_text(max_len: int) -> Callable[[str | None], str | None]:
    check = _text(max_len)

    def optional(value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check(value)

    return optional


def _jsonable(value: Any) -> Any:
    """Copy ``value`` so it fits a JSON column: dates become ISO strings, keys strings."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError(f"Giá trị kiểu {type(value).__name__} không lưu được.")


def _free_dict(value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = _jsonable(value)
    return result


Code32 = Annotated[str, AfterValidator(_code(32))]
Code64 = Annotated[str, AfterValidator(_code(64))]
FreeDict = Annotated[dict[str, Any], AfterValidator(_free_dict)]
DateField = Annotated[dt.date | None, BeforeValidator(_date_before)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class AwardFormSpec(_Spec):
    """One award form the campaign accepts."""

    code: Code32
    name: Annotated[str, AfterValidator(_text(200))]
    subject: Literal["ca_nhan", "tap_the"]

    def to_data(self) -> AwardFormData:
        """Return the repository's view of this form."""
        return AwardFormData(self.code, self.name, SubjectKind(self.subject))


class RequirementSpec(_Spec):
    """One thing each applicable unit must send, and by when."""

    code: Code64
    title: Annotated[str, AfterValidator(_text(255))]
    kind: Literal["plan", "report", "nomination_list", "dossier", "event"]
    description: Annotated[str | None, AfterValidator(_optional_text(10_000))] = None
    due: Annotated[DueDate, BeforeValidator(_due_before)]
    unit_kinds: list[str] = Field(default_factory=list)
    unit_codes: list[Code32] = Field(default_factory=list)
    parts: list[Annotated[str, AfterValidator(_text(120))]] = Field(default_factory=list)
    policy: FreeDict = Field(default_factory=dict)
    accept: list[str] = Field(default_factory=list)

    @field_validator("policy")
    @classmethod
    def _valid_policy(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_policy(value)
        except PolicyError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("accept")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        result: list[str] = []
        for text in value:
            ext = text.strip().lower().lstrip(".")
            if f".{ext}" not in DOCUMENT_EXTENSIONS:
                known = ", ".join(sorted(e.lstrip(".") for e in DOCUMENT_EXTENSIONS))
                raise ValueError(f'Loại tệp "{text}" không được nhận; dùng một trong: {known}.')
            if ext not in result:
                result.append(ext)
        return result

    @field_validator("unit_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        kinds: list[str] = []
        for text in value:
            kind = unit_kind_from_text(text)
            if kind is None:
                known = ", ".join(f"{c} ({label})" for c, label in UNIT_KINDS.items())
                raise ValueError(f'Loại đơn vị "{text}" không có; dùng một trong: {known}.')
            if kind not in kinds:
                kinds.append(kind)
        return kinds

    @field_validator("unit_codes", "parts")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for item in value:
            if fold_text(item) in seen:
                raise ValueError(f'"{item}" bị ghi lặp lại.')
            seen.add(fold_text(item))
        return value

    @model_validator(mode="after")
    def _parts_for_dossiers(self) -> RequirementSpec:
        if self.kind == "dossier" and not self.parts:
            raise ValueError(
                f'Yêu cầu "{self.code}" là hồ sơ (dossier) nên phải có "parts": '
                "danh sách thành phần hồ sơ."
            )
        if self.kind != "dossier" and self.parts:
            label = REQUIREMENT_KIND_LABELS[self.kind]
            raise ValueError(
                f'Yêu cầu "{self.code}" thuộc loại {self.kind} ({label}); '
                'chỉ loại dossier (Hồ sơ) mới có "parts".'
            )
        return self


class CampaignFile(_Spec):
    """A whole campaign file, validated."""

    code: Code64
    title: Annotated[str, AfterValidator(_text(2_000))]
    doc_number: Annotated[str | None, AfterValidator(_optional_text(64))] = None
    doc_date: DateField = None
    issuer: Annotated[str | None, AfterValidator(_optional_text(255))] = None
    timezone: str = DEFAULT_TIMEZONE
    active: bool = True
    award_forms: list[AwardFormSpec] | None = None
    requirements: list[RequirementSpec] = Field(min_length=1)
    settings: FreeDict = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'Múi giờ "{value}" không hợp lệ; ví dụ đúng: {DEFAULT_TIMEZONE}.'
            ) from None
        return value

    @field_validator("settings")
    @classmethod
    def _valid_reminder_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_policy(value.get("reminders"))
            parse_digest(value)
        except PolicyError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("settings")
    @classmethod
    def _valid_delegate_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_rules(value)
        except DelegateRulesError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("requirements")
    @classmethod
    def _unique_requirements(cls, value: list[RequirementSpec]) -> list[RequirementSpec]:
        _check_unique([r.code for r in value], "Mã yêu cầu")
        return value

    @field_validator("award_forms")
    @classmethod
    def _unique_forms(cls, value: list[AwardFormSpec] | None) -> list[AwardFormSpec] | None:
        if value is not None:
            _check_unique([f.code for f in value], "Mã hình thức khen thưởng")
        return value

    def award_form_data(self) -> list[AwardFormData]:
        """Return the file's award forms, or the default catalogue when it lists none."""
        if self.award_forms is None:
            return list(DEFAULT_AWARD_FORMS)
        return [f.to_data() for f in self.award_forms]


def _check_unique(codes: list[str], what: str) -> None:
    first: dict[str, int] = {}
    for index, code in enumerate(codes, start=1):
        if code in first:
            raise ValueError(f'{what} "{code}" bị trùng (mục {first[code]} và mục {index}).')
        first[code] = index


# --------------------------------------------------------------------------- errors


def _node_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Return the 1-based line of the deepest YAML node ``loc`` reaches."""
    if node is None:
        return None
    current: yaml.Node = node
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    child = value_node
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            child = current.value[part]
        if child is None:
            break
        current = child
    return int(current.start_mark.line) + 1


def _describe_loc(loc: tuple[int | str, ...], raw: Any) -> str:
    """Name a location for a person: ``requirements → mục 3 (HOSO) → due``."""
    parts: list[str] = []
    current = raw
    for part in loc:
        if isinstance(part, int):
            label = f"mục {part + 1}"
            item = current[part] if isinstance(current, list) and part < len(current) else None
            if isinstance(item, Mapping) and item.get("code"):
                label += f" ({item['code']})"
            parts.append(label)
            current = item
        else:
            parts.append(part)
            current = current.get(part) if isinstance(current, Mapping) else None
    return " → ".join(parts)


def _error_text(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "Thiếu trường bắt buộc."
    if kind == "extra_forbidden":
        return "Trường này không có trong mẫu (gõ sai tên trường?)."
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f'Giá trị "{value}" không hợp lệ; chỉ nhận: {expected}.'
    if kind == "too_short":
        return "Phải có ít nhất một mục."
    if kind in ("string_type", "string_sub_type"):
        return "Phải là một chuỗi chữ."
    if kind == "list_type":
        return "Phải là một danh sách (mỗi mục một dòng bắt đầu bằng dấu -)."
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return "Phải là một nhóm trường dạng khóa: giá trị."
    if kind.startswith("bool"):
        return "Phải là true hoặc false."
    return "Giá trị không hợp lệ."


def _problems(exc: ValidationError, raw: Any, root: yaml.Node | None) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = _describe_loc(loc, raw) if loc else "toàn tệp"
        names = [p for p in loc if isinstance(p, str)]
        label = _FIELD_LABELS.get(names[-1]) if names else None
        line = _node_line(root, loc)
        prefix = f"Dòng {line}, " if line is not None else ""
        field_text = f'trường "{where}"' + (f" ({label})" if label else "")
        problems.append(f"{prefix}{field_text}: {_error_text(error)}")
    return problems


# --------------------------------------------------------------------------- parsing


def _read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark is not None else ""
        raise CampaignFileError(
            [f"{source} sai cú pháp YAML{where}: kiểm tra thụt lề, dấu hai chấm và dấu ngoặc kép."]
        ) from None
    except yaml.YAMLError:
        raise CampaignFileError([f"{source} sai cú pháp YAML."]) from None
    return data, root


def _read_path(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Return a file's content and how to name it in a message."""
    file = Path(path)
    try:
        return file.read_bytes(), f'Tệp "{file.name}"'
    except OSError:
        raise CampaignFileError([f'Không mở được tệp "{file.name}".']) from None


def _validate(raw: Any, root: yaml.Node | None) -> CampaignFile:
    if not isinstance(raw, Mapping):
        raise CampaignFileError(
            ["Tệp kế hoạch phải là một nhóm trường dạng khóa: giá trị (code, title, …)."]
        )
    try:
        return CampaignFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise CampaignFileError(_problems(exc, raw, root)) from None


def _parse_content(content: bytes, source: str) -> CampaignFile:
    try:
        text = unicodedata.normalize("NFC", content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CampaignFileError([f"{source} phải lưu theo mã UTF-8."]) from None
    raw, root = _read_yaml(text, source)
    return _validate(raw, root)


def parse_campaign(data: Mapping[str, Any] | str | os.PathLike[str] | bytes) -> CampaignFile:
    """Validate a campaign file without touching the database.

    Args:
        data: The parsed mapping, a path to a YAML file (``str`` or path-like), or the YAML
            content as bytes (e.g. a file sent in chat).

    Returns:
        The validated campaign.

    Raises:
        CampaignFileError: The file cannot be read or breaks the format; the message names each
            problem's field and, for YAML text, its line.
    """
    if isinstance(data, Mapping):
        return _validate(data, None)
    if isinstance(data, bytes):
        return _parse_content(data, "Tệp")
    return _parse_content(*_read_path(data))


# --------------------------------------------------------------------------- loading


@dataclass(slots=True)
class LoadResult:
    """What :func:`load_campaign` did; requirement lists hold requirement codes."""

    campaign_id: int
    campaign_code: str
    campaign_change: Change
    requirements_created: list[str] = field(default_factory=list)
    requirements_updated: list[str] = field(default_factory=list)
    requirements_unchanged: list[str] = field(default_factory=list)
    #: Missing from the file and never used: deleted.
    requirements_removed: list[str] = field(default_factory=list)
    #: Missing from the file but with submissions or nominations: kept as they were.
    requirements_kept: list[str] = field(default_factory=list)
    award_forms: AwardFormsChange = field(default_factory=AwardFormsChange)
    #: Vietnamese notes that do not stop the load (unknown unit codes, deadlines before the
    #: plan's date, requirements kept).
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the load changed anything in the database."""
        forms = self.award_forms
        return bool(
            self.campaign_change != "unchanged"
            or self.requirements_created
            or self.requirements_updated
            or self.requirements_removed
            or forms.created
            or forms.updated
            or forms.removed
        )


async def load_campaign(
    session: AsyncSession,
    data: Mapping[str, Any] | str | os.PathLike[str] | bytes,
    *,
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> LoadResult:
    """Create or update a campaign, its award forms and requirements from a campaign file.

    Never commits: the caller owns the transaction. Idempotent by campaign code. When anything
    changed, one ``campaign.load`` audit row records the change.

    Args:
        session: The open session.
        data: See :func:`parse_campaign`.
        person_id: Who loads the file (for the audit log).
        now: Aware time of the load (for the audit log); defaults to the current UTC time.

    Returns:
        What was created, updated, deleted or kept.

    Raises:
        CampaignFileError: The file breaks the format (nothing is written).
        ValueError: ``now`` is naive.
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(data, str | os.PathLike):
        content, source = await asyncio.to_thread(_read_path, data)
        spec = _parse_content(content, source)
    else:
        spec = parse_campaign(data)
    repo = CampaignRepository(session)
    campaign, change = await repo.upsert_campaign(
        code=spec.code,
        title=spec.title,
        doc_number=spec.doc_number,
        doc_date=spec.doc_date,
        issuer=spec.issuer,
        timezone=spec.timezone,
        is_active=spec.active,
        settings=spec.settings,
    )
    result = LoadResult(
        campaign_id=campaign.id, campaign_code=campaign.code, campaign_change=change
    )
    result.award_forms = await repo.replace_award_forms(campaign.id, spec.award_form_data())

    existing = {normalize_code(r.code): r for r in await repo.requirements_for(campaign.id)}
    for position, req in enumerate(spec.requirements):
        _, req_change = await repo.upsert_requirement(
            campaign.id,
            code=req.code,
            title=req.title,
            kind=RequirementKind(req.kind),
            description=req.description,
            due_date=req.due.date,
            period_label=req.due.period_label,
            unit_kinds=req.unit_kinds,
            unit_codes=req.unit_codes,
            parts=req.parts,
            position=position,
            policy=req.policy,
            accept=req.accept,
        )
        {
            "created": result.requirements_created,
            "updated": result.requirements_updated,
            "unchanged": result.requirements_unchanged,
        }[req_change].append(req.code)
        if spec.doc_date is not None and req.due.date < spec.doc_date:
            result.warnings.append(
                f'Yêu cầu "{req.code}": hạn nộp {req.due.date:%d/%m/%Y} trước ngày văn bản '
                f"{spec.doc_date:%d/%m/%Y}."
            )

    in_file = {req.code for req in spec.requirements}
    for code, requirement in existing.items():
        if code in in_file:
            continue
        if await repo.requirement_usage(requirement.id) == 0:
            await repo.delete_requirement(requirement)
            result.requirements_removed.append(code)
        else:
            result.requirements_kept.append(code)
            result.warnings.append(
                f'Yêu cầu "{code}" không còn trong tệp nhưng đã có đơn vị nộp bài hoặc đề cử, '
                "nên được giữ lại."
            )

    wanted_units = sorted({c for req in spec.requirements for c in req.unit_codes})
    known = await UnitRepository(session).by_codes(wanted_units)
    missing = [c for c in wanted_units if c not in known]
    if missing:
        result.warnings.append(
            "Các mã đơn vị chưa có trong danh sách đơn vị: " + ", ".join(missing) + "."
        )

    if result.changed:
        AuditRepository(session).record(
            at=now or dt.datetime.now(dt.UTC),
            person_id=person_id,
            action="campaign.load",
            entity="campaign",
            entity_id=campaign.id,
            detail={
                "code": campaign.code,
                "campaign": change,
                "requirements_created": result.requirements_created,
                "requirements_updated": result.requirements_updated,
                "requirements_removed": result.requirements_removed,
                "requirements_kept": result.requirements_kept,
                "award_forms_created": result.award_forms.created,
                "award_forms_updated": result.award_forms.updated,
                "award_forms_removed": result.award_forms.removed,
            },
        )
        await session.flush()
    logger.info(
        "Loaded campaign %s (%s): %d requirements created, %d updated, %d removed, %d kept",
        campaign.code,
        change,
        len(result.requirements_created),
        len(result.requirements_updated),
        len(result.requirements_removed),
        len(result.requirements_kept),
    )
    return result
