"""``tdkt plan extract FILE [--doc-date D] --json`` without the CLI's start-up (for score.py).

The same two calls as the CLI (read the file, extract the plan) and the same JSON, in a process
that does not import the chat, the database or the charts, so 35 runs take seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from handlers.domain.plan_reader import extract_plan
from handlers.io.plan_file import read_plan_file

__all__ = ["main"]


def main(argv: list[str]) -> None:
    """Print the plan in ``argv[0]`` as JSON (``--doc-date VALUE`` optional)."""
    doc_date = argv[argv.index("--doc-date") + 1] if "--doc-date" in argv else None
    plan = extract_plan(read_plan_file(Path(argv[0])), doc_date)
    sys.stdout.write(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
