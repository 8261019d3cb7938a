"""Reading a campaign file (a mapping, YAML bytes or a path) into a :class:`CampaignFile`.

No database here: :func:`handlers.services.campaigns.load_campaign` writes what this reads.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from handlers.domain.sections import UNIT_CODES
from handlers.domain.vocab import UNIT_KINDS_CONTEXT, UnitKinds
from handlers.io.campaign_file import messages as msg
from handlers.io.campaign_file.errors import CampaignFileError, problems
from handlers.io.campaign_file.schema import CampaignFile

if TYPE_CHECKING:
    import yaml

__all__ = ["CampaignSource", "parse_campaign"]

#: What a campaign file may be given as: the parsed mapping, a path, or the YAML content.
CampaignSource = Mapping[str, Any] | str | os.PathLike[str] | bytes


def _read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    import yaml  # with the first file: not at the bot's start-up

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if mark is None:
            raise CampaignFileError([msg.yaml_syntax(source)]) from None
        raise CampaignFileError(
            [msg.yaml_syntax(source, mark.line + 1, mark.column + 1)]
        ) from None
    except yaml.YAMLError:
        raise CampaignFileError([msg.yaml_syntax(source)]) from None
    return data, root


def _read_path(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Return a file's content and how to name it in a message."""
    file = Path(path)
    try:
        return file.read_bytes(), msg.source_file(file.name)
    except OSError:
        raise CampaignFileError([msg.cannot_open(file.name)]) from None


def _validate(
    raw: Any, root: yaml.Node | None, units: Collection[str] | None, kinds: UnitKinds | None
) -> CampaignFile:
    if not isinstance(raw, Mapping):
        raise CampaignFileError([msg.NOT_A_MAPPING])
    context: dict[str, object] = {}
    if units is not None:
        context[UNIT_CODES] = units
    if kinds is not None:
        context[UNIT_KINDS_CONTEXT] = kinds
    try:
        return CampaignFile.model_validate(dict(raw), context=context or None)
    except ValidationError as exc:
        raise CampaignFileError(problems(exc, raw, root)) from None


def _parse_content(
    content: bytes, source: str, units: Collection[str] | None, kinds: UnitKinds | None
) -> CampaignFile:
    try:
        text = unicodedata.normalize("NFC", content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CampaignFileError([msg.not_utf8(source)]) from None
    raw, root = _read_yaml(text, source)
    return _validate(raw, root, units, kinds)


def parse_campaign(
    data: CampaignSource,
    *,
    units: Collection[str] | None = None,
    kinds: UnitKinds | None = None,
) -> CampaignFile:
    """Validate a campaign file without touching the database.

    Args:
        data: The parsed mapping, a path to a YAML file (``str`` or path-like), or the YAML
            content as bytes (e.g. a file sent in chat).
        units: The unit codes that exist: ``unit_codes`` and delegate quotas naming another
            unit are errors. None: codes are not checked.
        kinds: The deployment's unit kinds (default: the built-in vocabulary); another kind in
            ``unit_kinds`` is an error with its line.

    Returns:
        The validated campaign.

    Raises:
        CampaignFileError: The file cannot be read or breaks the format; the message names each
            problem's field and, for YAML text, its line.
    """
    if isinstance(data, Mapping):
        return _validate(data, None, units, kinds)
    if isinstance(data, bytes):
        return _parse_content(data, msg.UNNAMED_SOURCE, units, kinds)
    return _parse_content(*_read_path(data), units, kinds)
