"""SQLAlchemy 2 declarative models: the whole persistent state of tdkt-bot.

Every datetime column is timezone-aware and stored in UTC; dates that a plan states ("trước ngày
15/11/2019") are plain ``Date`` columns read in the campaign's timezone.

Unlike the other modules, this one does not use ``from __future__ import annotations``: with it,
every ``Mapped[...]`` annotation is a string that SQLAlchemy evaluates when the class is
mapped, a fifth of this module's import time (which every command and the bot's start pay).
"""

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.enums import (
    CampaignState,
    DelegateCategory,
    NominationStatus,
    NoticeStatus,
    RequirementKind,
    Role,
    SubjectKind,
    SubmissionStatus,
    WebLinkKind,
)

__all__ = [
    "AuditLog",
    "AwardForm",
    "Base",
    "Broadcast",
    "BroadcastDelivery",
    "Campaign",
    "CampaignState",
    "ChatAccount",
    "Conversation",
    "DeadlineChange",
    "Delegate",
    "DelegateCategory",
    "ExportJob",
    "Invite",
    "LinkAttempt",
    "Nomination",
    "NominationBlockCount",
    "NominationCount",
    "NominationStatus",
    "NominationUnitTotal",
    "NoticeStatus",
    "Person",
    "PlanDraft",
    "ProcessedUpdate",
    "Requirement",
    "RequirementKind",
    "Role",
    "SentNotice",
    "Standing",
    "StandingCount",
    "StoredFile",
    "SubjectKind",
    "Submission",
    "SubmissionStatus",
    "UTCDateTime",
    "Unit",
    "WebLink",
    "WebLinkKind",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC and read back aware on every backend (SQLite included).

    Naive datetimes are refused: every time in tdkt-bot has a zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Convert to UTC before storing."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime refused; use an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic diffs are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value as a plain string (portable, readable, easy to extend)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Unit(Base):
    """A unit under the secretariat: a ward, an agency, an enterprise, a faculty."""

    __tablename__ = "units"
    #: The active units per kind, counted from the index (the secretariat's figures).
    __table_args__ = (Index("ix_units_active_kind", "deactivated_at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    block: Mapped[str | None] = mapped_column(String(120), index=True)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    #: Set when the unit was retired: kept in history, out of new requirements and reminders.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column()
    #: Who signs the unit's own exports (its head's position and name), set in the chat.
    signer_title: Mapped[str | None] = mapped_column(String(200))
    signer_name: Mapped[str | None] = mapped_column(String(200))

    @property
    def is_active(self) -> bool:
        """True unless the unit was deactivated."""
        return self.deactivated_at is None


class Person(Base):
    """A human user; belongs to at most one unit."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    #: When the secretariat removed the person; their accounts no longer act for them.
    removed_at: Mapped[dt.datetime | None] = mapped_column()

    unit: Mapped[Unit | None] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:
        """Whether the person has not been removed."""
        return self.removed_at is None


class ChatAccount(Base):
    """A person's account on one channel (console handle, Telegram user id, Zalo id)."""

    __tablename__ = "chat_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    unreachable_at: Mapped[dt.datetime | None] = mapped_column()


class Invite(Base):
    """A one-time code that links a chat account to a new person with a role (and unit)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    full_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("chat_accounts.id"))
    #: When a newer batch (or the secretariat) revoked the unused code.
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class Campaign(Base):
    """A plan (kế hoạch) that tells every unit what to send and by when."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    doc_number: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    issuer: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    state: Mapped[CampaignState] = mapped_column(
        _enum(CampaignState), default=CampaignState.ACTIVE, server_default="active"
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    @property
    def is_active(self) -> bool:
        """True while the campaign takes submissions and sends reminders."""
        return self.state is CampaignState.ACTIVE


class AwardForm(Base):
    """A form of recognition a campaign accepts (Luật Thi đua, khen thưởng 2022)."""

    __tablename__ = "award_forms"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Requirement(Base):
    """One thing each applicable unit must submit for a campaign, with its deadline."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[RequirementKind] = mapped_column(_enum(RequirementKind))
    description: Mapped[str | None] = mapped_column(Text)
    #: The last day (the late cut-off); None: "chưa có hạn" (to be announced: listed, never
    #: late, never reminded, not owing until a day is set).
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    #: The hour of the deadline on its day, in the campaign's timezone (None: the whole day).
    due_time: Mapped[dt.time | None] = mapped_column(Time)
    #: The first day of a range or period (an event over several days, a month, a quarter).
    due_start: Mapped[dt.date | None] = mapped_column(Date)
    period_label: Mapped[str | None] = mapped_column(String(64))
    #: A yearly rule, e.g. ``{"every": "year", "month": 3, "day": 15}``: each year's occurrence
    #: is its own requirement (``<CODE>-<YEAR>``), made by
    #: :func:`handlers.services.recurrence.generate_occurrences`.
    recurrence: Mapped[dict[str, Any] | None] = mapped_column()
    unit_kinds: Mapped[list[str]] = mapped_column(default=list)
    unit_codes: Mapped[list[str]] = mapped_column(default=list)
    #: Emulation blocks (``Unit.block``, as spelt there) the requirement applies to; empty: any.
    unit_blocks: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    parts: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: File extensions (without the dot) this requirement accepts; empty means the default set.
    accept: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    #: Later deadlines of listed units (gia hạn riêng): unit id (as text) → ISO date. A unit's
    #: effective deadline is :func:`handlers.domain.deadlines.effective_due`.
    unit_due: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: The plan's own deadline, kept when everyone's deadline was extended (None: never).
    original_due: Mapped[dt.date | None] = mapped_column(Date)

    campaign: Mapped[Campaign] = relationship(lazy="raise")


class DeadlineChange(Base):
    """One extension (gia hạn) of a requirement's deadline, for everyone or for one unit.

    The history of deadlines: the current ones live on :class:`Requirement` (``due_date`` for
    everyone, ``unit_due`` for the listed units); each change keeps the deadline it replaced.
    """

    __tablename__ = "deadline_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), index=True
    )
    #: None: the deadline of every unit (``Requirement.due_date``).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: None: the requirement had no deadline yet ("chưa có hạn": this change set its first).
    old_due: Mapped[dt.date | None] = mapped_column(Date)
    new_due: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[dt.datetime] = mapped_column(default=_utcnow)


class StoredFile(Base):
    """A file kept under the data directory by content hash."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)


class Submission(Base):
    """One version of what a unit sent for a requirement (or one part of a dossier)."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("unit_id", "requirement_id", "part", "version"),
        Index("ix_submissions_req_unit_current", "requirement_id", "unit_id", "is_current"),
        # The newest submissions of the status overview (read backwards, stops at the limit).
        Index("ix_submissions_submitted_at", "submitted_at"),
        # The versions returned since the previous digest (a range, not a scan of every one).
        Index("ix_submissions_reviewed_at", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(120), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus))
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()

    file: Mapped[StoredFile | None] = relationship(lazy="raise")


class Standing(Base):
    """What counts for one unit's mark on one requirement: an incremental read model.

    One row per (requirement, unit) that has a current submission version (of any status) or,
    for a nomination list, a nomination that counts; kept in the transaction of every write to
    the submissions and nominations (:mod:`storage.standings`), rebuilt by ``tdkt stats
    rebuild``. The mark itself (and lateness, from the due date) is decided when read, by
    :mod:`handlers.queries.stats.rules`.
    """

    __tablename__ = "standings"
    __table_args__ = (Index("ix_standings_unit_requirement", "unit_id", "requirement_id"),)

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    #: Current versions returned (any part).
    n_returned: Mapped[int] = mapped_column(Integer, default=0)
    #: Distinct needed parts with a current version submitted or accepted.
    parts_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Of those versions, the ones not accepted yet.
    n_open: Mapped[int] = mapped_column(Integer, default=0)
    #: The newest of those versions.
    last_at: Mapped[dt.datetime | None] = mapped_column()
    #: The newest returned current version.
    returned_at: Mapped[dt.datetime | None] = mapped_column()
    #: Nominations that count (nomination lists only), and the first one's time.
    n_noms: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[dt.datetime | None] = mapped_column()


class StandingCount(Base):
    """How many units stand in each way on a requirement, per block, kind and retirement.

    A coarse incremental read model over :class:`Standing` (:mod:`storage.standing_counts`):
    per (requirement, unit block, unit kind, unit retired, mark, late) the number of standings
    rows. ``block`` is ``""`` for a unit without one; ``mark`` is the small integer of
    :mod:`handlers.queries.stats.rules` (missing 0, partial 1, returned 2, submitted 3,
    accepted 4); ``late`` says whether a sent one was sent after the unit's own deadline
    (a fact of its time and the deadline, not of the clock). Kept in the transaction of every
    write to the standings, the units (block, kind, retirement) and the deadlines.
    """

    __tablename__ = "standing_counts"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True
    )
    block: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    retired: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    mark: Mapped[int] = mapped_column(Integer, primary_key=True)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class NominationBlockCount(Base):
    """How many nominations stand per block and kind of units: :class:`NominationCount` rolled up.

    The grain is (campaign, unit block, unit kind, form, subject, gender, status).
    ``block`` is ``""`` for a unit without one. Kept with :class:`NominationCount`
    (:mod:`storage.nomination_counts`), and moved when a unit changes block or kind.
    """

    __tablename__ = "nomination_block_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    block: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    award_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind), primary_key=True)
    gender: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[NominationStatus] = mapped_column(_enum(NominationStatus), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class NominationUnitTotal(Base):
    """How many nominations of a unit count (submitted or accepted) in a campaign (n > 0).

    Kept with :class:`NominationCount` (:mod:`storage.nomination_counts`): the units with the
    most nominations and how many units nominated, without summing every counter.
    """

    __tablename__ = "nomination_unit_totals"
    #: The units with the most nominations, read from the index's end.
    __table_args__ = (Index("ix_nomination_unit_totals_top", "campaign_id", "n"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class NominationCount(Base):
    """How many nominations stand per (campaign, unit, form, subject, gender, status).

    An incremental read model of the nomination figures: withdrawn nominations have no row, a
    gender not recorded is ``""``. Kept in the transaction of every write to the nominations
    (:mod:`storage.nomination_counts`), rebuilt by ``tdkt stats rebuild``. The unit's block and
    kind are joined when read, so a unit moving to another block changes no row.
    """

    __tablename__ = "nomination_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    award_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind), primary_key=True)
    gender: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[NominationStatus] = mapped_column(_enum(NominationStatus), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Nomination(Base):
    """A proposal to honour an individual or a collective (đề cử / đề nghị khen thưởng)."""

    __tablename__ = "nominations"
    __table_args__ = (
        # Covering indexes of the status figures (handlers.queries.stats), so that they read an
        # index instead of the table: nominations that count per requirement and unit (with the
        # first one's time), per unit of a campaign, per proposed form, subject and gender,
        # and the newest ones.
        Index(
            "ix_nominations_req_unit_status", "requirement_id", "unit_id", "status", "created_at"
        ),
        Index("ix_nominations_campaign_unit_status", "campaign_id", "unit_id", "status"),
        Index(
            "ix_nominations_campaign_award",
            "campaign_id",
            "award_code",
            "subject",
            "gender",
            "status",
            "unit_id",
        ),
        Index("ix_nominations_campaign_created", "campaign_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    subject: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    full_name: Mapped[str] = mapped_column(String(255))
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[str | None] = mapped_column(String(255))
    award_code: Mapped[str] = mapped_column(String(32))
    award_name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    status: Mapped[NominationStatus] = mapped_column(_enum(NominationStatus), index=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class Conversation(Base):
    """Where a chat stands in a conversation; keyed by channel + chat id."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)


class Delegate(Base):
    """One person a unit sends to the upper conference, counted against its quota."""

    __tablename__ = "delegates"
    __table_args__ = (Index("ix_delegates_campaign_unit", "campaign_id", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[DelegateCategory] = mapped_column(_enum(DelegateCategory))
    gender: Mapped[str] = mapped_column(String(8))  # "nam" | "nu", like nominations
    ethnicity: Mapped[str] = mapped_column(String(50), default="Kinh")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    in_presidium: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "active" or "withdrawn" (a withdrawn delegate no longer counts; kept for the audit).
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)


class SentNotice(Base):
    """A scheduled notice claimed for one recipient: the row is the exactly-once guarantee.

    ``key`` names what is sent to whom — ``rem:<requirement>:<unit>:<slot>:<account>`` or
    ``digest:<campaign>:<day>:<account>`` — and its uniqueness makes a second claim impossible,
    whichever process or restart tries.
    """

    __tablename__ = "sent_notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    slot: Mapped[str] = mapped_column(String(32))
    #: None for a notice to a chat rather than an account (a broadcast's progress and report).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("chat_accounts.id"))
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus))
    claimed_at: Mapped[dt.datetime] = mapped_column()
    claimed_by: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(String(255))


class Broadcast(Base):
    """An announcement from the secretariat to an audience of units."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audience_label: Mapped[str] = mapped_column(String(255))
    #: Where progress and the final report go: the chat the broadcast was written in.
    origin_channel: Mapped[str] = mapped_column(String(16))
    origin_chat_id: Mapped[str] = mapped_column(String(64))
    #: "sending" until every copy is settled, then "done" (the report is sent exactly once).
    status: Mapped[str] = mapped_column(String(16), default="sending", index=True)
    #: "announcement" (from /thongbao: a header, progress and a report) or "notice" (the bot
    #: telling a unit something, e.g. a returned submission: the text as is, no report).
    kind: Mapped[str] = mapped_column(
        String(16), default="announcement", server_default="announcement"
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class BroadcastDelivery(Base):
    """One recipient's copy of a broadcast."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (UniqueConstraint("broadcast_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("chat_accounts.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    detail: Mapped[str | None] = mapped_column(String(255))


class ExportJob(Base):
    """A file asked for in a chat (an export, a document, a ZIP), built and sent in the background.

    Written in the transaction of the message that asked for it; a worker claims it
    (``pending`` → ``building``), builds the file from a read-only session off the event loop,
    sends it to the chat and marks it ``done``. A failed attempt goes back to ``pending`` until
    :attr:`attempts` reaches the worker's limit, then ``failed`` (the person is told). A claim
    left by a crashed process is taken again.
    """

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    #: One unit, or None for the whole campaign.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(32))
    fmt: Mapped[str] = mapped_column(String(8))
    #: The moment the file shows ("Tính đến …"): when it was asked for.
    as_of: Mapped[dt.datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    #: "pending", "building", "done" or "failed".
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(255))
    #: What the kind needs beyond the scope (a chart: ``block``, ``kind``, ``subtitle``,
    #: ``index``), or None.
    params: Mapped[dict[str, Any] | None] = mapped_column()


class ProcessedUpdate(Base):
    """An update a channel delivered and the core handled; a redelivery is skipped.

    Written in the same transaction as the update's effects, so an update counts as processed
    exactly when what it did is committed.
    """

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, index=True)


class LinkAttempt(Base):
    """Failed invite codes typed in one chat: linking is refused for a while after too many.

    Kept in the database so that a restart does not reset the count.
    """

    __tablename__ = "link_attempts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    blocked_until: Mapped[dt.datetime | None] = mapped_column()


class AuditLog(Base):
    """An append-only record of every change: who, what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_utcnow, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebLink(Base):
    """A signed, short-lived link of the web companion, bound to one chat.

    Only the SHA-256 of the token is kept: the token itself is the credential and lives only
    in the message the person received.
    """

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[WebLinkKind] = mapped_column(_enum(WebLinkKind))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    #: What is being sent and for which unit (uploads), shown on the page as plain text.
    what: Mapped[str | None] = mapped_column(String(500))
    unit: Mapped[str | None] = mapped_column(String(255))
    accepts: Mapped[list[str]] = mapped_column(default=list)
    #: The conversation step the link was made at (with a digest of its data): the page works
    #: only while the chat is there.
    state: Mapped[str | None] = mapped_column(String(100))
    #: The outgoing file (downloads): where the file store keeps it, its name and type.
    file_path: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_mime: Mapped[str | None] = mapped_column(String(127))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: Set while one upload is being handled (a second post of the link is refused meanwhile).
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column()


class PlanDraft(Base):
    """A plan read from a document in the chat (``/kehoach``), proposed until confirmed.

    ``plan`` holds what was read and what the secretariat changed since: the document's
    particulars and its items (due, kind, title, units, status). Every secretariat sees the
    same open drafts; nothing is created until one is confirmed (``status`` then ``created``,
    with the campaign it became).
    """

    __tablename__ = "plan_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "open", "created" or "cancelled".
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )
