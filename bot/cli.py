"""The ``tdkt`` command line: database set-up, data loading, invites, status and the channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import (
    App,
    TokenRedactor,
    build_app,
    build_export_worker,
    load_demo,
    make_clock,
    parse_now,
    upgrade_database,
)
from bot.console import CHANNEL as CONSOLE
from bot.console import ConsoleAdapter, render_text
from bot.settings import Settings
from handlers.domain.errors import UserError
from handlers.domain.plan_reader import extract_plan
from handlers.io.campaign_file import CampaignFileError
from handlers.io.invite_sheet import SHEET_FORMATS, InviteCard, invite_file
from handlers.io.plan_file import read_plan_file
from handlers.io.unit_kinds_file import UnitKindsFileError
from handlers.io.units_file import UnitsFileError
from handlers.kernel.messages import Reply
from handlers.kernel.texts import Texts, fmt_datetime
from handlers.queries.export_data import ExportFormat, ExportKind, Scope, campaign_for, find_unit
from handlers.queries.progress import status_report
from handlers.services.campaign_export import export_campaign
from handlers.services.campaigns import (
    CampaignAction,
    change_campaign,
    find_campaign,
    list_campaigns,
    load_campaign,
)
from handlers.services.exports import FORMATS, build_export
from handlers.services.invites import create_invite, create_invite_batch, revoke_invites
from handlers.services.people import list_people, move_person, parse_role, remove_person
from handlers.services.reminders import (
    preview_notices,
    unreachable_blocked_ids,
    unreachable_summary,
)
from handlers.services.requirements import (
    ReqField,
    add_requirement,
    apply_edit,
    extend_deadline,
    find_requirement,
    parse_due,
    plan_edit,
    remove_requirement,
)
from handlers.services.units import (
    find_unit_by_code,
    import_units,
    list_units,
    rename_unit,
    set_unit_active,
)
from storage import nomination_counts, standings
from storage.models import Campaign, Requirement, RequirementKind, Role, Unit
from storage.repositories.deadlines import DeadlineRepository

__all__ = ["main"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

app = typer.Typer(help="tdkt-bot: trợ lý thi đua – khen thưởng.", no_args_is_help=True)
invite_app = typer.Typer(help="Mã mời liên kết tài khoản.", no_args_is_help=True)
campaign_app = typer.Typer(help="Kế hoạch (campaign).", no_args_is_help=True)
units_app = typer.Typer(help="Danh sách đơn vị.", no_args_is_help=True)
people_app = typer.Typer(
    help="Người dùng đã liên kết: xem, xóa, chuyển đơn vị.", no_args_is_help=True
)
reminders_app = typer.Typer(help="Nhắc hạn và tổng hợp hằng ngày.", no_args_is_help=True)
plan_app = typer.Typer(help="Đọc văn bản kế hoạch (hạn, mốc, đơn vị).", no_args_is_help=True)
app.add_typer(invite_app, name="invite")
app.add_typer(campaign_app, name="campaign")
app.add_typer(units_app, name="units")
app.add_typer(people_app, name="people")
app.add_typer(reminders_app, name="reminders")
app.add_typer(plan_app, name="plan")
stats_app = typer.Typer(help="Số liệu tình hình (bảng tổng hợp).", no_args_is_help=True)
app.add_typer(stats_app, name="stats")

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Ghim đồng hồ (giờ địa phương, ISO), ví dụ 2019-11-12T09:00."),
]


def _fail(message: str) -> typer.Exit:
    """A refusal: one plain-text line on stderr, exit status 1."""
    typer.echo(_plain(message), err=True)
    return typer.Exit(1)


def _usage(message: str) -> typer.Exit:
    """A bad option or argument: one plain-text line on stderr, exit status 2."""
    typer.echo(f"Lỗi: {_plain(message)}", err=True)
    return typer.Exit(2)


def _plain(text: str) -> str:
    """A message without the HTML the chat texts use, blank lines dropped."""
    lines = (" ".join(line.split()) for line in render_text(Reply(text=text)).splitlines())
    return "\n".join(line for line in lines if line)


def _start(now: str | None, settings: Settings) -> dt.datetime | None:
    """The pinned clock of ``--now``; a bad value is a usage error."""
    if now is None:
        return None
    try:
        return parse_now(now, settings.timezone)
    except (ValueError, OverflowError):
        raise _usage(
            f"--now «{now}» không phải thời điểm hợp lệ; "
            "hãy ghi dạng 2019-11-12T09:00 hoặc 12/11/2019 09:00 (giờ địa phương)."
        ) from None


def _run(settings: Settings, now: str | None, work: Callable[[App], Awaitable[T]]) -> T:
    """Run ``work`` on a wired app; user-facing errors become a message and exit code 1."""
    start = _start(now, settings)

    async def go() -> T:
        async with build_app(settings, make_clock(start)) as the_app:
            return await work(the_app)

    try:
        return asyncio.run(go())
    except UserError as err:
        raise _fail(Texts(settings.templates_dir)(f"errors.{err.key}", **err.params)) from None
    except OSError as err:  # e.g. the export's output cannot be written
        raise _fail(f"Không ghi/đọc được tệp: {err.strerror or err}.") from None
    except (CampaignFileError, UnitsFileError, UnitKindsFileError) as err:
        raise _fail(str(err)) from None


async def _init(the_app: App, demo: bool) -> str:
    await upgrade_database(the_app)
    if not demo:
        return "Đã khởi tạo cơ sở dữ liệu."
    async with the_app.session_factory.begin() as session:
        if not await load_demo(session, the_app.core.deps.clock()):
            return "Dữ liệu mẫu Bỉm Sơn đã có sẵn."
    return "Đã nạp dữ liệu mẫu Bỉm Sơn 2019 (tài khoản: noivu, badinh)."


@app.command()
def init(
    demo: Annotated[bool, typer.Option(help="Nạp dữ liệu mẫu Bỉm Sơn 2019.")] = False,
    now: NowOption = None,
) -> None:
    """Tạo/nâng cấp cơ sở dữ liệu (Alembic); --demo nạp ví dụ Bỉm Sơn (tới thời điểm --now)."""
    typer.echo(_run(Settings(), now, lambda a: _init(a, demo)))


@app.command()
def chat(
    handle: Annotated[str, typer.Option("--as", help="Tài khoản console, ví dụ noivu, badinh.")],
    now: NowOption = None,
) -> None:
    """Trò chuyện với bot trên console (đọc từ stdin, kết thúc ở EOF)."""
    settings = Settings()

    async def work(the_app: App) -> None:
        adapter = ConsoleAdapter(
            the_app.core.handle,
            the_app.core.apology(),
            handle,
            outbox=settings.data_dir / "outbox",
        )
        # No scheduler here, but a file asked for with /xuat is still built and shown.
        exports = build_export_worker(the_app, {CONSOLE: adapter.push})
        running: set[asyncio.Task[object]] = set()

        def wake(topic: str) -> None:
            if topic == "export":
                task: asyncio.Task[object] = asyncio.get_running_loop().create_task(exports.run())
                running.add(task)
                task.add_done_callback(running.discard)

        the_app.wakeups.bind(wake)
        await adapter.run()
        await asyncio.gather(*running, return_exceptions=True)  # files asked for before EOF

    _run(settings, now, work)


@app.command()
def run(
    handle: Annotated[str, typer.Option("--as", help="Tài khoản console khi không có token.")] = (
        "noivu"
    ),
    now: NowOption = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="Telegram: nhận cập nhật qua webhook tại địa chỉ HTTPS này."),
    ] = None,
    zalo_webhook_url: Annotated[
        str | None,
        typer.Option(help="Zalo: nhận cập nhật qua webhook tại địa chỉ HTTPS này."),
    ] = None,
    listen: Annotated[
        str | None, typer.Option(help="Địa chỉ nghe của webhook (TDKT_WEBHOOK_LISTEN).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Cổng nghe của webhook (TDKT_WEBHOOK_PORT).")
    ] = None,
    zalo_port: Annotated[
        int | None, typer.Option(help="Cổng nghe của webhook Zalo (mặc định: như --port).")
    ] = None,
) -> None:
    """Chạy bot: Telegram và/hoặc Zalo khi có token; nếu không có token thì console."""
    # The channels (python-telegram-bot, aiohttp) only when the bot runs: every other command
    # starts faster.
    from telegram.error import InvalidToken, NetworkError

    from bot.channels import RunOptions, serve
    from bot.zalo import ZaloApiError, ZaloNetworkError, ZaloUnauthorizedError

    settings = Settings()
    options = RunOptions(
        console_handle=handle,
        telegram_webhook_url=webhook_url,
        zalo_webhook_url=zalo_webhook_url,
        listen=listen,
        port=port,
        zalo_port=zalo_port,
    )
    try:
        _run(settings, now, lambda the_app: serve(the_app, settings, options, echo=typer.echo))
    except InvalidToken:
        raise _fail("Token Telegram không hợp lệ (TDKT_TELEGRAM_TOKEN).") from None
    except NetworkError as err:
        raise _fail(f"Không kết nối được máy chủ Telegram: {err.message}") from None
    except ZaloUnauthorizedError:
        raise _fail("Token Zalo không hợp lệ (TDKT_ZALO_TOKEN).") from None
    except (ZaloApiError, ZaloNetworkError) as err:
        raise _fail(f"Không kết nối được máy chủ Zalo Bot: {err}") from None


def _identity_link(username: str, code: str) -> str:
    """The Telegram deep link of an invite (python-telegram-bot imported only then)."""
    from bot.telegram import deep_link

    return deep_link(username, code)


@app.command()
def status(
    campaign: Annotated[str | None, typer.Option(help="Mã kế hoạch.")] = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Tình hình nộp của các đơn vị: theo từng nội dung, đơn vị đã nộp và chưa nộp."""
    unreachable: list[str] = []

    async def work(the_app: App) -> list[dict[str, Any]]:
        deps = the_app.core.deps
        async with the_app.session_factory() as session:
            report = await status_report(session, campaign, deps.clock())
            if not as_json:
                summary = await unreachable_summary(session, deps.clock(), campaign_code=campaign)
                for _, units in summary:
                    if units:
                        blocked = await unreachable_blocked_ids(session, units)
                        unreachable.append(
                            deps.texts("reminders.unreachable_line", units=units, blocked=blocked)
                        )
            return report

    result = _run(Settings(), now, work)
    if as_json:
        payload: object = result[0] if campaign and result else result
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for item in result:
        typer.echo(f"{item['campaign']['code']} — {item['campaign']['title']}")
        for req in item["requirements"]:
            typer.echo(
                f"  {req['due']}  {req['title']}: {req['submitted_count']}/{req['total']} đã nộp"
            )
    for line in unreachable:
        typer.echo(_plain(line))


RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help="secretariat (Thường trực), unit_head (lãnh đạo đơn vị) hoặc unit_member (cán bộ).",
    ),
]


def _role(text: str | None, default: Role | None = None) -> Role:
    """The role of ``--role``; an unknown one is a usage error in Vietnamese."""
    if text is None:
        if default is None:
            raise _usage("cần --role (secretariat, unit_head hoặc unit_member).")
        return default
    try:
        return parse_role(text)
    except UserError as err:
        raise _usage(Texts()(f"errors.{err.key}", **err.params)) from None


@invite_app.command("create")
def invite_create(
    role: RoleOption = None,
    unit: Annotated[str | None, typer.Option(help="Mã hoặc tên đơn vị.")] = None,
    name: Annotated[str | None, typer.Option(help="Họ tên người được mời.")] = None,
    all_units: Annotated[
        bool, typer.Option("--all-units", help="Một mã cho mỗi đơn vị đang theo dõi (cần -o).")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Tệp .docx, .xlsx hoặc .pdf để in.", dir_okay=False),
    ] = None,
    revoke_old: Annotated[
        bool,
        typer.Option(
            "--revoke-old", help="Thu hồi các mã cũ chưa dùng cùng vai trò (--all-units)."
        ),
    ] = False,
) -> None:
    """Tạo mã mời dùng một lần; dòng cuối cùng in ra là mã. --all-units -o TỆP: mọi đơn vị."""
    settings = Settings()
    if all_units or output is not None or revoke_old:
        _invite_sheet(settings, _role(role, Role.UNIT_HEAD), unit, all_units, output, revoke_old)
        return
    the_role = _role(role)

    async def work(the_app: App) -> tuple[str, str | None, dt.datetime]:
        async with the_app.session_factory.begin() as session:
            invite, found = await create_invite(
                session,
                role=the_role,
                unit_ref=unit,
                full_name=name,
                now=the_app.core.deps.clock(),
                ttl=the_app.core.deps.invite_ttl,
            )
            return invite.code, found.name if found else None, invite.expires_at

    code, unit_name, expires = _run(settings, None, work)
    typer.echo(f"Vai trò: {the_role.value}" + (f" — {unit_name}" if unit_name else ""))
    typer.echo(f"Hết hạn: {fmt_datetime(expires)}; dùng một lần: /start {code}")
    if settings.telegram_token is not None:
        token = settings.telegram_token.get_secret_value()
        from bot.channels import telegram_identity

        username = asyncio.run(telegram_identity(settings, token).username())
        if username is None:
            typer.echo("(Chưa lấy được tên bot từ Telegram; gửi mã cho người được mời.)")
        else:
            typer.echo(f"Liên kết Telegram: {_identity_link(username, code)}")
    zalo = settings.zalo_bot_link
    if zalo is None and settings.zalo_token is not None:
        from bot.channels import zalo_identity

        zalo = asyncio.run(zalo_identity(settings, settings.zalo_token.get_secret_value()).link())
        if zalo is None:
            typer.echo("(Chưa lấy được mã bot từ Zalo.)")
    if zalo:
        typer.echo(f"Zalo: mở {zalo} rồi nhắn: start {code}")
    else:
        typer.echo(f"Zalo: nhắn «start {code}» cho bot")
    typer.echo(code)


def _invite_sheet(
    settings: Settings,
    role: Role,
    unit: str | None,
    all_units: bool,
    output: Path | None,
    revoke_old: bool,
) -> None:
    """``invite create --all-units -o FILE``: one invite per active unit, printed to FILE."""
    if not all_units or output is None:
        raise _usage("--all-units và -o phải đi cùng nhau (in mã mời cho mọi đơn vị ra tệp).")
    if unit is not None:
        raise _usage("--all-units tạo mã cho mọi đơn vị; bỏ --unit.")
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in SHEET_FORMATS:
        raise _usage(f"Tệp -o «{output.name}» phải có đuôi .docx, .xlsx hoặc .pdf.")
    if not output.parent.is_dir():
        raise _usage(f"Thư mục «{output.parent}» của tệp -o không tồn tại.")
    username = None
    if settings.telegram_token is not None:
        token = settings.telegram_token.get_secret_value()
        from bot.channels import telegram_identity

        username = asyncio.run(telegram_identity(settings, token).username())

    async def work(the_app: App) -> str:
        deps = the_app.core.deps
        async with the_app.session_factory.begin() as session:
            batch = await create_invite_batch(
                session, role=role, now=deps.clock(), ttl=deps.invite_ttl, revoke_old=revoke_old
            )
            cards = [
                InviteCard(
                    unit_name=u.name,
                    unit_code=u.code,
                    code=i.code,
                    expires_at=i.expires_at,
                    link=_identity_link(username, i.code) if username else None,
                    zalo_link=settings.zalo_bot_link or None,
                )
                for u, i in batch.invites
            ]
            data = await invite_file(deps.texts, cards, settings.timezone, fmt)
            # inside the transaction: a file that cannot be written leaves no invites
            await asyncio.to_thread(output.write_bytes, data)
        return deps.texts(
            "invites.done", count=len(cards), path=str(output), revoked=batch.revoked
        )

    typer.echo(_plain(_run(settings, None, work)))


@invite_app.command("revoke")
def invite_revoke(
    role: RoleOption = None,
    unit: Annotated[str | None, typer.Option(help="Chỉ mã của đơn vị này.")] = None,
) -> None:
    """Thu hồi các mã mời chưa dùng (mặc định: của lãnh đạo đơn vị, mọi đơn vị)."""
    the_role = _role(role, Role.UNIT_HEAD)

    async def work(the_app: App) -> str:
        deps = the_app.core.deps
        async with the_app.session_factory.begin() as session:
            found = await find_unit_by_code(session, unit) if unit is not None else None
            count = await revoke_invites(session, role=the_role, now=deps.clock(), unit=found)
        return deps.texts("invites.revoked", count=count, role=the_role.value)

    typer.echo(_plain(_run(Settings(), None, work)))


@people_app.command("list")
def people_list(
    unit: Annotated[str | None, typer.Option(help="Mã đơn vị.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Những người đã liên kết: số, họ tên, vai trò, đơn vị, kênh."""

    async def work(the_app: App) -> tuple[list[dict[str, object]], str]:
        async with the_app.session_factory() as session:
            found = await find_unit_by_code(session, unit) if unit is not None else None
            people = await list_people(session, found)
        return [p.as_dict() for p in people], the_app.core.deps.texts(
            "donvi.people_lines", people=people
        )

    rows, text = _run(Settings(), None, work)
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else _plain(text))


@people_app.command("remove")
def people_remove(
    person_id: Annotated[int, typer.Argument(help="Số của người (people list).")],
) -> None:
    """Xóa một người khỏi hệ thống (tài khoản chat không còn tác dụng; ghi nhật ký)."""

    async def work(the_app: App) -> str:
        deps = the_app.core.deps
        async with the_app.session_factory.begin() as session:
            person = await remove_person(session, person_id, by=None, now=deps.clock())
        return deps.texts("donvi.removed", name=person.full_name)

    typer.echo(_plain(_run(Settings(), None, work)))


@people_app.command("move")
def people_move(
    person_id: Annotated[int, typer.Argument(help="Số của người (people list).")],
    unit: Annotated[str, typer.Argument(help="Mã hoặc tên đơn vị mới.")],
) -> None:
    """Chuyển lãnh đạo/cán bộ sang đơn vị khác (ghi nhật ký)."""

    async def work(the_app: App) -> str:
        deps = the_app.core.deps
        async with the_app.session_factory.begin() as session:
            person, old, new = await move_person(
                session, person_id, unit, by=None, now=deps.clock()
            )
        return deps.texts("donvi.moved", name=person.full_name, old=old.name, new=new.name)

    typer.echo(_plain(_run(Settings(), None, work)))


#: What a load did to the campaign, in words.
_CHANGES = {"created": "đã tạo mới", "updated": "đã cập nhật", "unchanged": "không thay đổi"}


@campaign_app.command("load")
def campaign_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Nạp hoặc cập nhật một kế hoạch từ tệp YAML (theo mã kế hoạch; chạy lại không trùng)."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            deps = the_app.core.deps
            result = await load_campaign(session, file, now=deps.clock(), kinds=deps.unit_kinds)
            change = _CHANGES.get(result.campaign_change, result.campaign_change)
            return (
                f"Kế hoạch {result.campaign_code}: {change}; nội dung mới "
                f"{len(result.requirements_created)}, "
                f"cập nhật {len(result.requirements_updated)}, "
                f"giữ nguyên {len(result.requirements_unchanged)}."
            )

    typer.echo(_run(Settings(), None, work))


@campaign_app.command("export")
def campaign_export(
    code: Annotated[str, typer.Argument(help="Mã kế hoạch.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", dir_okay=False, help="Ghi ra tệp này (mặc định: in ra)."),
    ] = None,
) -> None:
    """Xuất kế hoạch ra tệp YAML mà "tdkt campaign load" nạp lại được y hệt."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory() as session:
            text = await export_campaign(session, code)
        if output is not None:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        return text

    text = _run(Settings(), None, work)
    if output is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Đã xuất kế hoạch ra {output}.")


@campaign_app.command("list")
def campaign_list(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Các kế hoạch và trạng thái: nháp, đang thực hiện, đã kết thúc, đã lưu trữ."""

    async def work(the_app: App) -> tuple[list[dict[str, object]], list[str]]:
        texts = the_app.core.deps.texts
        async with the_app.session_factory() as session:
            rows = await list_campaigns(session)
        return [r.as_dict() for r in rows], [texts("kehoach.line", c=r) for r in rows]

    rows, lines = _run(Settings(), None, work)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        typer.echo("Chưa có kế hoạch nào.")
    else:
        for line in lines:
            typer.echo(_plain(line))


def _change(code: str, action: CampaignAction) -> None:
    """Close, archive or delete the campaign ``code`` (audit-logged, no person)."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            campaign = await find_campaign(session, code)
            found = campaign.code
            await change_campaign(
                session, campaign, action, person_id=None, now=the_app.core.deps.clock()
            )
        return the_app.core.deps.texts("kehoach.done", code=found, action=action.value)

    typer.echo(_plain(_run(Settings(), None, work)))


@campaign_app.command("close")
def campaign_close(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Kết thúc kế hoạch: không nhận thêm hồ sơ, không nhắc hạn; vẫn có trong tình hình."""
    _change(code, CampaignAction.CLOSE)


@campaign_app.command("archive")
def campaign_archive(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Lưu trữ kế hoạch: ẩn khỏi danh sách của các đơn vị."""
    _change(code, CampaignAction.ARCHIVE)


@campaign_app.command("delete")
def campaign_delete(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Xóa kế hoạch nạp nhầm (chỉ khi chưa đơn vị nào gửi gì; nếu đã có thì chỉ kết thúc)."""
    _change(code, CampaignAction.DELETE)


req_app = typer.Typer(help="Nội dung của một kế hoạch: sửa, thêm, bỏ.", no_args_is_help=True)
campaign_app.add_typer(req_app, name="req")

CampaignArg = Annotated[str, typer.Argument(help="Mã kế hoạch.")]
ReqArg = Annotated[str, typer.Argument(help="Mã nội dung.")]


@campaign_app.command("extend")
def campaign_extend(
    code: CampaignArg,
    req: ReqArg,
    to: Annotated[str, typer.Option("--to", help="Hạn mới, dd/mm/yyyy.")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do (gửi kèm thông báo).")],
    units: Annotated[
        str | None, typer.Option("--units", help="Mã các đơn vị, cách nhau bởi dấu phẩy.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Gia hạn một nội dung cho mọi đơn vị hoặc cho các đơn vị nêu tên; các đơn vị được báo."""
    settings = Settings()

    async def work(the_app: App) -> str:
        texts = the_app.core.deps.texts
        async with the_app.session_factory.begin() as session:
            _, requirement = await find_requirement(session, code, req)
            done = await extend_deadline(
                session,
                texts,
                requirement,
                new_due=parse_due(to),
                unit_codes=[c.strip() for c in (units or "").split(",") if c.strip()],
                reason=reason,
                by=None,
                now=the_app.core.deps.clock(),
            )
            return texts("noidung.extended", done=done, req=requirement)

    typer.echo(_plain(_run(settings, now, work)))


def _req_change(
    code: str,
    req: str,
    change: Callable[[AsyncSession, Campaign, Requirement, dt.datetime], Awaitable[str]],
) -> None:
    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            campaign, requirement = await find_requirement(session, code, req)
            return await change(session, campaign, requirement, the_app.core.deps.clock())

    typer.echo(_plain(_run(Settings(), None, work)))


@req_app.command("edit")
def req_edit(
    code: CampaignArg,
    req: ReqArg,
    title: Annotated[str | None, typer.Option("--title", help="Tên mới.")] = None,
    who: Annotated[
        str | None,
        typer.Option("--who", help="Mã các đơn vị, hoặc các loại đơn vị, hoặc «tất cả»."),
    ] = None,
    parts: Annotated[
        str | None, typer.Option("--parts", help="Thành phần hồ sơ, cách nhau bởi «;».")
    ] = None,
    accept: Annotated[
        str | None, typer.Option("--accept", help="Loại tệp nhận (pdf,docx) hoặc «mặc định».")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Đồng ý cả khi thay đổi ảnh hưởng hồ sơ đã nộp.")
    ] = False,
) -> None:
    """Sửa tên, đơn vị phải nộp, thành phần hoặc loại tệp của một nội dung."""
    wanted = [
        (f, v)
        for f, v in (
            (ReqField.TITLE, title),
            (ReqField.WHO, who),
            (ReqField.PARTS, parts),
            (ReqField.ACCEPT, accept),
        )
        if v is not None
    ]
    if not wanted:
        raise _usage("hãy nêu ít nhất một trong --title, --who, --parts, --accept.")

    async def change(
        session: AsyncSession, campaign: Campaign, requirement: Requirement, now: dt.datetime
    ) -> str:
        texts = Texts(Settings().templates_dir)
        lines = []
        for field, value in wanted:
            edit = await plan_edit(session, campaign, requirement, field, value)
            allowed = edit.affected if yes else 0
            await apply_edit(
                session, campaign, requirement, edit, allowed=allowed, person_id=None, now=now
            )
            lines.append(texts("noidung.edited", req=requirement, field=field.value))
        return "\n".join(lines)

    _req_change(code, req, change)


@req_app.command("add")
def req_add(
    code: CampaignArg,
    req: ReqArg,
    title: Annotated[str, typer.Option("--title", help="Tên nội dung.")],
    due: Annotated[str, typer.Option("--due", help="Hạn nộp, dd/mm/yyyy.")],
    kind: Annotated[
        RequirementKind, typer.Option("--kind", help="plan, report, nomination_list, dossier.")
    ] = RequirementKind.REPORT,
    who: Annotated[str, typer.Option("--who", help="Đơn vị hoặc loại đơn vị.")] = "",
    parts: Annotated[str, typer.Option("--parts", help="Thành phần hồ sơ (;).")] = "",
    accept: Annotated[str, typer.Option("--accept", help="Loại tệp nhận.")] = "",
    now: NowOption = None,
) -> None:
    """Thêm một nội dung vào kế hoạch."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            campaign = await find_campaign(session, code)
            added = await add_requirement(
                session,
                campaign,
                code=req,
                title=title,
                kind=kind,
                due=parse_due(due),
                who=who,
                parts=parts,
                accept=accept,
                person_id=None,
                now=the_app.core.deps.clock(),
            )
            return the_app.core.deps.texts("noidung.added", req=added)

    typer.echo(_plain(_run(Settings(), now, work)))


@req_app.command("remove")
def req_remove(code: CampaignArg, req: ReqArg) -> None:
    """Bỏ một nội dung chưa đơn vị nào gửi gì (đã có hồ sơ thì không bỏ được)."""

    async def change(
        session: AsyncSession, campaign: Campaign, requirement: Requirement, now: dt.datetime
    ) -> str:
        title = requirement.title
        await remove_requirement(session, campaign, requirement, person_id=None, now=now)
        return Texts(Settings().templates_dir)("noidung.removed", title=title)

    _req_change(code, req, change)


@req_app.command("show")
def req_show(code: CampaignArg, req: ReqArg) -> None:
    """Một nội dung: hạn (và các lần gia hạn), đơn vị phải nộp, thành phần, loại tệp."""

    async def change(
        session: AsyncSession, campaign: Campaign, requirement: Requirement, now: dt.datetime
    ) -> str:
        history = await DeadlineRepository(session).history(requirement.id)
        names = {u.id: u.name for u in await list_units(session)}
        return Texts(Settings().templates_dir)(
            "noidung.card",
            tz=campaign.timezone,
            campaign=campaign,
            req=requirement,
            history=history,
            names=names,
            read_only=campaign.state.value in {"closed", "archived"},
        )

    _req_change(code, req, change)


@plan_app.command("extract")
def plan_extract(
    file: Annotated[Path, typer.Argument(dir_okay=False)],
    doc_date: Annotated[
        str | None,
        typer.Option("--doc-date", help="Ngày văn bản (YYYY-MM-DD hoặc YYYY-MM) nếu đã biết."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Đọc một kế hoạch (.txt, .docx, .pdf) và in các hạn, mốc đề xuất."""
    texts = Texts(Settings().templates_dir)
    if doc_date is not None and not _DOC_DATE.fullmatch(doc_date):
        raise _usage(texts("errors.plan_bad_date", value=doc_date))
    try:
        plan = extract_plan(read_plan_file(file), doc_date)
    except UserError as err:
        raise _fail(texts(f"errors.{err.key}", **err.params)) from None
    if as_json:
        typer.echo(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return
    for item in plan.items:
        typer.echo(f"{item.due or item.relative} [{item.kind}] {' '.join(item.phrase.split())}")


#: A document date as --doc-date takes it.
_DOC_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?")


@units_app.command("import")
def units_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Nhập đơn vị từ CSV hoặc XLSX (theo mã; có lỗi thì không nhập gì)."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            result = await import_units(session, file, the_app.core.deps.unit_kinds)
            if not result.ok:
                raise UnitsFileError(result.error_text())
            return (
                f"Đã nhập đơn vị: thêm {result.created}, cập nhật {result.updated}, "
                f"không đổi {result.unchanged}."
            )

    typer.echo(_run(Settings(), None, work))


@units_app.command("list")
def units_list(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Danh sách đơn vị: mã, tên, loại, khối/cụm, còn theo dõi hay không."""

    async def work(the_app: App) -> tuple[list[dict[str, object]], list[str]]:
        async with the_app.session_factory() as session:
            rows = await list_units(session, the_app.core.deps.unit_kinds)
        texts = the_app.core.deps.texts
        return [r.as_dict() for r in rows], [texts("units.line", u=r) for r in rows]

    rows, lines = _run(Settings(), None, work)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for line in lines or ["Chưa có đơn vị nào; nhập bằng lệnh tdkt units import TỆP."]:
        typer.echo(_plain(line))


@units_app.command("kinds")
def units_kinds(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Các loại đơn vị của nơi triển khai (TDKT_UNIT_KINDS_FILE) và cách viết được hiểu."""

    async def work(the_app: App) -> list[tuple[str, str, list[str]]]:
        kinds = the_app.core.deps.unit_kinds
        return [
            (code, kinds.label(code), sorted(a for a, c in kinds.lookup.items() if c == code))
            for code in kinds
        ]

    rows = _run(Settings(), None, work)
    if as_json:
        payload = [{"code": c, "label": label, "aliases": a} for c, label, a in rows]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for code, label, aliases in rows:
        typer.echo(f"{code} — {label} (viết: {', '.join(aliases)})")


@units_app.command("linked")
def units_linked(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Đơn vị nào đã có lãnh đạo, cán bộ liên kết tài khoản, trên kênh nào."""

    async def work(the_app: App) -> tuple[list[dict[str, object]], str]:
        async with the_app.session_factory() as session:
            rows = await list_units(session, the_app.core.deps.unit_kinds)
        return [r.as_dict() for r in rows if r.active], the_app.core.deps.texts(
            "units.linked", units=rows
        )

    rows, text = _run(Settings(), None, work)
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else _plain(text))


def _unit_change(code: str, change: Callable[[App, AsyncSession, Unit], Awaitable[str]]) -> None:
    """Apply ``change`` to the unit ``code`` in one transaction and print its message."""

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            unit = await find_unit_by_code(session, code)
            return await change(the_app, session, unit)

    typer.echo(_plain(_run(Settings(), None, work)))


def _set_active(code: str, active: bool) -> None:
    async def change(the_app: App, session: AsyncSession, unit: Unit) -> str:
        texts = the_app.core.deps.texts
        now = the_app.core.deps.clock()
        if not await set_unit_active(session, unit, active, person_id=None, now=now):
            return texts("units.unchanged", name=unit.name)
        return texts("units.reactivated" if active else "units.deactivated", name=unit.name)

    _unit_change(code, change)


@units_app.command("deactivate")
def units_deactivate(code: Annotated[str, typer.Argument(help="Mã đơn vị.")]) -> None:
    """Ngừng theo dõi đơn vị: giữ hồ sơ cũ; không phải nộp nội dung mới, không nhận tin nhắc."""
    _set_active(code, False)


@units_app.command("reactivate")
def units_reactivate(code: Annotated[str, typer.Argument(help="Mã đơn vị.")]) -> None:
    """Theo dõi lại một đơn vị đã ngừng."""
    _set_active(code, True)


@units_app.command("rename")
def units_rename(
    code: Annotated[str, typer.Argument(help="Mã đơn vị.")],
    name: Annotated[str, typer.Argument(help="Tên mới.")],
) -> None:
    """Đổi tên đơn vị (mã giữ nguyên; ghi vào nhật ký)."""

    async def change(the_app: App, session: AsyncSession, unit: Unit) -> str:
        texts = the_app.core.deps.texts
        old = unit.name
        now = the_app.core.deps.clock()
        if not await rename_unit(session, unit, name, person_id=None, now=now):
            return texts("units.unchanged", name=old)
        return texts("units.renamed", old=old, new=unit.name)

    _unit_change(code, change)


@stats_app.command("rebuild")
def stats_rebuild(
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Chỉ kế hoạch có mã này.")
    ] = None,
) -> None:
    """Tính lại số liệu tình hình từ nội dung đã nộp và đề cử (sau khi nạp dữ liệu ngoài bot)."""
    settings = Settings()

    async def work(the_app: App) -> str:
        async with the_app.session_factory.begin() as session:
            campaign_id = (await find_campaign(session, campaign)).id if campaign else None
            rows = await standings.rebuild(session, campaign_id)
            counts = await nomination_counts.rebuild(session, campaign_id)
        return (
            f"Đã tính lại số liệu tình hình: {rows} cặp nội dung – đơn vị, "
            f"{counts} dòng đếm đề cử."
        )

    typer.echo(_run(settings, None, work))


@reminders_app.command("preview")
def reminders_preview(
    campaign: Annotated[str | None, typer.Option(help="Mã kế hoạch.")] = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Những tin nhắc hạn và tổng hợp sẽ gửi vào thời điểm --now, tới những ai."""
    settings = Settings()

    unreachable: list[str] = []

    async def work(the_app: App) -> list[dict[str, Any]]:
        deps = the_app.core.deps
        at = deps.clock()
        async with the_app.session_factory() as session:
            preview = await preview_notices(
                session,
                deps.texts,
                at,
                grace=dt.timedelta(hours=settings.reminder_grace_hours),
                campaign_code=campaign,
            )
            for _, units in await unreachable_summary(session, at, campaign_code=campaign):
                if units:
                    blocked = await unreachable_blocked_ids(session, units)
                    unreachable.append(
                        deps.texts("reminders.unreachable_line", units=units, blocked=blocked)
                    )
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

    items = _run(settings, now, work)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for line in unreachable:
        typer.echo(_plain(line))
    if not items:
        typer.echo("Không có tin nhắc nào đến hạn gửi vào thời điểm này.")
        return
    for item in items:
        what = (
            f"Nhắc {item['requirement']} ({_slot_words(item['slot'])}) — {item['unit']}"
            if item["kind"] == "reminder"
            else "Tổng hợp hằng ngày"
        )
        state = "đã gửi" if item["already_sent"] else "sẽ gửi"
        recipient = item["recipient"]
        typer.echo(
            f"[{state}] {item['slot_at']} {what} → {recipient['name']} "
            f"({recipient['channel']}:{recipient['chat_id']})"
        )
    pending = sum(1 for item in items if not item["already_sent"])
    typer.echo(f"Tổng: {len(items)} tin, {pending} chưa gửi.")


@app.command("export")
def export(
    kind: Annotated[
        ExportKind,
        typer.Argument(
            help="progress (tình hình nộp), nominations (trích ngang: đề cử đã tiếp nhận), "
            "nominations_all (mọi đề cử, kèm trạng thái), delegates, report, proposal (tờ trình), "
            "decision (dự thảo quyết định)."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp ghi ra.", dir_okay=False)],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="xlsx hoặc docx (mặc định: theo đuôi tệp -o, hoặc xlsx)."),
    ] = None,
    campaign: Annotated[
        str | None, typer.Option(help="Mã kế hoạch (mặc định: kế hoạch mới nhất).")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Mã hoặc tên đơn vị (mặc định: tất cả).")
    ] = None,
    now: NowOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Số liệu tính đến thời điểm này (giờ địa phương, ISO): chỉ tính những gì đã "
            "nộp, đề cử, duyệt trước đó. Mặc định: bây giờ.",
        ),
    ] = None,
) -> None:
    """Xuất tệp Excel/Word: tình hình nộp, danh sách trích ngang, đại biểu, báo cáo tổng hợp."""
    settings = Settings()
    counted_to = None
    if as_of is not None:
        try:
            counted_to = parse_now(as_of, settings.timezone)
        except (ValueError, OverflowError):
            raise _usage(
                f"--as-of «{as_of}» không phải thời điểm hợp lệ; "
                "hãy ghi dạng 2020-03-31T17:00 hoặc 31/03/2020 17:00 (giờ địa phương)."
            ) from None
    chosen = _export_format(kind, output, fmt)
    if unit is not None and not unit.strip():
        raise _usage("--unit không được để trống; bỏ --unit để xuất tất cả đơn vị.")
    if unit is not None and kind.secretariat_only:
        raise _usage(f"Nội dung {kind.value} lập cho toàn kế hoạch, không dùng --unit.")
    if not output.parent.is_dir():
        raise _usage(f"Thư mục «{output.parent}» của tệp -o không tồn tại.")
    if output.is_dir():
        raise _usage(f"«{output}» là một thư mục; -o cần tên tệp.")

    async def work(the_app: App) -> tuple[str, int]:
        deps = the_app.core.deps
        async with the_app.session_factory() as session:
            found = await campaign_for(session, campaign)
            if found is None:
                raise _fail("Hiện chưa có kế hoạch nào để xuất dữ liệu.")
            scope_unit = await find_unit(session, unit) if unit else None
            moment = deps.clock()
            if counted_to is not None:
                if counted_to > moment:
                    raise _usage("--as-of không được sau thời điểm hiện tại.")
                moment = counted_to
            scope = Scope(found, scope_unit, moment)
            file = await build_export(session, deps.texts, kind, chosen, scope, files=deps.files)
        output.write_bytes(file.data)
        return file.name, len(file.data)

    name, size = _run(settings, now, work)
    typer.echo(f"Đã ghi {output} ({size} byte; tên gợi ý: {name}).")


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


def _export_format(kind: ExportKind, output: Path, fmt: ExportFormat | None) -> ExportFormat:
    """The format to write: ``--format`` or the suffix of ``-o``, which must agree."""
    suffix = output.suffix.lower().lstrip(".")
    known = {f.value for f in ExportFormat}
    if suffix not in known:
        raise _usage(
            f"Tệp -o «{output.name}» phải có đuôi .xlsx, .docx hoặc .zip "
            f"(nội dung {kind.value} xuất được dạng: {', '.join(FORMATS[kind])})."
        )
    if fmt is not None and fmt.value != suffix:
        raise _usage(f"--format {fmt.value} không khớp với đuôi .{suffix} của tệp -o.")
    chosen = ExportFormat(suffix)
    if chosen not in FORMATS[kind]:
        raise _usage(f"Nội dung {kind.value} chỉ xuất được dạng: {', '.join(FORMATS[kind])}.")
    return chosen


def main() -> None:
    """Entry point of the ``tdkt`` script."""
    # PTB 22 warns on every 429 unless time periods are opted into as timedelta (its next
    # major version's behaviour); the sender reads both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the URL
    for token in (settings.telegram_token, settings.zalo_token):
        if token is not None:
            redactor = TokenRedactor(token.get_secret_value())
            for handler in logging.getLogger().handlers:
                handler.addFilter(redactor)
    app()


if __name__ == "__main__":
    main()
