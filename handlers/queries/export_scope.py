"""What an export is: its kind, its format and its scope (a campaign, a unit, a moment).

Shared by :mod:`handlers.queries.export_data` (which re-exports them) and the modules that
query for one kind of export.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from storage.models import Campaign, Unit

__all__ = ["ExportFormat", "ExportKind", "Scope"]


class ExportKind(enum.StrEnum):
    """What to export."""

    PROGRESS = "progress"
    #: "Danh sách trích ngang": for the secretariat the accepted nominations (what goes up the
    #: chain); for a unit, all of its own with their status.
    NOMINATIONS = "nominations"
    #: Every nomination in play (not withdrawn), each with its status.
    NOMINATIONS_ALL = "nominations_all"
    DELEGATES = "delegates"
    REPORT = "report"
    #: "Tờ trình đề nghị khen thưởng" to the level above, with the accepted list attached.
    PROPOSAL = "proposal"
    #: "Dự thảo Quyết định khen thưởng": Điều 1–3, the list as an annex grouped by award.
    DECISION = "decision"
    #: The accepted files, one folder per unit and requirement, with an index sheet.
    FILES = "files"

    @property
    def secretariat_only(self) -> bool:
        """Documents only the secretariat issues, for the whole campaign."""
        return self in (ExportKind.NOMINATIONS_ALL, ExportKind.PROPOSAL, ExportKind.DECISION)


class ExportFormat(enum.StrEnum):
    """The file format of an export."""

    XLSX = "xlsx"
    DOCX = "docx"
    ZIP = "zip"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which campaign, which units (one, or all when ``unit`` is None) and up to when."""

    campaign: Campaign
    unit: Unit | None
    now: dt.datetime

    @property
    def tz(self) -> ZoneInfo:
        """The campaign's timezone."""
        return ZoneInfo(self.campaign.timezone)

    @property
    def local_now(self) -> dt.datetime:
        """``now`` in the campaign's timezone."""
        return self.now.astimezone(self.tz)

    @property
    def today(self) -> dt.date:
        """The calendar date of ``now`` in the campaign's timezone."""
        return self.local_now.date()
