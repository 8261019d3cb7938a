"""The core's routes: every flow's commands, states and hand-overs, in one table.

This is the one module that knows the flows; the dispatcher (:mod:`handlers.kernel.dispatcher`)
follows the table it is given. A new flow is registered here.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.domain.intents import Intent
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
from handlers.kernel.context import CoreDeps, Step
from handlers.kernel.dispatcher import Core
from handlers.kernel.routes import CommandSpec, IntentRoute, Routes
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
    "start": CommandSpec(onboarding.start, needs_link=False),
    "trogiup": CommandSpec(onboarding.help_, private_only=False, needs_link=False),
    "huy": CommandSpec(onboarding.cancel, private_only=False, needs_link=False),
    "decu": CommandSpec(nominate.begin),
    "nop": CommandSpec(submit.begin),
    "danhsach": CommandSpec(listing.begin),
    "tinhhinh": CommandSpec(status.status, private_only=False),
    "chuanop": CommandSpec(status.late),
    "thongbao": CommandSpec(broadcast.begin),
    "daibieu": CommandSpec(delegates.begin),
    "duyet": CommandSpec(review.begin),
    "xuat": CommandSpec(export.begin),
    "kehoach": CommandSpec(plans.begin),
    "chualienket": CommandSpec(linked.unlinked),
    "vanban": CommandSpec(papers.begin),
    "hoso": CommandSpec(browse.begin),
    "nhapdonvi": CommandSpec(bulk.begin_units),
    "xuatmau": CommandSpec(bulk.export_lists),
    "donvi": CommandSpec(unit_admin.begin),
    "moi": CommandSpec(invites.begin),
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


_STATES = merge_states(
    [
        nominate.STATES,
        submit.STATES,
        listing.STATES,
        status.STATES,
        broadcast.STATES,
        delegates.STATES,
        review.STATES,
        export.STATES,
        plans.STATES,
        papers.STATES,
        browse.STATES,
        requirements.STATES,
        bulk.STATES,
        unit_admin.STATES,
        invites.STATES,
        intake.STATES,
        intake_items.STATES,
    ]
)

#: Which flow serves each way in from another flow.
_ENTRIES: Mapping[Entry, Step] = {
    Entry.RESUBMIT: submit.resume,
    Entry.REQUIREMENTS: requirements.begin,
    Entry.BULK_NOMINATIONS: bulk.begin_nominations,
    Entry.BULK_DELEGATES: bulk.begin_delegates,
    Entry.INTAKE: intake.begin,
    Entry.INTAKE_TARGETS: intake_items.begin,
    Entry.INTAKE_ITEM: intake.show_item,
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
    states=_STATES,
    entries=_ENTRIES,
    menu_command=onboarding.menu_command,
    intents=INTENTS,
    link_text=onboarding.link_text,
)


def make_core(deps: CoreDeps) -> Core:
    """The core over ``deps``, routing to every flow."""
    return Core(deps, ROUTES)
