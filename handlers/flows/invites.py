"""/moi (secretariat): invite codes from the chat.

* A code for a second secretariat account comes back at once (with its Telegram link and the
  line to type on Zalo).
* The invite sheet for every active unit's head (Word, Excel or PDF; one page per unit with its
  code, link, QR code, the Zalo line and the instructions) comes back as a file; before it is
  made, the secretariat chooses whether the unused codes of the previous sheet are revoked.
* "Thu hồi mã cũ" revokes the unused unit-head codes after a confirmation.

Each code is audit-logged by :mod:`handlers.services.invites`.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.io.invite_sheet import SHEET_FORMATS, InviteCard, invite_file
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import OutgoingFile, Reply
from handlers.kernel.texts import DEFAULT_TZ
from handlers.services.invites import create_invite, create_invite_batch, revoke_invites
from storage.models import Role

__all__ = ["STATES", "Format", "Pick", "RevokeOld", "State", "What", "begin"]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "moi.pick"
    FORMAT = "moi.format"
    REVOKE_OLD = "moi.revoke_old"
    CONFIRM_REVOKE = "moi.confirm_revoke"


class What(StrEnum):
    """What the secretariat asks for."""

    SECRETARIAT = "secretariat"
    SHEET = "sheet"
    REVOKE = "revoke"


class Pick(CallbackData, prefix="moi.pick"):
    """The kind of invite."""

    what: What


class Format(CallbackData, prefix="moi.format"):
    """The sheet's file format (a key of ``SHEET_FORMATS``)."""

    fmt: str


class RevokeOld(CallbackData, prefix="moi.revoke"):
    """Whether the unused codes printed before stop working (or, to revoke, yes/no)."""

    yes: bool


async def begin(ctx: Ctx) -> list[Reply]:
    """Offers a secretariat code, the sheet for every unit, or revoking the unused codes."""
    ctx.require_secretariat()
    ctx.end()
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    buttons = [Pick(what=w).button(ctx.label("moi.pick_label", what=w.value)) for w in What]
    return [ctx.reply("moi.ask_pick", buttons=buttons)]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Makes a secretariat code at once, or asks the sheet's format, or confirms revoking."""
    person = ctx.require_secretariat()
    what = ctx.expect(Pick).what
    if what is What.SHEET:
        ctx.goto(State.FORMAT)
        return await _ask_format(ctx)
    if what is What.REVOKE:
        ctx.goto(State.CONFIRM_REVOKE)
        return await _ask_confirm_revoke(ctx)
    invite, _ = await create_invite(
        ctx.session,
        role=Role.SECRETARIAT,
        unit_ref=None,
        full_name=None,
        now=ctx.now,
        ttl=ctx.deps.invite_ttl,
        by=person.id,
    )
    ctx.end()
    return [ctx.reply("moi.secretariat", invite=invite, links=ctx.deps.links_for(invite.code))]


async def _ask_format(ctx: Ctx) -> list[Reply]:
    buttons = [Format(fmt=f).button(ctx.label("moi.format_label", fmt=f)) for f in SHEET_FORMATS]
    return [ctx.reply("moi.ask_format", buttons=buttons)]


async def _format(ctx: Ctx) -> list[Reply]:
    """Takes the format, then asks whether the old codes are revoked."""
    ctx.require_secretariat()
    fmt = ctx.expect(Format).fmt
    if fmt not in SHEET_FORMATS:
        raise UserError("pick_one")
    ctx.goto(State.REVOKE_OLD, fmt=fmt)
    return await _ask_revoke_old(ctx)


async def _ask_revoke_old(ctx: Ctx) -> list[Reply]:
    buttons = [
        RevokeOld(yes=True).button(ctx.label("moi.revoke_old_label", yes=True)),
        RevokeOld(yes=False).button(ctx.label("moi.revoke_old_label", yes=False)),
    ]
    return [ctx.reply("moi.ask_revoke_old", buttons=buttons)]


async def _revoke_old(ctx: Ctx) -> list[Reply]:
    """Makes one code per active unit (revoking the old ones if asked) and sends the sheet."""
    person = ctx.require_secretariat()
    revoke_old = ctx.expect(RevokeOld).yes
    fmt = str(ctx.data["fmt"])
    batch = await create_invite_batch(
        ctx.session,
        role=Role.UNIT_HEAD,
        now=ctx.now,
        ttl=ctx.deps.invite_ttl,
        revoke_old=revoke_old,
        by=person.id,
    )
    if not batch.invites:
        raise UserError("no_active_units")
    cards = []
    for unit, invite in batch.invites:
        links = ctx.deps.links_for(invite.code)
        cards.append(
            InviteCard(
                unit_name=unit.name,
                unit_code=unit.code,
                code=invite.code,
                expires_at=invite.expires_at,
                link=links.telegram,
                zalo_link=links.zalo,
            )
        )
    data = await invite_file(ctx.deps.texts, cards, DEFAULT_TZ.key, fmt)
    name = ctx.label("moi.file_name", fmt=fmt, day=ctx.now)
    ctx.end()
    return [
        Reply(
            text=ctx.t("moi.sheet_done", count=len(cards), revoked=batch.revoked),
            file=OutgoingFile(name=name, mime_type=SHEET_FORMATS[fmt], data=data),
        )
    ]


async def _ask_confirm_revoke(ctx: Ctx) -> list[Reply]:
    buttons = [
        RevokeOld(yes=True).button(ctx.label("moi.confirm_revoke_label", yes=True)),
        RevokeOld(yes=False).button(ctx.label("moi.confirm_revoke_label", yes=False)),
    ]
    return [ctx.reply("moi.ask_confirm_revoke", buttons=buttons)]


async def _confirm_revoke(ctx: Ctx) -> list[Reply]:
    """Revokes the unused unit-head codes on "yes"."""
    person = ctx.require_secretariat()
    yes = ctx.expect(RevokeOld).yes
    ctx.end()
    if not yes:
        return [ctx.reply("moi.cancelled")]
    count = await revoke_invites(ctx.session, role=Role.UNIT_HEAD, now=ctx.now, by=person.id)
    return [ctx.reply("invites.revoked", count=count, role=Role.UNIT_HEAD.value)]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.FORMAT: StateSpec(_format, _ask_format),
    State.REVOKE_OLD: StateSpec(_revoke_old, _ask_revoke_old),
    State.CONFIRM_REVOKE: StateSpec(_confirm_revoke, _ask_confirm_revoke),
}
