"""Linking an account (/start CODE), help and cancel."""

from __future__ import annotations

import dataclasses

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import Command
from handlers.kernel.context import IDLE, Ctx
from handlers.kernel.messages import Button, Reply
from handlers.services.invites import normalize_invite_code
from storage.models import ChatAccount, Person, Role
from storage.text import fold_text

__all__ = ["cancel", "help_", "menu_buttons", "menu_command", "start"]

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


def menu_buttons(ctx: Ctx, person: Person | None) -> tuple[Button, ...]:
    """The main menu for a person's role (commands as buttons)."""
    if person is None:
        return ()
    return tuple(
        Command(name=name).button(_menu_label(ctx, macro)) for name, macro in _MENUS[person.role]
    )


def menu_command(ctx: Ctx, text: str) -> str | None:
    """The packed :class:`Command` of a main-menu label typed or tapped as text, if it is one.

    Compared folded: "danh sach da gui" is the label "📋 Danh sách đã gửi".
    """
    typed = fold_text(text)
    if not typed:
        return None
    for name, macro in _ALL_ENTRIES:
        if fold_text(_menu_label(ctx, macro)) == typed:
            return Command(name=name).pack()
    return None


async def start(ctx: Ctx) -> list[Reply]:
    """Links the account with an invite code, or greets someone already linked."""
    code = normalize_invite_code(ctx.data.get("args", ""))
    if ctx.person is not None:
        ctx.end()
        return [_help(ctx, "onboarding.already_linked")]
    if not code:
        return [ctx.reply("onboarding.need_code")]
    invite = await ctx.people.invite_for_update(code)
    if invite is None:
        raise UserError("invite_invalid")
    if invite.used_at is not None:
        raise UserError("invite_used")
    if invite.revoked_at is not None:
        raise UserError("invite_revoked")
    if invite.expires_at <= ctx.now:
        raise UserError("invite_expired")
    if invite.unit_id is not None:
        unit = await ctx.units.get(invite.unit_id)
        if unit is not None and not unit.is_active:
            raise UserError("invite_unit_inactive", name=unit.name)
    msg = ctx.msg
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
