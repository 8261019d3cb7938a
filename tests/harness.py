"""The chat harness: drive the core like a channel would, read back the replies.

Registered as a pytest plugin from ``conftest.py``; fixtures: ``clock``, ``core``, ``demo``,
``chat`` (a factory: ``badinh = chat("badinh")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import load_demo, parse_now
from bot.console import render_text
from handlers.kernel.context import CoreDeps
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Incoming, IncomingFile, Reply
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from storage.files import LocalFileStore

TZ = "Asia/Ho_Chi_Minh"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, local_iso: str) -> None:
        """Jump to a local (Asia/Ho_Chi_Minh) time."""
        self.now = parse_now(local_iso, TZ)


class ChatHarness:
    """One user's chat with the core: ``await send(...)``, then read ``text`` and ``buttons``."""

    def __init__(
        self, core: Core, user: str, *, channel: str = "console", private: bool = True
    ) -> None:
        self.core = core
        self.user = user
        self.key = ChatKey(channel, user)
        self.private = private
        self.replies: list[Reply] = []

    async def _push(self, msg: Incoming) -> list[Reply]:
        self.replies = await self.core.handle(msg)
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
def core(session_factory: async_sessionmaker[AsyncSession], clock: Clock, tmp_path: Path) -> Core:
    """The core over the test database, with files under ``tmp_path/files``."""
    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(),
        clock=clock,
    )
    return make_core(deps)


@pytest.fixture
async def demo(session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Load the Bỉm Sơn demo (units, campaign, accounts noivu/badinh, records)."""
    async with session_factory.begin() as session:
        assert await load_demo(session, clock())


@pytest.fixture
def chat(core: Core) -> Callable[..., ChatHarness]:
    """Factory of chat harnesses on the same core."""

    def make(user: str, **kwargs: object) -> ChatHarness:
        return ChatHarness(core, user, **kwargs)  # type: ignore[arg-type]

    return make
