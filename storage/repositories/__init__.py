"""Repositories: one class per aggregate, each taking an ``AsyncSession`` and never committing.

The caller (a handler, a job, a CLI command) owns the transaction; a repository may ``flush`` to
get ids. To add a repository, import it below and list it in ``__all__`` (kept sorted).
"""

from __future__ import annotations

from storage.repositories.campaigns import AwardFormData, AwardFormsChange, CampaignRepository
from storage.repositories.delegates import DelegateRepository
from storage.repositories.units import Change, UnitRepository

__all__ = [
    "AwardFormData",
    "AwardFormsChange",
    "CampaignRepository",
    "Change",
    "DelegateRepository",
    "UnitRepository",
]
