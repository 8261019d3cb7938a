"""The delegate settings of a campaign (``settings.delegates``), validated.

The schema of what :mod:`handlers.domain.delegate_rules` reads: its module docstring lists the
keys (every one optional) and explains each rule; the defaults are the Bỉm Sơn 2019 plan's.
:func:`handlers.domain.delegate_rules.parse_rules` turns a :class:`DelegatesSpec` into
:class:`~handlers.domain.delegate_rules.DelegateRules`.

Quotas may not exceed ``upper_conference_max``, alone or summed over ``quota.units``; when the
validation knows the units that exist, ``quota.units`` may name only those. ``due`` is a date in
any form :func:`handlers.domain.vn_dates.parse_date` reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from handlers.domain.sections import Section, SettingsError, known_units
from handlers.domain.vn_dates import DateError, NoSuchDateError, parse_date
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UNIT_KINDS_CONTEXT, UnitKinds
from storage.text import normalize_code

__all__ = [
    "DelegateRulesError",
    "DelegatesSpec",
    "PlenarySpec",
    "PresidiumSpec",
    "Quota",
]

_WHAT = "Thiết lập đại biểu (delegates)"
_MAX_PEOPLE = 100_000
#: The keys of ``settings.delegates`` in the order messages list them.
_KEYS = (
    "quota",
    "unit_conference_max",
    "upper_conference_max",
    "exemplary_percent",
    "tolerance_percent",
    "presidium",
    "plenary",
    "due",
)


class DelegateRulesError(SettingsError):
    """``settings.delegates`` is invalid; the message (Vietnamese) names the key."""


@dataclass(frozen=True, slots=True)
class Quota:
    """Delegates a unit may send: ``default`` for every unit, ``by_unit`` overrides by code."""

    default: int | None = None
    by_unit: Mapping[str, int] = field(default_factory=dict)


class _DelegatesSection(Section):
    TITLE = _WHAT
    ERROR = DelegateRulesError


class PresidiumSpec(_DelegatesSection):
    """``presidium``: the size of the presidium (đoàn chủ tịch)."""

    PATH = "presidium"
    EXAMPLE = "{min: 5, max: 7}"

    min: int = 5
    max: int = 7

    @field_validator("min", "max", mode="before")
    @classmethod
    def _size(cls, value: Any, info: ValidationInfo) -> int:
        return cls.whole(cls.key(info.field_name), value, 1, 50)

    @model_validator(mode="after")
    def _ordered(self) -> PresidiumSpec:
        if self.min > self.max:
            raise self.fail(f'"presidium": "min" ({self.min}) lớn hơn "max" ({self.max}).')
        return self


class PlenarySpec(_DelegatesSection):
    """``plenary``: units with fewer staff hold a plenary conference (of these kinds)."""

    PATH = "plenary"
    EXAMPLE = "{below_staff: 200, unit_kinds: [doanh_nghiep]}"

    below_staff: int = 200
    unit_kinds: tuple[str, ...] = ("doanh_nghiep",)

    @field_validator("below_staff", mode="before")
    @classmethod
    def _staff(cls, value: Any) -> int:
        return cls.whole("plenary → below_staff", value, 1, _MAX_PEOPLE)

    @field_validator("unit_kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise cls.fail(
                '"plenary → unit_kinds" phải là danh sách loại đơn vị, ví dụ [doanh_nghiep].'
            )
        # The deployment's kinds when the caller gives them (its own codes and aliases).
        context = info.context if isinstance(info.context, dict) else {}
        vocabulary = context.get(UNIT_KINDS_CONTEXT)
        if not isinstance(vocabulary, UnitKinds):
            vocabulary = DEFAULT_UNIT_KINDS
        kinds: list[str] = []
        for index, raw in enumerate(value):
            kind = vocabulary.from_text(str(raw))
            if kind is None:
                known = ", ".join(vocabulary.labels)
                raise cls.fail(
                    f'"plenary → unit_kinds": không có loại đơn vị "{raw}"; chỉ nhận: {known}.',
                    index,
                )
            if kind not in kinds:
                kinds.append(kind)
        return tuple(kinds)


class DelegatesSpec(_DelegatesSection):
    """``settings.delegates``: every key of the delegate rules, with the plan's defaults.

    ``presidium`` and ``plenary`` are None when written ``false`` (or null): that rule is off.
    """

    EXAMPLE = "{quota: {default: 12}, upper_conference_max: 300}"

    # upper_conference_max comes before quota: the quota check reads it (info.data).
    unit_conference_max: int = 150
    upper_conference_max: int = 300
    exemplary_percent: int = 70
    tolerance_percent: int = 10
    quota: Quota = Field(default_factory=Quota)
    presidium: PresidiumSpec | None = Field(default_factory=PresidiumSpec)
    plenary: PlenarySpec | None = Field(default_factory=PlenarySpec)
    due: dt.date | None = None

    @classmethod
    def keys(cls) -> list[str]:
        """The keys in the order of the documentation."""
        return list(_KEYS)

    @classmethod
    def not_mapping(cls) -> SettingsError:
        """The error for a ``delegates`` that is not a mapping."""
        return cls.fail(f'"delegates" phải là một nhóm khóa: giá trị, ví dụ {cls.EXAMPLE}.')

    @field_validator("unit_conference_max", "upper_conference_max", mode="before")
    @classmethod
    def _people(cls, value: Any, info: ValidationInfo) -> int:
        return cls.whole(cls.key(info.field_name), value, 1, _MAX_PEOPLE)

    @field_validator("exemplary_percent", mode="before")
    @classmethod
    def _target(cls, value: Any) -> int:
        return cls.whole("exemplary_percent", value, 0, 100)

    @field_validator("tolerance_percent", mode="before")
    @classmethod
    def _tolerance(cls, value: Any) -> int:
        return cls.whole("tolerance_percent", value, 0, 50)

    @field_validator("presidium", "plenary", mode="before")
    @classmethod
    def _off_when_false(cls, value: Any) -> Any:
        return None if value is False else value

    @field_validator("quota", mode="before")
    @classmethod
    def _quota(cls, value: Any, info: ValidationInfo) -> Quota:
        upper = info.data.get("upper_conference_max")
        if upper is None:  # invalid, and already reported
            upper = cls.model_fields["upper_conference_max"].default
        if value is None or isinstance(value, Quota):
            return value or Quota()
        if not isinstance(value, Mapping):
            return Quota(default=cls.whole("quota", value, 0, upper))
        cls.check_keys(value, ("default", "units"), path="quota")
        default = value.get("default")
        if default is not None:
            default = cls.whole("quota → default", default, 0, upper, "", "default")
        units = value.get("units") or {}
        if not isinstance(units, Mapping):
            raise cls.fail(
                '"quota → units" phải là một nhóm khóa: giá trị, ví dụ {P-BADINH: 15}.', "units"
            )
        known = known_units(info)
        by_unit: dict[str, int] = {}
        for code, count in units.items():
            name, at = normalize_code(str(code)), ("units", code)
            if name in by_unit:
                raise cls.fail(f'"quota → units": mã đơn vị "{name}" bị ghi lặp lại.', *at)
            if known is not None and name not in known:
                raise cls.fail(
                    f'"quota → units": mã đơn vị "{name}" không có trong danh sách đơn vị.', *at
                )
            by_unit[name] = cls.whole(f"quota → units → {name}", count, 0, upper, "", *at)
        if sum(by_unit.values()) > upper:
            raise cls.fail(
                f'"quota → units": tổng chỉ tiêu riêng của các đơn vị ({sum(by_unit.values())}) '
                f"vượt số đại biểu tối đa của hội nghị cấp trên ({upper}).",
                "units",
            )
        return Quota(default, by_unit)

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: Any) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, str | dt.date):
            try:
                return parse_date(value)
            except NoSuchDateError as exc:
                raise cls.fail(f'"due": ngày "{exc.text}" không tồn tại.') from None
            except DateError:
                pass
        raise cls.fail('"due" phải là một ngày dạng dd/mm/yyyy, ví dụ 15/4/2020.')
