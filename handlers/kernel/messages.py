"""Neutral message types: every channel translates to and from these.

Texts in :class:`Reply` use a tiny HTML subset (``<b>``, ``<i>``, ``<code>``) with every piece of
user-provided text already escaped; a channel that renders HTML sends it as is, a text-only channel
strips the tags and unescapes the entities.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "UNIT_BUTTONS",
    "Button",
    "ChatKey",
    "Delivery",
    "FileRequest",
    "Incoming",
    "IncomingFile",
    "OutgoingFile",
    "Reply",
    "Send",
]

#: At most this many units are offered as a button each; beyond (a province has thousands), a
#: question asks for a unit's name or code instead: a keyboard of thousands of buttons is
#: refused by the messengers, and a numbered list of them is no way to choose.
UNIT_BUTTONS = 40


@dataclass(frozen=True, slots=True)
class ChatKey:
    """Identifies one conversation: a chat on a channel (aiogram's StorageKey, minimised)."""

    channel: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file a user sent; ``read`` downloads it only when a step accepts it."""

    name: str
    mime_type: str
    size: int
    read: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)
    #: The most the channel can download (Telegram's Bot API: 20 MB); a larger file cannot be
    #: read here, and the step's question comes back for another way in (the web companion).
    limit: int | None = None

    @property
    def beyond_channel(self) -> bool:
        """True when the channel cannot download this file (see :attr:`limit`)."""
        return self.limit is not None and self.size > self.limit


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a user: text (a command is text starting with ``/``), a press, a file."""

    key: ChatKey
    user_id: str
    text: str = ""
    callback_data: str | None = None
    file: IncomingFile | None = None
    display_name: str | None = None
    is_private: bool = True
    #: The channel's id of the delivery (a Telegram update id): a redelivery is skipped.
    update_id: str | None = None
    #: The person sent something the channel does not pass on (a document on Zalo): the core
    #: explains, and at a step asks its question again (whose file request says how to send).
    unreadable: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    """A choice; text-only channels show it numbered and accept the number or the label.

    Unlike a reply's text, the label is plain text (no HTML, no entities): a channel shows it
    as it is, so a name like "Trần <b>B</b> &amp;" appears literally.
    """

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file the bot sends back (an export, a chart)."""

    name: str
    mime_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FileRequest:
    """The step now waits for a file; a channel that cannot carry one offers an upload link.

    Texts are plain (no HTML): the web companion shows them on its page as they are.
    """

    #: What is being sent, e.g. "Báo cáo thành tích — Nguyễn Văn A".
    what: str
    #: The unit it is sent for (its name), when there is one.
    unit: str | None = None
    #: Accepted file extensions without the dot (empty: any type a step accepts).
    accepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot."""

    text: str
    buttons: tuple[Button, ...] = ()
    file: OutgoingFile | None = None
    #: The buttons are the person's main menu (commands), not a one-time choice: a channel
    #: with a persistent keyboard shows them there.
    is_menu: bool = False
    #: Set on the question of a step that takes a file (see :class:`FileRequest`).
    file_request: FileRequest | None = None


class Delivery(StrEnum):
    """What became of one outgoing message."""

    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot or deleted the account: stop writing to them
    FAILED = "failed"  # refused or undeliverable after bounded retries


#: A channel's outgoing side: send one reply to a chat and say what became of it.
Send = Callable[[ChatKey, Reply], Awaitable[Delivery]]
