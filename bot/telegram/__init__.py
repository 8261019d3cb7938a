"""The Telegram channel (python-telegram-bot 22 as transport only).

The names below load on first use: ``tdkt invite create`` reads the cached @username
(:mod:`bot.telegram.identity`) without importing python-telegram-bot, aiohttp and the adapter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.telegram.adapter import (
        ALLOWED_UPDATES,
        CHANNEL,
        TelegramAdapter,
        TelegramConfig,
        WebhookConfig,
        to_incoming,
    )
    from bot.telegram.identity import BotIdentity, deep_link
    from bot.telegram.render import MAX_MESSAGE_CHARS, inline_keyboard, menu_keyboard, split_html
    from bot.telegram.sender import Limits, RateLimiter, TelegramSender, TokenBucket, is_group_chat

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "MAX_MESSAGE_CHARS",
    "BotIdentity",
    "Limits",
    "RateLimiter",
    "TelegramAdapter",
    "TelegramConfig",
    "TelegramSender",
    "TokenBucket",
    "WebhookConfig",
    "deep_link",
    "inline_keyboard",
    "is_group_chat",
    "menu_keyboard",
    "split_html",
    "to_incoming",
]

#: Where each public name lives.
_HOMES = {
    "ALLOWED_UPDATES": "bot.telegram.adapter",
    "BotIdentity": "bot.telegram.identity",
    "CHANNEL": "bot.telegram.adapter",
    "Limits": "bot.telegram.sender",
    "MAX_MESSAGE_CHARS": "bot.telegram.render",
    "RateLimiter": "bot.telegram.sender",
    "TelegramAdapter": "bot.telegram.adapter",
    "TelegramConfig": "bot.telegram.adapter",
    "TelegramSender": "bot.telegram.sender",
    "TokenBucket": "bot.telegram.sender",
    "WebhookConfig": "bot.telegram.adapter",
    "deep_link": "bot.telegram.identity",
    "inline_keyboard": "bot.telegram.render",
    "is_group_chat": "bot.telegram.sender",
    "menu_keyboard": "bot.telegram.render",
    "split_html": "bot.telegram.render",
    "to_incoming": "bot.telegram.adapter",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first read."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
