"""``tdkt export``: the Excel/Word files."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import NowOption, app, fail, run_app, usage

# Light (enums and a dataclass): the command's signature needs them when the CLI is built.
from handlers.queries.export_scope import ExportFormat, ExportKind

if TYPE_CHECKING:
    from bot.app import App


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
    from bot.runtime import parse_now
    from bot.settings import Settings
    from handlers.queries.export_data import Scope, campaign_for, find_unit
    from handlers.services.exports import build_export

    settings = Settings()
    counted_to = None
    if as_of is not None:
        try:
            counted_to = parse_now(as_of, settings.timezone)
        except (ValueError, OverflowError):
            raise usage(
                f"--as-of «{as_of}» không phải thời điểm hợp lệ; "
                "hãy ghi dạng 2020-03-31T17:00 hoặc 31/03/2020 17:00 (giờ địa phương)."
            ) from None
    chosen = _export_format(kind, output, fmt)
    if unit is not None and not unit.strip():
        raise usage("--unit không được để trống; bỏ --unit để xuất tất cả đơn vị.")
    if unit is not None and kind.secretariat_only:
        raise usage(f"Nội dung {kind.value} lập cho toàn kế hoạch, không dùng --unit.")
    if not output.parent.is_dir():
        raise usage(f"Thư mục «{output.parent}» của tệp -o không tồn tại.")
    if output.is_dir():
        raise usage(f"«{output}» là một thư mục; -o cần tên tệp.")

    async def work(the_app: "App") -> tuple[str, int]:
        deps = the_app.deps
        async with the_app.session_factory() as session:
            found = await campaign_for(session, campaign)
            if found is None:
                raise fail("Hiện chưa có kế hoạch nào để xuất dữ liệu.")
            scope_unit = await find_unit(session, unit) if unit else None
            moment = deps.clock()
            if counted_to is not None:
                if counted_to > moment:
                    raise usage("--as-of không được sau thời điểm hiện tại.")
                moment = counted_to
            scope = Scope(found, scope_unit, moment)
            file = await build_export(session, deps.texts, kind, chosen, scope, files=deps.files)
        output.write_bytes(file.data)
        return file.name, len(file.data)

    name, size = run_app(settings, now, work)
    typer.echo(f"Đã ghi {output} ({size} byte; tên gợi ý: {name}).")


def _export_format(kind: ExportKind, output: Path, fmt: ExportFormat | None) -> ExportFormat:
    """The format to write: ``--format`` or the suffix of ``-o``, which must agree."""
    from handlers.services.exports import FORMATS

    suffix = output.suffix.lower().lstrip(".")
    known = {f.value for f in ExportFormat}
    if suffix not in known:
        raise usage(
            f"Tệp -o «{output.name}» phải có đuôi .xlsx, .docx hoặc .zip "
            f"(nội dung {kind.value} xuất được dạng: {', '.join(FORMATS[kind])})."
        )
    if fmt is not None and fmt.value != suffix:
        raise usage(f"--format {fmt.value} không khớp với đuôi .{suffix} của tệp -o.")
    chosen = ExportFormat(suffix)
    if chosen not in FORMATS[kind]:
        raise usage(f"Nội dung {kind.value} chỉ xuất được dạng: {', '.join(FORMATS[kind])}.")
    return chosen
