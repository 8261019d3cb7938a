"""What every ``tdkt`` command shares: the root app, ``--now``, refusals, running the work.

The helpers used by more than one group are public here (``run_app``, ``fail``, ``usage``,
``plain``); the rest stay private.
"""

import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.runtime import make_clock, parse_now, resume_gc

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

T = TypeVar("T")

#: The errors of the file readers a command may raise, by module: a refusal, not a crash. Looked
#: up among the loaded modules only (a command that never read such a file never imported them).
_FILE_ERRORS = (
    ("handlers.io.campaign_file.errors", "CampaignFileError"),
    ("handlers.io.units_file", "UnitsFileError"),
    ("handlers.io.unit_kinds_file", "UnitKindsFileError"),
)


def group(help_text: str) -> typer.Typer:
    """A command group: plain click help and errors (Rich is never imported, it costs start-up)."""
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )


app = group("tdkt-bot: trợ lý thi đua – khen thưởng.")

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Ghim đồng hồ (giờ địa phương, ISO), ví dụ 2019-11-12T09:00."),
]


def fail(message: str) -> typer.Exit:
    """A refusal: one plain-text line on stderr, exit status 1."""
    typer.echo(plain(message), err=True)
    return typer.Exit(1)


def usage(message: str) -> typer.Exit:
    """A bad option or argument: one plain-text line on stderr, exit status 2."""
    typer.echo(f"Lỗi: {plain(message)}", err=True)
    return typer.Exit(2)


def plain(text: str) -> str:
    """A message without the HTML the chat texts use, blank lines dropped."""
    from bot.console import render_text
    from handlers.kernel.messages import Reply

    lines = (" ".join(line.split()) for line in render_text(Reply(text=text)).splitlines())
    return "\n".join(line for line in lines if line)


def _start(now: str | None, settings: "Settings") -> dt.datetime | None:
    """The pinned clock of ``--now``; a bad value is a usage error."""
    if now is None:
        return None
    try:
        return parse_now(now, settings.timezone)
    except (ValueError, OverflowError):
        raise usage(
            f"--now «{now}» không phải thời điểm hợp lệ; "
            "hãy ghi dạng 2019-11-12T09:00 hoặc 12/11/2019 09:00 (giờ địa phương)."
        ) from None


def run_app(
    settings: "Settings",
    now: str | None,
    work: "Callable[[App], Awaitable[T]]",
    *,
    started: bool = True,
) -> T:
    """Run ``work`` on a wired app; user-facing errors become a message and exit code 1.

    Args:
        settings: The settings.
        now: ``--now``.
        work: What the command does.
        started: Whether start-up is over when ``work`` begins (the garbage collector resumes,
            :func:`bot.runtime.resume_gc`); False when ``work`` resumes it itself.
    """
    from bot.app import build_app
    from handlers.domain.errors import UserError
    from handlers.kernel.texts import Texts

    start = _start(now, settings)

    async def go() -> T:
        async with build_app(settings, make_clock(start)) as the_app:
            if started:
                resume_gc()
            return await work(the_app)

    try:
        return asyncio.run(go())
    except UserError as err:
        raise fail(Texts(settings.templates_dir)(f"errors.{err.key}", **err.params)) from None
    except OSError as err:  # e.g. the export's output cannot be written
        raise fail(f"Không ghi/đọc được tệp: {err.strerror or err}.") from None
    except Exception as err:  # a file reader's error: see _FILE_ERRORS
        if not _is_file_error(err):
            raise
        raise fail(str(err)) from None


def _is_file_error(err: Exception) -> bool:
    """Whether ``err`` is one of :data:`_FILE_ERRORS` (a bad campaign, units or kinds file)."""
    for module, name in _FILE_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(err, getattr(loaded, name)):
            return True
    return False
