"""The channel-agnostic core: neutral messages, the dispatcher, conversation steps, domain rules.

Channels build an :class:`Incoming`, call :meth:`Core.handle` and render the :class:`Reply` list.
Nothing here imports a channel SDK, an HTTP client or the scheduler.
"""

from handlers.domain.errors import UserError
from handlers.kernel.context import CoreDeps
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import Button, ChatKey, Incoming, IncomingFile, OutgoingFile, Reply
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
