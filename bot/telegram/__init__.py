"""The Telegram channel (python-telegram-bot 22 as transport only)."""

from __future__ import annotations

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
