"""Links of the web companion (upload pages, downloads), stored by the hash of their token."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, WebLink

__all__ = ["WebLinkRepository"]


class WebLinkRepository:
    """Issues, finds, claims and uses up web links; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, link: WebLink) -> WebLink:
        """Insert ``link`` and return it with its id."""
        self._s.add(link)
        await self._s.flush()
        return link

    async def by_hash(self, token_hash: str) -> WebLink | None:
        """The link whose token hashes to ``token_hash``."""
        rows = await self._s.scalars(select(WebLink).where(WebLink.token_hash == token_hash))
        return rows.first()

    async def claim(self, link_id: int, now: dt.datetime, lease: dt.timedelta) -> bool:
        """Take an unused upload link for one post; False when another post holds it.

        A claim older than ``lease`` (its process died) no longer holds the link.
        """
        result = await self._s.execute(
            update(WebLink)
            .where(
                WebLink.id == link_id,
                WebLink.used_at.is_(None),
                (WebLink.claimed_at.is_(None)) | (WebLink.claimed_at < now - lease),
            )
            .values(claimed_at=now, attempts=WebLink.attempts + 1)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def release(self, link_id: int, *, used_at: dt.datetime | None) -> None:
        """End a claim: the link is used up at ``used_at``, or usable again (None)."""
        await self._s.execute(
            update(WebLink).where(WebLink.id == link_id).values(claimed_at=None, used_at=used_at)
        )

    async def chat_step(self, channel: str, chat_id: str) -> str | None:
        """Where the chat stands: its step and a digest of the step's data (None: no row).

        Two visits of the same step for different things (the plan, then a dossier part) differ
        by their data, so a link made at the first is not valid at the second.
        """
        row = (
            await self._s.execute(
                select(Conversation.state, Conversation.data).where(
                    Conversation.channel == channel, Conversation.chat_id == chat_id
                )
            )
        ).first()
        if row is None:
            return None
        state, data = row
        kept = {k: v for k, v in (data or {}).items() if not str(k).startswith("_")}
        text = json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)
        return f"{state}#{hashlib.sha256(text.encode()).hexdigest()[:24]}"

    async def any_live(self, now: dt.datetime) -> bool:
        """Whether some link not used up may still be opened at ``now``."""
        found = await self._s.scalars(
            select(WebLink.id).where(WebLink.expires_at > now, WebLink.used_at.is_(None)).limit(1)
        )
        return found.first() is not None

    async def prune(self, before: dt.datetime) -> int:
        """Forget links that expired before ``before``."""
        result = await self._s.execute(delete(WebLink).where(WebLink.expires_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
