"""Every step of every flow, for every role, against the hostile-input corpus (tests/hostile.py).

For each case: an answer, in Vietnamese, never the apology (an exception would fail the test);
when the input is refused (the conversation's step and data stay as they were), no row changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kernel.texts import Texts
from handlers.services.invites import ensure_account
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastDelivery,
    Conversation,
    Delegate,
    Nomination,
    Role,
    StoredFile,
    Submission,
)
from tests.harness import ChatHarness, Clock
from tests.hostile import cases

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

#: Who, and the moves that bring their conversation to a step (a label is pressed, text sent).
PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "head idle": ("badinh", ()),
    "head /nop pick": ("badinh", ("/nop",)),
    "head /nop content": ("badinh", ("/nop", "1")),
    "head /nop confirm": ("badinh", ("/nop", "1", "Kế hoạch của phường.")),
    "head /decu subject": ("badinh", ("/decu",)),
    "head /decu name": ("badinh", ("/decu", "@Cá nhân")),
    "head /decu gender": ("badinh", ("/decu", "@Cá nhân", "Trần Văn An")),
    "head /decu birth year": ("badinh", ("/decu", "@Cá nhân", "Trần Văn An", "@Nam")),
    "head /decu position": ("badinh", ("/decu", "@Cá nhân", "Trần Văn An", "@Nam", "1980")),
    "head /decu award": (
        "badinh",
        ("/decu", "@Cá nhân", "Trần Văn An", "@Nam", "1980", "Chủ tịch UBND phường"),
    ),
    "head /decu summary": (
        "badinh",
        ("/decu", "@Cá nhân", "Trần Văn An", "@Nam", "1980", "Chủ tịch UBND phường", "1"),
    ),
    "head /daibieu menu": ("badinh", ("/daibieu",)),
    "head /daibieu name": ("badinh", ("/daibieu", "@Thêm đại biểu")),
    "head /daibieu birth year": ("badinh", ("/daibieu", "@Thêm đại biểu", "Trần Bình")),
    "head /daibieu ethnicity": (
        "badinh",
        ("/daibieu", "@Thêm đại biểu", "Trần Bình", "1980", "@Nam"),
    ),
    "head /xuat": ("badinh", ("/xuat",)),
    "secretariat idle": ("noivu", ()),
    "secretariat /tinhhinh": ("noivu", ("/tinhhinh",)),
    "secretariat pick unit": ("noivu", ("/tinhhinh", "@Xem một đơn vị")),
    "secretariat /thongbao content": ("noivu", ("/thongbao",)),
    "secretariat /thongbao audience": ("noivu", ("/thongbao", "Họp giao ban thứ Hai.")),
    "secretariat /thongbao preview": (
        "noivu",
        ("/thongbao", "Họp giao ban thứ Hai.", "@Tất cả đơn vị"),
    ),
    "secretariat /duyet item": ("noivu", ("/duyet",)),
    "secretariat /duyet reason": ("noivu", ("/duyet", "@Trả lại")),
    "secretariat /xuat": ("noivu", ("/xuat",)),
    "member idle": ("thanhvien", ()),
    "member /nop": ("thanhvien", ("/nop",)),
    "stranger": ("nguoila", ()),
}
#: Steps that take only one of the offered choices: a hostile number must press nothing.
CHOICE_ONLY = {
    "head /nop pick",
    "head /nop confirm",
    "head /decu subject",
    "head /decu gender",
    "head /decu award",
    "head /daibieu menu",
    "head /xuat",
    "secretariat /thongbao audience",
    "secretariat /thongbao preview",
    "secretariat /duyet item",
    "secretariat /xuat",
}
#: Refused at every step: what cannot be seen is not an answer.
ALWAYS_REFUSED = {"invisible", "whitespace"}
_APOLOGY = re.compile(re.escape(Texts()("errors.internal")[:30]))
_VIETNAMESE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I
)
_COUNTED = (AuditLog, Broadcast, BroadcastDelivery, Delegate, Nomination, StoredFile, Submission)


async def _rows(sf: SF) -> tuple[int, ...]:
    counts = []
    async with sf() as s:
        for model in _COUNTED:
            counts.append(int(await s.scalar(select(func.count()).select_from(model)) or 0))
    return tuple(counts)


async def _step(sf: SF, user: str) -> tuple[str, dict[str, object]]:
    async with sf() as s:
        row = await s.get(Conversation, ("console", user))
        if row is None:
            return "idle", {}
        data = {k: v for k, v in dict(row.data).items() if k != "_buttons"}
        return row.state, data


async def _go(who: ChatHarness, moves: tuple[str, ...]) -> None:
    await who.send("/huy")
    for move in moves:
        if move.startswith("@"):
            await who.press(move[1:])
        else:
            await who.send(move)


@pytest.fixture
async def member(session_factory: SF, demo: None, clock: Clock) -> None:
    async with session_factory.begin() as s:
        await ensure_account(
            s,
            channel="console",
            external_id="thanhvien",
            full_name="Cán bộ phường Ba Đình",
            role=Role.UNIT_MEMBER,
            unit_code="P-BADINH",
            now=clock(),
        )


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_every_step_answers_hostile_input_and_refusals_change_nothing(
    path: str, chat: Chat, member: None, session_factory: SF
) -> None:
    user, moves = PATHS[path]
    who = chat(user)
    await _go(who, moves)
    for category, text in cases():
        before_step = await _step(session_factory, user)
        before_rows = await _rows(session_factory)
        replies = await who.send(text)
        shown = "\n".join(r.text for r in replies)
        where = f"{path} / {category} {text[:20]!r}"
        assert replies, f"no answer: {where}"
        assert not _APOLOGY.search(shown), f"apology: {where}\n{shown}"
        assert _VIETNAMESE.search(shown), f"not Vietnamese: {where}\n{shown}"
        refused = await _step(session_factory, user) == before_step
        if category in ALWAYS_REFUSED or (category == "numbers" and path in CHOICE_ONLY):
            assert refused, f"taken as an answer: {where}\n{shown}"
        if refused:
            assert await _rows(session_factory) == before_rows, f"changed rows: {where}"
        else:
            await _go(who, moves)  # it was taken as an answer: back to the step
