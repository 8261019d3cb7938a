"""Loading an item (a submission version or a nomination) by its key."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.items import Item, ItemKey, ItemKind
from storage.repositories.nominations import NominationRepository
from storage.repositories.submissions import SubmissionRepository

__all__ = ["load_item"]


async def load_item(
    session: AsyncSession, key: ItemKey | None, *, lock: bool = False
) -> Item | None:
    """The item behind ``key`` (None for no key or no such item).

    Args:
        session: The open session.
        key: Which item (:meth:`ItemKey.parse` of what a chat sent may be None).
        lock: Lock the row until the transaction ends (``SELECT … FOR UPDATE`` on PostgreSQL)
            and read it afresh.
    """
    if key is None:
        return None
    if key.kind is ItemKind.SUBMISSION:
        subs = SubmissionRepository(session)
        return await (subs.get_for_update(key.id) if lock else subs.get(key.id))
    noms = NominationRepository(session)
    return await (noms.get_for_update(key.id) if lock else noms.get(key.id))
