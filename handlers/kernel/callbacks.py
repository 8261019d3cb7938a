"""Typed button data: one small codec per kind of button (aiogram's ``CallbackData``, minimised).

A kind of button is a subclass that declares its prefix and its fields::

    class PickRequirement(CallbackData, prefix="nop.req"):
        requirement_id: int

    PickRequirement(requirement_id=7).pack()  # "nop.req:7"
    PickRequirement.unpack("nop.req:7")  # PickRequirement(requirement_id=7)
    PickRequirement.unpack("nop.part:1")  # None: another kind of button

Fields are ``str``, ``int``, ``bool`` or an enum with ``str``/``int`` values, packed in declaration
order after the prefix, separated by ``:``. A packed value is at most 64 bytes (Telegram's limit
for callback data); a value containing ``:`` cannot be packed. Unpacking data of another kind, of
the wrong number of parts or with a value that does not validate returns ``None``: data that came
back from a chat is never trusted.

Prefixes are unique across the core (``tests/handlers/kernel/test_kernel.py`` walks every
subclass); by convention they start with the flow's command (``nop.``, ``duyet.``…).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.domain.intents import Intent
from handlers.kernel.messages import Button

__all__ = ["MAX_BYTES", "SEP", "Ask", "CallbackData", "Command", "all_kinds"]

SEP = ":"
MAX_BYTES = 64


class CallbackData(BaseModel):
    """Base class of every kind of button data; subclasses declare ``prefix=``."""

    # defer_build: a kind's validator is built when it first packs or unpacks, not when the
    # flows are imported (some ninety kinds: most of the flows' import time otherwise).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    __prefix__: ClassVar[str] = ""

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEP in prefix:
            raise TypeError(f"{cls.__name__}: a prefix without {SEP!r} is required")
        cls.__prefix__ = prefix

    @staticmethod
    def _encode(value: Any) -> str:
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, bool):
            return "1" if value else "0"
        text = str(value)
        if SEP in text:
            raise ValueError(f"button value {text!r} contains {SEP!r}")
        return text

    def pack(self) -> str:
        """The data string a channel carries, ``prefix:value:value…``."""
        parts = [self.__prefix__]
        parts.extend(self._encode(getattr(self, name)) for name in type(self).model_fields)
        packed = SEP.join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """Parse ``data`` as this kind of button; None if it is not one (or is malformed)."""
        if data is None:
            return None
        prefix, _, rest = data.partition(SEP)
        if prefix != cls.__prefix__:
            return None
        names = list(cls.model_fields)
        values = rest.split(SEP) if names else []
        if len(values) != len(names) or (not names and rest):
            return None
        try:
            return cls.model_validate(dict(zip(names, values, strict=True)))
        except ValidationError:
            return None

    def button(self, label: str) -> Button:
        """A button showing ``label`` that carries this data."""
        return Button(label=label, data=self.pack())


class Command(CallbackData, prefix="cmd"):
    """A main-menu button: runs the command ``name`` (never stale, whatever the step)."""

    name: str


class Ask(CallbackData, prefix="hoi"):
    """One meaning offered for an unclear question: answers the question ``intent``.

    Never stale, like :class:`Command`.
    """

    intent: Intent


def all_kinds() -> list[type[CallbackData]]:
    """Every kind of button data defined so far (subclasses, recursively)."""
    found: list[type[CallbackData]] = []
    pending = list(CallbackData.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found
