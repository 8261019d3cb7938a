"""What a process needs before anything heavy is imported: the clock, the log redactor, the GC.

The ``tdkt`` command line reads these before it knows which command runs, so this module
imports the standard library only (``bot.app`` re-exports them).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

__all__ = ["TokenRedactor", "make_clock", "parse_now", "pause_gc", "resume_gc"]


class TokenRedactor(logging.Filter):
    """Replaces a secret (the bot token) in every log record, tracebacks included."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the secret; never drops it."""
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, "<token>"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self._secret, "<token>")
        return True


def parse_now(text: str, tz_name: str) -> dt.datetime:
    """Parse an ISO datetime or ``dd/mm/yyyy[ HH:MM]``; a naive one is local time in ``tz_name``.

    Raises:
        ValueError: ``text`` is not such a moment (31/02/2019, 2019-13-45, year 99999).
    """
    text = text.strip()
    value: dt.datetime | None = None
    for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            value = dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - zone added below
            break
        except ValueError:
            continue
    if value is None:
        value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz_name))
    return value.astimezone(dt.UTC)


def make_clock(start: dt.datetime | None) -> Callable[[], dt.datetime]:
    """The real UTC clock, or one that starts at ``start`` and runs at real speed."""
    if start is None:
        return lambda: dt.datetime.now(dt.UTC)
    origin = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - origin)


def pause_gc() -> None:
    """Hold the cyclic garbage collector off while the process starts (:func:`resume_gc`).

    Start-up makes a few hundred thousand objects that live as long as the process (modules,
    classes, mapped tables, compiled templates) and hardly any garbage; the collector would
    walk them over and over as they are made, a fifth of a command's start-up CPU.
    """
    gc.disable()


def resume_gc(*, long_running: bool = False) -> None:
    """Start-up is over: collect garbage as usual again.

    Args:
        long_running: A process that keeps running (the bot): one full collection now, then
            what start-up made is frozen, so that later full collections, rare as they are after
            this one, skip it. A command that ends soon just resumes the collector.

    Does nothing unless :func:`pause_gc` held the collector off (a test process that runs a
    command keeps its own collector as it is).
    """
    if gc.isenabled():
        return
    if long_running:
        gc.collect()
        gc.freeze()
    gc.enable()
