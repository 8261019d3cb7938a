"""Turning validation errors into Vietnamese problems that name the field and its YAML line.

A problem reads ``Dòng 42, trường "requirements → mục 3 (HOINGHI) → due" (hạn nộp): <message>``.
The line is that of the deepest key (or list item) the error's location reaches, followed
further by :attr:`~handlers.domain.sections.LocatedError.at` when the validator pointed below its
field (an unknown key, one item of a list). Problems inside ``settings`` and a requirement's
``policy`` are reported at that key: the domain's message names the key inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from handlers.domain.sections import problem_of
from handlers.io.campaign_file import messages as msg

if TYPE_CHECKING:
    import yaml  # loaded with the first file read (parse.py): the bot's start-up does not need it

__all__ = ["CampaignFileError", "node_line", "problems"]

Loc = tuple[int | str, ...]

#: Where the domain's sections start; "*" is any list index.
_SECTION_ROOTS: tuple[tuple[str, ...], ...] = (("settings",), ("requirements", "*", "policy"))


class CampaignFileError(ValueError):
    """The campaign file cannot be used; the message (Vietnamese) names every problem.

    Attributes:
        problems: One Vietnamese sentence per problem, each naming the field and, when the file
            was YAML text, its line.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"• {p}" for p in problems)
        super().__init__(f"{msg.HEADER}\n{lines}")


def node_line(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """Return the 1-based line ``loc`` leads to in a YAML document (None without a node).

    The line of the last key reached (a key names its value, which may start lines below it),
    or of the last list item reached.
    """
    if node is None:
        return None
    import yaml  # a node exists: parse.py has loaded yaml

    current: yaml.Node = node
    line = int(node.start_mark.line)
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    child, line = value_node, int(key_node.start_mark.line)
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            child = current.value[part]
            line = int(child.start_mark.line)
        if child is None:
            break
        current = child
    return line + 1


def _describe(loc: Loc, raw: Any) -> list[str]:
    """Name each step of a location for a person: ``requirements``, ``mục 3 (HOSO)``, ``due``."""
    parts: list[str] = []
    current = raw
    for part in loc:
        if isinstance(part, int):
            item = current[part] if isinstance(current, list) and part < len(current) else None
            code = item.get("code") if isinstance(item, Mapping) else None
            parts.append(msg.item(part + 1, code))
            current = item
        else:
            parts.append(part)
            current = current.get(part) if isinstance(current, Mapping) else None
    return parts


def _shown(loc: Loc) -> Loc:
    """The part of ``loc`` a problem is reported at: a section root, or all of it."""
    for root in _SECTION_ROOTS:
        if len(loc) >= len(root) and all(
            isinstance(part, int) if want == "*" else part == want
            for want, part in zip(root, loc, strict=False)
        ):
            return loc[: len(root)]
    return loc


def _error_text(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return msg.literal(error.get("input"), expected)
    return msg.ERROR_KINDS.get(kind, msg.OTHER_ERROR)


def problems(exc: ValidationError, raw: Any, root: yaml.Node | None) -> list[str]:
    """Return one Vietnamese sentence per error of ``exc``.

    Args:
        exc: The validation error of :class:`~handlers.io.campaign_file.schema.CampaignFile`.
        raw: The data that was validated (to name list items by their code).
        root: The YAML document's node, when the data came from YAML text (for lines).
    """
    found: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        shown = _shown(loc)
        located = problem_of(error)
        text = _error_text(error)
        steps = _describe(loc, raw)
        if located is None and len(loc) > len(shown):
            text = f'"{" → ".join(steps[len(shown) :])}": {text}'
        names = [p for p in shown if isinstance(p, str)]
        label = msg.FIELD_LABELS.get(names[-1]) if names else None
        where = " → ".join(steps[: len(shown)]) or msg.WHOLE_FILE
        line = node_line(root, loc + (located.at if located else ()))
        found.append(msg.line(line, f"{msg.field(where, label)}: {text}"))
    return found
