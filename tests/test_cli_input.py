"""Hostile input on the command line: bytes that are not UTF-8, bad options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOW = "2019-11-12T09:00"


def _tdkt(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TDKT_")}
    env["TDKT_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_console_refuses_a_line_that_is_not_utf8_and_goes_on(tmp_path: Path) -> None:
    assert _tdkt(tmp_path, "init", "--demo").returncode == 0
    proc = _tdkt(
        tmp_path,
        "chat",
        "--as",
        "badinh",
        "--now",
        NOW,
        stdin=b"Ph\xff\xfeng Ba \xc4\n/trogiup\n",
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "không đọc được" in out
    assert out.count("Hướng dẫn") >= 2  # the greeting and the /trogiup after the bad line
    assert "Traceback" not in proc.stderr.decode()
