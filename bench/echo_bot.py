"""The baseline of ``bench_messages.py``: a bare python-telegram-bot echo bot.

Usage::

    ECHO_TOKEN=... ECHO_API_URL=http://127.0.0.1:PORT python bench/echo_bot.py

An ``Application`` with one ``MessageHandler`` that answers every text with the same text, long
polling against ``ECHO_API_URL`` (the fake Bot API of the tests). It handles up to 16 updates at
once, as ``tdkt run``'s poller does. It stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

__all__ = ["main"]


async def _echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    """Run the echo bot until a signal."""
    root = os.environ["ECHO_API_URL"]
    application = (
        Application.builder()
        .token(os.environ["ECHO_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(16)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    application.run_polling(poll_interval=0.0, timeout=1, allowed_updates=["message"])


if __name__ == "__main__":
    main()
