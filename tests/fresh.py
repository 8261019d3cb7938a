"""Run Python code in a fresh interpreter (what a module imports, how a process starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "fresh_python"]

#: The checkout: the fresh interpreter imports this project's packages from here.
ROOT = Path(__file__).resolve().parents[1]


def fresh_python(code: str) -> str:
    """What ``python -c code`` prints, run in a new process from the checkout.

    Raises:
        subprocess.CalledProcessError: The code failed (its stderr is in the error).
    """
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout
