"""The secretariat's unit filter typed after a command: ``khoi:…`` and ``loai:…``.

``/tinhhinh khoi:doanh nghiep loai:phuong`` filters at once; a value names a block or a unit
kind by any unambiguous part, with or without diacritics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds, unit_kind_from_text
from storage.text import fold_text

__all__ = ["FilterChoice", "match_block", "match_kind", "parse_filter"]

# "khoi:…", "khối:…", "cum:…", "cụm:…", "loai:…", "loại:…" in the arguments of a command.
_FILTER_KEY = re.compile(r"(kh[oố]i|c[uụ]m|lo[aạ]i)\s*:", re.IGNORECASE)


class FilterChoice(Protocol):
    """A value units can be filtered by (``handlers.queries.stats.FilterOption``)."""

    @property
    def value(self) -> str:
        """The stored value (a block's name, a unit kind's code)."""

    @property
    def label(self) -> str:
        """How it is shown."""


def parse_filter(args: str) -> dict[str, str] | None:
    """Read ``khoi:VALUE`` / ``loai:VALUE`` from a command's arguments.

    Keys may carry diacritics ("khối", "cụm", "loại") and any case; ``cum`` is ``khoi``.

    Returns:
        {"block": text, "kind": text} (either may be missing), or None when ``args`` holds no
        filter key (it then names a unit).
    """
    found = list(_FILTER_KEY.finditer(args))
    if not found or args[: found[0].start()].strip():
        return None
    parsed: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(args)
        key = "kind" if fold_text(match.group(1)) == "loai" else "block"
        parsed[key] = args[match.end() : end].strip()
    return parsed


def match_block(text: str, options: Sequence[FilterChoice]) -> str | None:
    """The one block ``text`` names (folded: exact, else the only one containing it)."""
    wanted = fold_text(text)
    if not wanted:
        return None
    exact = [o.value for o in options if fold_text(o.value) == wanted]
    if exact:
        return exact[0]
    partial = [o.value for o in options if wanted in fold_text(o.value)]
    return partial[0] if len(partial) == 1 else None


def match_kind(
    text: str, options: Sequence[FilterChoice], kinds: UnitKinds = DEFAULT_UNIT_KINDS
) -> str | None:
    """The unit kind ``text`` names (in the deployment's ``kinds``), if units of it exist."""
    present = {o.value for o in options}
    code = unit_kind_from_text(text, kinds)
    if code in present:
        return code
    wanted = fold_text(text)
    partial = [o.value for o in options if wanted and wanted in fold_text(o.label)]
    return partial[0] if len(partial) == 1 else None
