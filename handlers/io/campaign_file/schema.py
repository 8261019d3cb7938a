"""The pydantic schema of a campaign file, ``settings`` included (unknown keys are errors).

Format (top-level keys)::

    code: BIMSON-DHTT-2019          # required, ASCII letters/digits/-_. (stored upper-case)
    title: Kế hoạch …               # required
    doc_number: 123/KH-UBND         # optional
    doc_date: 30/9/2019             # optional; a date (handlers.domain.vn_dates)
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
                                    # "6 tháng đầu năm 2020", "năm 2020" (→ its last day),
                                    # a range "06/06/2020 - 08/06/2020" (→ its last day),
                                    # "chưa có hạn", or a yearly rule "hằng năm 15/03"
                                    # (handlers.domain.due_forms)
        time: "16:30"               # optional: the hour on the due day (late from then on)
        unit_kinds: [xa_phuong]     # optional; empty = every kind
        unit_codes: [P-BADINH]      # optional; empty = every unit
        unit_blocks: [Khối phường]  # optional: emulation blocks (khối/cụm); empty = every block
        parts: [Tờ trình, …]        # dossier only (required there): one submission per part
        accept: [pdf, docx]         # optional: file types accepted; empty = documents, pictures
        policy: {}                  # optional reminder policy (domain/reminder_policy)
        period_label: quý I/2020    # optional: how the deadline is named when ``due`` is a
                                    # day (else taken from a period ``due``)
        extended_due: 30/11/2019    # optional gia hạn of everyone: the current deadline
                                    # (``due`` stays the plan's own)
        unit_due: {P-BADINH: 5/12/2019}  # optional gia hạn of listed units (later than the
                                         # deadline of everyone)
    settings:                       # optional (domain/campaign_settings): reminders, digest,
      delegates: {quota: …}         # delegates, export, quotas, milestones, undated

``policy`` and ``settings`` are validated by the domain's sections and kept as written (they are
stored as JSON and read again by the domain). When validation is given the unit codes that exist
(``context={UNIT_CODES: codes}``), ``unit_codes`` and ``settings.delegates.quota.units`` may name
only those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from handlers.domain.campaign_settings import CampaignSettings
from handlers.domain.codes import check_code
from handlers.domain.due_forms import Due, read_due
from handlers.domain.files import DOCUMENT_EXTENSIONS
from handlers.domain.reminder_policy import ReminderPolicySpec
from handlers.domain.sections import LocatedError, known_units
from handlers.domain.vn_dates import DUE_HINT, parse_date, time_of_day
from handlers.domain.vocab import (
    DEFAULT_UNIT_KINDS,
    REQUIREMENT_KIND_LABELS,
    UNIT_KINDS_CONTEXT,
    UnitKinds,
)
from handlers.io.campaign_file import messages as msg
from storage.models import SubjectKind
from storage.repositories.campaigns import AwardFormData
from storage.text import fold_text

__all__ = [
    "DEFAULT_AWARD_FORMS",
    "DEFAULT_TIMEZONE",
    "AwardFormSpec",
    "CampaignFile",
    "DueDate",
    "RequirementSpec",
]

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

# --------------------------------------------------------------------------- field types


#: A resolved deadline (:class:`handlers.domain.due_forms.Due`): its last day (None: "chưa có
#: hạn" or a yearly rule), its first day, the period text when the file named a period.
DueDate = Due


def _due_before(value: Any) -> Any:
    if isinstance(value, Due):
        return value
    if isinstance(value, str | dt.date):
        return read_due(value)
    raise ValueError(msg.bad_due(DUE_HINT))


def _time_before(value: Any) -> Any:
    if value is None or value == "":
        return None
    found = time_of_day(value)
    if found is None:
        raise ValueError(msg.bad_time())
    return found


def _date_before(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str | dt.date):
        return parse_date(value)
    raise ValueError(msg.bad_date())


def _code(max_len: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        return check_code(value, max_len)

    return check


def _text(max_len: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError(msg.empty())
        if len(value) > max_len:
            raise ValueError(msg.too_long(len(value), max_len))
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
    raise ValueError(msg.cannot_store(type(value).__name__))


def _as_written(value: Any) -> dict[str, Any]:
    """The mapping as written, for storing; its shape is checked by its section."""
    if not isinstance(value, Mapping):
        return {}
    result: dict[str, Any] = _jsonable(value)
    return result


Code32 = Annotated[str, AfterValidator(_code(32))]
Code64 = Annotated[str, AfterValidator(_code(64))]
DateField = Annotated[dt.date | None, BeforeValidator(_date_before)]
#: A mapping validated by a domain section under another field name, stored as written.
Written = Annotated[dict[str, Any], BeforeValidator(_as_written)]


def _check_unique(codes: list[str], what: str) -> None:
    first: dict[str, int] = {}
    for index, code in enumerate(codes, start=1):
        if code in first:
            raise ValueError(msg.duplicate(what, code, first[code], index))
        first[code] = index


# --------------------------------------------------------------------------- models


class _Spec(BaseModel):
    # defer_build: the validators are built when a file is first read, not at import (the
    # flows import this module; building them cost the bot's start-up a tenth of its imports).
    model_config = ConfigDict(
        extra="forbid", coerce_numbers_to_str=True, frozen=True, defer_build=True
    )


class AwardFormSpec(_Spec):
    """One award form the campaign accepts."""

    code: Code32
    name: Annotated[str, AfterValidator(_text(200))]
    subject: Literal["ca_nhan", "tap_the"]

    def to_data(self) -> AwardFormData:
        """Return the repository's view of this form."""
        return AwardFormData(self.code, self.name, SubjectKind(self.subject))


class RequirementSpec(_Spec):
    """One thing each applicable unit must send, and by when.

    ``policy`` is the reminder policy as written (stored); ``policy_spec`` the same validated.
    """

    code: Code64
    title: Annotated[str, AfterValidator(_text(255))]
    kind: Literal["plan", "report", "nomination_list", "dossier", "event"]
    description: Annotated[str | None, AfterValidator(_optional_text(10_000))] = None
    due: Annotated[DueDate, BeforeValidator(_due_before)]
    time: Annotated[dt.time | None, BeforeValidator(_time_before)] = None
    unit_kinds: list[str] = Field(default_factory=list)
    unit_codes: list[Code32] = Field(default_factory=list)
    unit_blocks: list[Annotated[str, AfterValidator(_text(120))]] = Field(default_factory=list)
    parts: list[Annotated[str, AfterValidator(_text(120))]] = Field(default_factory=list)
    policy: Written = Field(default_factory=dict)
    policy_spec: ReminderPolicySpec = Field(
        default_factory=ReminderPolicySpec, validation_alias="policy"
    )
    accept: list[str] = Field(default_factory=list)
    period_label: Annotated[str | None, AfterValidator(_optional_text(64))] = None
    extended_due: DateField = None
    unit_due: dict[Code32, Annotated[dt.date, BeforeValidator(_date_before)]] = Field(
        default_factory=dict
    )

    @property
    def label(self) -> str | None:
        """How the deadline is named: ``period_label``, else the period ``due`` gave."""
        return self.period_label or self.due.label

    @property
    def current_due(self) -> dt.date | None:
        """Everyone's deadline now: the gia hạn when there is one, else ``due``."""
        return self.extended_due or self.due.date

    @field_validator("unit_due")
    @classmethod
    def _known_unit_dues(
        cls, value: dict[str, dt.date], info: ValidationInfo
    ) -> dict[str, dt.date]:
        known = known_units(info)
        for code in value:
            if known is not None and code not in known:
                raise LocatedError(msg.unknown_unit(code), (code,))
        return value

    @field_validator("accept")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        result: list[str] = []
        for text in value:
            ext = text.strip().lower().lstrip(".")
            if f".{ext}" not in DOCUMENT_EXTENSIONS:
                known = ", ".join(sorted(e.lstrip(".") for e in DOCUMENT_EXTENSIONS))
                raise ValueError(msg.bad_accept(text, known))
            if ext not in result:
                result.append(ext)
        return result

    @field_validator("unit_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str], info: ValidationInfo) -> list[str]:
        context = info.context if isinstance(info.context, dict) else {}
        vocabulary = context.get(UNIT_KINDS_CONTEXT)
        if not isinstance(vocabulary, UnitKinds):
            vocabulary = DEFAULT_UNIT_KINDS
        kinds: list[str] = []
        for text in value:
            kind = vocabulary.from_text(text)
            if kind is None:
                known = ", ".join(f"{c} ({label})" for c, label in vocabulary.labels.items())
                raise ValueError(msg.bad_unit_kind(text, known))
            if kind not in kinds:
                kinds.append(kind)
        return kinds

    @field_validator("unit_codes", "unit_blocks", "parts")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for index, item in enumerate(value):
            if fold_text(item) in seen:
                raise LocatedError(msg.repeated(item), (index,))
            seen.add(fold_text(item))
        return value

    @field_validator("unit_codes")
    @classmethod
    def _known_units(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = known_units(info)
        for index, code in enumerate(value):
            if known is not None and code not in known:
                raise LocatedError(msg.unknown_unit(code), (index,))
        return value

    @model_validator(mode="after")
    def _parts_for_dossiers(self) -> RequirementSpec:
        if self.kind == "dossier" and not self.parts:
            raise ValueError(msg.dossier_needs_parts(self.code))
        if self.kind != "dossier" and self.parts:
            label = REQUIREMENT_KIND_LABELS[self.kind]
            raise ValueError(msg.parts_only_for_dossiers(self.code, self.kind, label))
        return self

    @model_validator(mode="after")
    def _extensions_later(self) -> RequirementSpec:
        plan_due = self.due.date
        if plan_due is None:
            if self.extended_due is not None or self.unit_due:
                raise ValueError(msg.extension_without_due())
            return self
        if self.extended_due is not None and self.extended_due <= plan_due:
            raise ValueError(msg.extension_not_later(self.extended_due, plan_due))
        current = self.extended_due or plan_due
        for day in self.unit_due.values():
            if day <= current:
                raise ValueError(msg.extension_not_later(day, current))
        return self


class CampaignFile(_Spec):
    """A whole campaign file, validated.

    ``settings`` is the mapping as written (stored in ``Campaign.settings``); ``settings_spec``
    the same validated.
    """

    code: Code64
    title: Annotated[str, AfterValidator(_text(2_000))]
    doc_number: Annotated[str | None, AfterValidator(_optional_text(64))] = None
    doc_date: DateField = None
    issuer: Annotated[str | None, AfterValidator(_optional_text(255))] = None
    timezone: str = DEFAULT_TIMEZONE
    active: bool = True
    award_forms: list[AwardFormSpec] | None = None
    requirements: list[RequirementSpec] = Field(min_length=1)
    settings: Written = Field(default_factory=dict)
    settings_spec: CampaignSettings = Field(
        default_factory=CampaignSettings, validation_alias="settings"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(msg.bad_timezone(value, DEFAULT_TIMEZONE)) from None
        return value

    @field_validator("requirements")
    @classmethod
    def _unique_requirements(cls, value: list[RequirementSpec]) -> list[RequirementSpec]:
        _check_unique([r.code for r in value], msg.REQUIREMENT_CODE)
        return value

    @field_validator("award_forms")
    @classmethod
    def _unique_forms(cls, value: list[AwardFormSpec] | None) -> list[AwardFormSpec] | None:
        if value is not None:
            _check_unique([f.code for f in value], msg.AWARD_FORM_CODE)
        return value

    def award_form_data(self) -> list[AwardFormData]:
        """Return the file's award forms, or the default catalogue when it lists none."""
        if self.award_forms is None:
            return list(DEFAULT_AWARD_FORMS)
        return [f.to_data() for f in self.award_forms]

    def unit_codes(self) -> list[str]:
        """Every unit code the file names (requirements and delegate quotas), sorted."""
        codes = {c for req in self.requirements for c in (*req.unit_codes, *req.unit_due)}
        codes.update(self.settings_spec.delegates.quota.by_unit)
        return sorted(codes)
