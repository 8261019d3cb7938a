"""``tdkt init``, ``chat``, ``run`` and ``status``."""

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import NowOption, app, fail, plain, run_app

if TYPE_CHECKING:
    from bot.app import App


async def _init(the_app: "App", demo: bool) -> str:
    from bot.app import load_demo, upgrade_database

    await upgrade_database(the_app)
    # The compiled templates are kept in the data directory: compile them now, not in the
    # bot's first answers.
    the_app.deps.texts.compile_all()
    if not demo:
        return "Đã khởi tạo cơ sở dữ liệu."
    async with the_app.session_factory.begin() as session:
        if not await load_demo(session, the_app.deps.clock()):
            return "Dữ liệu mẫu Bỉm Sơn đã có sẵn."
    return "Đã nạp dữ liệu mẫu Bỉm Sơn 2019 (tài khoản: noivu, badinh)."


@app.command()
def init(
    demo: Annotated[bool, typer.Option(help="Nạp dữ liệu mẫu Bỉm Sơn 2019.")] = False,
    now: NowOption = None,
) -> None:
    """Tạo/nâng cấp cơ sở dữ liệu (Alembic); --demo nạp ví dụ Bỉm Sơn (tới thời điểm --now)."""
    from bot.settings import Settings

    typer.echo(run_app(Settings(), now, lambda a: _init(a, demo)))


@app.command()
def chat(
    handle: Annotated[str, typer.Option("--as", help="Tài khoản console, ví dụ noivu, badinh.")],
    now: NowOption = None,
) -> None:
    """Trò chuyện với bot trên console (đọc từ stdin, kết thúc ở EOF)."""
    from bot.app import build_export_worker
    from bot.console import CHANNEL as CONSOLE
    from bot.console import ConsoleAdapter
    from bot.settings import Settings

    settings = Settings()

    async def work(the_app: "App") -> None:
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

    run_app(settings, now, work)


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
    from bot.settings import Settings
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
        run_app(
            settings,
            now,
            lambda the_app: serve(the_app, settings, options, echo=typer.echo),
            started=False,  # serve resumes the garbage collector once the bot answers
        )
    except InvalidToken:
        raise fail("Token Telegram không hợp lệ (TDKT_TELEGRAM_TOKEN).") from None
    except NetworkError as err:
        raise fail(f"Không kết nối được máy chủ Telegram: {err.message}") from None
    except ZaloUnauthorizedError:
        raise fail("Token Zalo không hợp lệ (TDKT_ZALO_TOKEN).") from None
    except (ZaloApiError, ZaloNetworkError) as err:
        raise fail(f"Không kết nối được máy chủ Zalo Bot: {err}") from None


@app.command()
def status(
    campaign: Annotated[str | None, typer.Option(help="Mã kế hoạch.")] = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Tình hình nộp của các đơn vị: theo từng nội dung, đơn vị đã nộp và chưa nộp."""
    from bot.settings import Settings
    from handlers.queries.progress import status_report
    from handlers.services.reminders import unreachable_summary

    unreachable: list[str] = []

    async def work(the_app: "App") -> list[dict[str, Any]]:
        deps = the_app.deps
        async with the_app.session_factory() as session:
            report = await status_report(session, campaign, deps.clock())
            if not as_json:
                summary = await unreachable_summary(session, deps.clock(), campaign_code=campaign)
                for _, found in summary:
                    if found:
                        unreachable.append(deps.texts("reminders.unreachable_line", found=found))
            return report

    result = run_app(Settings(), now, work)
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
        typer.echo(plain(line))
