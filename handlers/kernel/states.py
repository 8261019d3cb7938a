"""Conversation states: one ``StrEnum`` per flow, merged into one table that refuses duplicates.

A flow declares its steps::

    class State(StrEnum):
        PICK = "nop.pick"
        CONFIRM = "nop.confirm"

    STATES: StateTable = {State.PICK: StateSpec(_pick, _ask_pick), ...}

and the dispatcher merges every flow's table with :func:`merge_states`, which raises on a name
two flows both use (a plain ``{**a, **b}`` would let one silently override the other).

Flows never import each other. When one flow hands a person over to another (``/danhsach`` →
resubmit with ``/nop``), it names an :class:`Entry`; the dispatcher maps each entry to the flow
that serves it.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.kernel.context import Ctx
    from handlers.kernel.messages import Reply

__all__ = ["IDLE", "Entry", "StateSpec", "StateTable", "Step", "merge_states"]

#: No conversation in progress.
IDLE = "idle"

Step = Callable[["Ctx"], Awaitable[list["Reply"]]]


@dataclass(frozen=True, slots=True)
class StateSpec:
    """A conversation step: what handles input in it and how to ask its question again."""

    handle: Step
    prompt: Step


#: A flow's states (members of its ``State`` enum) and their steps. Keys are typed ``Any`` because
#: ``Mapping`` is invariant in its key; :func:`merge_states` checks they are ``StrEnum`` members.
StateTable = Mapping[Any, StateSpec]


class Entry(enum.StrEnum):
    """Ways into a flow from another flow, served by the dispatcher's entry table."""

    #: Send a requirement (and part) again: data ``req`` (requirement id) and ``part``.
    RESUBMIT = "resubmit"


def merge_states(tables: Iterable[StateTable]) -> dict[str, StateSpec]:
    """Merge the flows' state tables into one, keyed by state name.

    Raises:
        ValueError: two tables (or one table and :data:`IDLE`) use the same state name.
        TypeError: a state is not a ``StrEnum`` member.
    """
    merged: dict[str, StateSpec] = {}
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
