"""The enumerations stored in the database (codes, not labels).

Kept apart from :mod:`storage.models` so that a command line signature, a file format or a rule
can name a role or a requirement kind without importing SQLAlchemy and mapping every table
(:mod:`storage.models` re-exports them).
"""

from __future__ import annotations

import enum

__all__ = [
    "CampaignState",
    "DelegateCategory",
    "NominationStatus",
    "NoticeStatus",
    "RequirementKind",
    "Role",
    "SubjectKind",
    "SubmissionStatus",
    "WebLinkKind",
]


class Role(enum.StrEnum):
    """What a person may do."""

    SECRETARIAT = "secretariat"
    UNIT_HEAD = "unit_head"
    UNIT_MEMBER = "unit_member"


class RequirementKind(enum.StrEnum):
    """What a unit must send for a requirement."""

    PLAN = "plan"
    REPORT = "report"
    NOMINATION_LIST = "nomination_list"
    DOSSIER = "dossier"
    EVENT = "event"


class SubmissionStatus(enum.StrEnum):
    """Lifecycle of one submission version."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class NominationStatus(enum.StrEnum):
    """Lifecycle of a nomination."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class CampaignState(enum.StrEnum):
    """Life of a campaign: draft → active → closed → archived.

    Only an active campaign takes submissions and sends reminders; a closed one is read-only and
    still in the status figures and exports; an archived one is hidden from the units' menus.
    """

    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"
    ARCHIVED = "archived"


class SubjectKind(enum.StrEnum):
    """Whom a nomination or award form is for."""

    INDIVIDUAL = "ca_nhan"
    COLLECTIVE = "tap_the"


class DelegateCategory(enum.StrEnum):
    """Why a delegate attends: an exemplary person (điển hình) or a guest (khách mời)."""

    EXEMPLARY = "dien_hinh"
    GUEST = "khach_moi"


class NoticeStatus(enum.StrEnum):
    """Where one outgoing notice (a reminder, a digest, a broadcast copy) stands."""

    PENDING = "pending"  # a broadcast copy waiting for its turn
    CLAIMED = "claimed"  # taken by a sender; if the process dies now, it is "unknown"
    SENT = "sent"
    BLOCKED = "blocked"  # the recipient blocked the bot or cannot be reached
    FAILED = "failed"
    UNKNOWN = "unknown"  # the sender died mid-call: maybe delivered, never sent again


class WebLinkKind(enum.StrEnum):
    """What a web companion link is for."""

    UPLOAD = "upload"  # a page where a person sends the file a step waits for
    DOWNLOAD = "download"  # a file the bot sends (an export, the chart)
