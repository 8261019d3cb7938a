"""The bot's @username, from getMe, cached under the data directory for deep links."""

from __future__ import annotations

import json
import logging
from pathlib import Path

__all__ = ["IDENTITY_FILE", "BotIdentity", "deep_link"]

#: The cache file's name in the data directory.
IDENTITY_FILE = "telegram-bot.json"

_LOGGER = logging.getLogger(__name__)


def deep_link(username: str, code: str) -> str:
    """The link that opens a chat with the bot and sends ``/start CODE``."""
    return f"https://t.me/{username}?start={code}"


class BotIdentity:
    """Caches the bot's username per bot id (the part of the token before ``:``, not secret).

    Args:
        path: The JSON cache file.
        token: The bot token (never written or logged).
        api_root: Root of the Bot API server.
    """

    def __init__(self, path: Path, token: str, api_root: str) -> None:
        self._path = path
        self._token = token
        self._bot_id = token.split(":", 1)[0]
        self._root = api_root.rstrip("/")

    def cached(self) -> str | None:
        """The cached username of this bot, if any."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        username = data.get(self._bot_id) if isinstance(data, dict) else None
        return username if isinstance(username, str) and username else None

    def remember(self, username: str) -> None:
        """Store the username (atomically: write a temporary file, then rename)."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data[self._bot_id] = username
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self._path)

    async def username(self) -> str | None:
        """The cached username, or getMe's (then cached); None if Telegram cannot be asked."""
        cached = self.cached()
        if cached is not None:
            return cached
        # python-telegram-bot only to ask: a cached name costs ``tdkt invite create`` nothing.
        from telegram import Bot
        from telegram.error import TelegramError

        try:
            async with Bot(
                self._token, base_url=f"{self._root}/bot", base_file_url=f"{self._root}/file/bot"
            ) as bot:
                username = bot.username
        except TelegramError as err:
            _LOGGER.warning("getMe failed: %s", err.message)
            return None
        self.remember(username)
        return username
