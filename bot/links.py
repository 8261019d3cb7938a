"""The port between the channels and the web companion: signed links for what a chat cannot carry.

A channel that cannot receive a file from its users (Zalo) or only small ones (Telegram, 20 MB)
asks for an upload link when a reply carries a :class:`~handlers.kernel.messages.FileRequest`; a
channel that cannot send documents (Zalo) asks for a download link for an outgoing file. The web
companion (``bot/web``) implements this; a process without it passes ``None``.
"""

from __future__ import annotations

from typing import Protocol

from handlers.kernel.messages import ChatKey, FileRequest, OutgoingFile

__all__ = ["LinkMaker"]


class LinkMaker(Protocol):
    """Issues signed, short-lived links bound to one chat."""

    async def upload_link(self, key: ChatKey, user_id: str, request: FileRequest) -> str:
        """A single-use page where the person in ``key`` sends the file ``request`` asks for."""
        ...

    async def download_link(self, key: ChatKey, file: OutgoingFile) -> str:
        """A short-lived address that serves ``file`` (an export, the chart) to that chat only."""
        ...
