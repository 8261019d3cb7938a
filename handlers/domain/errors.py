"""Errors the core turns into a Vietnamese reply."""

from __future__ import annotations

from typing import Any

__all__ = ["UserError"]


class UserError(Exception):
    """Bad input or a forbidden action: answered with a text, changes nothing, keeps the step.

    Args:
        key: The macro in ``templates/errors.j2`` that words the message.
        **params: Values the macro needs.
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
