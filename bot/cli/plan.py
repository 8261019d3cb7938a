"""``tdkt plan``: reading the deadlines out of a plan document."""

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, group, usage
from bot.runtime import resume_gc

plan_app = group("Đọc văn bản kế hoạch (hạn, mốc, đơn vị).")


@plan_app.command("extract")
def plan_extract(
    file: Annotated[Path, typer.Argument(dir_okay=False)],
    doc_date: Annotated[
        str | None,
        typer.Option("--doc-date", help="Ngày văn bản (YYYY-MM-DD hoặc YYYY-MM) nếu đã biết."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Đọc một kế hoạch (.txt, .docx, .pdf, ảnh chụp, bản quét) và in các hạn, mốc đề xuất."""
    resume_gc()  # start-up is over: reading a big document makes garbage (bot.runtime)
    from bot.settings import Settings
    from handlers.domain.errors import UserError
    from handlers.domain.plan_reader import extract_plan  # only for this command
    from handlers.io.plan_file import read_plan_file
    from handlers.kernel.texts import Texts

    texts = Texts(Settings().templates_dir)
    if doc_date is not None and not _DOC_DATE.fullmatch(doc_date):
        raise usage(texts("errors.plan_bad_date", value=doc_date))
    try:
        plan = extract_plan(read_plan_file(file), doc_date)
    except UserError as err:
        raise fail(texts(f"errors.{err.key}", **err.params)) from None
    if as_json:
        typer.echo(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return
    for item in plan.items:
        typer.echo(f"{item.due or item.relative} [{item.kind}] {' '.join(item.phrase.split())}")


#: A document date as --doc-date takes it.
_DOC_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?")
