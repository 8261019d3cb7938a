"""Deadline reminders: the policy, the working-day calendar and the reminder slots.

Pure domain logic: no database, no scheduler, no I/O. The scheduler asks :func:`reminder_slots`
which reminders a requirement has and when, and stores them by :attr:`Slot.key`.

Policy
    A requirement's reminder policy is built from three layers, later ones winning key by key
    (:func:`effective_policy`): the built-in defaults of :class:`ReminderPolicy`, the campaign's
    ``settings.reminders`` and the requirement's ``policy``. Every layer is validated alone (by
    :class:`ReminderPolicySpec`, part of the campaign file's schema) and
    the keys are independent of one another, so two valid layers always merge into a valid
    policy. The secretariat's daily digest is configured by ``settings.digest``
    (:func:`parse_digest`).

    Times of day are written ``"HH:MM"``. YAML 1.1 (PyYAML) reads an unquoted ``8:00`` or
    ``18:30`` as a base-60 integer (480, 1110); such integers from 60 to 1439 are read back as
    the time they were written as. A smaller integer (``at: 8``) is refused, since it is most
    likely an hour written without minutes.

Slots (:func:`reminder_slots`)
    Candidates, each with its key and offset from the due date:

    * ``b<N>`` at due − N days for each N in ``before_days`` (farthest first);
    * ``d0`` on the due date when ``on_due_day``;
    * ``o<k·every>`` at due + k·``overdue_every_days`` for k = 1 … ``overdue_max``.

    Without ``skip_non_working_days`` each slot goes out on its own day. With it, a slot on a
    non-working day (Saturday, Sunday, Vietnamese public holiday) moves: ``b*`` and ``d0`` to the
    latest working day at or before it, ``o*`` to the earliest working day at or after it. A
    ``b*``/``d0`` slot never lands after the due date and an ``o*`` slot never on or before it
    (such a slot would be dropped; the moves above cannot produce one). When moves put two slots
    on the same day, only the first in candidate order is kept (``b7`` before ``b3`` before
    ``b1`` before ``d0`` before ``o2`` before ``o4`` …): for a Monday deadline ``b1`` (Sunday)
    moves to Friday, where ``b3`` already is, and is dropped; for a Sunday deadline ``d0`` moves
    to Friday, where ``b1`` (moved from Saturday) already is, and is dropped. Keys and
    :attr:`Slot.offset_days` always name the original, unmoved slot.

    Each slot goes out at ``at`` local time in the campaign timezone, returned as an aware UTC
    instant. Local times are resolved as :pep:`495` does: an ambiguous time (clocks going back)
    is its first occurrence, a time in a gap (clocks going forward) is moved forward by the gap.

Quiet hours
    ``quiet_hours`` does not move slots: it applies when a message is actually sent (a slot run
    late, a retry), through :func:`quiet_shift`, which delays a moment inside the quiet hours to
    their end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationInfo, field_validator

from handlers.domain.sections import Section, SettingsError

if TYPE_CHECKING:
    from holidays import HolidayBase

__all__ = [
    "DigestPolicy",
    "DigestSpec",
    "PolicyError",
    "QuietHours",
    "ReminderPolicy",
    "ReminderPolicySpec",
    "Slot",
    "WorkingCalendar",
    "digest_days",
    "due_slot",
    "effective_policy",
    "parse_digest",
    "parse_policy",
    "quiet_shift",
    "reminder_slots",
    "vietnamese_public_holidays",
]

_POLICY = "Chính sách nhắc"
_DIGEST = "Bản tổng hợp hằng ngày"
_EIGHT_AM = dt.time(8, 0)
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


class PolicyError(SettingsError):
    """A reminder or digest setting is invalid; the message (Vietnamese) names the key."""


# --------------------------------------------------------------------------- value checks


def _flag(cls: type[Section], value: Any, info: ValidationInfo) -> bool:
    if not isinstance(value, bool):
        raise cls.fail(f'"{cls.key(info.field_name)}" phải là true hoặc false.')
    return value


def _time_or_none(text: str) -> dt.time | None:
    match = _TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _time_of_day(cls: type[Section], value: Any, info: ValidationInfo) -> dt.time:
    result: dt.time | None = None
    if isinstance(value, dt.time):
        result = value if value.tzinfo is None else None
    elif isinstance(value, str):
        result = _time_or_none(value)
    elif isinstance(value, int) and not isinstance(value, bool) and 60 <= value < 24 * 60:
        # PyYAML reads an unquoted 8:00 as the base-60 integer 480.
        result = dt.time(value // 60, value % 60)
    if result is None:
        raise cls.fail(f'"{cls.key(info.field_name)}" phải là giờ dạng HH:MM, ví dụ "08:00".')
    return result


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours during which no message goes out.

    Attributes:
        start: First quiet moment (local, naive).
        end: First moment after the quiet hours; before ``start`` when they wrap midnight
            (21:00-07:00).
    """

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        for key in ("start", "end"):
            value = getattr(self, key)
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise ReminderPolicySpec.fail('"quiet_hours" phải gồm hai giờ dạng HH:MM.')
        if self.start == self.end:
            raise ReminderPolicySpec.fail(
                '"quiet_hours": giờ bắt đầu và giờ kết thúc phải khác nhau.'
            )

    def contains(self, t: dt.time) -> bool:
        """Tell whether the local time ``t`` is quiet (``start`` included, ``end`` excluded).

        Args:
            t: A naive local time of day.

        Returns:
            True inside the quiet hours.
        """
        t = t.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


def _checked(policy: ReminderPolicy | DigestPolicy, spec: type[Section]) -> None:
    """Validate a policy's values with its section, and store them normalised."""
    values = {f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)}
    for name, value in spec.read(values).written().items():
        object.__setattr__(policy, name, value)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """How and when units are reminded of one requirement's deadline.

    Values are validated on construction by :class:`ReminderPolicySpec` (:class:`PolicyError`);
    ``before_days`` is stored sorted from the farthest to the nearest day.

    Attributes:
        enabled: False turns every reminder of the requirement off.
        before_days: Days before the due date to remind on, each 1 to 60, distinct.
        on_due_day: Also remind on the due date itself.
        overdue_every_days: Once overdue, remind every this many days (1 to 30).
        overdue_max: At most this many overdue reminders (0 to 20; 0 = none).
        at: Local time of day (campaign timezone) the reminders go out.
        skip_non_working_days: Move reminders off weekends and public holidays.
        quiet_hours: Local hours during which nothing is sent, or None.
        include_members: Remind every unit member, not only the unit heads.
    """

    enabled: bool = True
    before_days: tuple[int, ...] = (7, 3, 1)
    on_due_day: bool = True
    overdue_every_days: int = 2
    overdue_max: int = 5
    at: dt.time = _EIGHT_AM
    skip_non_working_days: bool = False
    quiet_hours: QuietHours | None = None
    include_members: bool = False

    def __post_init__(self) -> None:
        _checked(self, ReminderPolicySpec)


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    """The secretariat's daily digest of what is due, late and received.

    Attributes:
        enabled: False turns the digest off.
        at: Local time of day (campaign timezone) it goes out.
        working_days_only: Send it on working days only.
    """

    enabled: bool = True
    at: dt.time = _EIGHT_AM
    working_days_only: bool = True

    def __post_init__(self) -> None:
        _checked(self, DigestSpec)


# --------------------------------------------------------------------------- settings


class ReminderPolicySpec(Section):
    """A reminder policy as written (``policy``, ``settings.reminders``); None: not written.

    The keys are those of :class:`ReminderPolicy`, declared in the order messages list them.
    """

    TITLE = _POLICY
    EXAMPLE = "{before_days: [7, 3, 1]}"
    ERROR = PolicyError

    at: dt.time | None = None
    before_days: tuple[int, ...] | None = None
    enabled: bool | None = None
    include_members: bool | None = None
    on_due_day: bool | None = None
    overdue_every_days: int | None = None
    overdue_max: int | None = None
    quiet_hours: QuietHours | None = None
    skip_non_working_days: bool | None = None

    _flags = field_validator(
        "enabled", "include_members", "on_due_day", "skip_non_working_days", mode="before"
    )(_flag)
    _at = field_validator("at", mode="before")(_time_of_day)

    @field_validator("before_days", mode="before")
    @classmethod
    def _days_before(cls, value: Any) -> tuple[int, ...]:
        rule = "phải là danh sách số ngày từ 1 đến 60."
        if not isinstance(value, list | tuple):
            raise cls.fail(f'"before_days" {rule}')
        days = [cls.whole("before_days", d, 1, 60, rule) for d in value]
        repeated = sorted({d for d in days if days.count(d) > 1})
        if repeated:
            listed = ", ".join(str(d) for d in repeated)
            raise cls.fail(f'"before_days" có số ngày bị ghi lặp lại ({listed}).')
        return tuple(sorted(days, reverse=True))

    @field_validator("overdue_every_days", mode="before")
    @classmethod
    def _every(cls, value: Any) -> int:
        return cls.whole("overdue_every_days", value, 1, 30, "phải là số ngày từ 1 đến 30.")

    @field_validator("overdue_max", mode="before")
    @classmethod
    def _most(cls, value: Any) -> int:
        rule = "phải là số lần từ 0 đến 20 (0 = không nhắc khi đã quá hạn)."
        return cls.whole("overdue_max", value, 0, 20, rule)

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: Any) -> QuietHours | None:
        if value is None or isinstance(value, QuietHours):
            return value
        match = _RANGE.match(value) if isinstance(value, str) else None
        start = _time_or_none(match[1]) if match else None
        end = _time_or_none(match[2]) if match else None
        if start is None or end is None:
            raise cls.fail(
                '"quiet_hours" phải là khoảng giờ dạng HH:MM-HH:MM, ví dụ "21:00-07:00", '
                "hoặc để trống (null)."
            )
        return QuietHours(start, end)

    def over(self, base: ReminderPolicy) -> ReminderPolicy:
        """Return ``base`` with the written keys changed."""
        return dataclasses.replace(base, **self.written())


class DigestSpec(Section):
    """The digest settings as written (``settings.digest``); None: not written."""

    TITLE = _DIGEST
    EXAMPLE = '{enabled: true, at: "08:00"}'
    ERROR = PolicyError

    at: dt.time | None = None
    enabled: bool | None = None
    working_days_only: bool | None = None

    _flags = field_validator("enabled", "working_days_only", mode="before")(_flag)
    _at = field_validator("at", mode="before")(_time_of_day)

    def policy(self) -> DigestPolicy:
        """Return the digest policy: the written keys over the defaults."""
        return DigestPolicy(**self.written())


_DEFAULT_POLICY = ReminderPolicy()


def parse_policy(
    data: Mapping[str, Any] | None, defaults: ReminderPolicy = _DEFAULT_POLICY
) -> ReminderPolicy:
    """Read a reminder policy as written in a campaign file, over ``defaults``.

    Args:
        data: The keys to change, named as the :class:`ReminderPolicy` fields: ``at`` as
            ``"HH:MM"``, ``quiet_hours`` as ``"HH:MM-HH:MM"`` or null, ``before_days`` a list of
            integers, the flags as booleans. None or empty keeps ``defaults``.
        defaults: The policy the keys change.

    Returns:
        The policy.

    Raises:
        PolicyError: An unknown key, a value of the wrong type or out of range; the Vietnamese
            message names the key.
    """
    return ReminderPolicySpec.read(data).over(defaults)


def effective_policy(
    campaign_settings: Mapping[str, Any] | None, requirement_policy: Mapping[str, Any] | None
) -> ReminderPolicy:
    """Return a requirement's policy: the defaults < ``settings.reminders`` < its own policy.

    Args:
        campaign_settings: The campaign's settings; its ``reminders`` key, when present, sets
            the campaign-wide policy.
        requirement_policy: The requirement's own ``policy``.

    Returns:
        The merged policy.

    Raises:
        PolicyError: Either layer is invalid.
    """
    reminders = campaign_settings.get("reminders") if campaign_settings else None
    return parse_policy(requirement_policy, parse_policy(reminders))


def parse_digest(campaign_settings: Mapping[str, Any] | None) -> DigestPolicy:
    """Read the digest settings from a campaign's ``settings.digest``.

    Args:
        campaign_settings: The campaign's settings; ``digest`` may hold ``enabled``, ``at``
            (``"HH:MM"``) and ``working_days_only``. Missing keys keep the defaults.

    Returns:
        The digest policy.

    Raises:
        PolicyError: An unknown key or an invalid value; the Vietnamese message names the key.
    """
    raw = campaign_settings.get("digest") if campaign_settings else None
    return DigestSpec.read(raw).policy()


# --------------------------------------------------------------------------- working days


def vietnamese_public_holidays() -> HolidayBase:
    """``holidays.country_holidays("VN", language="vi")``, without loading every country.

    The package's ``holidays.countries`` imports its 250-odd countries, about 17 MB and 0.4 s
    of a process that needs one. So the Vietnamese module is loaded alone, from that package's
    directory, under its own name (a later import of the whole package reuses it); when the
    package is already loaded, or its layout has changed, the package's registry is asked.
    """
    import holidays  # its calendars: only where days are counted, not at start-up

    name = "holidays.countries.vietnam"
    module = sys.modules.get(name)
    path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
    if module is None and "holidays.countries" not in sys.modules and path.is_file():
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
    vietnam = getattr(module, "Vietnam", None)
    if vietnam is None:
        return holidays.country_holidays("VN", language="vi")
    public: HolidayBase = vietnam(language="vi")
    return public


class WorkingCalendar:
    """Vietnamese working days: Monday–Friday except public holidays (incl. Tết).

    Public holidays come from ``holidays.country_holidays("VN")``, with their Vietnamese names;
    the Saturdays that the package lists as worked in exchange for a day off (e.g. 04/05/2019
    for 29/04/2019) are working days. ``extra_working_days`` win over everything, then
    ``extra_holidays``.
    """

    __slots__ = ("_extra_holidays", "_extra_working_days", "_public")

    def __init__(
        self, extra_holidays: Iterable[dt.date] = (), extra_working_days: Iterable[dt.date] = ()
    ) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working_days = frozenset(extra_working_days)
        both = sorted(self._extra_holidays & self._extra_working_days)
        if both:
            raise ValueError(
                f"Ngày {both[0]:%d/%m/%Y} vừa được ghi là ngày nghỉ vừa là ngày làm việc."
            )
        self._public = vietnamese_public_holidays()  # years are filled in lazily on lookup

    def holiday_name(self, day: dt.date) -> str | None:
        """Return the name of the public holiday or extra day off on ``day``.

        Args:
            day: A calendar day.

        Returns:
            The (Vietnamese) name; None for an ordinary day, a plain weekend day or a day in
            ``extra_working_days``.
        """
        if day in self._extra_working_days:
            return None
        name: str | None = self._public.get(day)
        if name is None and day in self._extra_holidays:
            return "Ngày nghỉ"
        return name

    def is_working_day(self, day: dt.date) -> bool:
        """Tell whether offices work on ``day``.

        Args:
            day: A calendar day.

        Returns:
            True on a working day.
        """
        if day in self._extra_working_days:
            return True
        if day in self._extra_holidays or day in self._public:  # lookup fills the year in
            return False
        return day.weekday() < 5 or day in self._public.weekend_workdays

    def at_or_before(self, day: dt.date) -> dt.date:
        """Return the latest working day on or before ``day``."""
        return self._walk(day, -1)

    def at_or_after(self, day: dt.date) -> dt.date:
        """Return the earliest working day on or after ``day``."""
        return self._walk(day, 1)

    def _walk(self, day: dt.date, step: int) -> dt.date:
        while not self.is_working_day(day):
            day += dt.timedelta(days=step)
        return day


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True, slots=True)
class Slot:
    """One reminder of one requirement.

    Attributes:
        key: Stable identity: ``b7``, ``b3``, ``b1`` (before), ``d0`` (due day), ``o2``, ``o4``
            … (overdue), named by the original offset.
        day: The local calendar day the reminder goes out (after any move).
        at: When it goes out: ``day`` at the policy's time in the campaign timezone, aware UTC.
        offset_days: The original (unmoved) day minus the due date: -7, -3, -1, 0, 2, 4, …
    """

    key: str
    day: dt.date
    at: dt.datetime
    offset_days: int


def _instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)


def reminder_slots(
    due_date: dt.date,
    policy: ReminderPolicy,
    tz: ZoneInfo,
    calendar: WorkingCalendar | None = None,
) -> list[Slot]:
    """List the reminders of a deadline (rules in the module docstring).

    Args:
        due_date: The local calendar day the requirement is due.
        policy: The requirement's effective policy.
        tz: The campaign timezone.
        calendar: Working days, used with ``skip_non_working_days`` (default: a plain
            :class:`WorkingCalendar`).

    Returns:
        The slots sorted by time, with distinct keys and days; empty when the policy is off.
    """
    if not policy.enabled:
        return []
    cal = (calendar or WorkingCalendar()) if policy.skip_non_working_days else None
    candidates = [(f"b{n}", -n) for n in policy.before_days]
    if policy.on_due_day:
        candidates.append(("d0", 0))
    every = policy.overdue_every_days
    candidates += [(f"o{k * every}", k * every) for k in range(1, policy.overdue_max + 1)]

    used: set[dt.date] = set()
    slots: list[Slot] = []
    for key, offset in candidates:
        day = due_date + dt.timedelta(days=offset)
        if cal is not None:
            day = cal.at_or_before(day) if offset <= 0 else cal.at_or_after(day)
        if (day > due_date if offset <= 0 else day <= due_date) or day in used:
            continue
        used.add(day)
        slots.append(Slot(key, day, _instant(day, policy.at, tz), offset))
    slots.sort(key=lambda slot: slot.at)
    return slots


def due_slot(
    due_date: dt.date,
    policy: ReminderPolicy,
    tz: ZoneInfo,
    calendar: WorkingCalendar | None,
    now: dt.datetime,
    grace: dt.timedelta,
) -> Slot | None:
    """The slot of ``due_date``'s reminders that is due at ``now``, if any.

    A slot is due from its moment (after the quiet hours) until ``grace`` after it; after
    downtime the newest missed one is the one sent.
    """
    due = [
        slot
        for slot in reminder_slots(due_date, policy, tz, calendar)
        if quiet_shift(slot.at, policy.quiet_hours, tz) <= now < slot.at + grace
    ]
    return due[-1] if due else None


def quiet_shift(moment: dt.datetime, quiet: QuietHours | None, tz: ZoneInfo) -> dt.datetime:
    """Delay a moment that falls inside the quiet hours to their end.

    Args:
        moment: An aware instant.
        quiet: The quiet hours (local to ``tz``), or None.
        tz: The campaign timezone.

    Returns:
        The end of the quiet hours ``moment`` falls in, else ``moment``; aware UTC either way.

    Raises:
        ValueError: ``moment`` is naive.
    """
    if moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(tz)
    if quiet is None or not quiet.contains(local.time()):
        return moment.astimezone(dt.UTC)
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += dt.timedelta(days=1)  # wraps midnight: the quiet hours end tomorrow
    return _instant(end_day, quiet.end, tz)


def digest_days(
    start: dt.date, end: dt.date, digest: DigestPolicy, calendar: WorkingCalendar
) -> list[dt.date]:
    """List the days from ``start`` to ``end`` (both included) the digest goes out on.

    Args:
        start: First day.
        end: Last day.
        digest: The digest policy.
        calendar: Working days, used with ``working_days_only``.

    Returns:
        The days in order; empty when the digest is off or ``end`` is before ``start``.
    """
    if not digest.enabled:
        return []
    days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return [d for d in days if not digest.working_days_only or calendar.is_working_day(d)]
