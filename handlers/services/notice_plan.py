"""What a planning pass returns: one :class:`PlannedNotice` per message due to one recipient.

Shared by the send reminders (:mod:`handlers.services.reminders`) and the milestone reminders
(:mod:`handlers.services.milestones`); ``scheduler/`` claims each by its key, sends it and
records the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.kernel.messages import Reply

__all__ = ["PlannedNotice", "Recipient", "once"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """A linked chat account a notice goes to."""

    account_id: int
    channel: str
    chat_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PlannedNotice:
    """One message due now to one recipient, with its exactly-once key.

    Its text is rendered when first asked for (:attr:`reply`), once per (requirement, unit):
    a planning pass names every notice due, but only the unclaimed ones are rendered and sent.
    """

    key: str
    kind: str  # "reminder" | "digest" | "milestone"
    campaign_id: int
    requirement_id: int | None
    unit_id: int | None
    unit_name: str | None
    requirement_title: str | None
    slot: str
    slot_at: dt.datetime
    recipient: Recipient
    render: Callable[[], Reply] = field(compare=False, repr=False)

    @property
    def reply(self) -> Reply:
        """The message (rendered on first use, shared by the unit's recipients)."""
        return self.render()


def once(make: Callable[[], Reply]) -> Callable[[], Reply]:
    """``make``, called at most once; its result kept."""
    kept: list[Reply] = []

    def get() -> Reply:
        if not kept:
            kept.append(make())
        return kept[0]

    return get
