"""A campaign's ``settings``: every key the bot reads, validated (unknown keys are errors).

The campaign file's ``settings`` is checked by :class:`CampaignSettings` and stored as written
in ``Campaign.settings`` (JSON); each reader takes its own part from there:

* ``reminders``: the campaign-wide reminder policy
  (:class:`~handlers.domain.reminder_policy.ReminderPolicySpec`);
* ``digest``: the secretariat's daily digest
  (:class:`~handlers.domain.reminder_policy.DigestSpec`);
* ``delegates``: the delegate rules (:class:`~handlers.domain.delegate_settings.DelegatesSpec`);
* ``export``: the letterhead and signature of exported Word documents (:class:`ExportSpec`);
* ``quotas`` and ``milestones``: notes for the office (delegate caps as the plan states them,
  the plan's own dates), kept but not acted on (:class:`QuotasSpec`, :class:`MilestoneSpec`);
* ``undated``: the plan's items without a fixed day yet ("thời gian cụ thể sẽ thông báo sau"),
  listed as "chưa có hạn" and never reminded (:class:`UndatedSpec`; the chat's plan intake
  writes them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from handlers.domain.delegate_settings import DelegatesSpec
from handlers.domain.reminder_policy import DigestSpec, ReminderPolicySpec
from handlers.domain.sections import Section
from handlers.domain.vn_dates import DateError, parse_date, resolve_due

__all__ = [
    "CampaignSettings",
    "ExportSpec",
    "MilestoneSpec",
    "QuotasSpec",
    "UndatedSpec",
]

_MAX_TEXT = 500
#: The requirement kinds (``storage.models.RequirementKind``), for ``undated`` items.
_KINDS = ("plan", "report", "nomination_list", "dossier", "event")


def _text(cls: type[Section], value: Any, info: ValidationInfo) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise cls.fail(f'"{cls.key(info.field_name)}" phải là một chuỗi chữ.')
    text = " ".join(value.split())
    if len(text) > _MAX_TEXT:
        raise cls.fail(f'"{cls.key(info.field_name)}" quá dài (tối đa {_MAX_TEXT} ký tự).')
    return text or None


class ExportSpec(Section):
    """``export``: what exported Word documents say about the secretariat (all optional).

    Attributes:
        place: The place in the date line ("Bỉm Sơn"); else taken from the issuer.
        parent: The parent body above the issuing one.
        organ: The issuing body.
        signer_for: The line above the signer's position: "TM. ỦY BAN NHÂN DÂN" (on behalf of
            a collective body) or "KT. CHỦ TỊCH" (a deputy signing for the head).
        signer_title: The signer's position.
        signer_name: The signer's name.
        recipients: The "Nơi nhận" lines.
        to: Whom the Tờ trình is addressed to ("Kính gửi: …").
        authority: Who signs the Quyết định ("CHỦ TỊCH UBND THỊ XÃ BỈM SƠN").
        bases: The Quyết định's "Căn cứ …" lines (else a default set).
        proposal_number: The Tờ trình's number once it is given ("45/TTr-UBND"): in its
            letterhead and in "Kèm theo Tờ trình số …" on the attached list.
        proposal_date: The Tờ trình's date (dd/mm/yyyy), with its number.
    """

    TITLE = "Văn bản xuất (export)"
    EXAMPLE = '{place: "Bỉm Sơn", signer_title: "Chủ tịch"}'

    place: str | None = None
    parent: str | None = None
    organ: str | None = None
    signer_for: str | None = None
    signer_title: str | None = None
    signer_name: str | None = None
    recipients: tuple[str, ...] = ()
    to: str | None = None
    authority: str | None = None
    bases: tuple[str, ...] = ()
    proposal_number: str | None = None
    proposal_date: dt.date | None = None

    _texts = field_validator(
        "place",
        "parent",
        "organ",
        "signer_for",
        "signer_title",
        "signer_name",
        "to",
        "authority",
        "proposal_number",
        mode="before",
    )(_text)

    @field_validator("proposal_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> dt.date | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str | dt.date):
            raise cls.fail('"proposal_date" phải là một ngày, ví dụ 05/12/2019.')
        try:
            return parse_date(value)
        except DateError as exc:
            raise cls.fail(f'"proposal_date": {exc}') from None

    @field_validator("recipients", "bases", mode="before")
    @classmethod
    def _lines(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise cls.fail(f'"{info.field_name}" phải là danh sách các dòng chữ.')
        return tuple(value)


class QuotasSpec(Section):
    """``quotas``: the plan's delegate caps as a note (the rules are in ``delegates``)."""

    TITLE = "Chỉ tiêu (quotas)"
    EXAMPLE = "{unit_max_delegates: 150, town_max_delegates: 300}"

    unit_max_delegates: int | None = None
    town_max_delegates: int | None = None

    @field_validator("unit_max_delegates", "town_max_delegates", mode="before")
    @classmethod
    def _count(cls, value: Any, info: ValidationInfo) -> int:
        return cls.whole(cls.key(info.field_name), value, 0, 100_000)


class MilestoneSpec(Section):
    """One of the plan's own dates (``milestones``): a title and a date or a period."""

    TITLE = "Mốc thời gian (milestones)"
    EXAMPLE = "{title: Hội nghị thị xã, due: 20/6/2020}"

    title: str
    due: dt.date

    @field_validator("title", mode="before")
    @classmethod
    def _named(cls, value: Any, info: ValidationInfo) -> str:
        text = _text(cls, value, info)
        if not text:
            raise cls.fail('"title" không được để trống.')
        return text

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: Any) -> dt.date:
        if not isinstance(value, str | dt.date):
            raise cls.fail('"due" phải là một ngày (20/6/2020) hoặc một kỳ (quý II/2020).')
        try:
            return resolve_due(value)[0]
        except DateError as exc:
            raise cls.fail(f'"due": {exc}') from None


class UndatedSpec(Section):
    """One item of the plan without a fixed day (``undated``), as the plan intake keeps it.

    Attributes:
        title: What is to be done or sent.
        kind: The requirement kind it would be (``plan``, ``report``, ``nomination_list``,
            ``dossier``, ``event``; None: not said).
        due: The plan reader's due without a fixed day, e.g. ``--03-15`` (None: none).
        relative: The deadline in the plan's words ("sẽ thông báo sau").
    """

    TITLE = "Nội dung chưa có hạn (undated)"
    EXAMPLE = "{title: Đại hội thi đua tỉnh, kind: event, relative: sẽ thông báo sau}"

    title: str
    kind: str | None = None
    due: str | None = None
    relative: str | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _named(cls, value: Any, info: ValidationInfo) -> str:
        text = _text(cls, value, info)
        if not text:
            raise cls.fail('"title" không được để trống.')
        return text

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if value is not None and value not in _KINDS:
            raise cls.fail(f'"kind" phải là một trong: {", ".join(_KINDS)}.')
        return value

    _texts = field_validator("due", "relative", mode="before")(_text)


class CampaignSettings(Section):
    """The whole ``settings`` mapping of a campaign file; each key optional."""

    TITLE = "Thiết lập (settings)"
    EXAMPLE = '{reminders: {at: "08:00"}}'

    reminders: ReminderPolicySpec = Field(default_factory=ReminderPolicySpec)
    digest: DigestSpec = Field(default_factory=DigestSpec)
    delegates: DelegatesSpec = Field(default_factory=DelegatesSpec)
    export: ExportSpec = Field(default_factory=ExportSpec)
    quotas: QuotasSpec = Field(default_factory=QuotasSpec)
    milestones: tuple[MilestoneSpec, ...] = ()
    undated: tuple[UndatedSpec, ...] = ()

    @field_validator("milestones", "undated", mode="before")
    @classmethod
    def _listed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise cls.fail(
                f'"{info.field_name}" phải là danh sách, mỗi mục một dòng "- {{title: …, …}}".'
            )
        return value
