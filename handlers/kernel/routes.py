"""The routing table the dispatcher follows: commands, aliases, states and hand-overs.

The kernel defines its shape; :mod:`handlers.routes` fills it from the flows (the kernel never
imports a flow). The table names its steps without importing their flows: a command's step is a
:data:`StepRef`, called when the command first runs, and the states' table is loaded the first
time a chat answers inside a step. A bot's first answer (``/start``, ``/trogiup``) so imports
one flow, not all of them; :meth:`Routes.load` imports the rest once start-up is over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from handlers.domain.intents import Intent
from handlers.kernel.context import Ctx, StateSpec, Step
from handlers.kernel.states import IDLE, Entry
from storage.models import Role

__all__ = ["CommandSpec", "IntentRoute", "Routes", "StepRef"]

#: A step named without importing its flow: calling it imports the flow (once) and returns the
#: step, e.g. ``lambda: flows.submit.begin``.
StepRef = Callable[[], Step]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command: its first step, and who may use it where."""

    step: StepRef
    private_only: bool = True
    needs_link: bool = True


@dataclass(frozen=True, slots=True)
class IntentRoute:
    """The command that answers an everyday question, per role where roles differ.

    Attributes:
        command: The command run for the question (its argument, if any, comes with it).
        by_role: Another command for some roles (a unit head's "hạn nộp khi nào" is their own
            list of what is owed; the secretariat's is the overview).
    """

    command: str
    by_role: Mapping[Role, str] = field(default_factory=dict)

    def command_for(self, role: Role | None) -> str:
        """The command answering the question for someone with ``role``."""
        return self.by_role.get(role, self.command) if role is not None else self.command


@dataclass(frozen=True, slots=True)
class Routes:
    """Everything the dispatcher routes to.

    Attributes:
        commands: Canonical command name → its spec.
        aliases: Other names of commands (English, older names) → canonical name.
        load_states: Every flow's states: state name → the step that handles input in it (see
            ``merge_states``). Its first call imports the flows, so it is called only when a
            chat answers inside a step; later calls must be cheap (``handlers.routes`` caches).
        entries: Ways from one flow into another → the step that serves them.
        menu_command: The command a main-menu label typed as text stands for, if any.
        intents: The everyday questions typed in plain words → the command answering each.
        link_text: The invite code in a text typed by an unlinked chat (``start CODE`` or a
            bare code, for channels without a start parameter), run as :attr:`link_command`.
        link_command: The command that links a chat with a code.
    """

    commands: Mapping[str, CommandSpec]
    aliases: Mapping[str, str]
    load_states: Callable[[], Mapping[str, StateSpec]]
    entries: Mapping[Entry, StepRef]
    menu_command: Callable[[Ctx, str], str | None]
    intents: Mapping[Intent, IntentRoute] = field(default_factory=dict)
    link_text: Callable[[str], str | None] | None = None
    link_command: str = "start"

    def state(self, name: str) -> StateSpec | None:
        """The step for state ``name``; None when idle or unknown (the flows load if needed)."""
        if name == IDLE:
            return None
        return self.load_states().get(name)

    def load(self) -> None:
        """Import every flow now (after start-up), so that no later message waits for one."""
        self.load_states()
        for command in self.commands.values():
            command.step()
        for entry in self.entries.values():
            entry()

    def parse_command(self, text: str) -> tuple[str, str] | None:
        """Split ``/cmd@bot args`` into (command, args); None if not a command.

        An unknown command comes back as ``("?name", args)``.
        """
        if not text.startswith("/"):
            return None
        return self.resolve(text[1:])

    def resolve(self, text: str) -> tuple[str, str]:
        """(command, args) of ``cmd@bot args`` without the slash; ``"?name"`` if unknown."""
        head, _, args = text.partition(" ")
        name = head.split("@", 1)[0].lower()
        name = self.aliases.get(name, name)
        if name not in self.commands:
            return (f"?{name}", args.strip())
        return name, args.strip()
