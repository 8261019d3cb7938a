"""Start-up of every configured channel in one process, with one scheduler.

``tdkt run`` serves the console when no token is set, Telegram with ``TDKT_TELEGRAM_TOKEN``,
Zalo with ``TDKT_ZALO_TOKEN``, both when both are. The reminders, digests and broadcasts of the
one scheduler go out through each running channel's sender (a person linked on Telegram and on
Zalo gets a copy on each).

With a messenger the web companion (``bot/web``) is served too: its upload links carry the files
Zalo cannot (and Telegram's over 20 MB), its download links the exports and charts Zalo cannot
send. Its server starts when a link can be opened: at start-up if a link of an earlier run is
still live, else with the first link this process issues. The console needs none of it (``/tep``
reads a local file).

What a first answer does not need waits until each messenger has handled the updates that
arrived while the bot was down: the companion, the scheduler (APScheduler, the holiday
calendar, the reminder planning pass), the pruning of old update ids and the flows those first
answers did not use (``Core.load_flows``). A reminder due at
start-up is still sent, a moment later. Each channel's library is imported only when its
channel runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.app import (
    App,
    build_scheduler,
    load_demo,
    mark_unreachable,
    prune_processed_updates,
    upgrade_database,
)
from bot.runtime import resume_gc
from bot.settings import Settings
from bot.telegram.identity import IDENTITY_FILE, BotIdentity
from handlers.kernel.messages import Send
from handlers.routes import command_menu

if TYPE_CHECKING:
    from bot.telegram import TelegramConfig
    from bot.web import Companion
    from bot.zalo import BotInfo, ZaloConfig

__all__ = [
    "RunOptions",
    "ZaloIdentity",
    "serve",
    "telegram_config",
    "telegram_identity",
    "zalo_config",
    "zalo_identity",
]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What ``tdkt run`` was asked for beyond the settings."""

    console_handle: str = "noivu"
    telegram_webhook_url: str | None = None
    zalo_webhook_url: str | None = None
    listen: str | None = None
    port: int | None = None
    zalo_port: int | None = None


def telegram_config(settings: Settings, token: str) -> TelegramConfig:
    """The Telegram channel's configuration from the settings."""
    from bot.telegram import Limits, TelegramConfig  # python-telegram-bot: when it runs

    return TelegramConfig(
        token=token,
        api_root=settings.telegram_api_url,
        poll_timeout=settings.telegram_poll_timeout,
        limits=Limits(
            overall_per_second=settings.telegram_rate_overall,
            chat_per_second=settings.telegram_rate_chat,
            group_per_minute=settings.telegram_rate_group,
        ),
    )


def telegram_identity(settings: Settings, token: str) -> BotIdentity:
    """The cached Telegram username (for deep links)."""
    return BotIdentity(settings.data_dir / IDENTITY_FILE, token, settings.telegram_api_url)


def zalo_config(settings: Settings, token: str) -> ZaloConfig:
    """The Zalo channel's configuration from the settings."""
    from bot.zalo import ZaloConfig, ZaloLimits

    return ZaloConfig(
        token=token,
        api_root=settings.zalo_api_url,
        poll_timeout=settings.zalo_poll_timeout,
        limits=ZaloLimits(
            overall_per_second=settings.zalo_rate_overall,
            chat_per_second=settings.zalo_rate_chat,
        ),
    )


class ZaloIdentity:
    """The Zalo bot's id (from getMe), whose profile link users open: ``zalo.me/<id>``."""

    def __init__(self, settings: Settings, token: str) -> None:
        self._settings = settings
        self._token = token

    async def link(self) -> str | None:
        """``https://zalo.me/<bot id>``, or None when Zalo cannot be asked."""
        from bot.zalo import ZaloApiError, ZaloClient, ZaloNetworkError

        async with ZaloClient(self._token, self._settings.zalo_api_url) as client:
            try:
                return (await client.get_me()).link
            except (ZaloApiError, ZaloNetworkError) as err:
                _LOGGER.warning("Zalo getMe failed: %s", err)
                return None


def zalo_identity(settings: Settings, token: str) -> ZaloIdentity:
    """The Zalo bot's identity for invitations."""
    return ZaloIdentity(settings, token)


async def serve(
    the_app: App,
    settings: Settings,
    options: RunOptions,
    *,
    echo: Callable[[str], object] = _LOGGER.info,
) -> None:
    """Run every configured channel and the scheduler until a signal (or the console's EOF).

    Raises:
        Whatever a channel raised while starting (a bad token, an unreachable server).
    """
    if settings.telegram_token is None and settings.zalo_token is None:
        await _console(the_app, settings, options, echo)
        return
    from bot.web import Companion

    senders: dict[str, Send] = {}  # filled as each channel starts; the companion reads it
    core = the_app.core
    companion = Companion.from_settings(
        settings, core, core.deps.files, the_app.session_factory, senders
    )
    await _messengers(the_app, settings, options, companion, senders)


async def _console(
    the_app: App, settings: Settings, options: RunOptions, echo: Callable[[str], object]
) -> None:
    from bot.console import CHANNEL as CONSOLE
    from bot.console import ConsoleAdapter

    if await upgrade_database(the_app):
        async with the_app.session_factory.begin() as session:
            loaded = await load_demo(session, the_app.deps.clock())
        if loaded:
            echo("Đã nạp dữ liệu mẫu Bỉm Sơn 2019 (tài khoản: noivu, badinh).")
    echo("Gõ /as badinh để chuyển sang tài khoản lãnh đạo phường Ba Đình; Ctrl-D để thoát.")
    adapter = ConsoleAdapter(
        the_app.core.handle,
        the_app.core.apology(),
        options.console_handle,
        outbox=settings.data_dir / "outbox",
    )
    service = build_scheduler(the_app, {CONSOLE: adapter.push})
    await service.start()
    the_app.core.load_flows()
    resume_gc(long_running=True)
    try:
        await adapter.run()
    finally:
        await service.stop()


async def _messengers(
    the_app: App,
    settings: Settings,
    options: RunOptions,
    companion: Companion,
    senders: dict[str, Send],
) -> None:
    """Telegram and/or Zalo: start each; once they caught up, the companion and the scheduler."""
    if await upgrade_database(the_app):
        _LOGGER.warning("no active campaign yet: load one with `tdkt campaign load FILE`")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runs: list[Coroutine[Any, Any, None]] = []
    readies: list[asyncio.Event] = []
    caught_up: list[asyncio.Event] = []
    core = the_app.core
    if settings.telegram_token is not None:
        from bot.telegram import CHANNEL as TELEGRAM
        from bot.telegram import TelegramAdapter, WebhookConfig

        token = settings.telegram_token.get_secret_value()
        telegram = TelegramAdapter(
            telegram_config(settings, token),
            core.handle,
            core.apology(),
            mark_unreachable(the_app.session_factory, core.deps.clock, TELEGRAM),
            command_menu(core.deps.texts),
            command_menu(core.deps.texts, group=True),
            offer_upload=companion.big_file_offer,
        )
        webhook = None
        if options.telegram_webhook_url:
            secret = settings.webhook_secret
            webhook = WebhookConfig(
                url=options.telegram_webhook_url,
                secret=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
                listen=options.listen or settings.webhook_listen,
                port=options.port or settings.webhook_port,
            )
        identity = telegram_identity(settings, token)
        runs.append(telegram.run(stop, webhook, on_started=identity.remember))
        readies.append(telegram.ready)
        caught_up.append(telegram.caught_up)
        senders[TELEGRAM] = telegram.sender.send
    if settings.zalo_token is not None:
        from bot.zalo import CHANNEL as ZALO
        from bot.zalo import ZaloAdapter, ZaloWebhookConfig

        zalo = ZaloAdapter(
            zalo_config(settings, settings.zalo_token.get_secret_value()),
            core.handle,
            core.apology(),
            core.deps.texts,
            companion,
        )
        zalo_hook = None
        if options.zalo_webhook_url:
            secret = settings.zalo_webhook_secret
            zalo_hook = ZaloWebhookConfig(
                url=options.zalo_webhook_url,
                secret=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
                listen=options.listen or settings.webhook_listen,
                port=options.zalo_port or _zalo_port(options, settings),
            )
        runs.append(zalo.run(stop, zalo_hook, on_started=_log_zalo))
        readies.append(zalo.ready)
        caught_up.append(zalo.ready)  # Zalo's polling has no backlog to wait for
        senders[ZALO] = zalo.sender.send
    running = [asyncio.create_task(run) for run in runs]
    try:
        await _until_ready(running, readies)
        await _until_ready(running, caught_up)  # the first answers before the rest of start-up
        async with companion.on_demand():
            await prune_processed_updates(the_app)
            service = build_scheduler(the_app, senders)
            try:
                await service.start()
                core.load_flows()  # the flows the first answers did not need
                resume_gc(long_running=True)  # start-up is over
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a channel that stopped on its own: raise its error
            finally:
                stop.set()
                await service.stop()
    finally:
        stop.set()
        results = await asyncio.gather(*running, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(
                result, asyncio.CancelledError
            ):
                _LOGGER.debug("channel stopped with %r", result)


def _zalo_port(options: RunOptions, settings: Settings) -> int:
    """Zalo's webhook port: next to Telegram's when both listen by webhook."""
    base = options.port or settings.webhook_port
    return base + 1 if options.telegram_webhook_url else base


async def _until_ready(running: list[asyncio.Task[None]], readies: list[asyncio.Event]) -> None:
    """Wait until every event is set; raise the error of a channel that stopped meanwhile."""
    waits = [asyncio.create_task(ready.wait()) for ready in readies]
    try:
        pending_ready = set(waits)
        while pending_ready:
            done, _ = await asyncio.wait(
                pending_ready | set(running), return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task in running:
                    task.result()  # start-up failed: raise its error
                    raise RuntimeError("a channel stopped while starting")
            pending_ready -= done
    finally:
        for wait in waits:
            wait.cancel()


def _log_zalo(bot: BotInfo) -> None:
    _LOGGER.info("Zalo bot %s: %s", bot.account_name, bot.link)
