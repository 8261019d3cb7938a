"""Linking an account (/start CODE), help and cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import Command
from handlers.kernel.context import IDLE, Ctx
from handlers.kernel.messages import Button, Reply
from handlers.services.invites import ALPHABET, CODE_LENGTH, normalize_invite_code
from storage.models import ChatAccount, Person, Role
from storage.repositories.link_attempts import LinkAttemptRepository
from storage.text import fold_text

__all__ = ["cancel", "help_", "link_text", "menu_buttons", "menu_command", "start"]

#: Failed codes a chat may type within :data:`_FAIL_WINDOW` before linking is refused …
_FAIL_LIMIT = 5
_FAIL_WINDOW = dt.timedelta(minutes=15)
#: … for this long.
_FAIL_BLOCK = dt.timedelta(minutes=30)
#: The words that may precede a code typed without the slash (Zalo has no start parameter).
_START_WORDS = frozenset({"start", "batdau", "bat dau"})

#: Each role's main menu: the command a button runs and the macro of its label in onboarding.j2.
_MENUS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.SECRETARIAT: (
        ("tinhhinh", "menu_status"),
        ("chuanop", "menu_late"),
        ("thongbao", "menu_broadcast"),
        ("duyet", "menu_review"),
        ("trogiup", "menu_help"),
    ),
    Role.UNIT_HEAD: (
        ("nop", "menu_submit"),
        ("decu", "menu_nominate"),
        ("danhsach", "menu_sent"),
        ("daibieu", "menu_delegates"),
        ("tinhhinh", "menu_status"),
    ),
    Role.UNIT_MEMBER: (
        ("tinhhinh", "menu_status"),
        ("danhsach", "menu_list"),
    ),
}
#: Every menu entry of every role, once: a persistent keyboard sends a label back as text.
_ALL_ENTRIES = tuple(dict.fromkeys(entry for menu in _MENUS.values() for entry in menu))


def _menu_label(ctx: Ctx, macro: str) -> str:
    return ctx.label(f"onboarding.{macro}")


@functools.lru_cache(maxsize=64)
def _menu(entries: tuple[tuple[str, str], ...]) -> tuple[Button, ...]:
    """The buttons of ``(command, label)`` entries: made once per wording, not per message."""
    return tuple(Command(name=name).button(label) for name, label in entries)


@functools.lru_cache(maxsize=8)
def _menu_commands(entries: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Folded label → packed command of ``(command, label)`` entries (the first label wins)."""
    found: dict[str, str] = {}
    for name, label in entries:
        found.setdefault(fold_text(label), Command(name=name).pack())
    return found


def menu_buttons(ctx: Ctx, person: Person | None) -> tuple[Button, ...]:
    """The main menu for a person's role (commands as buttons).

    Keyed by the labels as rendered now, so an office's edited wording shows at once.
    """
    if person is None:
        return ()
    return _menu(tuple((name, _menu_label(ctx, macro)) for name, macro in _MENUS[person.role]))


def menu_command(ctx: Ctx, text: str) -> str | None:
    """The packed :class:`Command` of a main-menu label typed or tapped as text, if it is one.

    Compared folded: "danh sach da gui" is the label "📋 Danh sách đã gửi".
    """
    typed = fold_text(text)
    if not typed:
        return None
    entries = tuple((name, _menu_label(ctx, macro)) for name, macro in _ALL_ENTRIES)
    return _menu_commands(entries).get(typed)


def link_text(text: str) -> str | None:
    """The code in ``start CODE`` or a bare ``CODE`` typed by an unlinked chat, if it is one.

    A channel without a start parameter (Zalo) has people type the code: with or without
    ``start`` (or ``bắt đầu``) before it, in any case, with spaces or dashes inside.
    """
    words = text.strip().split()
    if not words:
        return None
    head = fold_text(" ".join(words[:2])) if len(words) > 2 else ""
    if head in _START_WORDS:
        return " ".join(words[2:])
    if fold_text(words[0]) in _START_WORDS:
        return " ".join(words[1:])
    code = normalize_invite_code(text)
    if len(text.strip()) <= CODE_LENGTH + 4 and _is_code(code):
        return code
    return None


def _is_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


async def start(ctx: Ctx) -> list[Reply]:
    """Links the account with an invite code, or greets someone already linked.

    A wrong, used or expired code is counted for the chat (in the database, so a restart does
    not reset it); after :data:`_FAIL_LIMIT` within :data:`_FAIL_WINDOW` the chat may not try
    for :data:`_FAIL_BLOCK`.
    """
    code = normalize_invite_code(ctx.data.get("args", ""))
    if ctx.person is not None:
        ctx.end()
        return [_help(ctx, "onboarding.already_linked")]
    if not code:
        return [ctx.reply("onboarding.need_code")]
    msg = ctx.msg
    attempts = LinkAttemptRepository(ctx.session)
    until = await attempts.blocked_until(msg.key.channel, msg.key.chat_id, ctx.now)
    if until is not None:
        raise UserError("invite_too_many", until=until)
    invite = await ctx.people.invite_for_update(code)
    problem = None
    if invite is None:
        problem = "invite_invalid"
    elif invite.used_at is not None:
        problem = "invite_used"
    elif invite.revoked_at is not None:
        problem = "invite_revoked"
    elif invite.expires_at <= ctx.now:
        problem = "invite_expired"
    if problem is not None or invite is None:
        blocked = await attempts.fail(
            msg.key.channel,
            msg.key.chat_id,
            ctx.now,
            window=_FAIL_WINDOW,
            limit=_FAIL_LIMIT,
            block=_FAIL_BLOCK,
        )
        if blocked is not None:
            ctx.audit("account.link_blocked", "chat", None, channel=msg.key.channel)
            return [ctx.reply("errors.invite_too_many", until=blocked)]
        return [ctx.reply(f"errors.{problem}")]
    if invite.unit_id is not None:
        unit = await ctx.units.get(invite.unit_id)
        if unit is not None and not unit.is_active:
            raise UserError("invite_unit_inactive", name=unit.name)
    name = (
        invite.full_name
        or msg.display_name
        or ctx.label("onboarding.default_name", user_id=msg.user_id)
    )
    person = await ctx.people.add_person(
        Person(full_name=name, role=invite.role, unit_id=invite.unit_id, created_at=ctx.now)
    )
    account = ctx.account
    if account is not None:  # the account of someone removed: it now acts for the new person
        account.person_id = person.id
        account.chat_id = msg.key.chat_id
        account.display_name = msg.display_name
        account.linked_at = ctx.now
        account.unreachable_at = None
        await ctx.session.flush()
    else:
        account = await ctx.people.add_account(
            ChatAccount(
                person_id=person.id,
                channel=msg.key.channel,
                external_id=msg.user_id,
                chat_id=msg.key.chat_id,
                display_name=msg.display_name,
                linked_at=ctx.now,
            )
        )
    if not await ctx.people.claim_invite(invite.id, account.id, ctx.now):
        # used or revoked meanwhile (a new batch): the step's writes are rolled back
        await ctx.session.refresh(invite)
        raise UserError("invite_revoked" if invite.revoked_at is not None else "invite_used")
    await attempts.clear(msg.key.channel, msg.key.chat_id)
    ctx.person, ctx.account = person, account
    ctx.unit = (await ctx.people.person_with_unit(person.id))[1]
    ctx.audit("account.link", "person", person.id, channel=msg.key.channel, invite=invite.id)
    ctx.end()
    return [_help(ctx, "onboarding.welcome")]


async def help_(ctx: Ctx) -> list[Reply]:
    """Shows what the person can do (keeps any step in progress)."""
    if ctx.person is None:
        return [ctx.reply("onboarding.help_unlinked")]
    reply = _help(ctx, "onboarding.help")
    if ctx.state != IDLE:  # mid-step: the step's own choices stay valid
        return [Reply(reply.text + "\n\n" + ctx.t("onboarding.mid_step"))]
    return [reply]


async def cancel(ctx: Ctx) -> list[Reply]:
    """Leaves any step."""
    was_busy = ctx.state != IDLE
    ctx.end()
    if ctx.person is None:
        return [ctx.reply("onboarding.cancelled", busy=was_busy)]
    reply = ctx.reply("onboarding.cancelled", buttons=menu_buttons(ctx, ctx.person), busy=was_busy)
    return [dataclasses.replace(reply, is_menu=True)]


def _help(ctx: Ctx, name: str) -> Reply:
    person = ctx.person
    assert person is not None
    reply = ctx.reply(
        name,
        buttons=menu_buttons(ctx, person),
        name=person.full_name,
        role=person.role.value,
        unit=ctx.unit.name if ctx.unit else None,
    )
    return dataclasses.replace(reply, is_menu=True)
