"""Hostile input on the command line: bytes that are not UTF-8, bad options."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest

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


def _err(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode()


def _assert_usage_error(proc: subprocess.CompletedProcess[bytes], *words: str) -> None:
    err = _err(proc)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("Lỗi: ")
    for word in words:
        assert word in err


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    assert _tdkt(path, "init", "--demo").returncode == 0
    return path


@pytest.mark.parametrize("now", ["31/02/2019", "2019-13-45", "99999-01-01T00:00", "hôm nay", ""])
def test_a_bad_now_is_a_one_line_vietnamese_usage_error(demo_dir: Path, now: str) -> None:
    _assert_usage_error(_tdkt(demo_dir, "status", "--now", now), "--now", "không phải")


def test_now_may_be_written_the_vietnamese_way(demo_dir: Path) -> None:
    iso = _tdkt(demo_dir, "status", "--json", "--now", "2019-11-12T09:00")
    vn = _tdkt(demo_dir, "status", "--json", "--now", "12/11/2019 09:00")
    assert iso.returncode == vn.returncode == 0
    assert iso.stdout == vn.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "bao-cao.pdf"], [".xlsx, .docx hoặc .zip"]),
        (["-o", "bao-cao"], [".xlsx, .docx hoặc .zip"]),
        (["-o", "bao-cao.zip"], ["chỉ xuất được dạng: xlsx, docx"]),
        (["-o", "bao-cao.xlsx", "--format", "docx"], ["không khớp"]),
        (["-o", "khong-co/bao-cao.xlsx"], ["không tồn tại"]),
        (["-o", "bao-cao.xlsx", "--unit", ""], ["--unit"]),
        (["-o", "bao-cao.xlsx", "--unit", "   "], ["--unit"]),
        (["-o", "bao-cao.xlsx", "--now", "2019-02-31T09:00"], ["--now"]),
        (["-o", "bao-cao.xlsx", "--as-of", "31/02/2020"], ["--as-of", "không phải"]),
        (["-o", "bao-cao.xlsx", "--now", NOW, "--as-of", "2019-12-01T09:00"], ["--as-of"]),
    ],
)
def test_bad_export_options_are_refused(demo_dir: Path, args: list[str], words: list[str]) -> None:
    proc = _tdkt(demo_dir, "export", "progress", *args)
    _assert_usage_error(proc, *words)
    assert not list(demo_dir.glob("bao-cao*"))


def test_export_as_of_counts_only_what_existed_then(demo_dir: Path) -> None:
    # Every demo record is loaded; "tính đến 12/11/2019" counts what had been sent by then.
    texts: dict[str, str] = {}
    for name, extra in (("then.docx", ["--as-of", "12/11/2019 09:00"]), ("now.docx", [])):
        proc = _tdkt(demo_dir, "export", "report", "-o", name, *extra)
        assert proc.returncode == 0, _err(proc)
        paragraphs = docx.Document(str(demo_dir / name)).paragraphs
        texts[name] = "\n".join(p.text for p in paragraphs)
    then, now = texts["then.docx"], texts["now.docx"]
    assert "tính đến 12/11/2019 09:00" in then and "tính đến 12/11/2019" not in now
    counted = [int(re.findall(r"Đã nhận (\d+) đề cử", text)[0]) for text in (then, now)]
    assert 0 < counted[0] < counted[1]  # the nominations sent after 12/11/2019 are left out


def test_refusals_are_plain_text(demo_dir: Path) -> None:
    proc = _tdkt(demo_dir, "invite", "create", "--role", "unit_head", "--unit", "Xã <Không> 'Có'")
    err = _err(proc)
    assert proc.returncode == 1 and "Traceback" not in err
    assert err.endswith("\n")
    assert "&#39;" not in err and "&lt;" not in err and "<b>" not in err
    assert "Xã <Không> 'Có'" in err


def test_campaign_load_speaks_vietnamese(demo_dir: Path) -> None:
    plan = demo_dir / "ke-hoach.yaml"
    plan.write_text(
        "code: THU-2020\ntitle: Kế hoạch thử\nrequirements:\n"
        "  - code: BC\n    title: Báo cáo\n    kind: report\n    due: 15/11/2020\n",
        encoding="utf-8",
    )
    first = _tdkt(demo_dir, "campaign", "load", str(plan))
    again = _tdkt(demo_dir, "campaign", "load", str(plan))
    assert first.returncode == again.returncode == 0, _err(first)
    out = first.stdout.decode() + again.stdout.decode()
    assert "đã tạo mới" in out and "không thay đổi" in out
    for english in ("created", "updated", "unchanged"):
        assert english not in out
