"""The channel-agnostic core: neutral messages, the dispatcher, conversation steps, domain rules.

Channels build an :class:`Incoming`, call :meth:`Core.handle` and render the :class:`Reply` list.
Nothing here imports a channel SDK, an HTTP client or the scheduler.

The names below load on first use: importing one rule (``handlers.domain.vocab``) or one file
format does not import the dispatcher, the database layer and SQLAlchemy with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.domain.errors import UserError
    from handlers.kernel.context import CoreDeps
    from handlers.kernel.dispatcher import Core
    from handlers.kernel.messages import (
        Button,
        ChatKey,
        Incoming,
        IncomingFile,
        OutgoingFile,
        Reply,
    )
    from handlers.kernel.texts import Texts

__all__ = [
    "Button",
    "ChatKey",
    "Core",
    "CoreDeps",
    "Incoming",
    "IncomingFile",
    "OutgoingFile",
    "Reply",
    "Texts",
    "UserError",
]

#: Where each public name lives.
_HOMES = {
    "Button": "handlers.kernel.messages",
    "ChatKey": "handlers.kernel.messages",
    "Core": "handlers.kernel.dispatcher",
    "CoreDeps": "handlers.kernel.context",
    "Incoming": "handlers.kernel.messages",
    "IncomingFile": "handlers.kernel.messages",
    "OutgoingFile": "handlers.kernel.messages",
    "Reply": "handlers.kernel.messages",
    "Texts": "handlers.kernel.texts",
    "UserError": "handlers.domain.errors",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first read."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
