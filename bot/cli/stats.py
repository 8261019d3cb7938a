"""``tdkt stats``: the status figures (standings)."""

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import group, run_app

if TYPE_CHECKING:
    from bot.app import App


stats_app = group("Số liệu tình hình (bảng tổng hợp).")


@stats_app.command("rebuild")
def stats_rebuild(
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Chỉ kế hoạch có mã này.")
    ] = None,
) -> None:
    """Tính lại số liệu tình hình từ nội dung đã nộp và đề cử (sau khi nạp dữ liệu ngoài bot).

    Cơ sở dữ liệu cũng được phân tích lại (ANALYZE) để truy vấn chọn đúng chỉ mục.
    """
    from bot.settings import Settings
    from handlers.services.campaigns import find_campaign
    from storage import nomination_counts, standings
    from storage.db import refresh_statistics

    settings = Settings()

    async def work(the_app: "App") -> str:
        async with the_app.session_factory.begin() as session:
            campaign_id = (await find_campaign(session, campaign)).id if campaign else None
            rows = await standings.rebuild(session, campaign_id)
            counts = await nomination_counts.rebuild(session, campaign_id)
            await refresh_statistics(session, full=True)
        return (
            f"Đã tính lại số liệu tình hình: {rows} cặp nội dung – đơn vị, "
            f"{counts} dòng đếm đề cử."
        )

    typer.echo(run_app(settings, None, work))
