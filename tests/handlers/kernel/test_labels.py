"""Button labels are plain text: a value from the database is shown literally on every channel."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import render_text
from bot.telegram.render import inline_keyboard
from storage.models import Unit
from tests.harness import ChatHarness

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]
NAME = "Trần <b>B</b> &amp; 'Ba'"


async def test_names_in_labels_are_literal_on_the_console_and_telegram(
    chat: Chat, demo: None, session_factory: SF
) -> None:
    unit_name = "Phường <i>Ba</i> & Đình"
    async with session_factory.begin() as s:
        await s.execute(update(Unit).where(Unit.code == "P-BADINH").values(name=unit_name))

    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Xem một đơn vị")
    assert unit_name in noivu.buttons  # a raw value
    reply = next(r for r in noivu.replies if r.buttons)
    assert f"] {unit_name}" in render_text(reply)
    texts = [b.text for row in inline_keyboard(reply.buttons).inline_keyboard for b in row]
    assert unit_name in texts

    badinh = chat("badinh")
    await badinh.send("/daibieu")
    await badinh.press("Thêm đại biểu")
    await badinh.send(NAME)
    await badinh.send("1978")
    await badinh.send("nam")
    await badinh.press("Kinh")
    await badinh.send("Bí thư <chi bộ> & Chủ tịch")
    await badinh.send("dien hinh")
    await badinh.press("Không")
    await badinh.press("Lưu đại biểu")
    await badinh.press("Rút một đại biểu")
    label = next(b for b in badinh.buttons if "Trần" in b)  # rendered from a template
    assert NAME in label
    typed = await badinh.send(label)  # the label typed back picks the same button
    assert any(NAME in r.text or "Rút" in r.text for r in typed)
