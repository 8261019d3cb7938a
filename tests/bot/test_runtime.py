"""The garbage collector held off during start-up (bot.runtime.pause_gc / resume_gc)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fresh import ROOT, fresh_python


def _run(code: str) -> object:
    return json.loads(fresh_python(code))


def test_start_up_runs_without_the_collector_and_freezes_what_it_made() -> None:
    code = (
        "import gc, json\n"
        "from bot.runtime import pause_gc, resume_gc\n"
        "pause_gc()\n"
        "paused = gc.isenabled()\n"
        "import bot.app\n"
        "resume_gc(long_running=True)\n"
        "frozen = gc.get_freeze_count()\n"
        "resume_gc(long_running=True)  # once only\n"
        "again = gc.get_freeze_count() == frozen\n"
        "print(json.dumps([paused, gc.isenabled(), frozen > 10000, again]))"
    )
    assert _run(code) == [False, True, True, True]


def test_a_process_that_did_not_pause_the_collector_keeps_it_as_it_is() -> None:
    code = (
        "import gc, json\n"
        "from bot.runtime import resume_gc\n"
        "resume_gc(long_running=True)\n"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    )
    assert _run(code) == [True, 0]


def test_a_command_that_ends_soon_resumes_the_collector_without_freezing() -> None:
    code = (
        "import gc, json\n"
        "from bot.runtime import pause_gc, resume_gc\n"
        "pause_gc()\n"
        "import bot.app\n"
        "resume_gc()\n"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    )
    assert _run(code) == [True, 0]


def test_a_cli_command_collects_garbage_again_once_its_work_starts(tmp_path: Path) -> None:
    code = (
        "import gc, json, sys\n"
        "from bot.cli import main\n"
        "seen = []\n"
        "import handlers.queries.progress as progress\n"
        "real = progress.status_report\n"
        "async def spy(*args, **kwargs):\n"
        "    seen.append(gc.isenabled())\n"
        "    return await real(*args, **kwargs)\n"
        "progress.status_report = spy\n"
        "sys.argv = ['tdkt', 'status', '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(seen), file=sys.stderr)\n"
    )
    env = {"TDKT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    init = subprocess.run(
        [sys.executable, "-m", "bot.cli", "init"], cwd=ROOT, env=env, capture_output=True
    )
    assert init.returncode == 0, init.stderr
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert json.loads(out.stderr.strip().splitlines()[-1]) == [True]


def test_reading_a_plan_collects_garbage_again(tmp_path: Path) -> None:
    """``tdkt plan extract`` opens no database (no run_app) but may read a big document."""
    plan = tmp_path / "kehoach.txt"
    plan.write_text("Các đơn vị gửi báo cáo trước ngày 15/11/2019.\n", encoding="utf-8")
    code = (
        "import gc, sys\n"
        f"sys.argv = ['tdkt', 'plan', 'extract', {str(plan)!r}]\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.isenabled())"
    )
    assert fresh_python(code).splitlines()[-1] == "True"
