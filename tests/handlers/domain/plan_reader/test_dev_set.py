"""The extractor against the development set in ../shared/plans-dev.

``.ci/run`` finds the folder beside the checkout and exports ``TDKT_PLANS_DEV``; in CI a missing
folder is a failure, not a skip. A developer's checkout without it skips the test.

The texts are read in place, never copied into the project. The bar: due-date F1 ≥ 0.95 with no
distractor taken for a deadline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
DEV = Path(os.environ.get("TDKT_PLANS_DEV") or ROOT / ".." / "shared" / "plans-dev")
IN_CI = bool(os.environ.get("CI") or os.environ.get("TDKT_PLANS_DEV"))


@pytest.mark.skipif(
    not IN_CI and not (DEV / "score.py").exists(), reason="no ../shared/plans-dev here"
)
def test_dev_set_reaches_the_target(tmp_path: Path) -> None:
    assert (DEV / "score.py").exists(), f"the development set is missing: {DEV}"
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
