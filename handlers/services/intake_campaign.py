"""Plan intake, the last step: an accepted draft becomes a running campaign, announced.

:func:`create_campaign` makes an active campaign: one requirement per accepted item, in the
draft's order (codes ``ND1``, ``ND2`` …): a day; a range (an event over several days: its first
day in ``due_start``, due its last day); a month or a quarter (its first day in ``due_start``,
due its last day, the period as its label); a yearly rule (``recurrence``, no due date; this
year's or next year's occurrence is made at once by
:func:`handlers.services.recurrence.generate_occurrences`); and "to be announced" or a relative
limit without a day (no due date: "chưa có hạn", never reminded, owed by nobody until a day is
set with a gia hạn's "Đặt hạn"; the relative words go in the description). Nothing is created
before that. :func:`announce_campaign` queues the announcement to the
campaign's units. The drafts themselves are :mod:`handlers.services.intake`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.due_forms import yearly_rule
from handlers.domain.errors import UserError
from handlers.domain.vn_dates import month_end, time_of_day
from handlers.io.campaign_file.schema import DEFAULT_AWARD_FORMS, DEFAULT_TIMEZONE
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.services.intake_items import item_targets
from handlers.services.notices import Queued, announce, audience_accounts, audience_unit_count
from handlers.services.recurrence import generate_occurrences
from storage.models import Campaign, Person, PlanDraft, RequirementKind
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository

__all__ = [
    "DueForm",
    "accepted_items",
    "announce_campaign",
    "campaign_audience",
    "campaign_units",
    "create_campaign",
    "due_form",
]

_TITLE_MAX = 255
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEARLY = re.compile(r"^--(\d{2})-(\d{2})$")


# -- dues -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DueForm:
    """A due as the templates show it.

    Attributes:
        kind: ``day``, ``range``, ``month``, ``quarter``, ``yearly`` or ``none``.
        start: The day, or the first day of a range; a yearly rule's day in year 2000.
        end: The last day of a range, month or quarter.
        quarter: 1–4 for a quarter.
    """

    kind: str
    start: dt.date | None = None
    end: dt.date | None = None
    quarter: int = 0

    @property
    def fixed(self) -> bool:
        """Whether the due is one day a requirement can hold (the end of a period counts)."""
        return self.kind in {"day", "range", "month", "quarter"}

    @property
    def recurrence(self) -> dict[str, Any] | None:
        """A yearly rule's ``Requirement.recurrence``, else None."""
        if self.kind != "yearly" or self.start is None:
            return None
        return yearly_rule(self.start.month, self.start.day)

    @property
    def due_date(self) -> dt.date | None:
        """The requirement's due date: the day, or the last day of the range or period."""
        return self.start if self.kind == "day" else self.end if self.fixed else None


def due_form(due: str | None) -> DueForm:
    """Read a due written as the extractor writes it (see the module docstring)."""
    if not due:
        return DueForm("none")
    try:
        if "/" in due:
            first, last = (dt.date.fromisoformat(p) for p in due.split("/", 1))
            return DueForm("range", first, last)
        if _DAY.match(due):
            return DueForm("day", dt.date.fromisoformat(due))
        if m := _MONTH.match(due):
            year, month = int(m[1]), int(m[2])
            return DueForm("month", dt.date(year, month, 1), month_end(year, month))
        if m := _QUARTER.match(due):
            year, quarter = int(m[1]), int(m[2])
            return DueForm(
                "quarter",
                dt.date(year, quarter * 3 - 2, 1),
                month_end(year, quarter * 3),
                quarter,
            )
        if m := _YEARLY.match(due):
            return DueForm("yearly", dt.date(2000, int(m[1]), int(m[2])))
    except ValueError:
        pass
    return DueForm("none")


def accepted_items(
    draft: PlanDraft,
) -> tuple[list[tuple[dict[str, Any], DueForm]], list[tuple[dict[str, Any], DueForm]]]:
    """The accepted items with their dues: (those with a fixed day, those without)."""
    accepted = [
        (item, due_form(item["due"]))
        for item in draft.plan["items"]
        if item["status"] == "accepted"
    ]
    return [p for p in accepted if p[1].fixed], [p for p in accepted if not p[1].fixed]


# -- the campaign ---------------------------------------------------------------------------------
def _doc_date(value: str | None) -> dt.date | None:
    if value and _DAY.match(value):
        return dt.date.fromisoformat(value)
    return None


async def _free_code(repo: CampaignRepository, year: int, draft_id: int) -> str:
    base = f"KH-{year}-{draft_id}"
    code, n = base, 1
    while await repo.get_by_code(code) is not None:
        n += 1
        code = f"{base}-{n}"
    return code


async def create_campaign(
    session: AsyncSession, texts: Texts, draft: PlanDraft, *, by: Person, now: dt.datetime
) -> Campaign:
    """Make the draft an active campaign (audit-logged); the draft is then ``created``.

    Raises:
        UserError: ``intake_nothing_to_create`` when no accepted item has a fixed day (a
            campaign of "chưa có hạn" items only would remind nobody of anything).
    """
    plan = draft.plan
    fixed, undated = accepted_items(draft)
    if not fixed:
        raise UserError("intake_nothing_to_create")
    doc_date = _doc_date(plan.get("doc_date"))
    repo = CampaignRepository(session)
    code = await _free_code(repo, (doc_date or now.date()).year, draft.id)
    title = plan.get("title") or texts.plain("intake.default_title", plan=plan)
    campaign, _ = await repo.upsert_campaign(
        code=code,
        title=title,
        doc_number=(plan.get("doc_number") or None) and str(plan["doc_number"])[:64],
        doc_date=doc_date,
        issuer=(plan.get("issuer") or None) and str(plan["issuer"])[:255],
        timezone=DEFAULT_TIMEZONE,
        is_active=True,
        settings={},
    )
    await repo.replace_award_forms(campaign.id, DEFAULT_AWARD_FORMS)
    accepted = [
        (item, due_form(item["due"])) for item in plan["items"] if item["status"] == "accepted"
    ]
    for position, (item, form) in enumerate(accepted):
        period = form.kind in {"month", "quarter"}
        await repo.upsert_requirement(
            campaign.id,
            code=f"ND{position + 1}",
            title=item["title"][:_TITLE_MAX],
            kind=RequirementKind(item["kind"]),
            description=" ".join(texts.plain("intake.req_description", item=item).split()) or None,
            due_date=form.due_date,
            due_time=time_of_day(item.get("time")),
            due_start=form.start if form.kind in {"range", "month", "quarter"} else None,
            recurrence=form.recurrence,
            period_label=(texts.plain("intake.period_label", form=form)[:64] or None)
            if period
            else None,
            **item_targets(item),
            position=position,
            policy={},
        )
    draft.status = "created"
    draft.campaign_id = campaign.id
    draft.updated_by = by.id
    draft.updated_at = now
    AuditRepository(session).record(
        at=now,
        person_id=by.id,
        action="campaign.create_from_plan",
        entity="campaign",
        entity_id=campaign.id,
        detail={
            "code": code,
            "draft": draft.id,
            "requirements": len(fixed),
            "undated": len(undated),
        },
    )
    await session.flush()
    await generate_occurrences(session, campaign, now)
    return campaign


async def campaign_units(session: AsyncSession, campaign_id: int, now: dt.datetime) -> int:
    """How many active units at least one requirement of the campaign applies to."""
    return await audience_unit_count(session, campaign_audience(campaign_id), now)


def campaign_audience(campaign_id: int) -> dict[str, Any]:
    """The broadcast audience of a campaign's units (:mod:`handlers.services.notices`)."""
    return {"kind": "campaign", "campaign_id": campaign_id}


async def announce_campaign(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    *,
    file_id: int | None,
    by: Person,
    origin: ChatKey,
    now: dt.datetime,
) -> Queued | None:
    """Queue the announcement of a new campaign to its units, with the plan's file.

    Returns:
        What was queued (the caller wakes the sender after the commit), or None when nobody
        of those units can be reached (nothing is written).
    """
    audience = campaign_audience(campaign.id)
    recipients = await audience_accounts(session, audience, now)
    if not any(r.reachable for r in recipients):
        return None
    text = texts.plain(
        "intake.announcement",
        title=campaign.title,
        reqs=await CampaignRepository(session).requirements_for(campaign.id),
        undated=campaign.settings.get("undated", []),
    )
    return await announce(
        session,
        texts,
        text=text,
        file_id=file_id,
        audience=audience,
        recipients=recipients,
        by=by,
        origin=origin,
        now=now,
    )
