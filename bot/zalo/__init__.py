"""The Zalo channel: our own small Bot API client (httpx), numbered choices, web links."""

from __future__ import annotations

from bot.zalo.adapter import CHANNEL, ZaloAdapter, ZaloConfig, ZaloWebhookConfig, to_incoming
from bot.zalo.client import (
    DEFAULT_API_URL,
    BotInfo,
    SentMessage,
    ZaloApiError,
    ZaloClient,
    ZaloIdleError,
    ZaloNetworkError,
    ZaloRateLimitError,
    ZaloUnauthorizedError,
)
from bot.zalo.render import LIMIT, MAX_UNITS, render_reply, split_text, utf16_len
from bot.zalo.sender import Outcome, ZaloLimits, ZaloRateLimiter, ZaloSender

__all__ = [
    "CHANNEL",
    "DEFAULT_API_URL",
    "LIMIT",
    "MAX_UNITS",
    "BotInfo",
    "Outcome",
    "SentMessage",
    "ZaloAdapter",
    "ZaloApiError",
    "ZaloClient",
    "ZaloConfig",
    "ZaloIdleError",
    "ZaloLimits",
    "ZaloNetworkError",
    "ZaloRateLimitError",
    "ZaloRateLimiter",
    "ZaloSender",
    "ZaloUnauthorizedError",
    "ZaloWebhookConfig",
    "render_reply",
    "split_text",
    "to_incoming",
    "utf16_len",
]
