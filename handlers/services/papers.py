"""Who signs the exported papers: the campaign's signature block and a unit's own signer.

The secretariat sets, per campaign, what the campaign file's ``settings.export`` says (the
issuing body, the place, "TM./KT.", the signer's position and name, "Nơi nhận", the Tờ trình's
addressee, number and date); a unit head sets once who signs the unit's own exports (their
position and name, on :class:`~storage.models.Unit`). Both are read by
:mod:`handlers.io.exports.nd30`. Nothing here commits; the caller audit-logs the change.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from handlers.domain.campaign_settings import ExportSpec
from handlers.domain.errors import UserError
from handlers.domain.sections import SettingsError
from handlers.domain.vn_dates import DateError, parse_date
from storage.models import Campaign, Unit

__all__ = [
    "UNIT_TEXT_MAX",
    "CampaignKey",
    "UnitKey",
    "campaign_values",
    "parse_value",
    "set_campaign_value",
    "set_unit_value",
    "unit_values",
]

#: The longest position or name a unit head may give (the columns' size).
UNIT_TEXT_MAX = 200

#: What clears a value (back to the default).
_CLEAR = frozenset({"-", "xoá", "xóa", "xoa", "bỏ", "bo"})
#: "Nơi nhận" lines: one per line (or separated by ";"), a leading "-" or "•" dropped.
_LINE_SPLIT = re.compile(r"[\n;]")


class CampaignKey(enum.StrEnum):
    """The keys of ``settings.export`` the secretariat sets in the chat (in the order shown)."""

    ORGAN = "organ"
    PARENT = "parent"
    PLACE = "place"
    SIGNER_FOR = "signer_for"
    SIGNER_TITLE = "signer_title"
    SIGNER_NAME = "signer_name"
    RECIPIENTS = "recipients"
    TO = "to"
    PROPOSAL_NUMBER = "proposal_number"
    PROPOSAL_DATE = "proposal_date"


class UnitKey(enum.StrEnum):
    """What a unit head sets about the unit's own exports."""

    SIGNER_TITLE = "signer_title"
    SIGNER_NAME = "signer_name"


def campaign_values(campaign: Campaign) -> dict[str, Any]:
    """The campaign's ``settings.export`` values the chat shows, by key (absent: default)."""
    from handlers.io.exports.nd30 import export_options  # python-docx: not at start-up

    opts = export_options(campaign.settings)
    return {key.value: opts[key.value] for key in CampaignKey if opts.get(key.value)}


def unit_values(unit: Unit) -> dict[str, Any]:
    """The unit's signer, by key (absent: not set)."""
    values = {
        UnitKey.SIGNER_TITLE.value: unit.signer_title,
        UnitKey.SIGNER_NAME.value: unit.signer_name,
    }
    return {key: value for key, value in values.items() if value}


def parse_value(key: str, text: str) -> Any:
    """The value typed for ``key``: None clears it.

    "Nơi nhận" is a list of lines; a date is written back as dd/mm/yyyy; other texts have their
    spaces collapsed.

    Raises:
        UserError: The text is empty, or not a date for ``proposal_date`` (``papers_invalid``).
    """
    value = text.strip()
    if not value:
        raise UserError("text_empty")
    if value.lower() in _CLEAR:
        return None
    if key == CampaignKey.RECIPIENTS:
        lines = [" ".join(line.strip().lstrip("-•+").split()) for line in _LINE_SPLIT.split(value)]
        return [line for line in lines if line]
    if key == CampaignKey.PROPOSAL_DATE:
        try:
            return parse_date(value).strftime("%d/%m/%Y")
        except DateError as exc:
            raise UserError("papers_invalid", detail=str(exc)) from None
    return " ".join(value.split())


def set_campaign_value(campaign: Campaign, key: CampaignKey, value: Any) -> None:
    """Set (or clear, with None) one key of the campaign's ``settings.export``.

    The whole ``export`` section is checked as the campaign file would be.

    Raises:
        UserError: The value breaks the section's rules (``papers_invalid``): nothing changes.
    """
    from handlers.io.exports.nd30 import export_options  # python-docx: not at start-up

    export = dict(export_options(campaign.settings))
    if value is None or value == []:
        export.pop(key.value, None)
    else:
        export[key.value] = value
    try:
        ExportSpec.read(export)
    except SettingsError as exc:
        raise UserError("papers_invalid", detail=str(exc)) from None
    # A new mapping, so that the JSON column sees the change.
    campaign.settings = {**(campaign.settings or {}), "export": export}


def set_unit_value(unit: Unit, key: UnitKey, value: str | None) -> None:
    """Set (or clear, with None) who signs the unit's own exports.

    Raises:
        UserError: The text is longer than :data:`UNIT_TEXT_MAX` (``text_too_long``).
    """
    if value is not None and len(value) > UNIT_TEXT_MAX:
        raise UserError("text_too_long", limit=UNIT_TEXT_MAX, length=len(value))
    if key is UnitKey.SIGNER_TITLE:
        unit.signer_title = value
    else:
        unit.signer_name = value
