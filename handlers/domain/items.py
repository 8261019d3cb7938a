"""What a unit sends that the secretariat reviews: a submission version or a nomination.

An item is named in conversations and button data by an :class:`ItemKey`, packed as
``"s:<id>"`` (a submission version) or ``"n:<id>"`` (a nomination)::

    key = ItemKey.of(submission)  # ItemKey(kind=ItemKind.SUBMISSION, id=12)
    key.pack()  # "s:12"
    ItemKey.parse("n:7")  # ItemKey(kind=ItemKind.NOMINATION, id=7)
    ItemKey.parse("x:7")  # None: not a key

Inside typed button data the two parts are fields of their own (``kind: ItemKind``,
``item_id: int``), since a packed value cannot contain ``:``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Self

from storage.models import Nomination, NominationStatus, Submission, SubmissionStatus

__all__ = ["Item", "ItemKey", "ItemKind", "is_withdrawn", "revision_of", "sent_at_of"]

#: A submission version or a nomination.
Item = Submission | Nomination


class ItemKind(enum.StrEnum):
    """The two kinds of item, as their one-letter key prefix."""

    SUBMISSION = "s"
    NOMINATION = "n"


@dataclass(frozen=True, slots=True)
class ItemKey:
    """Which item: its kind and id."""

    kind: ItemKind
    id: int

    @classmethod
    def of(cls, item: Item) -> Self:
        """The key of ``item``."""
        kind = ItemKind.SUBMISSION if isinstance(item, Submission) else ItemKind.NOMINATION
        return cls(kind, item.id)

    def pack(self) -> str:
        """``"s:<id>"`` or ``"n:<id>"``."""
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Self | None:
        """The key ``text`` packs; None when it is not one (data from a chat is not trusted)."""
        kind, _, raw = (text or "").partition(":")
        if kind not in ItemKind._value2member_map_ or not raw.isascii() or not raw.isdigit():
            return None
        return cls(ItemKind(kind), int(raw))


def revision_of(item: Item) -> int:
    """What changes when the unit changes the item: a version, or a nomination's revision."""
    return item.version if isinstance(item, Submission) else item.revision


def sent_at_of(item: Item) -> dt.datetime:
    """When the unit sent the item (a version's submission time, a nomination's creation)."""
    return item.submitted_at if isinstance(item, Submission) else item.created_at


def is_withdrawn(item: Item) -> bool:
    """Whether the unit withdrew the item."""
    return item.status in (SubmissionStatus.WITHDRAWN, NominationStatus.WITHDRAWN)
