"""``tdkt invite``: one-time invite codes, one at a time or a printed sheet for every unit."""

import asyncio
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import group, plain, run_app, usage

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings
    from bot.telegram.identity import BotIdentity
    from storage.models import Role


invite_app = group("Mã mời liên kết tài khoản.")


def _identity_link(username: str, code: str) -> str:
    """The Telegram deep link of an invite (python-telegram-bot imported only then)."""
    from bot.telegram.identity import deep_link

    return deep_link(username, code)


def _telegram_identity(settings: "Settings", token: str) -> "BotIdentity":
    """The bot's cached @username (python-telegram-bot imported only if it must ask getMe)."""
    from bot.telegram.identity import IDENTITY_FILE, BotIdentity

    return BotIdentity(settings.data_dir / IDENTITY_FILE, token, settings.telegram_api_url)


RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help="secretariat (Thường trực), unit_head (lãnh đạo đơn vị) hoặc unit_member (cán bộ).",
    ),
]


def _role(text: str | None, default: "Role | None" = None) -> "Role":
    """The role of ``--role``; an unknown one is a usage error in Vietnamese."""
    from handlers.domain.errors import UserError
    from handlers.kernel.texts import Texts
    from handlers.services.people import parse_role

    if text is None:
        if default is None:
            raise usage("cần --role (secretariat, unit_head hoặc unit_member).")
        return default
    try:
        return parse_role(text)
    except UserError as err:
        raise usage(Texts()(f"errors.{err.key}", **err.params)) from None


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
    from bot.settings import Settings
    from handlers.kernel.texts import fmt_datetime
    from handlers.services.invites import create_invite
    from storage.models import Role

    settings = Settings()
    if all_units or output is not None or revoke_old:
        _invite_sheet(settings, _role(role, Role.UNIT_HEAD), unit, all_units, output, revoke_old)
        return
    the_role = _role(role)

    async def work(the_app: "App") -> tuple[str, str | None, dt.datetime]:
        async with the_app.session_factory.begin() as session:
            invite, found = await create_invite(
                session,
                role=the_role,
                unit_ref=unit,
                full_name=name,
                now=the_app.deps.clock(),
                ttl=the_app.deps.invite_ttl,
            )
            return invite.code, found.name if found else None, invite.expires_at

    code, unit_name, expires = run_app(settings, None, work)
    typer.echo(f"Vai trò: {the_role.value}" + (f" — {unit_name}" if unit_name else ""))
    typer.echo(f"Hết hạn: {fmt_datetime(expires)}; dùng một lần: /start {code}")
    if settings.telegram_token is not None:
        token = settings.telegram_token.get_secret_value()
        username = asyncio.run(_telegram_identity(settings, token).username())
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
    settings: "Settings",
    role: "Role",
    unit: str | None,
    all_units: bool,
    output: Path | None,
    revoke_old: bool,
) -> None:
    """``invite create --all-units -o FILE``: one invite per active unit, printed to FILE."""
    from handlers.io.invite_sheet import SHEET_FORMATS, InviteCard, invite_file
    from handlers.services.invites import create_invite_batch

    if not all_units or output is None:
        raise usage("--all-units và -o phải đi cùng nhau (in mã mời cho mọi đơn vị ra tệp).")
    if unit is not None:
        raise usage("--all-units tạo mã cho mọi đơn vị; bỏ --unit.")
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in SHEET_FORMATS:
        raise usage(f"Tệp -o «{output.name}» phải có đuôi .docx, .xlsx hoặc .pdf.")
    if not output.parent.is_dir():
        raise usage(f"Thư mục «{output.parent}» của tệp -o không tồn tại.")
    username = None
    if settings.telegram_token is not None:
        token = settings.telegram_token.get_secret_value()
        username = asyncio.run(_telegram_identity(settings, token).username())

    async def work(the_app: "App") -> str:
        deps = the_app.deps
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

    typer.echo(plain(run_app(settings, None, work)))


@invite_app.command("revoke")
def invite_revoke(
    role: RoleOption = None,
    unit: Annotated[str | None, typer.Option(help="Chỉ mã của đơn vị này.")] = None,
) -> None:
    """Thu hồi các mã mời chưa dùng (mặc định: của lãnh đạo đơn vị, mọi đơn vị)."""
    from bot.settings import Settings
    from handlers.services.invites import revoke_invites
    from handlers.services.units import find_unit_by_code
    from storage.models import Role

    the_role = _role(role, Role.UNIT_HEAD)

    async def work(the_app: "App") -> str:
        deps = the_app.deps
        async with the_app.session_factory.begin() as session:
            found = await find_unit_by_code(session, unit) if unit is not None else None
            count = await revoke_invites(session, role=the_role, now=deps.clock(), unit=found)
        return deps.texts("invites.revoked", count=count, role=the_role.value)

    typer.echo(plain(run_app(Settings(), None, work)))
