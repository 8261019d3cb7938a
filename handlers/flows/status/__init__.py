"""/tinhhinh (status) and /chuanop (who has not submitted).

* :mod:`.overview` -- /tinhhinh: the secretariat's overview, its filters and views, a unit's
  checklist;
* :mod:`.chuanop` -- /chuanop: per requirement, the units that still owe it;
* :mod:`.common` -- what both share: the filter (typed or kept) and a unit's progress.
"""

from __future__ import annotations

from handlers.flows.status import chuanop, overview
from handlers.flows.status.chuanop import late
from handlers.flows.status.overview import parse_filter, status
from handlers.kernel.context import StateTable

__all__ = ["STATES", "chuanop", "late", "overview", "parse_filter", "status"]

STATES: StateTable = {**overview.STATES, **chuanop.STATES}
