"""A unit's effective deadline and the rules of a gia hạn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from handlers.domain.deadlines import (
    check_extension,
    effective_due,
    extended_to,
    unit_dues,
    with_unit_due,
)
from handlers.domain.errors import UserError

D = dt.date


@dataclass
class Req:
    due_date: dt.date
    unit_due: dict[str, Any] = field(default_factory=dict)
    original_due: dt.date | None = None


def test_a_unit_without_its_own_deadline_has_everyones() -> None:
    req = Req(D(2019, 11, 15), {"7": "2019-11-20"})
    assert effective_due(req, 3) == D(2019, 11, 15)
    assert effective_due(req, 7) == D(2019, 11, 20)
    assert effective_due(req) == D(2019, 11, 15)
    assert extended_to(req, 7) == D(2019, 11, 20)
    assert extended_to(req, 3) is None


def test_everyones_later_deadline_carries_a_unit_along() -> None:
    req = Req(D(2019, 11, 25), {"7": "2019-11-20", "8": "garbage"}, D(2019, 11, 15))
    assert effective_due(req, 7) == D(2019, 11, 25)
    assert unit_dues(req) == {}
    assert extended_to(req, 7) == D(2019, 11, 25)
    assert extended_to(req) == D(2019, 11, 25)


def test_with_unit_due_adds_and_drops_stale_entries() -> None:
    req = Req(D(2019, 11, 15), {"7": "2019-11-10", "8": "2019-11-18"})
    assert with_unit_due(req, [9], D(2019, 11, 22)) == {"8": "2019-11-18", "9": "2019-11-22"}


@pytest.mark.parametrize(
    ("current", "new", "key"),
    [
        (D(2019, 11, 15), D(2019, 11, 11), "extend_past"),
        (D(2019, 11, 5), D(2019, 11, 11), "extend_past"),
        (D(2019, 11, 15), D(2019, 11, 15), "extend_not_later"),
        (D(2019, 11, 15), D(2019, 11, 14), "extend_not_later"),
    ],
)
def test_refused_extensions(current: dt.date, new: dt.date, key: str) -> None:
    with pytest.raises(UserError) as err:
        check_extension(current, new, D(2019, 11, 12))
    assert err.value.key == key


def test_a_late_deadline_may_be_extended_to_today() -> None:
    check_extension(D(2019, 11, 5), D(2019, 11, 12), D(2019, 11, 12))
