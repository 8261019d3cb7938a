"""``tdkt campaign export``: a campaign as the YAML file ``tdkt campaign load`` reads back.

Loading the exported file on a fresh database (with the same units) re-creates a campaign whose
export is the same bytes; loading it on the database it came from changes nothing. The file
holds the campaign's fields, its award forms, every requirement with every key and its
``settings`` as stored (``export``, ``reminders``, ``digest``, ``undated`` …).

A gia hạn is kept: ``due`` is the plan's own deadline, ``extended_due`` everyone's deadline
once extended, ``unit_due`` the later deadlines of listed units (by unit code). The history of
extensions (the ``deadline_changes`` rows, with reasons) is not exported.

Names, titles and descriptions are written as the loader stores them (line breaks and runs of
spaces as one space), so a text typed elsewhere with line breaks still loads back the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.domain.due_forms import write_due
from handlers.io.campaign_file.write import dump_campaign
from handlers.services.campaigns import find_campaign
from storage.models import Campaign, CampaignState, Requirement
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository

__all__ = ["campaign_data", "export_campaign"]


def _due(req: Requirement) -> dict[str, Any]:
    """``due`` in its form, and ``period_label`` when ``due`` is not written as the label.

    The form is :func:`handlers.domain.due_forms.write_due`'s: a day, a period, a range,
    "chưa có hạn" or "hằng năm 15/03".
    """
    plan_due = req.original_due or req.due_date
    due = write_due(plan_due, req.due_start, req.period_label, req.recurrence)
    label = req.period_label
    if label is None or due == label:
        return {"due": due}
    return {"due": due, "period_label": label}


def _one_line(text: str) -> str:
    """``text`` as the loader stores it: runs of spaces and line breaks as one space."""
    return " ".join(text.split())


def _requirement(req: Requirement, unit_codes: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"code": req.code, "title": _one_line(req.title)}
    data["kind"] = req.kind.value
    if req.description is not None and req.description.strip():
        data["description"] = _one_line(req.description)
    data.update(_due(req))
    if req.due_time is not None:
        data["time"] = req.due_time
    if req.original_due is not None and req.original_due != req.due_date:
        data["extended_due"] = req.due_date
    dues = {unit_codes[u]: d for u, d in unit_dues(req).items() if u in unit_codes}
    if dues:
        data["unit_due"] = dict(sorted(dues.items()))
    data["unit_kinds"] = list(req.unit_kinds)
    data["unit_codes"] = list(req.unit_codes)
    if req.unit_blocks:
        data["unit_blocks"] = list(req.unit_blocks)
    if req.parts:
        data["parts"] = list(req.parts)
    data["accept"] = list(req.accept)
    data["policy"] = dict(req.policy)
    return data


async def campaign_data(session: AsyncSession, campaign: Campaign) -> dict[str, Any]:
    """The campaign as the campaign file's mapping, keys in the format's order."""
    repo = CampaignRepository(session)
    unit_codes = {u.id: u.code for u in await UnitRepository(session).list_all()}
    data: dict[str, Any] = {"code": campaign.code, "title": _one_line(campaign.title)}
    if campaign.doc_number is not None and campaign.doc_number.strip():
        data["doc_number"] = _one_line(campaign.doc_number)
    if campaign.doc_date is not None:
        data["doc_date"] = campaign.doc_date
    if campaign.issuer is not None and campaign.issuer.strip():
        data["issuer"] = _one_line(campaign.issuer)
    data["timezone"] = campaign.timezone
    data["active"] = campaign.state is not CampaignState.DRAFT
    data["award_forms"] = [
        {"code": f.code, "name": _one_line(f.name), "subject": f.subject.value}
        for f in await repo.award_forms_for(campaign.id)
    ]
    data["requirements"] = [
        _requirement(r, unit_codes) for r in await repo.requirements_for(campaign.id)
    ]
    if campaign.settings:
        data["settings"] = dict(campaign.settings)
    return data


async def export_campaign(session: AsyncSession, code: str) -> str:
    """The YAML text of the campaign ``code`` (read only).

    Raises:
        UserError: ``campaign_not_found``.
    """
    campaign = await find_campaign(session, code)
    return dump_campaign(await campaign_data(session, campaign))
