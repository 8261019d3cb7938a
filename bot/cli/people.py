"""``tdkt people``: the linked people."""

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import group, plain, run_app

if TYPE_CHECKING:
    from bot.app import App


people_app = group("Người dùng đã liên kết: xem, xóa, chuyển đơn vị.")


@people_app.command("list")
def people_list(
    unit: Annotated[str | None, typer.Option(help="Mã đơn vị.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Những người đã liên kết: số, họ tên, vai trò, đơn vị, kênh."""
    from bot.settings import Settings
    from handlers.services.people import list_people
    from handlers.services.units import find_unit_by_code

    async def work(the_app: "App") -> tuple[list[dict[str, object]], str]:
        async with the_app.session_factory() as session:
            found = await find_unit_by_code(session, unit) if unit is not None else None
            people = await list_people(session, found)
        return [p.as_dict() for p in people], the_app.deps.texts(
            "donvi.people_lines", people=people
        )

    rows, text = run_app(Settings(), None, work)
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else plain(text))


@people_app.command("remove")
def people_remove(
    person_id: Annotated[int, typer.Argument(help="Số của người (people list).")],
) -> None:
    """Xóa một người khỏi hệ thống (tài khoản chat không còn tác dụng; ghi nhật ký)."""
    from bot.settings import Settings
    from handlers.services.people import remove_person

    async def work(the_app: "App") -> str:
        deps = the_app.deps
        async with the_app.session_factory.begin() as session:
            person = await remove_person(session, person_id, by=None, now=deps.clock())
        return deps.texts("donvi.removed", name=person.full_name)

    typer.echo(plain(run_app(Settings(), None, work)))


@people_app.command("move")
def people_move(
    person_id: Annotated[int, typer.Argument(help="Số của người (people list).")],
    unit: Annotated[str, typer.Argument(help="Mã hoặc tên đơn vị mới.")],
) -> None:
    """Chuyển lãnh đạo/cán bộ sang đơn vị khác (ghi nhật ký)."""
    from bot.settings import Settings
    from handlers.services.people import move_person

    async def work(the_app: "App") -> str:
        deps = the_app.deps
        async with the_app.session_factory.begin() as session:
            person, old, new = await move_person(
                session, person_id, unit, by=None, now=deps.clock()
            )
        return deps.texts("donvi.moved", name=person.full_name, old=old.name, new=new.name)

    typer.echo(plain(run_app(Settings(), None, work)))
