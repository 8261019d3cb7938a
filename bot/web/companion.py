"""The web companion: signed upload pages and downloads for what a chat cannot carry.

A Zalo user cannot send a document to a bot and a Telegram bot cannot download one over
20 MB, so a step that waits for a file (its reply carries a
:class:`~handlers.kernel.messages.FileRequest`) is answered with a link to a page here. The
page shows what is being sent and for which unit; the file posted there is handed to the core
exactly as a channel would hand it, and the core's replies go to the chat through the
channel's ``Send``, so the conversation continues in the messenger. Outgoing files (exports,
the chart) get short-lived download links.

A link is signed (a forged one is refused before the database is asked), stored only as the
hash of its token, bound to one chat, short-lived, and — for uploads — used up once the core
took the file. It works only while the chat is still at the step it was made for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.links import LinkMaker
from bot.settings import Settings
from bot.web.tokens import load_secret, make_token, token_hash, verify_token
from handlers.domain.files import MAX_FILE_BYTES
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import (
    ChatKey,
    FileRequest,
    Incoming,
    IncomingFile,
    OutgoingFile,
    Reply,
    Send,
)
from handlers.kernel.ports import FileStore
from handlers.kernel.texts import Texts, plain_text
from storage.models import WebLink, WebLinkKind
from storage.repositories.audit import AuditRepository
from storage.repositories.web_links import WebLinkRepository

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Companion", "WebConfig", "content_disposition"]

_LOGGER = logging.getLogger(__name__)

#: How long a post may hold an upload link before another post may take it (a dead process).
CLAIM_LEASE = dt.timedelta(minutes=5)
#: Expired links are forgotten this long after they expired.
KEPT_AFTER_EXPIRY = dt.timedelta(days=1)
#: What a multipart body may carry besides the file (boundaries, headers).
_MULTIPART_SLACK = 64 * 1024
_CHUNK = 64 * 1024
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_PAGE_HEADERS = {
    **_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
#: The HTTP status of each problem page.
_STATUS = {
    "forged": 404,
    "expired": 410,
    "used": 410,
    "busy": 409,
    "moved": 409,
    "too_big": 413,
    "no_file": 400,
}


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Where the companion listens, the address users reach it at, and its links' lifetimes."""

    public_url: str
    secret: bytes = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    upload_ttl: dt.timedelta = dt.timedelta(hours=1)
    download_ttl: dt.timedelta = dt.timedelta(minutes=30)
    max_bytes: int = MAX_FILE_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> WebConfig:
        """The configuration ``settings`` describe (the signing key made on first use)."""
        configured = settings.web_secret.get_secret_value() if settings.web_secret else None
        public = settings.public_url or f"http://{settings.web_host}:{settings.web_port}"
        return cls(
            public_url=public.rstrip("/"),
            secret=load_secret(settings.data_dir, configured),
            host=settings.web_host,
            port=settings.web_port,
            upload_ttl=dt.timedelta(minutes=settings.web_upload_minutes),
            download_ttl=dt.timedelta(minutes=settings.web_download_minutes),
        )


def content_disposition(name: str, *, inline: bool = False) -> str:
    """A ``Content-Disposition`` carrying ``name`` in UTF-8 (RFC 6266) with an ASCII fallback."""
    letters = []
    for char in unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d")):
        if unicodedata.combining(char):
            continue  # the diacritics of a Vietnamese letter: "ệ" → "e"
        fits = char.isascii() and char.isprintable() and char not in '"\\;'
        letters.append(char if fits else "_")
    ascii_name = "".join(letters).strip() or "tep"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class _LinkError(Exception):
    """A link that cannot be used: the page says why (``reason``) and nothing changes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Companion:
    """Issues signed links (:class:`bot.links.LinkMaker`) and serves their pages.

    Args:
        config: Addresses, signing key, lifetimes.
        core: The core a posted file is handed to.
        files: Where outgoing files are kept for their download links.
        session_factory: The database of the links.
        senders: Each channel's ``Send``: the core's replies to a posted file go to the chat.
    """

    def __init__(
        self,
        config: WebConfig,
        core: Core,
        files: FileStore,
        session_factory: async_sessionmaker[AsyncSession],
        senders: Mapping[str, Send],
    ) -> None:
        self.config = config
        self._core = core
        self._files = files
        self._sessions = session_factory
        self._senders = senders
        self._runner: web.AppRunner | None = None
        #: Serving starts with the first link issued (see :meth:`on_demand`).
        self._on_demand = False
        self._starting = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        core: Core,
        files: FileStore,
        session_factory: async_sessionmaker[AsyncSession],
        senders: Mapping[str, Send],
    ) -> Companion:
        """The companion the composition root builds from :class:`Settings`."""
        return cls(WebConfig.from_settings(settings), core, files, session_factory, senders)

    @property
    def _texts(self) -> Texts:
        return self._core.deps.texts

    @property
    def _clock(self) -> Callable[[], dt.datetime]:
        return self._core.deps.clock

    # -- LinkMaker ------------------------------------------------------------------------
    async def upload_link(self, key: ChatKey, user_id: str, request: FileRequest) -> str:
        """A single-use page where the person in ``key`` sends the file ``request`` asks for."""
        await self._serve_on_demand()
        now = self._clock()
        token = make_token(self.config.secret, WebLinkKind.UPLOAD.value)
        async with self._sessions.begin() as session:
            links = WebLinkRepository(session)
            await links.prune(now - KEPT_AFTER_EXPIRY)
            await links.add(
                WebLink(
                    token_hash=token_hash(token),
                    kind=WebLinkKind.UPLOAD,
                    channel=key.channel,
                    chat_id=key.chat_id,
                    user_id=user_id,
                    what=request.what[:500],
                    unit=request.unit[:255] if request.unit else None,
                    accepts=list(request.accepts),
                    state=await links.chat_step(key.channel, key.chat_id),
                    created_at=now,
                    expires_at=now + self.config.upload_ttl,
                )
            )
        return f"{self.config.public_url.rstrip('/')}/u/{token}"

    async def download_link(self, key: ChatKey, file: OutgoingFile) -> str:
        """A short-lived address that serves ``file`` (an export, the chart) to that chat only."""
        await self._serve_on_demand()
        saved = await self._files.save(file.data)
        now = self._clock()
        token = make_token(self.config.secret, WebLinkKind.DOWNLOAD.value)
        async with self._sessions.begin() as session:
            await WebLinkRepository(session).add(
                WebLink(
                    token_hash=token_hash(token),
                    kind=WebLinkKind.DOWNLOAD,
                    channel=key.channel,
                    chat_id=key.chat_id,
                    user_id=key.chat_id,
                    file_path=saved.path,
                    file_name=file.name[:255],
                    file_mime=file.mime_type[:127] or "application/octet-stream",
                    created_at=now,
                    expires_at=now + self.config.download_ttl,
                )
            )
        return f"{self.config.public_url.rstrip('/')}/d/{token}"

    async def offer_upload(
        self, key: ChatKey, user_id: str, request: FileRequest, *, too_big: bool = False
    ) -> Reply:
        """The message that gives a chat its upload link (``too_big``: after a refused file)."""
        url = await self.upload_link(key, user_id, request)
        minutes = int(self.config.upload_ttl.total_seconds() // 60)
        macro = "web.big_file" if too_big else "web.upload_offer"
        return Reply(text=self._texts(macro, url=url, minutes=minutes))

    async def big_file_offer(self, key: ChatKey, user_id: str, request: FileRequest) -> Reply:
        """The upload link for a file too big for the messenger (Telegram's ``offer_upload``)."""
        return await self.offer_upload(key, user_id, request, too_big=True)

    # -- serving --------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp application serving the pages."""
        from aiohttp import web  # the server's library: loaded when the pages are served

        application = web.Application(client_max_size=self.config.max_bytes + _MULTIPART_SLACK)
        application.router.add_get("/u/{token}", self._upload_page)
        application.router.add_post("/u/{token}", self._upload_post)
        application.router.add_get("/d/{token}", self._download)
        return application

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[Companion]:
        """Serve the pages on the configured host and port while the block runs."""
        try:
            await self._start()
            yield self
        finally:
            await self._stop()

    @asynccontextmanager
    async def on_demand(self) -> AsyncIterator[Companion]:
        """Serve the pages while the block runs, from when a link can be opened.

        That is at once when a link of an earlier run may still be opened, else when this
        process issues its first link (before the link is given out). Until then the server
        (aiohttp: about 9 MB and a fifth of a second) is not even imported, but the address is
        tried at once: a port taken by another program stops the start, as it always did, not
        a unit head's first upload.

        Raises:
            OSError: The configured host and port cannot be listened on.
        """
        try:
            async with self._sessions() as session:
                live = await WebLinkRepository(session).any_live(self._clock())
            if live:
                await self._start()
            else:
                self._check_address()
            self._on_demand = True
            yield self
        finally:
            self._on_demand = False
            await self._stop()

    def _check_address(self) -> None:
        """Listen on the configured address for a moment (an ephemeral port: nothing to try)."""
        if self.config.port:
            socket.create_server((self.config.host, self.config.port)).close()

    async def _serve_on_demand(self) -> None:
        if self._on_demand and self._runner is None:
            await self._start()

    async def _start(self) -> None:
        """Listen on the configured host and port (once)."""
        from aiohttp import web

        async with self._starting:
            if self._runner is not None:
                return
            runner = web.AppRunner(self.app(), access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, self.config.host, self.config.port).start()
            except BaseException:
                await runner.cleanup()
                raise
            self._runner = runner
        _LOGGER.info(
            "web companion on %s:%d (public %s)",
            self.config.host,
            self.config.port,
            self.config.public_url,
        )

    async def _stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def bound_addresses(self) -> list[tuple[str, int]]:
        """Where the pages are served now (host, port); empty outside :meth:`serving`."""
        if self._runner is None:
            return []
        return [(str(a[0]), int(a[1])) for a in self._runner.addresses]

    # -- pages ----------------------------------------------------------------------------
    def _page(self, html: str, status: int = 200) -> web.Response:
        from aiohttp import web

        return web.Response(
            text=html,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers=_PAGE_HEADERS,
        )

    def _problem(self, reason: str) -> web.Response:
        max_mb = round(self.config.max_bytes / 1024 / 1024)
        html = self._texts("web.problem_page", reason=reason, max_mb=max_mb)
        return self._page(html, _STATUS.get(reason, 404))

    def _upload_form(self, link: WebLink, refused: list[str], status: int = 200) -> web.Response:
        html = self._texts(
            "web.upload_page",
            what=link.what or "",
            unit=link.unit,
            accepts=link.accepts,
            max_mb=round(self.config.max_bytes / 1024 / 1024),
            expires_at=link.expires_at,
            refused=refused,
        )
        return self._page(html, status)

    async def _find(self, token: str, kind: WebLinkKind) -> WebLink:
        """The live link ``token`` names; raises :class:`_LinkError` for a forged or dead one."""
        if not verify_token(self.config.secret, kind.value, token):
            raise _LinkError("forged")
        async with self._sessions() as session:
            links = WebLinkRepository(session)
            link = await links.by_hash(token_hash(token))
            if link is None or link.kind is not kind:
                raise _LinkError("forged")
            if link.used_at is not None:
                raise _LinkError("used")
            if link.expires_at <= self._clock():
                raise _LinkError("expired")
            if kind is WebLinkKind.UPLOAD and link.state != await links.chat_step(
                link.channel, link.chat_id
            ):
                raise _LinkError("moved")
            session.expunge(link)
        return link

    async def _upload_page(self, request: web.Request) -> web.Response:
        try:
            link = await self._find(request.match_info["token"], WebLinkKind.UPLOAD)
        except _LinkError as problem:
            return self._problem(problem.reason)
        return self._upload_form(link, [])

    async def _read_file(self, request: web.Request) -> tuple[str, str, bytes]:
        """The posted file's name, type and content, read within the size limit."""
        from aiohttp import BodyPartReader

        limit = self.config.max_bytes
        if (
            request.content_length is not None
            and request.content_length > limit + _MULTIPART_SLACK
        ):
            raise _LinkError("too_big")
        try:
            reader = await request.multipart()
        except (AssertionError, ValueError, KeyError):  # not a multipart form
            raise _LinkError("no_file") from None
        while True:
            part = await reader.next()
            if part is None:
                raise _LinkError("no_file")
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue
            if not part.filename:
                raise _LinkError("no_file")
            chunks: list[bytes] = []
            total = 0
            while chunk := await part.read_chunk(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _LinkError("too_big")
                chunks.append(chunk)
            mime = part.headers.get("Content-Type", "application/octet-stream")
            # Browsers escape '"' and line breaks in the name as %22, %0A, %0D (HTML's form
            # encoding) and some clients percent-encode all of it: read both the same way.
            return unquote(part.filename), mime, b"".join(chunks)

    async def _upload_post(self, request: web.Request) -> web.Response:
        try:
            link = await self._find(request.match_info["token"], WebLinkKind.UPLOAD)
            name, mime, data = await self._read_file(request)
        except _LinkError as problem:
            return self._problem(problem.reason)
        now = self._clock()
        async with self._sessions.begin() as session:
            claimed = await WebLinkRepository(session).claim(link.id, now, CLAIM_LEASE)
        if not claimed:  # another post holds the link, or has just used it up
            async with self._sessions() as session:
                current = await session.get(WebLink, link.id)
            used = current is None or current.used_at is not None
            return self._problem("used" if used else "busy")
        key = ChatKey(link.channel, link.chat_id)
        replies: list[Reply] | None = None
        try:
            replies = await self._hand_over(link, key, name, mime, data)
        except Exception:
            _LOGGER.exception("web upload on link %d failed", link.id)
        accepted = bool(replies) and replies is not None and replies[-1].file_request is None
        async with self._sessions.begin() as session:
            used_at = self._clock() if accepted else None
            await WebLinkRepository(session).release(link.id, used_at=used_at)
            if used_at is not None:
                AuditRepository(session).record(
                    at=used_at,
                    person_id=None,
                    action="web_link.upload",
                    entity="web_link",
                    entity_id=link.id,
                    detail={"channel": link.channel, "chat_id": link.chat_id, "file": name},
                )
        if replies is None:
            texts = [plain_text(self._core.apology().text)]
            return self._upload_form(link, texts, status=500)
        _LOGGER.info("web upload on link %d: %s", link.id, "taken" if accepted else "refused")
        await self._send(key, replies)
        if accepted:
            texts = [plain_text(r.text) for r in replies if r.text]
            return self._page(self._texts("web.done_page", texts=texts))
        # The refusal; the question asked again is the page itself.
        texts = [plain_text(r.text) for r in replies if r.text and r.file_request is None]
        return self._upload_form(link, texts, status=422)

    async def _hand_over(
        self, link: WebLink, key: ChatKey, name: str, mime: str, data: bytes
    ) -> list[Reply]:
        """Give the posted file to the core as the chat's next message; its replies."""
        async with self._sessions() as session:
            current = await session.get(WebLink, link.id)
            attempt = current.attempts if current is not None else 0

        async def read() -> bytes:
            return data

        return await self._core.handle(
            Incoming(
                key,
                link.user_id,
                file=IncomingFile(name=name, mime_type=mime, size=len(data), read=read),
                update_id=f"web:{link.id}:{attempt}",
            )
        )

    async def _send(self, key: ChatKey, replies: list[Reply]) -> None:
        """Send the core's replies to the chat on its channel (the conversation goes on there)."""
        send = self._senders.get(key.channel)
        if send is None:
            _LOGGER.warning(
                "no sender for channel %s; replies shown on the page only", key.channel
            )
            return
        for reply in replies:
            try:
                await send(key, reply)
            except Exception:
                _LOGGER.exception("sending a web upload's reply to %s failed", key.channel)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        try:
            link = await self._find(request.match_info["token"], WebLinkKind.DOWNLOAD)
        except _LinkError as problem:
            return self._problem(problem.reason)
        assert link.file_path is not None
        data = await self._files.read(link.file_path)
        name = link.file_name or "tep"
        mime = link.file_mime or "application/octet-stream"
        headers = {
            **_HEADERS,
            "Content-Disposition": content_disposition(name, inline=mime.startswith("image/")),
        }
        return web.Response(body=data, content_type=mime, headers=headers)


def _is_a_link_maker(companion: Companion) -> LinkMaker:
    """Nothing at run time: mypy checks here that a companion is a :class:`LinkMaker`."""
    return companion
