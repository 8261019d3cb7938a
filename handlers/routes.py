"""The core's routes: every flow's commands, states and hand-overs, in one table.

This is the one module that knows the flows; the dispatcher (:mod:`handlers.kernel.dispatcher`)
follows the table it is given. A new flow is registered here: its commands and hand-overs as
``lambda: flows.<flow>.<step>`` and its ``STATES`` in :func:`_states`. The table names the steps
without importing their flows (:mod:`handlers.flows` imports a flow when first named): a
command imports its own flow when it first runs, the states import every flow when a chat first
answers inside a step, and :meth:`~handlers.kernel.dispatcher.Core.load_flows` imports the rest
once the bot's start-up is over. Onboarding (menus, invite codes) is always loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from handlers import flows
from handlers.domain.intents import Intent
from handlers.flows import onboarding
from handlers.kernel.context import CoreDeps, StateSpec
from handlers.kernel.dispatcher import Core
from handlers.kernel.routes import CommandSpec, IntentRoute, Routes, StepRef
from handlers.kernel.states import Entry, merge_states
from handlers.kernel.texts import Texts
from storage.models import Role

__all__ = [
    "GROUP_MENU_COMMANDS",
    "INTENTS",
    "MENU_COMMANDS",
    "ROUTES",
    "command_menu",
    "make_core",
]

#: Canonical command → handler. Vietnamese names first; English aliases below.
_COMMANDS: Mapping[str, CommandSpec] = {
    "start": CommandSpec(lambda: onboarding.start, needs_link=False),
    "trogiup": CommandSpec(lambda: onboarding.help_, private_only=False, needs_link=False),
    "huy": CommandSpec(lambda: onboarding.cancel, private_only=False, needs_link=False),
    "decu": CommandSpec(lambda: flows.nominate.begin),
    "nop": CommandSpec(lambda: flows.submit.begin),
    "danhsach": CommandSpec(lambda: flows.listing.begin),
    "tinhhinh": CommandSpec(lambda: flows.status.status, private_only=False),
    "chuanop": CommandSpec(lambda: flows.status.late),
    "thongbao": CommandSpec(lambda: flows.broadcast.begin),
    "daibieu": CommandSpec(lambda: flows.delegates.begin),
    "duyet": CommandSpec(lambda: flows.review.begin),
    "xuat": CommandSpec(lambda: flows.export.begin),
    "kehoach": CommandSpec(lambda: flows.plans.begin),
    "chualienket": CommandSpec(lambda: flows.linked.unlinked),
    "vanban": CommandSpec(lambda: flows.papers.begin),
    "hoso": CommandSpec(lambda: flows.browse.begin),
    "nhapdonvi": CommandSpec(lambda: flows.bulk.begin_units),
    "xuatmau": CommandSpec(lambda: flows.bulk.export_lists),
    "donvi": CommandSpec(lambda: flows.unit_admin.begin),
    "moi": CommandSpec(lambda: flows.invites.begin),
}
_ALIASES: Mapping[str, str] = {
    "help": "trogiup",
    "cancel": "huy",
    "nominate": "decu",
    "submit": "nop",
    "list": "danhsach",
    "status": "tinhhinh",
    "late": "chuanop",
    "batdau": "start",
    "broadcast": "thongbao",
    "delegates": "daibieu",
    "review": "duyet",
    "export": "xuat",
    "plans": "kehoach",
    "papers": "vanban",
    "files": "hoso",
    "units": "donvi",
    "invite": "moi",
}

#: The commands a channel's menu shows (Telegram's setMyCommands), in order; their descriptions
#: are macros of templates/commands.j2.
MENU_COMMANDS: tuple[str, ...] = (
    "nop",
    "decu",
    "danhsach",
    "tinhhinh",
    "chuanop",
    "duyet",
    "thongbao",
    "daibieu",
    "xuat",
    "kehoach",
    "donvi",
    "moi",
    "huy",
    "trogiup",
    "start",
)
#: What works in a group chat (macros ``group_<name>``).
GROUP_MENU_COMMANDS: tuple[str, ...] = ("tinhhinh", "trogiup")


def command_menu(texts: Texts, *, group: bool = False) -> tuple[tuple[str, str], ...]:
    """(command, description) for a channel's command menu, private chats or groups."""
    if group:
        return tuple((name, texts(f"commands.group_{name}")) for name in GROUP_MENU_COMMANDS)
    return tuple((name, texts(f"commands.{name}")) for name in MENU_COMMANDS)


@functools.cache
def _states() -> Mapping[str, StateSpec]:
    """Every flow's states, merged (imports the flows: the first answer inside a step)."""
    return merge_states(
        [
            flows.nominate.STATES,
            flows.submit.STATES,
            flows.listing.STATES,
            flows.status.STATES,
            flows.broadcast.STATES,
            flows.delegates.STATES,
            flows.review.STATES,
            flows.export.STATES,
            flows.plans.STATES,
            flows.papers.STATES,
            flows.browse.STATES,
            flows.requirements.STATES,
            flows.bulk.STATES,
            flows.unit_admin.STATES,
            flows.invites.STATES,
            flows.intake.STATES,
            flows.intake_items.STATES,
        ]
    )


#: Which flow serves each way in from another flow.
_ENTRIES: Mapping[Entry, StepRef] = {
    Entry.RESUBMIT: lambda: flows.submit.resume,
    Entry.REQUIREMENTS: lambda: flows.requirements.begin,
    Entry.BULK_NOMINATIONS: lambda: flows.bulk.begin_nominations,
    Entry.BULK_DELEGATES: lambda: flows.bulk.begin_delegates,
    Entry.INTAKE: lambda: flows.intake.begin,
    Entry.INTAKE_TARGETS: lambda: flows.intake_items.begin,
    Entry.INTAKE_ITEM: lambda: flows.intake.show_item,
}


#: The everyday questions typed in plain words (handlers/domain/intents.py) → the command that
#: answers each. Every command answers within the asker's role: a unit head's "ai chưa nộp" is
#: their own unit's list.
INTENTS: Mapping[Intent, IntentRoute] = {
    Intent.LATE: IntentRoute("chuanop"),
    Intent.OVERDUE: IntentRoute("chuanop"),
    Intent.MISSING: IntentRoute("chuanop"),
    Intent.STATUS: IntentRoute("tinhhinh"),
    Intent.DEADLINE: IntentRoute("tinhhinh", by_role={Role.UNIT_HEAD: "chuanop"}),
    Intent.UNIT_SENT: IntentRoute("tinhhinh"),
    Intent.UNLINKED: IntentRoute("chualienket"),
    Intent.EXPORT: IntentRoute("xuat"),
    Intent.HELP: IntentRoute("trogiup"),
}


ROUTES = Routes(
    commands=_COMMANDS,
    aliases=_ALIASES,
    load_states=_states,
    entries=_ENTRIES,
    menu_command=onboarding.menu_command,
    intents=INTENTS,
    link_text=onboarding.link_text,
)


def make_core(deps: CoreDeps) -> Core:
    """The core over ``deps``, routing to every flow."""
    return Core(deps, ROUTES)
