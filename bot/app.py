"""Composition root: builds the engine, the core and the channels from :class:`Settings`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.runtime import TokenRedactor, make_clock, parse_now
from bot.settings import Settings
from handlers.domain.vocab import DEFAULT_UNIT_KINDS
from handlers.kernel.context import CoreDeps
from handlers.kernel.messages import Send
from handlers.kernel.ports import InviteLinks
from handlers.kernel.texts import Texts
from storage.db import make_engine, make_session_factory
from storage.files import LocalFileStore
from storage.models import Role
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.updates import ProcessedUpdateRepository

if TYPE_CHECKING:
    from handlers.kernel.dispatcher import Core
    from scheduler import ExportWorker, SchedulerService

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_CAMPAIGN",
    "DEMO_DIR",
    "PROCESSED_UPDATES_KEPT",
    "App",
    "TokenRedactor",
    "Wakeups",
    "build_app",
    "build_export_worker",
    "build_scheduler",
    "claimant",
    "claimant_is_dead",
    "invite_linker",
    "load_demo",
    "make_clock",
    "mark_unreachable",
    "parse_now",
    "prune_processed_updates",
    "upgrade_database",
]

_LOGGER = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_CAMPAIGN = "BIMSON-DHTT-2019"
#: The demo's ready console accounts: handle → (full name, role, unit code).
DEMO_ACCOUNTS = {
    "noivu": ("Phòng Nội vụ thị xã Bỉm Sơn", Role.SECRETARIAT, None),
    "badinh": ("Lãnh đạo UBND phường Ba Đình", Role.UNIT_HEAD, "P-BADINH"),
}


#: How long processed update ids are remembered (Telegram keeps an update at most 24 hours).
PROCESSED_UPDATES_KEPT = dt.timedelta(days=7)


class App:
    """What a running process holds.

    The core (every flow's module) is built on first use: a CLI command that only needs the
    database, the texts and the clock (``the_app.deps``) starts without importing the flows.
    """

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        deps: CoreDeps,
        wakeups: Wakeups,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.session_factory = session_factory
        self.deps = deps
        self.wakeups = wakeups

    @cached_property
    def core(self) -> Core:
        """The dispatcher over every flow (built on first use)."""
        from handlers.routes import make_core  # every flow: only when messages are handled

        return make_core(self.deps)


class Wakeups:
    """The core's wake hook, bound to the scheduler once it runs (a no-op before)."""

    def __init__(self) -> None:
        self._target: Callable[[str], None] | None = None

    def bind(self, target: Callable[[str], None] | None) -> None:
        """Forward wake-ups to ``target`` from now on."""
        self._target = target

    def __call__(self, topic: str) -> None:
        """Wake the worker for ``topic`` if one is bound."""
        if self._target is not None:
            self._target(topic)


@asynccontextmanager
async def build_app(
    settings: Settings, clock: Callable[[], dt.datetime] | None = None
) -> AsyncIterator[App]:
    """Wire the core to the configured database; dispose of the engine on exit."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    unit_kinds = DEFAULT_UNIT_KINDS
    if settings.unit_kinds_file is not None:
        from handlers.io.unit_kinds_file import read_unit_kinds  # PyYAML: only for the file

        unit_kinds = read_unit_kinds(settings.unit_kinds_file)
    engine = make_engine(settings.db_url)
    session_factory = make_session_factory(engine)
    wakeups = Wakeups()
    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(settings.files_dir),
        texts=Texts(
            settings.templates_dir,
            cache_dir=settings.data_dir / "cache",
            unit_kinds=unit_kinds.labels,
        ),
        clock=clock or make_clock(None),
        invite_ttl=dt.timedelta(days=settings.invite_ttl_days),
        wake=wakeups,
        invite_links=invite_linker(settings),
        unit_kinds=unit_kinds,
    )
    try:
        yield App(settings, engine, session_factory, deps, wakeups)
    finally:
        await engine.dispose()


def invite_linker(settings: Settings) -> Callable[[str], InviteLinks]:
    """The links of an invite code, for the invites made in the chat.

    The Telegram deep link when the bot's username is cached (``tdkt run`` asks getMe at
    start-up), and the Zalo bot's link (``TDKT_ZALO_BOT_LINK``).
    """
    token = settings.telegram_token

    def links(code: str) -> InviteLinks:
        telegram = None
        if token is not None:
            from bot.telegram.identity import BotIdentity, deep_link

            identity = BotIdentity(
                settings.data_dir / "telegram-bot.json",
                token.get_secret_value(),
                settings.telegram_api_url,
            )
            username = identity.cached()
            telegram = deep_link(username, code) if username else None
        return InviteLinks(telegram=telegram, zalo=settings.zalo_bot_link or None)

    return links


async def upgrade_database(the_app: App) -> bool:
    """Bring the schema to the newest revision; True when no campaign is active yet."""
    from storage.schema_head import at_head

    if not await at_head(the_app.engine):  # Alembic loads only when there is work for it
        from storage.migrate import upgrade_to_head

        await upgrade_to_head(the_app.settings.db_url)
    async with the_app.session_factory() as session:
        return not await CampaignRepository(session).get_active()


async def load_demo(session: AsyncSession, now: dt.datetime) -> bool:
    """Load the Bỉm Sơn 2019 example with its accounts; False if it is already there.

    Only the example records dated up to ``now`` are inserted, so a demo pinned to 12/11/2019
    shows the campaign as it stood that morning.
    """
    from handlers.io.units_file import UnitsFileError
    from handlers.services.campaigns import load_campaign
    from handlers.services.demo import seed_demo_records
    from handlers.services.invites import ensure_account
    from handlers.services.units import import_units

    if await CampaignRepository(session).get_by_code(DEMO_CAMPAIGN) is not None:
        return False
    units = await import_units(session, DEMO_DIR / "units.csv")
    if not units.ok:
        raise UnitsFileError(units.error_text())
    await load_campaign(session, DEMO_DIR / "bimson-2019.yaml", now=now)
    for handle, (name, role, unit) in DEMO_ACCOUNTS.items():
        await ensure_account(
            session,
            channel="console",
            external_id=handle,
            full_name=name,
            role=role,
            unit_code=unit,
            now=now,
        )
    await seed_demo_records(session, DEMO_CAMPAIGN, DEMO_DIR / "records.yaml", now, until=now)
    _LOGGER.info("demo data loaded")
    return True


def mark_unreachable(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Callable[[], dt.datetime],
    channel: str,
) -> Callable[[str], Awaitable[None]]:
    """The callback a channel's sender calls when a chat refuses the bot (blocked, deleted)."""

    async def mark(chat_id: str) -> None:
        async with session_factory.begin() as session:
            marked = await PeopleRepository(session).mark_unreachable(channel, chat_id, clock())
        if marked:
            _LOGGER.info("%s chat %s marked unreachable", channel, chat_id)

    return mark


async def prune_processed_updates(the_app: App) -> int:
    """Forget processed update ids older than :data:`PROCESSED_UPDATES_KEPT`."""
    before = the_app.deps.clock() - PROCESSED_UPDATES_KEPT
    async with the_app.session_factory.begin() as session:
        return await ProcessedUpdateRepository(session).prune(before)


def claimant() -> str:
    """Who claims notices in this process: host, pid and a token unique to this process."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def claimant_is_dead(who: str) -> bool:
    """Whether ``who`` was a process of this host that no longer runs.

    Another host's claimant, or a live pid (possibly reused), counts as alive: its claims
    expire by their lease instead.
    """
    host, _, rest = who.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname()[:40] or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def build_export_worker(
    the_app: App, senders: Mapping[str, Send], who: str | None = None
) -> ExportWorker:
    """The worker that builds the files asked for in chats and sends them to ``senders``."""
    from scheduler import ExportWorker  # APScheduler and the workers: only where they run

    deps = the_app.deps
    url = the_app.settings.db_url
    return ExportWorker(
        the_app.session_factory,
        lambda: make_engine(url, read_only=True, poolclass=NullPool),
        deps.texts,
        deps.files,
        deps.clock,
        senders,
        who or claimant(),
        is_dead=claimant_is_dead,
    )


def build_scheduler(the_app: App, senders: Mapping[str, Send]) -> SchedulerService:
    """The reminder, broadcast and export machinery over the app's database and channels."""
    from handlers.domain.reminder_policy import WorkingCalendar  # holidays: only to schedule
    from scheduler import BroadcastWorker, Notifier, SchedulerService

    deps = the_app.deps
    settings = the_app.settings
    grace = dt.timedelta(hours=settings.reminder_grace_hours)
    calendar = WorkingCalendar()
    who = claimant()
    notifier = Notifier(
        the_app.session_factory,
        deps.texts,
        deps.clock,
        senders,
        who,
        grace=grace,
        calendar=calendar,
        is_dead=claimant_is_dead,
    )
    broadcasts = BroadcastWorker(
        the_app.session_factory,
        deps.texts,
        deps.files,
        deps.clock,
        senders,
        who,
        is_dead=claimant_is_dead,
    )
    service = SchedulerService(
        the_app.session_factory,
        notifier,
        broadcasts,
        deps.clock,
        grace=grace,
        calendar=calendar,
        exports=build_export_worker(the_app, senders, who),
    )
    the_app.wakeups.bind(service.wake)
    return service
