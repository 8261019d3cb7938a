"""Ports: what the core needs from the outside world, provided by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from storage.files import SavedFile

__all__ = ["FileStore", "InviteLinker", "InviteLinks", "SavedFile"]


@dataclass(frozen=True, slots=True)
class InviteLinks:
    """Where an invite code can be used, as far as the composition root knows."""

    #: The Telegram deep link carrying the code, or None when the bot's username is unknown.
    telegram: str | None = None
    #: The Zalo bot's link (the code is typed there as "start CODE"), or None.
    zalo: str | None = None


#: The links of an invite code (provided by the composition root; the core knows no channel).
InviteLinker = Callable[[str], InviteLinks]


class FileStore(Protocol):
    """Keeps file contents (by content hash) somewhere durable."""

    async def save(self, data: bytes) -> SavedFile:
        """Store ``data`` and return where it lives."""
        ...

    async def read(self, path: str) -> bytes:
        """The content stored under ``path``."""
        ...
