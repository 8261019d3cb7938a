"""Rules for a unit's list of delegates to the upper conference (đại biểu dự Hội nghị cấp trên).

Pure domain logic: no database, no I/O. :func:`parse_rules` reads a campaign's
``settings.delegates``; :func:`check` looks at one unit's list and says what is wrong or worth
knowing; :func:`add_refusal` says whether one more delegate may be added. A :class:`Finding` names
its wording (``templates/delegate_findings.j2``) and the values it shows; the flow renders it.

The defaults are the worked example, the Bỉm Sơn 2019 plan (seed 004):

* A ward, a town-level organisation or agency holds its own conference of at most **150**
  delegates (``unit_conference_max``); the town conference has at most **300**
  (``upper_conference_max``), the sum over every unit's list.
* Each unit sends the delegates "theo chỉ tiêu phân bổ": a quota per unit, ``quota.default``
  with overrides by unit code in ``quota.units``. The plan itself gives no number, so without
  settings there is no quota and only the 300 cap applies.
* About **70 %** exemplary delegates (điển hình) and about 30 % guests (khách mời). "About" is
  read as ± **10** percentage points (``tolerance_percent``), inclusive: for 20 delegates, 12
  to 16 exemplary ones are fine (60 % to 80 %). A small list cannot always come within the
  tolerance (2 delegates: 50 % or 100 %), so the count nearest to 70 % (rounded half up) is always
  accepted: 1 of 2, 2 of 3, 3 of 4 exemplary raise nothing. Below the range is a warning (the
  plan's point is to honour exemplary people); above it only a note.
* A presidium (đoàn chủ tịch) of **5 to 7** people (``presidium``): a warning outside the range.
* Below **200** staff a unit holds a plenary conference (hội nghị toàn thể) instead of a delegate
  conference (``plenary``). Seed 004 says this of enterprises only ("doanh nghiệp dưới 200 lao
  động"; wards and organisations hold a conference of up to 150 delegates), so by default it
  applies to the kind ``doanh_nghiep``; an empty ``unit_kinds`` applies it to every kind (seed
  002). Exactly 200 staff is a delegate conference.

Only the caps block: a list over its quota, or a campaign over the upper cap, is an error, and
:func:`add_refusal` refuses a delegate that would exceed either. The ratio and the presidium are
warnings, the conference form and the rest are notes.

Settings (campaign file, ``settings: delegates:``), every key optional::

    quota: {default: 12, units: {P-BADINH: 15}}   # or a number: the same quota for every unit
    unit_conference_max: 150
    upper_conference_max: 300
    exemplary_percent: 70
    tolerance_percent: 10
    presidium: {min: 5, max: 7}                   # false: no presidium check
    plenary: {below_staff: 200, unit_kinds: [doanh_nghiep]}   # false: no plenary note
    due: 15/4/2020      # last day the list can be changed (else the requirement's due date)
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from handlers.domain.delegate_settings import DelegateRulesError, DelegatesSpec
from handlers.domain.vocab import UnitKinds
from storage.text import normalize_code

__all__ = [
    "ACTIVE",
    "EXEMPLARY",
    "GUEST",
    "WITHDRAWN",
    "DelegateLike",
    "DelegateRules",
    "DelegateRulesError",
    "Finding",
    "Level",
    "Summary",
    "UnitLike",
    "add_refusal",
    "check",
    "exemplary_range",
    "parse_rules",
    "percent",
    "summarize",
]

#: ``Delegate.status`` of a delegate on the list, and of one taken off it.
ACTIVE = "active"
WITHDRAWN = "withdrawn"
#: ``Delegate.category`` values (:class:`storage.models.DelegateCategory`).
EXEMPLARY = "dien_hinh"
GUEST = "khach_moi"


class Level(enum.StrEnum):
    """How much a finding matters."""

    ERROR = "error"  # against the plan's caps: blocks adding
    WARNING = "warning"  # against the plan's guidance: shown, does not block
    INFO = "info"  # worth knowing


_LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One remark on a unit's list.

    Attributes:
        level: Error, warning or info.
        code: A stable name for programs and tests (``quota_exceeded``, ``ratio_low``…).
        key: The macro of ``templates/delegate_findings.j2`` that words it (one code may be
            worded several ways: a list over its quota, or full when one more is refused).
        params: The values the wording shows (the macro's arguments).
    """

    level: Level
    code: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """Whether the finding stops a delegate from being added."""
        return self.level is Level.ERROR


class UnitLike(Protocol):
    """What the rules read of a unit (:class:`storage.models.Unit` fits)."""

    @property
    def code(self) -> str:
        """The unit's code."""

    @property
    def kind(self) -> str:
        """The unit's kind code (``xa_phuong``, ``doanh_nghiep``…)."""

    @property
    def staff_count(self) -> int | None:
        """How many staff the unit has, if known."""


class DelegateLike(Protocol):
    """What the rules read of a delegate (:class:`storage.models.Delegate` fits)."""

    @property
    def category(self) -> str:
        """``dien_hinh`` or ``khach_moi``."""

    @property
    def gender(self) -> str:
        """``nam`` or ``nu``."""

    @property
    def in_presidium(self) -> bool:
        """Whether the delegate sits in the presidium."""

    @property
    def status(self) -> str:
        """``active`` or ``withdrawn``; withdrawn delegates are ignored."""


@dataclass(frozen=True, slots=True)
class DelegateRules:
    """The delegate rules of one campaign (defaults: the Bỉm Sơn 2019 plan).

    Attributes:
        quota_default: Delegates each unit may send; None when the plan allocates none.
        quota_by_unit: Overrides of ``quota_default`` by unit code (upper case).
        unit_conference_max: Most delegates of a unit's own (delegate) conference.
        upper_conference_max: Most delegates of the upper conference, all units together.
        exemplary_percent: The planned share of exemplary delegates.
        tolerance_percent: How many percentage points "about" allows either side.
        presidium_min: Smallest presidium; None when the presidium is not checked.
        presidium_max: Largest presidium; None when the presidium is not checked.
        plenary_below_staff: Units with fewer staff hold a plenary conference; None: no note.
        plenary_unit_kinds: The unit kinds the plenary rule concerns; empty: every kind.
        due: Last day the list may change, when the settings name one.
    """

    quota_default: int | None = None
    quota_by_unit: Mapping[str, int] = field(default_factory=dict)
    unit_conference_max: int = 150
    upper_conference_max: int = 300
    exemplary_percent: int = 70
    tolerance_percent: int = 10
    presidium_min: int | None = 5
    presidium_max: int | None = 7
    plenary_below_staff: int | None = 200
    plenary_unit_kinds: tuple[str, ...] = ("doanh_nghiep",)
    due: dt.date | None = None

    def quota_for(self, unit_code: str) -> int | None:
        """The quota of the unit with ``unit_code``; None when none is allocated."""
        return self.quota_by_unit.get(normalize_code(unit_code), self.quota_default)

    def plenary_applies(self, unit_kind: str) -> bool:
        """Whether the plenary rule concerns units of ``unit_kind``."""
        if self.plenary_below_staff is None:
            return False
        return not self.plenary_unit_kinds or unit_kind in self.plenary_unit_kinds


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts of a unit's active delegates."""

    total: int
    quota: int | None
    exemplary: int
    guests: int
    presidium: int
    women: int

    @property
    def exemplary_percent(self) -> int | None:
        """The exemplary share in whole percent (half up); None for an empty list."""
        return percent(self.exemplary, self.total) if self.total else None


# --------------------------------------------------------------------------- arithmetic


def percent(part: int, whole: int) -> int:
    """``100 · part / whole`` rounded to a whole percent, halves up (11/20 → 55, 1/8 → 13).

    Raises:
        ValueError: ``whole`` is not positive.
    """
    if whole <= 0:
        raise ValueError("whole must be positive")
    return (200 * part + whole) // (2 * whole)


def _nearest(target_percent: int, total: int) -> int:
    """The count nearest to ``target_percent`` of ``total``, halves up."""
    return (2 * target_percent * total + 100) // 200


def exemplary_range(rules: DelegateRules, total: int) -> tuple[int, int]:
    """The exemplary counts that raise no ratio remark for a list of ``total`` delegates.

    A count ``k`` is fine when ``100·k/total`` is within ``tolerance_percent`` of
    ``exemplary_percent`` (both ends included), or when it is the count nearest to the target
    (so a short list is never blamed for what it cannot reach).

    Returns:
        The smallest and the largest fine count (``(0, 0)`` for an empty list).
    """
    if total <= 0:
        return 0, 0
    target, tolerance = rules.exemplary_percent, rules.tolerance_percent
    low = max(0, -((-(target - tolerance) * total) // 100))  # ceil
    high = min(total, (target + tolerance) * total // 100)  # floor
    nearest = _nearest(target, total)
    return min(low, nearest), max(high, nearest)


# --------------------------------------------------------------------------- findings


def _active(delegates: Iterable[DelegateLike]) -> list[DelegateLike]:
    return [d for d in delegates if d.status == ACTIVE]


def summarize(rules: DelegateRules, unit: UnitLike, delegates: Iterable[DelegateLike]) -> Summary:
    """Count a unit's active delegates by category, presidium and gender."""
    active = _active(delegates)
    exemplary = sum(1 for d in active if d.category == EXEMPLARY)
    return Summary(
        total=len(active),
        quota=rules.quota_for(unit.code),
        exemplary=exemplary,
        guests=len(active) - exemplary,
        presidium=sum(1 for d in active if d.in_presidium),
        women=sum(1 for d in active if d.gender == "nu"),
    )


def _quota_findings(summary: Summary) -> list[Finding]:
    quota, total = summary.quota, summary.total
    if quota is None:
        return [Finding(Level.INFO, "no_quota", "no_quota")]
    if total > quota:
        params = {"total": total, "quota": quota}
        return [Finding(Level.ERROR, "quota_exceeded", "quota_exceeded", params)]
    if total == quota and total > 0:
        return [Finding(Level.INFO, "quota_full", "quota_full", {"quota": quota})]
    return []


def _upper_findings(rules: DelegateRules, campaign_total: int | None) -> list[Finding]:
    limit = rules.upper_conference_max
    if campaign_total is None or campaign_total <= limit:
        return []
    params = {"total": campaign_total, "limit": limit}
    return [Finding(Level.ERROR, "upper_exceeded", "upper_exceeded", params)]


def _ratio_findings(rules: DelegateRules, summary: Summary) -> list[Finding]:
    total, exemplary = summary.total, summary.exemplary
    if total == 0:
        return []
    low, high = exemplary_range(rules, total)
    params = {
        "share": percent(exemplary, total),
        "exemplary": exemplary,
        "total": total,
        "target": rules.exemplary_percent,
    }
    if exemplary < low:
        return [Finding(Level.WARNING, "ratio_low", "ratio_low", params)]
    if exemplary > high:
        return [Finding(Level.INFO, "ratio_high", "ratio_high", params)]
    return []


def _presidium_findings(rules: DelegateRules, summary: Summary) -> list[Finding]:
    low, high = rules.presidium_min, rules.presidium_max
    if low is None or high is None or summary.total == 0:
        return []
    count = summary.presidium
    if low <= count <= high:
        return []
    key = "presidium_none" if count == 0 else "presidium_size"
    params = {"count": count, "low": low, "high": high}
    return [Finding(Level.WARNING, "presidium_size", key, params)]


def _women_findings(summary: Summary) -> list[Finding]:
    if summary.total == 0 or summary.women > 0:
        return []
    return [Finding(Level.INFO, "no_women", "no_women")]


def _conference_findings(rules: DelegateRules, unit: UnitLike) -> list[Finding]:
    limit = rules.unit_conference_max
    if not rules.plenary_applies(unit.kind):
        return [Finding(Level.INFO, "unit_conference", "unit_conference", {"limit": limit})]
    params = {
        "staff": unit.staff_count,
        "kind": unit.kind,
        "below": rules.plenary_below_staff,
        "limit": limit,
    }
    staff, below = unit.staff_count, rules.plenary_below_staff
    if staff is None:
        code = "staff_unknown"
    elif below is not None and staff < below:
        code = "plenary"
    else:
        code = "delegate_conference"
    return [Finding(Level.INFO, code, code, params)]


def check(
    rules: DelegateRules,
    unit: UnitLike,
    delegates: Iterable[DelegateLike],
    *,
    campaign_total: int | None = None,
) -> list[Finding]:
    """Review one unit's list of delegates against the plan.

    Args:
        rules: The campaign's delegate rules.
        unit: The unit whose list it is.
        delegates: The unit's delegates; withdrawn ones are ignored.
        campaign_total: Active delegates of every unit in the campaign, when known: checked
            against ``upper_conference_max``.

    Returns:
        The findings, errors first, then warnings, then notes.
    """
    summary = summarize(rules, unit, delegates)
    findings = [
        *_quota_findings(summary),
        *_upper_findings(rules, campaign_total),
        *_ratio_findings(rules, summary),
        *_presidium_findings(rules, summary),
        *_women_findings(summary),
        *_conference_findings(rules, unit),
    ]
    return sorted(findings, key=lambda f: _LEVEL_ORDER[f.level])


def add_refusal(
    rules: DelegateRules,
    unit: UnitLike,
    delegates: Iterable[DelegateLike],
    *,
    campaign_total: int | None = None,
) -> Finding | None:
    """Whether one more delegate may join the unit's list.

    Args:
        rules: The campaign's delegate rules.
        unit: The unit whose list it is.
        delegates: The unit's delegates; withdrawn ones are ignored.
        campaign_total: Active delegates of every unit in the campaign, when known.

    Returns:
        None when the delegate may be added; otherwise the blocking finding that says why not.
    """
    summary = summarize(rules, unit, delegates)
    quota, total = summary.quota, summary.total
    if quota is not None and total + 1 > quota:
        key = "refuse_over_quota" if total > quota else "refuse_quota_full"
        return Finding(Level.ERROR, "quota_exceeded", key, {"total": total, "quota": quota})
    limit = rules.upper_conference_max
    if campaign_total is not None and campaign_total + 1 > limit:
        params = {"total": campaign_total, "limit": limit}
        return Finding(Level.ERROR, "upper_exceeded", "refuse_upper", params)
    return None


# --------------------------------------------------------------------------- settings


def parse_rules(
    campaign_settings: Mapping[str, Any] | None, kinds: UnitKinds | None = None
) -> DelegateRules:
    """Read the delegate rules from a campaign's ``settings.delegates``.

    Args:
        campaign_settings: The campaign's settings; missing keys keep the defaults of
            :class:`~handlers.domain.delegate_settings.DelegatesSpec` (the Bỉm Sơn 2019 plan).
        kinds: The deployment's unit kinds (its own kinds may be named); default the built-in.

    Returns:
        The rules.

    Raises:
        DelegateRulesError: An unknown key or an invalid value; the Vietnamese message names it.
    """
    raw = campaign_settings.get("delegates") if campaign_settings else None
    spec = DelegatesSpec.read(raw, kinds=kinds)
    return DelegateRules(
        quota_default=spec.quota.default,
        quota_by_unit=spec.quota.by_unit,
        unit_conference_max=spec.unit_conference_max,
        upper_conference_max=spec.upper_conference_max,
        exemplary_percent=spec.exemplary_percent,
        tolerance_percent=spec.tolerance_percent,
        presidium_min=spec.presidium.min if spec.presidium else None,
        presidium_max=spec.presidium.max if spec.presidium else None,
        plenary_below_staff=spec.plenary.below_staff if spec.plenary else None,
        plenary_unit_kinds=spec.plenary.unit_kinds if spec.plenary else (),
        due=spec.due,
    )
