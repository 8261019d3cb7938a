"""``tdkt campaign``: load, export, list, close, archive, delete, extend; ``campaign req``."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import NowOption, group, plain, run_app, usage
from storage.enums import RequirementKind  # light: the signature of ``campaign req add``

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import App
    from handlers.kernel.context import CoreDeps
    from handlers.services.campaigns import (
        CampaignAction,
    )
    from storage.models import Campaign, Requirement


campaign_app = group("Kế hoạch (campaign).")


#: What a load did to the campaign, in words.
_CHANGES = {"created": "đã tạo mới", "updated": "đã cập nhật", "unchanged": "không thay đổi"}


@campaign_app.command("load")
def campaign_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Nạp hoặc cập nhật một kế hoạch từ tệp YAML (theo mã kế hoạch; chạy lại không trùng)."""
    from bot.settings import Settings
    from handlers.services.campaigns import load_campaign

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            deps = the_app.deps
            result = await load_campaign(session, file, now=deps.clock(), kinds=deps.unit_kinds)
            change = _CHANGES.get(result.campaign_change, result.campaign_change)
            return (
                f"Kế hoạch {result.campaign_code}: {change}; nội dung mới "
                f"{len(result.requirements_created)}, "
                f"cập nhật {len(result.requirements_updated)}, "
                f"giữ nguyên {len(result.requirements_unchanged)}."
            )

    typer.echo(run_app(Settings(), None, work))


@campaign_app.command("export")
def campaign_export(
    code: Annotated[str, typer.Argument(help="Mã kế hoạch.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", dir_okay=False, help="Ghi ra tệp này (mặc định: in ra)."),
    ] = None,
) -> None:
    """Xuất kế hoạch ra tệp YAML mà "tdkt campaign load" nạp lại được y hệt."""
    from bot.settings import Settings
    from handlers.services.campaign_export import export_campaign

    async def work(the_app: "App") -> str:
        async with the_app.session_factory() as session:
            text = await export_campaign(session, code)
        if output is not None:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        return text

    text = run_app(Settings(), None, work)
    if output is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Đã xuất kế hoạch ra {output}.")


@campaign_app.command("list")
def campaign_list(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Các kế hoạch và trạng thái: nháp, đang thực hiện, đã kết thúc, đã lưu trữ."""
    from bot.settings import Settings
    from handlers.services.campaigns import list_campaigns

    async def work(the_app: "App") -> tuple[list[dict[str, object]], list[str]]:
        texts = the_app.deps.texts
        async with the_app.session_factory() as session:
            rows = await list_campaigns(session)
        return [r.as_dict() for r in rows], [texts("kehoach.line", c=r) for r in rows]

    rows, lines = run_app(Settings(), None, work)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        typer.echo("Chưa có kế hoạch nào.")
    else:
        for line in lines:
            typer.echo(plain(line))


def _change(code: str, action: "CampaignAction") -> None:
    """Close, archive or delete the campaign ``code`` (audit-logged, no person)."""
    from bot.settings import Settings
    from handlers.services.campaigns import change_campaign, find_campaign

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            campaign = await find_campaign(session, code)
            found = campaign.code
            await change_campaign(
                session, campaign, action, person_id=None, now=the_app.deps.clock()
            )
        return the_app.deps.texts("kehoach.done", code=found, action=action.value)

    typer.echo(plain(run_app(Settings(), None, work)))


@campaign_app.command("close")
def campaign_close(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Kết thúc kế hoạch: không nhận thêm hồ sơ, không nhắc hạn; vẫn có trong tình hình."""
    from handlers.services.campaigns import CampaignAction

    _change(code, CampaignAction.CLOSE)


@campaign_app.command("archive")
def campaign_archive(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Lưu trữ kế hoạch: ẩn khỏi danh sách của các đơn vị."""
    from handlers.services.campaigns import CampaignAction

    _change(code, CampaignAction.ARCHIVE)


@campaign_app.command("delete")
def campaign_delete(code: Annotated[str, typer.Argument(help="Mã kế hoạch.")]) -> None:
    """Xóa kế hoạch nạp nhầm (chỉ khi chưa đơn vị nào gửi gì; nếu đã có thì chỉ kết thúc)."""
    from handlers.services.campaigns import CampaignAction

    _change(code, CampaignAction.DELETE)


req_app = group("Nội dung của một kế hoạch: sửa, thêm, bỏ.")
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
    from bot.settings import Settings
    from handlers.services.requirements import extend_deadline, find_requirement, parse_due

    settings = Settings()

    async def work(the_app: "App") -> str:
        texts = the_app.deps.texts
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
                now=the_app.deps.clock(),
            )
            return texts("noidung.extended", done=done, req=requirement)

    typer.echo(plain(run_app(settings, now, work)))


def _req_change(
    code: str,
    req: str,
    change: "Callable[[AsyncSession, CoreDeps, Campaign, Requirement], Awaitable[str]]",
) -> None:
    from bot.settings import Settings
    from handlers.services.requirements import find_requirement

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            campaign, requirement = await find_requirement(session, code, req)
            return await change(session, the_app.deps, campaign, requirement)

    typer.echo(plain(run_app(Settings(), None, work)))


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
    from handlers.services.requirements import ReqField, apply_edit, plan_edit

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
        raise usage("hãy nêu ít nhất một trong --title, --who, --parts, --accept.")

    async def change(
        session: "AsyncSession", deps: "CoreDeps", campaign: "Campaign", requirement: "Requirement"
    ) -> str:
        lines = []
        for field, value in wanted:
            edit = await plan_edit(session, campaign, requirement, field, value, deps.unit_kinds)
            allowed = edit.affected if yes else 0
            await apply_edit(
                session,
                campaign,
                requirement,
                edit,
                allowed=allowed,
                person_id=None,
                now=deps.clock(),
            )
            lines.append(deps.texts("noidung.edited", req=requirement, field=field.value))
        return "\n".join(lines)

    _req_change(code, req, change)


@req_app.command("add")
def req_add(
    code: CampaignArg,
    req: ReqArg,
    title: Annotated[str, typer.Option("--title", help="Tên nội dung.")],
    due: Annotated[str, typer.Option("--due", help="Hạn nộp, dd/mm/yyyy.")],
    time: Annotated[
        str | None,
        typer.Option(
            "--time", help="Giờ hết hạn trong ngày hạn, ví dụ 16:30 (mặc định: hết ngày)."
        ),
    ] = None,
    kind: Annotated[
        RequirementKind, typer.Option("--kind", help="plan, report, nomination_list, dossier.")
    ] = RequirementKind.REPORT,
    who: Annotated[str, typer.Option("--who", help="Đơn vị hoặc loại đơn vị.")] = "",
    parts: Annotated[str, typer.Option("--parts", help="Thành phần hồ sơ (;).")] = "",
    accept: Annotated[str, typer.Option("--accept", help="Loại tệp nhận.")] = "",
    now: NowOption = None,
) -> None:
    """Thêm một nội dung vào kế hoạch."""
    from bot.settings import Settings
    from handlers.services.campaigns import find_campaign
    from handlers.services.requirements import add_requirement, parse_due, parse_hour

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            campaign = await find_campaign(session, code)
            added = await add_requirement(
                session,
                campaign,
                code=req,
                title=title,
                kind=kind,
                due=parse_due(due),
                due_time=parse_hour(time) if time is not None else None,
                who=who,
                parts=parts,
                accept=accept,
                person_id=None,
                now=the_app.deps.clock(),
                kinds=the_app.deps.unit_kinds,
            )
            return the_app.deps.texts("noidung.added", req=added)

    typer.echo(plain(run_app(Settings(), now, work)))


@req_app.command("remove")
def req_remove(code: CampaignArg, req: ReqArg) -> None:
    """Bỏ một nội dung chưa đơn vị nào gửi gì (đã có hồ sơ thì không bỏ được)."""
    from handlers.services.requirements import remove_requirement

    async def change(
        session: "AsyncSession", deps: "CoreDeps", campaign: "Campaign", requirement: "Requirement"
    ) -> str:
        title = requirement.title
        await remove_requirement(session, campaign, requirement, person_id=None, now=deps.clock())
        return deps.texts("noidung.removed", title=title)

    _req_change(code, req, change)


@req_app.command("show")
def req_show(code: CampaignArg, req: ReqArg) -> None:
    """Một nội dung: hạn (và các lần gia hạn), đơn vị phải nộp, thành phần, loại tệp."""
    from handlers.services.units import list_units
    from storage.repositories.deadlines import DeadlineRepository

    async def change(
        session: "AsyncSession", deps: "CoreDeps", campaign: "Campaign", requirement: "Requirement"
    ) -> str:
        history = await DeadlineRepository(session).history(requirement.id)
        names = {u.id: u.name for u in await list_units(session)}
        return deps.texts(
            "noidung.card",
            tz=campaign.timezone,
            campaign=campaign,
            req=requirement,
            history=history,
            names=names,
            read_only=campaign.state.value in {"closed", "archived"},
        )

    _req_change(code, req, change)
