"""The shared SQL building blocks of the figures: the rules of the requirements as SQL.

The current submissions and the counted nominations per (requirement, unit) (:func:`activity`),
the mark of each pair as small integers (:func:`mark_columns`), and the (requirement, unit)
rows they make (:func:`marks`, :func:`active_marks`). See :mod:`handlers.queries.stats` for the
counting rules they express.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    cast,
    distinct,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from handlers.domain.deadlines import late_from, unit_dues
from handlers.domain.progress import Mark
from handlers.queries.stats.results import UnitFilter, UnitRef
from storage.among import among
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    Standing,
    Submission,
    SubmissionStatus,
    Unit,
    UTCDateTime,
)

__all__ = [
    "ACCEPTED",
    "COUNTED",
    "LIVE",
    "MARKS",
    "MISSING",
    "PARTIAL",
    "PARTS_SHOWN",
    "RETURNED",
    "SUBMITTED",
    "active_at",
    "active_marks",
    "activity",
    "applies",
    "cutoff",
    "cutoffs",
    "late",
    "mark_columns",
    "marks",
    "needed_count",
    "needed_part",
    "needs_parts",
    "nomination_counted",
    "nomination_totals",
    "retired_at",
    "returned_current",
    "source_activity",
    "submission_totals",
    "today",
    "unit_ref",
    "unit_rule",
]

#: Nomination statuses that count (as in :class:`NominationRepository.counted_by_unit`).
COUNTED = (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED)
LIVE = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)

# Marks as small integers in SQL (ordered: the last two mean "sent").
MISSING, PARTIAL, RETURNED, SUBMITTED, ACCEPTED = range(5)
#: Marks whose ``parts_done`` a ``UnitMark`` reports (the nomination route reports 0).
PARTS_SHOWN = (PARTIAL, SUBMITTED, ACCEPTED)
MARKS = {
    MISSING: Mark.MISSING,
    PARTIAL: Mark.PARTIAL,
    RETURNED: Mark.RETURNED,
    SUBMITTED: Mark.SUBMITTED,
    ACCEPTED: Mark.ACCEPTED,
}


def needs_parts(req: Requirement) -> bool:
    """Whether ``req`` is a dossier counted by parts (else by the single part ``""``)."""
    return req.kind is RequirementKind.DOSSIER and bool(req.parts)


def cutoff(req: Requirement, tz: ZoneInfo, unit_id: int | None = None) -> dt.datetime | None:
    """The first instant that is late for the unit, in UTC.

    The unit's due day at its hour (``due_time``), else the start of the day after it, in
    ``tz``. The due date is the unit's effective one (``handlers.domain.deadlines``: a gia hạn
    for the unit or for everyone; see ``late_from`` there); without ``unit_id``, everyone's.
    None (SQL NULL: never late, never overdue) for a requirement "chưa có hạn".
    """
    return late_from(req, tz, unit_id)


def unit_rule(req: Requirement) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Unit` for ``req`` to apply (none: every unit)."""
    rule: list[ColumnElement[bool]] = []
    if req.unit_codes:
        rule.append(among(Unit.code, req.unit_codes))  # one parameter, however long
    if req.unit_kinds:
        rule.append(Unit.kind.in_(list(req.unit_kinds)))
    if req.unit_blocks:
        rule.append(Unit.block.in_(list(req.unit_blocks)))
    return rule


def active_at(
    deactivated_at: SQLColumnExpression[Any], as_of: dt.datetime | None = None
) -> ColumnElement[bool]:
    """Whether a unit (its ``deactivated_at`` column) was active at ``as_of`` (None: now).

    A unit retired after ``as_of`` was still active then: it owed what applied to it, in
    every figure and list "tính đến" that moment. Only the retirement is judged at the moment,
    not the unit's creation: units are usually imported after a plan starts, so leaving out
    the units created after ``as_of`` would empty the reports of its first days.
    """
    if as_of is None:
        return deactivated_at.is_(None)
    return or_(deactivated_at.is_(None), deactivated_at > as_of)


def retired_at(
    deactivated_at: SQLColumnExpression[Any], as_of: dt.datetime | None = None
) -> ColumnElement[bool]:
    """Whether a unit (its ``deactivated_at`` column) was retired at ``as_of`` (None: now).

    The negation of :func:`active_at`: retired by then (NULL compares as not retired).
    """
    if as_of is None:
        return deactivated_at.is_not(None)
    return deactivated_at <= as_of


def applies(reqs: Sequence[Requirement], rid: Any) -> ColumnElement[bool]:
    """Whether :class:`Unit` must submit requirement ``rid`` (``progress.applies`` in SQL).

    A milestone (an event) is never owed: no unit must submit it.
    """
    owed = [r for r in reqs if r.kind is not RequirementKind.EVENT]
    free = [r.id for r in owed if not unit_rule(r)]
    conds: list[ColumnElement[bool]] = [rid.in_(free)] if free else []
    conds.extend(and_(rid == r.id, *unit_rule(r)) for r in owed if unit_rule(r))
    return or_(*conds) if conds else false()


def needed_part(reqs: Sequence[Requirement]) -> ColumnElement[bool]:
    """Whether a :class:`Submission` is of a part its requirement needs."""
    plain = [r.id for r in reqs if not needs_parts(r)]
    conds: list[ColumnElement[bool]] = (
        [and_(Submission.requirement_id.in_(plain), Submission.part == "")] if plain else []
    )
    conds.extend(
        and_(Submission.requirement_id == r.id, Submission.part.in_(sorted(set(r.parts))))
        for r in reqs
        if needs_parts(r)
    )
    return or_(*conds) if conds else false()


def needed_count(reqs: Sequence[Requirement], rid: Any) -> ColumnElement[int]:
    """How many distinct parts requirement ``rid`` needs."""
    counts = {r.id: len(set(r.parts)) for r in reqs if needs_parts(r)}
    if not counts:
        return literal(1)
    return case(counts, value=rid, else_=1)


def cutoffs(
    reqs: Sequence[Requirement], tz: ZoneInfo, rid: Any, uid: Any
) -> ColumnElement[dt.datetime]:
    """The late-from instant of requirement ``rid`` for unit ``uid`` (its own gia hạn first)."""
    whens = {r.id: literal(cutoff(r, tz), UTCDateTime()) for r in reqs}
    own = [
        (and_(rid == r.id, uid == unit_id), literal(cutoff(r, tz, unit_id), UTCDateTime()))
        for r in reqs
        for unit_id in unit_dues(r)
    ]
    if not own:
        return case(whens, value=rid)
    return case(*own, else_=case(whens, value=rid))


def _submission_view(
    as_of: dt.datetime | None,
) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    """(current, live, returned, accepted) conditions on a :class:`Submission`.

    Without ``as_of``: as they stand now. With it, as they stood at that moment: the version
    current then is the newest one sent by then; a review after it is not applied (a version
    accepted or returned later was still waiting); a withdrawal keeps no time and stays applied.
    """
    if as_of is None:
        return (
            Submission.is_current.expression,
            Submission.status.in_(LIVE),
            Submission.status == SubmissionStatus.RETURNED,
            Submission.status == SubmissionStatus.ACCEPTED,
        )
    newer = aliased(Submission)
    superseded = exists().where(
        newer.unit_id == Submission.unit_id,
        newer.requirement_id == Submission.requirement_id,
        newer.part == Submission.part,
        newer.version > Submission.version,
        newer.submitted_at <= as_of,
    )
    reviewed = and_(Submission.reviewed_at.is_not(None), Submission.reviewed_at <= as_of)
    returned = Submission.status == SubmissionStatus.RETURNED
    return (
        and_(Submission.submitted_at <= as_of, not_(superseded)),
        or_(Submission.status.in_(LIVE), and_(returned, not_(reviewed))),
        and_(returned, reviewed),
        and_(Submission.status == SubmissionStatus.ACCEPTED, reviewed),
    )


def returned_current(as_of: dt.datetime | None = None) -> ColumnElement[bool]:
    """Whether a :class:`Submission` is a current version returned, now or at ``as_of``.

    At ``as_of``: current then, and returned by then (:func:`_submission_view`), the versions
    whose reasons a unit's returned mark at that moment shows.
    """
    current, _, returned, _ = _submission_view(as_of)
    return and_(current, returned)


def submission_totals(
    reqs: Sequence[Requirement], as_of: dt.datetime | None = None
) -> Select[Any]:
    """Per (requirement, unit): the :func:`activity` columns from the current submissions.

    With ``as_of``, from the submissions as they stood at that moment (:func:`_submission_view`).
    """
    current, live_status, returned, accepted = _submission_view(as_of)
    live = and_(live_status, needed_part(reqs))
    return (
        select(
            Submission.requirement_id.label("rid"),
            Submission.unit_id.label("uid"),
            func.sum(case((returned, 1), else_=0)).label("n_returned"),
            func.count(distinct(case((live, Submission.part)))).label("parts_done"),
            func.sum(case((and_(live, not_(accepted)), 1), else_=0)).label("n_open"),
            func.max(case((live, Submission.submitted_at))).label("last_at"),
            func.max(case((returned, Submission.submitted_at))).label("returned_at"),
            literal(0).label("n_noms"),
            cast(null(), UTCDateTime()).label("first_at"),
        )
        .where(Submission.requirement_id.in_([r.id for r in reqs]), current)
        .group_by(Submission.requirement_id, Submission.unit_id)
    )


def nomination_counted(as_of: dt.datetime | None = None) -> ColumnElement[bool]:
    """Whether a :class:`Nomination` counts (sent or accepted), now or at ``as_of``.

    At ``as_of`` a nomination counts when it was created by then and either counts now or was
    changed after it (accepted, returned or withdrawn later: it was still in play then).
    """
    if as_of is None:
        return Nomination.status.in_(COUNTED)
    return and_(
        Nomination.created_at <= as_of,
        or_(Nomination.status.in_(COUNTED), Nomination.updated_at > as_of),
    )


def nomination_totals(
    reqs: Sequence[Requirement], as_of: dt.datetime | None = None
) -> Select[Any]:
    """Per (requirement, unit): the :func:`activity` columns from the counted nominations."""
    no_time = cast(null(), UTCDateTime())
    return (
        select(
            Nomination.requirement_id,
            Nomination.unit_id,
            literal(0),
            literal(0),
            literal(0),
            no_time,
            no_time,
            func.count(),
            func.min(Nomination.created_at),
        )
        .where(
            Nomination.requirement_id.in_([r.id for r in reqs]),
            nomination_counted(as_of),
        )
        .group_by(Nomination.requirement_id, Nomination.unit_id)
    )


def activity(reqs: Sequence[Requirement], as_of: dt.datetime | None = None) -> Any:
    """Per (requirement, unit) that has sent anything: what counts for its mark, as stored.

    The rows of the read model :class:`storage.models.Standing` (kept by
    :mod:`storage.standings` in the transaction of every write), with the columns of
    :func:`source_activity`, which computes the same from the submissions and nominations.
    A moment in the past (``as_of``, a report "tính đến") is recomputed from the sources.
    """
    if as_of is not None:
        return source_activity(reqs, as_of)
    return (
        select(
            Standing.requirement_id.label("rid"),
            Standing.unit_id.label("uid"),
            Standing.n_returned,
            Standing.parts_done,
            Standing.n_open,
            Standing.last_at,
            Standing.returned_at,
            Standing.n_noms,
            Standing.first_at,
        )
        .where(Standing.requirement_id.in_([r.id for r in reqs]))
        .subquery("activity")
    )


def source_activity(reqs: Sequence[Requirement], as_of: dt.datetime | None = None) -> Any:
    """Per (requirement, unit) that has sent anything: what counts for its mark, recomputed.

    Columns: ``rid``, ``uid``; from the current submissions ``n_returned`` (returned versions),
    ``parts_done`` (distinct needed parts submitted or accepted), ``n_open`` (of those, versions
    not accepted), ``last_at`` (the newest of those), ``returned_at`` (the newest returned);
    from the nominations that count (for nomination lists only) ``n_noms`` and ``first_at``.

    Only the nomination lists (usually one or two requirements) combine both sources, so only
    their rows are aggregated twice. With ``as_of``, what had been sent by that moment.
    A milestone (an event) has no rows, as in the read model.
    """
    reqs = [r for r in reqs if r.kind is not RequirementKind.EVENT]
    lists = [r for r in reqs if r.kind is RequirementKind.NOMINATION_LIST]
    others = [r for r in reqs if r.kind is not RequirementKind.NOMINATION_LIST]
    if not lists:
        return submission_totals(others, as_of).subquery("activity")
    both = union_all(submission_totals(lists, as_of), nomination_totals(lists, as_of)).subquery(
        "both"
    )
    b = both.c
    combined = select(
        b.rid,
        b.uid,
        func.sum(b.n_returned).label("n_returned"),
        func.sum(b.parts_done).label("parts_done"),
        func.sum(b.n_open).label("n_open"),
        func.max(b.last_at).label("last_at"),
        func.max(b.returned_at).label("returned_at"),
        func.sum(b.n_noms).label("n_noms"),
        func.min(b.first_at).label("first_at"),
    ).group_by(b.rid, b.uid)
    if not others:
        return combined.subquery("activity")
    return union_all(submission_totals(others, as_of), combined).subquery("activity")


def mark_columns(
    reqs: Sequence[Requirement], tz: ZoneInfo, act: Any, rid: Any, uid: Any
) -> tuple[Any, ...]:
    """The labelled mark columns of an :func:`activity` row.

    Mark, time, late-from instant, parts done and nominations; the activity columns are NULL
    when outer-joined to a unit that has sent nothing.
    """
    returned = func.coalesce(act.c.n_returned, 0) > 0
    nominated = func.coalesce(act.c.n_noms, 0) > 0
    parts = func.coalesce(act.c.parts_done, 0)
    mark = case(
        (returned, RETURNED),
        (nominated, SUBMITTED),
        (parts == 0, MISSING),
        (parts < needed_count(reqs, rid), PARTIAL),
        (act.c.n_open == 0, ACCEPTED),
        else_=SUBMITTED,
    )
    at = case((returned, act.c.returned_at), (nominated, act.c.first_at), else_=act.c.last_at)
    return (
        mark.label("mark"),
        at.label("at"),
        cutoffs(reqs, tz, rid, uid).label("cutoff"),
        parts.label("parts_done"),
        func.coalesce(act.c.n_noms, 0).label("n_noms"),
    )


def marks(
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *unit_columns: Any,
    as_of: dt.datetime | None = None,
) -> Select[Any]:
    """One row per (requirement, applicable unit), including the units that sent nothing.

    ``has_rows`` says whether the unit has any current version or counted nomination for it.
    """
    act = activity(reqs, as_of)
    return (
        select(
            Requirement.id.label("rid"),
            Unit.id.label("uid"),
            *mark_columns(reqs, tz, act, Requirement.id, Unit.id),
            case((act.c.rid.is_(None), 0), else_=1).label("has_rows"),
            *unit_columns,
        )
        .select_from(Unit)
        .join(
            Requirement,
            and_(Requirement.id.in_([r.id for r in reqs]), applies(reqs, Requirement.id)),
        )
        .outerjoin(act, and_(act.c.rid == Requirement.id, act.c.uid == Unit.id))
        .where(*where.clauses())
    )


def active_marks(
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *,
    as_of: dt.datetime | None = None,
) -> Select[Any]:
    """Like :func:`marks`, but only for the units that have sent something.

    Cheaper when only counts of the units that have sent are needed.
    """
    act = activity(reqs, as_of)
    return (
        select(act.c.rid, *mark_columns(reqs, tz, act, act.c.rid, act.c.uid))
        .select_from(act)
        .join(Unit, Unit.id == act.c.uid)
        .where(applies(reqs, act.c.rid), *where.clauses())
    )


def late(marks: Any) -> ColumnElement[bool]:
    """Whether a row of a :func:`marks` subquery was sent late."""
    return and_(marks.c.mark >= SUBMITTED, marks.c.at >= marks.c.cutoff)


def today(campaign: Campaign, now: dt.datetime) -> tuple[ZoneInfo, dt.date]:
    """The campaign's timezone and the calendar date of ``now`` in it."""
    tz = ZoneInfo(campaign.timezone)
    return tz, now.astimezone(tz).date()


def unit_ref(row: Any) -> UnitRef:
    """The :class:`UnitRef` of a row with ``uid``, ``code``, ``name``, ``block`` and ``kind``."""
    return UnitRef(row.uid, row.code, row.name, row.block, row.kind)
