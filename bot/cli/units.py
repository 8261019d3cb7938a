"""``tdkt units``: the list of units."""

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import group, plain, run_app

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import App
    from storage.models import Unit


units_app = group("Danh sách đơn vị.")


@units_app.command("import")
def units_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Nhập đơn vị từ CSV hoặc XLSX (theo mã; có lỗi thì không nhập gì)."""
    from bot.settings import Settings
    from handlers.io.units_file import UnitsFileError
    from handlers.services.units import import_units

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            result = await import_units(session, file, the_app.deps.unit_kinds)
            if not result.ok:
                raise UnitsFileError(result.error_text())
            return (
                f"Đã nhập đơn vị: thêm {result.created}, cập nhật {result.updated}, "
                f"không đổi {result.unchanged}."
            )

    typer.echo(run_app(Settings(), None, work))


@units_app.command("list")
def units_list(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Danh sách đơn vị: mã, tên, loại, khối/cụm, còn theo dõi hay không."""
    from bot.settings import Settings
    from handlers.services.units import list_units

    async def work(the_app: "App") -> tuple[list[dict[str, object]], list[str]]:
        async with the_app.session_factory() as session:
            rows = await list_units(session, the_app.deps.unit_kinds)
        texts = the_app.deps.texts
        return [r.as_dict() for r in rows], [texts("units.line", u=r) for r in rows]

    rows, lines = run_app(Settings(), None, work)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for line in lines or ["Chưa có đơn vị nào; nhập bằng lệnh tdkt units import TỆP."]:
        typer.echo(plain(line))


@units_app.command("kinds")
def units_kinds(
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Các loại đơn vị của nơi triển khai (TDKT_UNIT_KINDS_FILE) và cách viết được hiểu."""
    from bot.settings import Settings

    async def work(the_app: "App") -> list[tuple[str, str, list[str]]]:
        kinds = the_app.deps.unit_kinds
        return [
            (code, kinds.label(code), sorted(a for a, c in kinds.lookup.items() if c == code))
            for code in kinds
        ]

    rows = run_app(Settings(), None, work)
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
    from bot.settings import Settings
    from handlers.services.units import list_units

    async def work(the_app: "App") -> tuple[list[dict[str, object]], str]:
        async with the_app.session_factory() as session:
            rows = await list_units(session, the_app.deps.unit_kinds)
        return [r.as_dict() for r in rows if r.active], the_app.deps.texts(
            "units.linked", units=rows
        )

    rows, text = run_app(Settings(), None, work)
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else plain(text))


def _unit_change(code: str, change: "Callable[[App, AsyncSession, Unit], Awaitable[str]]") -> None:
    """Apply ``change`` to the unit ``code`` in one transaction and print its message."""
    from bot.settings import Settings
    from handlers.services.units import find_unit_by_code

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            unit = await find_unit_by_code(session, code)
            return await change(the_app, session, unit)

    typer.echo(plain(run_app(Settings(), None, work)))


def _set_active(code: str, active: bool) -> None:
    from handlers.services.units import set_unit_active

    async def change(the_app: "App", session: "AsyncSession", unit: "Unit") -> str:
        texts = the_app.deps.texts
        now = the_app.deps.clock()
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
    from handlers.services.units import rename_unit

    async def change(the_app: "App", session: "AsyncSession", unit: "Unit") -> str:
        texts = the_app.deps.texts
        old = unit.name
        now = the_app.deps.clock()
        if not await rename_unit(session, unit, name, person_id=None, now=now):
            return texts("units.unchanged", name=old)
        return texts("units.renamed", old=old, new=unit.name)

    _unit_change(code, change)
