"""Reminder planning as set operations (handlers.services.reminders).

Every statement the planning pass sends is recorded: when nothing is due it reads the
campaigns and their requirements and nothing else; when a slot is due, the owing units and
their accounts come from one query per campaign, and the result equals the reference (every
unit's progress, marked in Python, joined with the reachable accounts).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.domain.reminder_policy import WorkingCalendar
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from handlers.services.reminders import plan_notices
from storage.models import Role
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.people import PeopleRepository

SF = async_sessionmaker[AsyncSession]
TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent while the test runs (lower case)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql.lower())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.usefixtures("demo")
async def test_nothing_due_reads_no_unit_submission_or_account(
    session_factory: SF, statements: list[str]
) -> None:
    now = parse_now("2019-11-13T03:00", TZ)  # after the 08:00 slot's grace, before the next
    async with session_factory() as s:
        statements.clear()
        assert await plan_notices(s, Texts(), now, calendar=WorkingCalendar()) == []
    assert statements
    for sql in statements:
        assert "submissions" not in sql and "nominations" not in sql, sql
        assert "chat_accounts" not in sql and "from units" not in sql, sql


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("moment", ["2019-11-12T09:00", "2019-11-14T08:30", "2019-11-17T08:30"])
async def test_due_reminders_equal_the_reference_in_one_query(
    session_factory: SF, statements: list[str], moment: str
) -> None:
    now = parse_now(moment, TZ)
    async with session_factory() as s:
        statements.clear()
        planned = await plan_notices(s, Texts(), now, calendar=WorkingCalendar())
        owing_queries = [q for q in statements if "chat_accounts" in q and "standings" in q]
        reminders = [p for p in planned if p.kind == "reminder"]
        assert reminders, moment
        assert len(owing_queries) == 1  # the digest, when due, reads on its own
        # The reference: every unit marked in Python, joined with the reachable heads.
        campaign = (await CampaignRepository(s).get_active())[0]
        due = {p.requirement_id for p in reminders}
        heads = await PeopleRepository(s).linked_accounts((Role.UNIT_HEAD,), reachable_only=True)
        expected = set()
        for item in await campaign_progress(s, campaign, now):
            if item.requirement.id not in due:
                continue
            for mark in item.missing:
                for account, person, _ in heads:
                    if person.unit_id == mark.unit.id and mark.unit.is_active:
                        expected.add((item.requirement.id, mark.unit.id, account.id))
    got = {(p.requirement_id, p.unit_id, p.recipient.account_id) for p in reminders}
    assert got == expected
    assert len(got) == len(reminders)  # one notice per (requirement, unit, account)
