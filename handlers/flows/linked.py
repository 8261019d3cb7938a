"""/chualienket (and the question "đơn vị nào chưa liên kết?"): who has not linked an account.

The secretariat gets the units whose head has no linked chat account; someone of a unit gets,
within their role, who of their own unit is linked and on which channel.
"""

from __future__ import annotations

from handlers.domain.errors import UserError
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply
from handlers.queries.audiences import without_linked_head
from storage.models import Role

__all__ = ["unlinked"]


async def unlinked(ctx: Ctx) -> list[Reply]:
    """Answers "đơn vị nào chưa liên kết?": the units whose head has no linked account.

    Asked by someone of a unit, it answers within their role: who of their unit is linked.
    """
    person = ctx.require_linked()
    ctx.end()
    if person.role is not Role.SECRETARIAT:
        if ctx.unit is None:
            raise UserError("unit_head_only")
        rows = await ctx.people.linked_accounts(
            [Role.UNIT_HEAD, Role.UNIT_MEMBER], unit_ids=[ctx.unit.id]
        )
        people = [(p.full_name, p.role.value, account.channel) for account, p, _ in rows]
        return [ctx.reply("status.unit_linked", unit=ctx.unit, linked=people)]
    units = await without_linked_head(ctx.session)
    return [ctx.reply("status.unlinked", units=units)]
