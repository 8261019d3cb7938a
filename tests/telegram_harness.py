"""Drive the Telegram channel end to end: PTB's real HTTP layer against the fake Bot API.

Fixtures (a pytest plugin listed in ``conftest.py``): ``telegram`` starts a
:class:`~bot.telegram.TelegramAdapter` over the test's core and database, long-polling the
``fake_telegram`` server; ``tg_user`` makes :class:`TgUser` s that type, press and send files
the way a phone would, and wait for the bot's answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import mark_unreachable
from bot.telegram import CHANNEL, Limits, TelegramAdapter, TelegramConfig, WebhookConfig
from handlers.kernel.dispatcher import Core
from handlers.routes import command_menu
from handlers.services.invites import create_invite
from storage.models import Role
from tests.fakes.telegram import Call, FakeBotAPI
from tests.harness import Clock

__all__ = ["BotRunner", "TgUser", "invite_code"]

#: Fast limits for flows (the limits themselves are tested on a fake clock).
FAST = Limits(chat_per_second=200.0, chat_burst=50, group_per_minute=6000.0, group_burst=50)


async def _wait_listening(host: str, port: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until something accepts TCP connections on ``host:port``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        return


class BotRunner:
    """Starts and stops the adapter like ``tdkt run`` does (a restart is stop + start)."""

    def __init__(self, api: FakeBotAPI, core: Core, sf: async_sessionmaker[AsyncSession]) -> None:
        self.api = api
        self.core = core
        self.sf = sf
        self.adapter: TelegramAdapter | None = None
        #: The web companion's upload offer the adapter is given (None: no companion).
        self.offer_upload: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def make_adapter(self, limits: Limits = FAST, handle: Any = None) -> TelegramAdapter:
        """An adapter over the test's core, talking to the fake server."""
        return TelegramAdapter(
            TelegramConfig(
                token=FakeBotAPI.TOKEN, api_root=self.api.url, limits=limits, poll_timeout=1
            ),
            handle or self.core.handle,
            self.core.apology(),
            mark_unreachable(self.sf, self.core.deps.clock, CHANNEL),
            command_menu(self.core.deps.texts),
            command_menu(self.core.deps.texts, group=True),
            offer_upload=self.offer_upload,
        )

    async def start(
        self,
        *,
        limits: Limits = FAST,
        handle: Any = None,
        webhook: WebhookConfig | None = None,
    ) -> TelegramAdapter:
        """Run an adapter in the background until :meth:`stop`; wait until it listens."""
        self.adapter = self.make_adapter(limits, handle)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.adapter.run(self._stop, webhook))
        if webhook is None:
            await self.api.wait_polling()
        else:
            await self.api.wait_for(lambda c: c.method == "setWebhook" and c.ok)
            await _wait_listening(webhook.listen, webhook.port)
        return self.adapter

    async def stop(self) -> None:
        """Stop receiving (like SIGTERM) and wait for the adapter to finish."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 20)
            self._task = None

    async def kill(self) -> None:
        """Cancel the adapter mid-flight, like a crash (no graceful shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _labels(call: Call) -> str:
    """The button labels of a sent message, one per line."""
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) + markup.get("keyboard", [])
    return "\n".join(button["text"] for row in rows for button in row)


class TgUser:
    """A Telegram user in one chat: ``await user.say("/nop", expect="Đơn vị muốn nộp")``."""

    def __init__(
        self, api: FakeBotAPI, user_id: int, chat_id: int | None = None, chat_type: str = "private"
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_type = chat_type
        self.last_update: dict[str, Any] = {}

    def _mark(self) -> int:
        return len(self.api.sent_to(self.chat_id))

    async def answer(self, since: int, expect: str, timeout: float = 30.0) -> Call:  # noqa: ASYNC109
        """Wait for a message sent after ``since`` whose text or buttons contain ``expect``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for call in self.api.sent_to(self.chat_id)[since:]:
                if expect in (call.text or "") or expect in _labels(call):
                    return call
            if loop.time() > deadline:
                raise AssertionError(
                    f"no reply containing {expect!r}; recent calls:\n{self.api.describe_calls()}"
                )
            await asyncio.sleep(0.02)

    async def say(self, text: str, expect: str) -> Call:
        """Send a text message and wait for an answer containing ``expect``."""
        since = self._mark()
        self.last_update = self.api.inject_message(
            self.chat_id, self.user_id, text, chat_type=self.chat_type
        )
        return await self.answer(since, expect)

    def keyboard_message(self, label: str) -> tuple[int, str]:
        """(message id, callback data) of the newest bot message with a button ``label``."""
        for call in reversed(self.api.sent_to(self.chat_id)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        return call.result["message_id"], button["callback_data"]
        raise AssertionError(f"no inline button {label!r}:\n{self.api.describe_calls()}")

    async def press(self, label: str, expect: str) -> Call:
        """Press the newest inline button containing ``label``; wait for ``expect``."""
        message_id, data = self.keyboard_message(label)
        since = self._mark()
        self.last_update = self.api.inject_callback(
            self.chat_id, self.user_id, data, message_id=message_id
        )
        return await self.answer(since, expect)

    async def send_file(
        self, data: bytes, name: str, mime: str, expect: str, *, size: int | None = None
    ) -> Call:
        """Send a document; ``size`` may claim another size than ``data`` has."""
        since = self._mark()
        self.last_update = self.api.inject_document(
            self.chat_id,
            self.user_id,
            data,
            name,
            mime,
            declared_size=size,
            chat_type=self.chat_type,
        )
        return await self.answer(since, expect)

    async def send_photo(self, data: bytes, expect: str) -> Call:
        """Send a photo; wait for ``expect``."""
        since = self._mark()
        self.last_update = self.api.inject_photo(
            self.chat_id, self.user_id, data, chat_type=self.chat_type
        )
        return await self.answer(since, expect)


async def invite_code(
    sf: async_sessionmaker[AsyncSession], clock: Clock, role: Role, unit: str | None
) -> str:
    """Create a one-time invite and return its code."""
    async with sf.begin() as s:
        invite, _ = await create_invite(
            s, role=role, unit_ref=unit, full_name=None, now=clock(), ttl=dt.timedelta(days=7)
        )
        return invite.code


@pytest.fixture
async def telegram(
    fake_telegram: FakeBotAPI,
    core: Core,
    demo: None,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[BotRunner]:
    """The Telegram channel running over the demo database against the fake server."""
    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
def tg_user(fake_telegram: FakeBotAPI) -> Callable[..., TgUser]:
    """Factory of Telegram users: ``tg_user(1001)``, ``tg_user(1001, chat_id=-5, ...)``."""

    def make(user_id: int, **kwargs: Any) -> TgUser:
        return TgUser(fake_telegram, user_id, **kwargs)

    return make
