"""The base of every validated part of a campaign's settings (pydantic, Vietnamese messages).

A campaign file's ``settings`` (and each requirement's ``policy``) is read by pydantic models
derived from :class:`Section`. A section:

* accepts a mapping, or nothing (null: every key keeps its default), and refuses anything else
  with ``"<TITLE> phải là một nhóm khóa: giá trị, ví dụ <EXAMPLE>."``;
* refuses an unknown key with ``"<TITLE>: không có khóa "x"; chỉ nhận: a, b."``;
* has field validators that raise :class:`SettingsError` through :meth:`Section.fail`, so each
  message starts with the section's title and names the key (``"quota → units → P-A"``).

The error carries :attr:`SettingsError.at`, the path below the failing field or model that
points at the offending key, so a YAML file can name the problem's own line.

Validation may be given the unit codes that exist (``context={UNIT_CODES: codes}``): sections
that name units then refuse unknown codes (:func:`known_units`). Without them, codes are not
checked (stored settings, or a database without units yet).

:meth:`Section.read` validates outside a campaign file and raises the section's own error
class (:attr:`Section.ERROR`) with the first problem's message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import ErrorDetails

from handlers.domain.vocab import UNIT_KINDS_CONTEXT, UnitKinds
from storage.text import normalize_code

__all__ = [
    "UNIT_CODES",
    "LocatedError",
    "Section",
    "SettingsError",
    "known_units",
    "problem_of",
]

#: Validation context key: the unit codes (normalised) that exist.
UNIT_CODES = "unit_codes"


class LocatedError(ValueError):
    """A validation error that can point below the field or model it was raised for.

    Attributes:
        at: Path below the failing field or model to the offending key or item, so a YAML file
            can name that line (``("units", "P-A")``); empty: the field itself.
    """

    def __init__(self, message: str, at: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.at = at


class SettingsError(LocatedError):
    """A setting is invalid; the message (Vietnamese) names the section and the key."""


def known_units(info: ValidationInfo) -> frozenset[str] | None:
    """Return the unit codes that exist when validation was given them, else None."""
    context = info.context
    if not isinstance(context, Mapping):
        return None
    codes = context.get(UNIT_CODES)
    return None if codes is None else frozenset(normalize_code(c) for c in codes)


def problem_of(error: ErrorDetails) -> LocatedError | None:
    """Return the :class:`LocatedError` a pydantic error wraps, if it wraps one."""
    raised = (error.get("ctx") or {}).get("error")
    return raised if isinstance(raised, LocatedError) else None


class Section(BaseModel):
    """A mapping of settings; subclasses set the class variables and declare the keys.

    Class variables:
        TITLE: Names the section at the start of every message ("Chính sách nhắc").
        PATH: Where a nested section sits in its top section ("quota", "presidium"); empty
            for a top section.
        EXAMPLE: A short example shown when the value is not a mapping.
        ERROR: The error class :meth:`read` and :meth:`fail` raise.
    """

    # defer_build: a section's validator is built when it first reads settings, not when the
    # flows are imported.
    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True
    )

    TITLE: ClassVar[str] = "Thiết lập"
    PATH: ClassVar[str] = ""
    EXAMPLE: ClassVar[str] = "{khóa: giá trị}"
    ERROR: ClassVar[type[SettingsError]] = SettingsError

    @classmethod
    def key(cls, name: str | None) -> str:
        """Return the path of key ``name`` inside the top section (``"quota → default"``)."""
        return " → ".join(p for p in (cls.PATH, name or "") if p)

    @classmethod
    def fail(cls, detail: str, *at: Any) -> SettingsError:
        """Return the error for ``detail`` (which names the key), prefixed with the title.

        Args:
            detail: The problem, e.g. ``'"at" phải là giờ dạng HH:MM.'``.
            *at: Path below the failing field to the offending key, when deeper.
        """
        return cls.ERROR(f"{cls.TITLE}: {detail}", at)

    @classmethod
    def whole(cls, key: str, value: Any, low: int, high: int, rule: str = "", *at: Any) -> int:
        """Return ``value`` when it is an integer from ``low`` to ``high`` (a bool is not).

        Args:
            key: The key path named in the message.
            value: The value as written.
            low: Smallest allowed value.
            high: Largest allowed value.
            rule: What the message says after the key; default "phải là số nguyên từ … đến …".
            *at: Path below the failing field to the offending key, when deeper.

        Raises:
            SettingsError: Not such an integer.
        """
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            rule = rule or f"phải là số nguyên từ {low} đến {high}."
            raise cls.fail(f'"{key}" {rule}', *at)
        return int(value)

    @classmethod
    def not_mapping(cls) -> SettingsError:
        """The error for a value that is not a mapping."""
        if cls.PATH:
            return cls.fail(f'"{cls.PATH}" phải là một nhóm khóa: giá trị, ví dụ {cls.EXAMPLE}.')
        return cls.ERROR(f"{cls.TITLE} phải là một nhóm khóa: giá trị, ví dụ {cls.EXAMPLE}.")

    @classmethod
    def keys(cls) -> list[str]:
        """The keys the section accepts, in the order they are declared (and listed)."""
        return list(cls.model_fields)

    @classmethod
    def check_keys(
        cls, data: Mapping[Any, Any], known: Collection[str], path: str | None = None
    ) -> None:
        """Refuse the first key of ``data`` that is not in ``known`` (listed in that order).

        Args:
            data: The mapping as written.
            known: The keys it may have.
            path: Where ``data`` sits in the top section; default :attr:`PATH`.

        Raises:
            SettingsError: The unknown key, with ``at`` pointing to it.
        """
        where = cls.PATH if path is None else path
        for name in data:
            if name not in known:
                listed = ", ".join(known)
                prefix = f'"{where}" ' if where else ""
                raise cls.fail(f'{prefix}không có khóa "{name}"; chỉ nhận: {listed}.', name)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping_of_known_keys(cls, data: Any) -> Any:
        if data is None:
            return {}
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise cls.not_mapping()
        cls.check_keys(data, cls.keys())
        return dict(data)

    @classmethod
    def read(
        cls,
        data: Any,
        *,
        units: Collection[str] | None = None,
        kinds: UnitKinds | None = None,
    ) -> Self:
        """Validate ``data`` (a mapping, or None for every default) outside a campaign file.

        Args:
            data: The section as written or stored.
            units: The unit codes that exist, to refuse unknown ones; None: not checked.
            kinds: The deployment's unit kinds; None: the built-in ones.

        Raises:
            SettingsError: Of the class :attr:`ERROR`, with the first problem's message.
        """
        context: dict[str, Any] = {}
        if units is not None:
            context[UNIT_CODES] = units
        if kinds is not None:
            context[UNIT_KINDS_CONTEXT] = kinds
        try:
            return cls.model_validate(data, context=context or None)
        except ValidationError as exc:
            first = exc.errors()[0]
            raised = problem_of(first)
            if raised is not None:
                raise raised from None
            path = " → ".join(str(p) for p in first["loc"])
            raise cls.fail(f'"{path}" không hợp lệ.') from None

    def written(self) -> dict[str, Any]:
        """The validated values of the keys that were written, by key."""
        return {name: getattr(self, name) for name in self.model_fields_set}
