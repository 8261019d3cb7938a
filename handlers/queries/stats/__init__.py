"""The secretariat's figures, computed by the database: aggregate SQL, no per-unit loops.

Every figure follows the counting rules of :func:`handlers.domain.progress.mark_for`,
expressed in SQL over the current submissions and the counted nominations — read from the
read model :class:`storage.models.Standing` (one row per (requirement, unit) that has sent
anything, kept by :mod:`storage.standings` in the transaction of every write;
:func:`rules.source_activity` is the same computed from the source rows):

* a unit is **returned** on a requirement when any of its current versions was returned;
* otherwise, for a ``nomination_list`` requirement, it has **submitted** when at least one of its
  nominations for the requirement is submitted or accepted (returned and withdrawn ones do not
  count); the time that counts is the first such nomination;
* otherwise what counts are its current submitted or accepted versions of the parts the
  requirement needs (every part of a dossier, else the single part ``""``): none is
  **missing**, some is **partial**, all is **accepted** when each of them was accepted and
  **submitted** otherwise; the time that counts is the newest of them;
* it is **late** when it has sent (submitted or accepted) and the time that counts falls on a
  later calendar day than the due date in the campaign's timezone. The due date becomes an
  instant here (the start of the next day in that timezone), so the comparison is exact on every
  database without timezone functions.

The requirements of a campaign are few (tens); their rules (which units they apply to, which
parts they need, their deadline instant) are turned into SQL expressions once per query, so
one statement covers every requirement and every unit.

The package is split by job:

* ``rules``: the shared SQL building blocks (current submissions, counted nominations, marks);
* ``requirements``: per-requirement figures, unit standings and the units that still owe;
* ``counters``: the requirement figures from the counters (``storage.standing_counts``);
* ``owing``: the units that owe, from the units' index and the standings' keys;
* ``nominations``: the nomination figures;
* ``recent``: the newest items sent;
* ``overview``: the secretariat's overview assembled, and the filter options;
* ``results``: the result types and the unit filter.
"""

from handlers.queries.stats import results
from handlers.queries.stats.nominations import GENDERS, nomination_stats
from handlers.queries.stats.overview import block_options, campaign_status, kind_options
from handlers.queries.stats.recent import recent_activity
from handlers.queries.stats.requirements import (
    OwingAccount,
    OwingPages,
    OwingRows,
    digest_figures,
    missing_units,
    owing_account_rows,
    owing_accounts,
    requirement_stats,
    unit_refs,
    unit_standings,
    unreachable_owing,
)
from handlers.queries.stats.results import *  # noqa: F403  (its __all__, added below)

__all__ = [
    "GENDERS",
    "OwingAccount",
    "OwingPages",
    "OwingRows",
    "block_options",
    "campaign_status",
    "digest_figures",
    "kind_options",
    "missing_units",
    "nomination_stats",
    "owing_account_rows",
    "owing_accounts",
    "recent_activity",
    "requirement_stats",
    "unit_refs",
    "unit_standings",
    "unreachable_owing",
]
__all__ += results.__all__  # the result types and the unit filter
