"""Conversation states: one ``StrEnum`` per flow, merged into one table that refuses duplicates.

A flow declares its steps::

    class State(StrEnum):
        PICK = "nop.pick"
        CONFIRM = "nop.confirm"

    STATES: StateTable = {State.PICK: StateSpec(_pick, _ask_pick), ...}  # kernel.context

and the dispatcher merges every flow's table with :func:`merge_states`, which raises on a name
two flows both use (a plain ``{**a, **b}`` would let one silently override the other).

Flows never import each other. When one flow hands a person over to another (``/danhsach`` →
resubmit with ``/nop``), it names an :class:`Entry`; the dispatcher maps each entry to the flow
that serves it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["IDLE", "Entry", "merge_states"]

#: No conversation in progress.
IDLE = "idle"

_Spec = TypeVar("_Spec")


class Entry(enum.StrEnum):
    """Ways into a flow from another flow, served by the dispatcher's entry table."""

    #: Send a requirement (and part) again: data ``req`` (requirement id) and ``part``.
    RESUBMIT = "resubmit"
    #: A campaign's requirements (gia hạn, edit, remove): data ``campaign_id``.
    REQUIREMENTS = "requirements"
    #: Import nominations from an Excel file: data ``campaign`` and ``req`` (requirement id).
    BULK_NOMINATIONS = "bulk_nominations"
    #: Import delegates from an Excel file: data ``campaign``.
    BULK_DELEGATES = "bulk_delegates"
    #: A new campaign from a plan's document (``/kehoach`` → "Kế hoạch mới từ văn bản").
    INTAKE = "intake"
    #: One draft item's units, dossier parts or file types: data ``draft_id``, ``page``,
    #: ``item`` (its index) and ``what`` (``units``, ``parts`` or ``accept``).
    INTAKE_TARGETS = "intake_targets"
    #: Back to one draft item of the intake: data ``draft_id``, ``page`` and ``item``.
    INTAKE_ITEM = "intake_item"


def merge_states(tables: Iterable[Mapping[Any, _Spec]]) -> dict[str, _Spec]:
    """Merge the flows' state tables into one, keyed by state name.

    Raises:
        ValueError: two tables (or one table and :data:`IDLE`) use the same state name.
        TypeError: a state is not a ``StrEnum`` member.
    """
    merged: dict[str, _Spec] = {}
    owners: dict[str, Any] = {}
    for table in tables:
        for state, spec in table.items():
            if not isinstance(state, enum.StrEnum):
                raise TypeError(f"state {state!r} is not a member of a flow's State enum")
            name = str(state)
            if name == IDLE or name in merged:
                owner = owners.get(name, "IDLE")
                raise ValueError(f"state {name!r} of {type(state).__qualname__} also in {owner}")
            merged[name] = spec
            owners[name] = f"{type(state).__module__}.{type(state).__qualname__}"
    return merged
