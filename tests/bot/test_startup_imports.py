"""Start-up imports stay light: the drawing and document libraries load when first used."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fresh import ROOT, fresh_python

HEAVY = ("matplotlib", "openpyxl", "xlsxwriter", "docx", "qrcode", "pypdf", "PIL")


def _imported_after(module: str) -> list[str]:
    """The heavy top-level packages a fresh interpreter holds after importing ``module``."""
    code = (
        "import importlib, json, sys; "
        f"importlib.import_module({module!r}); "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    return list(json.loads(fresh_python(code)))


@pytest.mark.parametrize("module", ["bot.app", "handlers.routes", "bot.cli", "scheduler"])
def test_starting_imports_no_drawing_or_document_library(module: str) -> None:
    assert _imported_after(module) == []


def test_the_cli_loads_python_telegram_bot_only_to_run_on_telegram() -> None:
    code = "import bot.cli, sys; print('telegram' in sys.modules)"
    stdout = fresh_python(code)
    assert stdout.strip() == "False"


def test_the_libraries_still_load_when_a_file_is_drawn() -> None:
    assert "xlsxwriter" in _imported_after("handlers.io.exports.xlsx")
    assert _chart_draws()


def _chart_draws() -> bool:
    """The chart module imports matplotlib only inside its drawing function."""
    code = (
        "import sys; from handlers.io.chart import progress_chart; "
        "progress_chart([]); print('matplotlib' in sys.modules)"
    )
    stdout = fresh_python(code)
    return stdout.strip() == "True"


def _loaded_after(module: str, wanted: tuple[str, ...]) -> list[str]:
    """Which of ``wanted`` (modules or packages) a fresh interpreter holds after ``module``."""
    code = (
        "import importlib, json, sys; "
        f"importlib.import_module({module!r}); "
        f"print(json.dumps(sorted(w for w in {wanted!r} if w in sys.modules)))"
    )
    return list(json.loads(fresh_python(code)))


#: What a CLI command that reads or writes the database (status, invite create…) never needs:
#: the flows (built with the core on first use), the scheduler and the channels' libraries.
NOT_FOR_THE_CLI = (
    "handlers.routes",
    "handlers.flows",
    "scheduler",
    "apscheduler",
    "telegram",
    "aiohttp",
    "httpx",
    "alembic",
    "holidays",
    "yaml",
    "trio",
)


@pytest.mark.parametrize("module", ["bot.cli", "bot.app"])
def test_the_cli_starts_without_the_flows_the_scheduler_or_the_channels(module: str) -> None:
    assert _loaded_after(module, NOT_FOR_THE_CLI) == []


@pytest.mark.parametrize("module", ["bot.telegram.adapter", "bot.channels"])
def test_the_telegram_channel_starts_without_telegram_ext_nor_the_scheduler(module: str) -> None:
    """PTB's Bot is all the channel uses: telegram.ext (and its APScheduler) would only slow the
    first answer; the scheduler starts after it."""
    assert _loaded_after(module, ("telegram.ext", "apscheduler", "scheduler", "yaml")) == []


def test_the_flows_load_when_the_core_is_first_used() -> None:
    code = (
        "import sys, tempfile; from pathlib import Path; "
        "from bot.app import build_app; from bot.settings import Settings; import asyncio\n"
        "async def main():\n"
        "    settings = Settings(data_dir=Path(tempfile.mkdtemp()))\n"
        "    async with build_app(settings) as app:\n"
        "        before = 'handlers.routes' in sys.modules\n"
        "        assert app.core is app.core\n"
        "        print(before, 'handlers.routes' in sys.modules)\n"
        "asyncio.run(main())"
    )
    stdout = fresh_python(code)
    assert stdout.split() == ["False", "True"]


def test_the_first_command_imports_only_its_flow_until_start_up_is_over() -> None:
    """The bot's first answer (``/trogiup``) waits for one flow; the rest load after it."""
    code = (
        "import asyncio, sys, tempfile; from pathlib import Path\n"
        "from bot.app import build_app; from bot.settings import Settings\n"
        "from handlers.kernel.messages import ChatKey, Incoming\n"
        "async def main():\n"
        "    settings = Settings(data_dir=Path(tempfile.mkdtemp()))\n"
        "    async with build_app(settings) as app:\n"
        "        from bot.app import upgrade_database\n"
        "        await upgrade_database(app)\n"
        "        msg = Incoming(key=ChatKey('console', 'x'), user_id='x', text='/trogiup')\n"
        "        assert await app.core.handle(msg)\n"
        "        flows = sorted(m for m in sys.modules if m.startswith('handlers.flows.'))\n"
        "        app.core.load_flows()\n"
        "        after = 'handlers.flows.export' in sys.modules\n"
        "        print(' '.join(flows), after)\n"
        "asyncio.run(main())"
    )
    *first, loaded = fresh_python(code).split()
    assert first == ["handlers.flows.onboarding"]
    assert loaded == "True"


#: What ``tdkt --help`` (every group's help built) never needs: the database layer, the core,
#: the file formats' libraries, Rich (typer's pretty help is turned off) and the settings.
NOT_FOR_THE_HELP = (
    "sqlalchemy",
    "storage.models",
    "storage.db",
    "handlers.kernel",
    "handlers.services",
    "bot.app",
    "jinja2",
    "yaml",
    "rich",
    "telegram",
    "pydantic",
)


def test_the_cli_help_loads_neither_the_database_nor_the_core_nor_rich() -> None:
    code = (
        "import click, json, sys, typer.main\n"
        "import bot.cli\n"
        "def walk(command, name):\n"
        "    ctx = click.Context(command, info_name=name)\n"
        "    command.get_help(ctx)\n"
        "    if isinstance(command, click.Group):\n"
        "        for sub in command.list_commands(ctx):\n"
        "            walk(command.get_command(ctx, sub), sub)\n"
        "walk(typer.main.get_command(bot.cli.app), 'tdkt')\n"
        f"print(json.dumps(sorted(w for w in {NOT_FOR_THE_HELP!r} if w in sys.modules)))"
    )
    stdout = fresh_python(code)
    assert json.loads(stdout) == []


def test_the_help_lists_every_group_in_plain_text() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in ("init", "status", "invite", "campaign", "units", "people", "stats"):
        assert f"  {name} " in out.stdout
    assert "╭" not in out.stdout  # Rich's boxes


@pytest.mark.parametrize(
    ("module", "unwanted"),
    [
        ("storage.text", ("sqlalchemy", "storage.db", "storage.models")),
        ("storage.enums", ("sqlalchemy", "storage.models")),
        ("handlers.domain.vocab", ("sqlalchemy", "handlers.kernel", "storage.models")),
        ("handlers.queries.export_scope", ("sqlalchemy", "storage.models")),
        ("bot.telegram.identity", ("telegram", "aiohttp", "bot.telegram.adapter")),
    ],
)
def test_the_packages_load_their_names_on_first_use(
    module: str, unwanted: tuple[str, ...]
) -> None:
    assert _loaded_after(module, unwanted) == []


def test_the_flows_import_without_the_plan_reader_or_building_button_validators() -> None:
    """The flows' button kinds and settings sections build their validators on first use."""
    code = (
        "import sys\n"
        "from handlers.kernel.callbacks import all_kinds\n"
        "from handlers.routes import ROUTES\n"
        "ROUTES.load()\n"
        "from handlers.domain.sections import Section\n"
        "kinds = list(all_kinds())\n"
        "built = [k for k in kinds if k.__pydantic_complete__]\n"
        "kind = next(k for k in kinds if k.model_fields and"
        " all(f.annotation is int for f in k.model_fields.values()))\n"
        "print(len(kinds) > 50, built == [], 'handlers.domain.plan_reader' in sys.modules)\n"
        "values = {n: 1 for n in kind.model_fields}\n"
        "print(kind.unpack(kind.model_construct(**values).pack()) is not None,"
        " kind.__pydantic_complete__)"
    )
    stdout = fresh_python(code)
    assert stdout.split() == ["True", "True", "False", "True", "True"]


def test_the_tdkt_process_never_imports_trio_nor_the_httpx_command_line() -> None:
    """httpcore imports trio when installed (selenium installs it); tdkt runs on asyncio only."""
    code = (
        "import asyncio, json, sys\n"
        "from bot.cli import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import httpx, telegram.ext\n"
        "async def main():\n"
        "    async with httpx.AsyncClient() as client:\n"
        "        try:\n"
        "            await client.get('http://127.0.0.1:9/')\n"
        "        except httpx.ConnectError:\n"
        "            return 'refused'\n"
        "print(json.dumps([asyncio.run(main()),"
        " sorted(m for m in ('trio', 'outcome', 'httpx._main', 'rich') if sys.modules.get(m))]))"
    )
    stdout = fresh_python(code)
    assert json.loads(stdout) == ["refused", []]
