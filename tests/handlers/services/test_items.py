"""The item key (``s:<id>`` / ``n:<id>``) shared by /duyet and /danhsach, and loading by key."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.items import (
    ItemKey,
    ItemKind,
    is_withdrawn,
    revision_of,
    sent_at_of,
)
from handlers.services.items import load_item
from storage.models import (
    Nomination,
    NominationStatus,
    SubjectKind,
    Submission,
    SubmissionStatus,
)

SF = async_sessionmaker[AsyncSession]
AT = dt.datetime(2019, 11, 5, 2, 0, tzinfo=dt.UTC)


def _submission(**kw: object) -> Submission:
    values: dict[str, object] = {
        "id": 12,
        "unit_id": 1,
        "requirement_id": 2,
        "part": "",
        "version": 3,
        "status": SubmissionStatus.SUBMITTED,
        "submitted_at": AT,
    }
    return Submission(**{**values, **kw})


def _nomination(**kw: object) -> Nomination:
    values: dict[str, object] = {
        "id": 7,
        "campaign_id": 1,
        "unit_id": 1,
        "subject": SubjectKind.INDIVIDUAL,
        "full_name": "Nguyễn Thị Hoa",
        "award_code": "LDTT",
        "award_name": "Lao động tiên tiến",
        "summary": "…",
        "revision": 2,
        "status": NominationStatus.SUBMITTED,
        "created_at": AT + dt.timedelta(days=1),
        "updated_at": AT + dt.timedelta(days=2),
    }
    return Nomination(**{**values, **kw})


def test_key_of_an_item_packs_and_parses_back() -> None:
    for item, packed in ((_submission(), "s:12"), (_nomination(), "n:7")):
        key = ItemKey.of(item)
        assert key.pack() == packed
        assert ItemKey.parse(packed) == key
    assert ItemKey.of(_submission()).kind is ItemKind.SUBMISSION
    assert ItemKey.of(_nomination()) == ItemKey(ItemKind.NOMINATION, 7)


@pytest.mark.parametrize(
    "text",
    [None, "", "s", "s:", "x:12", "S:12", "s:abc", "s:-1", "s:1.5", "s:12:3", "s:١٢", " s:12"],
)
def test_parse_refuses_what_is_not_a_key(text: str | None) -> None:
    assert ItemKey.parse(text) is None


def test_revision_sent_at_and_withdrawn() -> None:
    sub, nom = _submission(), _nomination()
    assert (revision_of(sub), revision_of(nom)) == (3, 2)
    assert (sent_at_of(sub), sent_at_of(nom)) == (AT, AT + dt.timedelta(days=1))
    assert not is_withdrawn(sub) and not is_withdrawn(nom)
    assert is_withdrawn(_submission(status=SubmissionStatus.WITHDRAWN))
    assert is_withdrawn(_nomination(status=NominationStatus.WITHDRAWN))
    assert not is_withdrawn(_nomination(status=NominationStatus.RETURNED))


@pytest.mark.usefixtures("demo")
async def test_load_item_by_key(session_factory: SF) -> None:
    async with session_factory() as s:
        sub = (await s.scalars(select(Submission).limit(1))).one()
        nom = (await s.scalars(select(Nomination).limit(1))).one()
        assert await load_item(s, ItemKey.of(sub)) is sub
        assert await load_item(s, ItemKey.of(nom), lock=True) is nom
        assert await load_item(s, ItemKey(ItemKind.SUBMISSION, nom.id + 10_000)) is None
        assert await load_item(s, ItemKey(ItemKind.NOMINATION, 999_999)) is None
        assert await load_item(s, None) is None
