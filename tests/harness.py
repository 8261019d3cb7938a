"""The chat harness: drive the core like a channel would, read back the replies.

Registered as a pytest plugin from ``conftest.py``; fixtures: ``clock``, ``core``, ``demo``,
``chat`` (a factory: ``badinh = chat("badinh")``), ``jobs`` (the background work the core's
messages queue: the export worker and what it sent).

A file asked for with /xuat is built in the background: the harness runs the export worker
once the message is answered, so ``badinh.replies`` holds "Đang tạo tệp…" and then the reply
that carries the file, as a chat would show them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.app import load_demo, parse_now
from bot.console import render_text
from handlers.kernel.context import CoreDeps
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Delivery, Incoming, IncomingFile, Reply
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from scheduler import ExportWorker
from storage.db import make_engine, make_session_factory
from storage.files import LocalFileStore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from tests.conftest import TestDatabase
    from tests.pg_templates import PgTemplates

TZ = "Asia/Ho_Chi_Minh"


@contextlib.asynccontextmanager
async def statements(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[list[str]]:
    """The SQL statements run on ``session_factory``'s engine inside the block, in order."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    async with session_factory() as s:
        engine = s.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, local_iso: str) -> None:
        """Jump to a local (Asia/Ho_Chi_Minh) time."""
        self.now = parse_now(local_iso, TZ)


@dataclass
class Jobs:
    """The background work of the core's messages: woken topics, the export worker, its sends.

    ``auto`` (the default) runs the export worker after each message that queued a file; a
    test that watches the order of events turns it off and calls :meth:`run` itself.
    """

    worker: ExportWorker | None = None
    woken: list[str] = field(default_factory=list)
    sent: list[tuple[ChatKey, Reply]] = field(default_factory=list)
    auto: bool = True

    def wake(self, topic: str) -> None:
        """The core's wake hook."""
        self.woken.append(topic)

    async def send(self, key: ChatKey, reply: Reply) -> Delivery:
        """The console channel's send, as the export worker uses it."""
        self.sent.append((key, reply))
        return Delivery.SENT

    async def run(self) -> None:
        """Build and send every queued file."""
        assert self.worker is not None, "no export worker in this core"
        self.woken.clear()
        await self.worker.run()

    def take(self, key: ChatKey) -> list[Reply]:
        """What was sent to ``key`` since the last call."""
        mine = [reply for to, reply in self.sent if to == key]
        self.sent = [(to, reply) for to, reply in self.sent if to != key]
        return mine


class ChatHarness:
    """One user's chat with the core: ``await send(...)``, then read ``text`` and ``buttons``."""

    def __init__(
        self,
        core: Core,
        user: str,
        *,
        channel: str = "console",
        private: bool = True,
        jobs: Jobs | None = None,
    ) -> None:
        self.core = core
        self.user = user
        self.key = ChatKey(channel, user)
        self.private = private
        self.jobs = jobs
        self.replies: list[Reply] = []

    async def _push(self, msg: Incoming) -> list[Reply]:
        replies = await self.core.handle(msg)
        jobs = self.jobs
        if jobs is not None and jobs.auto and "export" in jobs.woken:
            await jobs.run()
            replies = [*replies, *jobs.take(self.key)]
        self.replies = replies
        return self.replies

    async def send(self, text: str) -> list[Reply]:
        """Send a text (or command) message."""
        return await self._push(
            Incoming(
                self.key, self.user, text=text, display_name=self.user, is_private=self.private
            )
        )

    async def press(self, label: str) -> list[Reply]:
        """Press the button of the last replies whose label contains ``label``."""
        matches = [b for r in self.replies for b in r.buttons if label in b.label]
        assert matches, f"no button {label!r} in {self.buttons}"
        return await self.press_data(matches[0].data)

    async def press_data(self, data: str) -> list[Reply]:
        """Send a button press with arbitrary callback data (a stale or forged one, too)."""
        return await self._push(Incoming(self.key, self.user, callback_data=data))

    async def upload(
        self, name: str, data: bytes, mime: str = "application/pdf", size: int | None = None
    ) -> list[Reply]:
        """Send a file; ``size`` may claim another size than ``data`` has."""

        async def read() -> bytes:
            return data

        file = IncomingFile(name, mime, len(data) if size is None else size, read)
        return await self._push(Incoming(self.key, self.user, file=file))

    @property
    def text(self) -> str:
        """The last replies as a console would print them."""
        return "\n".join(render_text(r) for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        """Labels of the last replies' buttons."""
        return [b.label for r in self.replies for b in r.buttons]


@pytest.fixture
def clock() -> Clock:
    """12/11/2019 09:00 in Bỉm Sơn: three days before the plans are due."""
    return Clock(parse_now("2019-11-12T09:00", TZ))


@pytest.fixture
def jobs(
    session_factory: async_sessionmaker[AsyncSession],
    test_db: TestDatabase,
    clock: Clock,
    tmp_path: Path,
) -> Jobs:
    """The export worker over the test database (a read-only engine of its own per file)."""
    found = Jobs()
    found.worker = ExportWorker(
        session_factory,
        lambda: test_db.make_engine(read_only=True, poolclass=NullPool),
        Texts(),
        LocalFileStore(tmp_path / "files"),
        clock,
        {"console": found.send},
        "harness:1:test",
    )
    return found


@pytest.fixture
def core(
    session_factory: async_sessionmaker[AsyncSession], clock: Clock, tmp_path: Path, jobs: Jobs
) -> Core:
    """The core over the test database, with files under ``tmp_path/files``."""
    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(),
        clock=clock,
        wake=jobs.wake,
    )
    return make_core(deps)


@pytest.fixture(scope="session")
def demo_templates() -> dict[str, Path]:
    """SQLite files holding the demo as loaded at a moment, by that moment (one per worker)."""
    return {}


@pytest.fixture
async def demo(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    test_db: TestDatabase,
    demo_templates: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    """Load the Bỉm Sơn demo (units, campaign, accounts noivu/badinh, records).

    The demo is loaded once per worker and moment (through :func:`load_demo`, read models
    included) and copied into the test's database: on SQLite from a template file with SQLite's
    backup API, on PostgreSQL from a template schema (:class:`tests.pg_templates.PgTemplates`).
    The same rows, in a fraction of the time.
    """
    moment = clock()
    if test_db.dialect != "sqlite":
        templates: PgTemplates | None = request.getfixturevalue("pg_templates")
        if templates is None or test_db.schema is None:
            async with session_factory.begin() as session:
                assert await load_demo(session, moment)
            return

        async def load(engine: AsyncEngine) -> None:
            async with make_session_factory(engine).begin() as session:
                assert await load_demo(session, moment)

        await templates.copy_demo(test_db.schema, moment.isoformat(), load)
        return
    template = demo_templates.get(moment.isoformat())
    if template is None:
        template = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), template)
        loader = make_engine(f"sqlite+aiosqlite:///{template}", poolclass=NullPool)
        try:
            async with make_session_factory(loader).begin() as session:
                assert await load_demo(session, moment)
        finally:
            await loader.dispose()  # every connection closed: the WAL is in the file
        demo_templates[moment.isoformat()] = template
    database = make_url(test_db.url).database
    assert database is not None
    source, target = sqlite3.connect(template), sqlite3.connect(database)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


@pytest.fixture
def chat(core: Core, jobs: Jobs) -> Callable[..., ChatHarness]:
    """Factory of chat harnesses on the same core (the files they ask for are sent to them)."""

    def make(user: str, **kwargs: object) -> ChatHarness:
        kwargs.setdefault("jobs", jobs)
        return ChatHarness(core, user, **kwargs)  # type: ignore[arg-type]

    return make
