"""``tdkt reminders``: the reminders and digests due at a moment."""

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import NowOption, group, plain, run_app

if TYPE_CHECKING:
    from bot.app import App


reminders_app = group("Nhắc hạn và tổng hợp hằng ngày.")


@reminders_app.command("preview")
def reminders_preview(
    campaign: Annotated[str | None, typer.Option(help="Mã kế hoạch.")] = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Những tin nhắc hạn và tổng hợp sẽ gửi vào thời điểm --now, tới những ai."""
    from bot.console import render_text
    from bot.settings import Settings
    from handlers.kernel.texts import fmt_datetime
    from handlers.services.reminders import (  # the planning: only for this command
        preview_notices,
        unreachable_summary,
    )

    settings = Settings()

    unreachable: list[str] = []

    async def work(the_app: "App") -> list[dict[str, Any]]:
        deps = the_app.deps
        at = deps.clock()
        async with the_app.session_factory() as session:
            preview = await preview_notices(
                session,
                deps.texts,
                at,
                grace=dt.timedelta(hours=settings.reminder_grace_hours),
                campaign_code=campaign,
            )
            for _, found in await unreachable_summary(session, at, campaign_code=campaign):
                if found:
                    unreachable.append(deps.texts("reminders.unreachable_line", found=found))
        return [
            {
                "key": p.key,
                "kind": p.kind,
                "slot": p.slot,
                "slot_at": fmt_datetime(p.slot_at),
                "unit": p.unit_name,
                "requirement": p.requirement_title,
                "recipient": {
                    "name": p.recipient.name,
                    "channel": p.recipient.channel,
                    "chat_id": p.recipient.chat_id,
                },
                "already_sent": sent,
                "text": render_text(p.reply),
            }
            for p, sent in preview
        ]

    items = run_app(settings, now, work)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for line in unreachable:
        typer.echo(plain(line))
    if not items:
        typer.echo("Không có tin nhắc nào đến hạn gửi vào thời điểm này.")
        return
    for item in items:
        what = "Tổng hợp hằng ngày"
        if item["kind"] in ("reminder", "milestone"):  # a milestone: reminded to its organisers
            verb = "Nhắc" if item["kind"] == "reminder" else "Nhắc lịch"
            what = f"{verb} {item['requirement']} ({_slot_words(item['slot'])}) — {item['unit']}"
        state = "đã gửi" if item["already_sent"] else "sẽ gửi"
        recipient = item["recipient"]
        typer.echo(
            f"[{state}] {item['slot_at']} {what} → {recipient['name']} "
            f"({recipient['channel']}:{recipient['chat_id']})"
        )
    pending = sum(1 for item in items if not item["already_sent"])
    typer.echo(f"Tổng: {len(items)} tin, {pending} chưa gửi.")


def _slot_words(slot: str) -> str:
    """A reminder slot in words: ``b3`` → "trước hạn 3 ngày", ``d0`` → "ngày đến hạn".

    After a gia hạn the slot names the new deadline too (``b3@20191120``); the words stay.
    """
    slot = slot.partition("@")[0]
    kind, days = slot[:1], slot[1:]
    if kind == "b" and days.isdigit():
        return f"trước hạn {int(days)} ngày"
    if kind == "o" and days.isdigit():
        return f"quá hạn {int(days)} ngày"
    return "ngày đến hạn" if slot == "d0" else slot
