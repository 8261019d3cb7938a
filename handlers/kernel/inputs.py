"""What users type, press and send, read from the step's message: the glue to the domain parsers.

Values are validated by :mod:`handlers.domain.fields` (no conversation there); this module takes
them out of the message. A :class:`~handlers.domain.fields.Field` is asked with
:func:`ask_field` (its choices as :class:`FieldValue` buttons, a "skip" button when it is
optional) and read back with :func:`read_field`: a pressed choice or typed text, parsed by the
field's own parser. Files are checked, stored and recorded with :func:`receive_file` and
:func:`stored_file`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.fields import Facts, Field, award_choices, parse_text
from handlers.domain.files import accepted_extensions, check_content, check_file
from handlers.domain.progress import local_today
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Button, FileRequest, Reply
from storage.models import StoredFile

__all__ = [
    "FieldValue",
    "SkipField",
    "ask_field",
    "asks_file",
    "facts",
    "field_buttons",
    "free_text",
    "read_field",
    "receive_file",
    "stored_file",
]


class FieldValue(CallbackData, prefix="field"):
    """A pressed choice of a field: the field's key and the chosen code."""

    key: str
    value: str


class SkipField(CallbackData, prefix="field.skip"):
    """The "skip" button of an optional field."""

    key: str


def free_text(ctx: Ctx, *, limit: int | None = None, minimum: int = 1) -> str:
    """Return the message text, refusing files, empty or oversized text."""
    if ctx.msg.file is not None:
        raise UserError("file_not_here")
    return parse_text(ctx.text, limit=limit or ctx.deps.max_text_chars, minimum=minimum)


async def facts(ctx: Ctx, campaign_id: int, subject: str | None = None) -> Facts:
    """What fields are read against in a campaign: today in its timezone, and its award forms.

    Args:
        ctx: The step's context.
        campaign_id: The campaign.
        subject: ``ca_nhan`` or ``tap_the``: the award forms open to it are included.
    """
    campaign = await ctx.campaigns.get(campaign_id)
    if campaign is None:
        raise UserError("item_gone")
    today = local_today(ctx.now, campaign.timezone)
    if subject is None:
        return Facts(today)
    return Facts(today, award_choices(await ctx.campaigns.award_forms_for(campaign_id), subject))


def field_buttons(ctx: Ctx, field: Field, facts: Facts) -> list[Button]:
    """The buttons a field is asked with: its choices, then "skip" when it is optional."""
    buttons = [
        FieldValue(key=field.key, value=code).button(
            ctx.label("fields.choice", key=field.key, code=code, facts=facts)
        )
        for code in field.options(facts)
    ]
    if field.optional:
        buttons.append(SkipField(key=field.key).button(ctx.label("buttons.skip")))
    return buttons


def ask_field(ctx: Ctx, macro: str, field: Field, facts: Facts, /, **params: Any) -> Reply:
    """The question ``macro`` (given ``field`` and ``params``) with the field's buttons."""
    return ctx.reply(macro, buttons=field_buttons(ctx, field, facts), field=field, **params)


def read_field(ctx: Ctx, field: Field, facts: Facts) -> Any:
    """The value of ``field`` the message gives: a pressed choice, "skip", or typed text.

    Raises:
        UserError: another button was pressed, text was typed for a field that only offers
            choices, or the field's parser refused the value.
    """
    skipped = ctx.pressed(SkipField)
    if field.optional and skipped is not None and skipped.key == field.key:
        return None
    picked = ctx.pressed(FieldValue)
    if picked is not None and picked.key == field.key and picked.value in field.options(facts):
        return field.parse(picked.value, facts)
    if ctx.choice is not None or not field.typed:
        raise UserError("pick_one")
    if ctx.msg.file is not None:
        raise UserError("file_not_here")
    if not ctx.text:  # in a chat an optional field is skipped with its button, not left empty
        raise UserError("text_empty")
    return field.parse(ctx.text, facts)


def asks_file(ctx: Ctx, reply: Reply, what: str, accept: Sequence[str] = ()) -> Reply:
    """``reply`` marked as the question of a step that takes a file (see ``FileRequest``).

    Args:
        ctx: The step's context; the file is sent for its acting unit (none for the
            secretariat).
        reply: The step's question.
        what: What is being sent, as plain text ("Kế hoạch … — Phần I").
        accept: The extensions the requirement accepts (empty: documents and pictures).
    """
    unit = ctx.unit.name if ctx.unit is not None else None
    request = FileRequest(what=what, unit=unit, accepts=tuple(str(a) for a in accept))
    return dataclasses.replace(reply, file_request=request)


async def receive_file(ctx: Ctx, accept: Sequence[str] = ()) -> dict[str, Any]:
    """Check, download and store the message's file; return its record for the conversation.

    Args:
        ctx: The step's context; its message carries the file.
        accept: The extensions the requirement accepts (empty: documents and pictures).
    """
    file = ctx.msg.file
    assert file is not None
    check_file(file.name, file.size, accepted_extensions(accept))
    data = await file.read()
    check_content(data, file.name)
    saved = await ctx.deps.files.save(data)
    return {
        "sha256": saved.sha256,
        "path": saved.path,
        "size": saved.size,
        "name": file.name[:255],
        "mime": file.mime_type[:127] or "application/octet-stream",
    }


async def stored_file(ctx: Ctx, record: dict[str, Any] | None) -> int | None:
    """Insert the ``StoredFile`` row of a file kept in the conversation data."""
    if not record:
        return None
    row = StoredFile(
        sha256=record["sha256"],
        name=record["name"],
        mime_type=record["mime"],
        size=record["size"],
        path=record["path"],
        created_at=ctx.now,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return row.id
