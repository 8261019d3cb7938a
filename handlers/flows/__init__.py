"""Conversation flows: one module per command, one small function per step; never another flow.

A flow module is imported when first named (``flows.submit``, :func:`__getattr__`), so that the
routing table (:mod:`handlers.routes`) can name every flow's steps without importing them all.
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.flows import (
        broadcast,
        browse,
        bulk,
        delegates,
        export,
        intake,
        intake_items,
        invites,
        linked,
        listing,
        nominate,
        onboarding,
        papers,
        plans,
        requirements,
        review,
        status,
        submit,
        unit_admin,
    )

__all__ = [
    "broadcast",
    "browse",
    "bulk",
    "delegates",
    "export",
    "intake",
    "intake_items",
    "invites",
    "linked",
    "listing",
    "nominate",
    "onboarding",
    "papers",
    "plans",
    "requirements",
    "review",
    "status",
    "submit",
    "unit_admin",
]


def __getattr__(name: str) -> ModuleType:
    """Import the flow module ``name`` on first use (PEP 562)."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")
