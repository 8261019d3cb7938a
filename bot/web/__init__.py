"""The web companion: upload pages and download links for what a chat cannot carry."""

from __future__ import annotations

from bot.web.companion import Companion, WebConfig, content_disposition
from bot.web.tokens import load_secret, make_token, token_hash, verify_token

__all__ = [
    "Companion",
    "WebConfig",
    "content_disposition",
    "load_secret",
    "make_token",
    "token_hash",
    "verify_token",
]
