"""The extractor against the development set in ../shared/plans-dev (when the checkout has it).

The texts are read in place, never copied into the project. The bar: due-date F1 ≥ 0.95 with no
distractor taken for a deadline.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
DEV = ROOT / ".." / "shared" / "plans-dev"
if not DEV.exists():  # a worktree under /work/wt/<name>: the shared folder is two levels up
    DEV = ROOT / ".." / ".." / "shared" / "plans-dev"


@pytest.mark.skipif(not (DEV / "score.py").exists(), reason="no ../shared/plans-dev here")
def test_dev_set_reaches_the_target(tmp_path: Path) -> None:
    out = tmp_path / "score.json"
    # The CLI's own start-up (chat, database, charts) is tested in tests/bot/test_cli_plan.py.
    cmd = f"{sys.executable} -m tests.handlers.domain.plan_reader.extract_cmd {{file}} --json"
    proc = subprocess.run(
        [sys.executable, str(DEV / "score.py"), "--cmd", cmd, "--json-out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = proc.stdout.splitlines()
    line = next(x for x in summary if x.startswith("due dates:"))
    f1 = float(line.split("F1=")[1].split()[0])
    distractors = int(line.split("distractor=")[1].split()[0])
    assert f1 >= 0.95, line
    assert distractors == 0, line
    assert json.loads(out.read_text(encoding="utf-8"))
