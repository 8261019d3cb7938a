"""Receiving: both webhook body shapes, and a list read defensively."""

from __future__ import annotations

from bot.zalo.receiver import unwrap

UPDATE = {"event_name": "message.text.received", "message": {"message_id": "m1", "text": "hi"}}


def test_flat_and_wrapped_bodies_give_the_same_update() -> None:
    assert unwrap(UPDATE) == UPDATE
    assert unwrap({"ok": True, "result": UPDATE}) == UPDATE
    assert unwrap({"ok": True, "result": [UPDATE]}) == UPDATE


def test_what_is_not_an_update_is_none() -> None:
    assert unwrap({"ok": True, "result": []}) is None
    assert unwrap({"ok": False, "error_code": 408}) is None
    assert unwrap(["x"]) is None
    assert unwrap({"message": {}}) is None
