"""The ``tdkt`` command line run in the test's own process (the ``tdkt`` fixture).

A command runs as :func:`bot.cli.main` would run it, through click's test runner: its own
environment (``TDKT_DATA_DIR`` in the test's ``tmp_path``, no other ``TDKT_*`` variable), the
test's directory as the working directory, stdin from a string, stdout and stderr captured
apart, the exit status as a return code. Starting a new interpreter for each command costs
about a second of CPU (imports, settings, the engine); a test that runs a dozen commands
spends its time there and not in what it checks. ``tests/fresh.py`` and the few tests that run
``python -m bot.cli`` as a real subprocess (``tests/bot/test_cli.py``,
``tests/bot/test_cli_input.py``) keep the entry point itself covered.

An exception that escapes a command is raised in the test, not turned into exit status 1: a
crash is never mistaken for a refusal.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

__all__ = ["Ran", "Tdkt", "tdkt"]


@dataclass(frozen=True)
class Ran:
    """What one command did, shaped like :class:`subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


class Tdkt:
    """Run ``tdkt ARGS`` in this process, with a data directory of its own.

    Args:
        cwd: The working directory of every command; the data directory is ``cwd / "data"``.
        env: More environment variables (``None`` removes one), e.g. ``PATH`` without tools.
    """

    def __init__(self, cwd: Path, env: Mapping[str, str | None] | None = None) -> None:
        self.cwd = cwd
        self._env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TDKT_")}
        self._env["TDKT_DATA_DIR"] = str(cwd / "data")
        self._env.update(env or {})

    def __call__(self, *args: str, stdin: str = "", ok: bool = True) -> Ran:
        """Run one command.

        Args:
            args: The command line after ``tdkt``.
            stdin: What the command reads on stdin (EOF after it).
            ok: Assert exit status 0 (the stderr is the assertion's message).
        """
        from bot.cli import app  # the commands are registered on import

        runner = CliRunner()
        with contextlib.chdir(self.cwd):
            result = runner.invoke(
                app, list(args), input=stdin, env=self._env, catch_exceptions=False
            )
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        if ok:
            assert ran.returncode == 0, ran.stderr
        return ran


@pytest.fixture
def tdkt(tmp_path: Path) -> Tdkt:
    """Run ``tdkt ARGS`` in this process with its data directory in ``tmp_path``."""
    return Tdkt(tmp_path)
