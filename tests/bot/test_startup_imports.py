"""Start-up imports stay light: the drawing and document libraries load when first used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "openpyxl", "xlsxwriter", "docx", "qrcode", "pypdf", "PIL")


def _imported_after(module: str) -> list[str]:
    """The heavy top-level packages a fresh interpreter holds after importing ``module``."""
    code = (
        "import importlib, json, sys; "
        f"importlib.import_module({module!r}); "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("module", ["bot.app", "handlers.routes", "bot.cli", "scheduler"])
def test_starting_imports_no_drawing_or_document_library(module: str) -> None:
    assert _imported_after(module) == []


def test_the_cli_loads_python_telegram_bot_only_to_run_on_telegram() -> None:
    code = "import bot.cli, sys; print('telegram' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_libraries_still_load_when_a_file_is_drawn() -> None:
    assert "xlsxwriter" in _imported_after("handlers.io.exports.xlsx")
    assert _chart_draws()


def _chart_draws() -> bool:
    """The chart module imports matplotlib only inside its drawing function."""
    code = (
        "import sys; from handlers.io.chart import progress_chart; "
        "progress_chart([]); print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip() == "True"
