"""The main menu: command buttons with labels from templates, and typed-back labels."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast

import pytest

from handlers.flows.onboarding import menu_buttons, menu_command
from handlers.kernel.callbacks import Command
from handlers.kernel.context import Ctx
from handlers.kernel.messages import ChatKey, Incoming
from handlers.kernel.texts import Texts
from handlers.routes import ROUTES
from handlers.services.invites import normalize_invite_code
from storage.models import Person, Role


def _ctx() -> Ctx:
    return Ctx(
        session=cast(Any, None),
        deps=cast(Any, SimpleNamespace(texts=Texts())),
        msg=Incoming(ChatKey("test", "1"), "1"),
        now=dt.datetime(2019, 11, 12, 2, tzinfo=dt.UTC),
        account=None,
        person=None,
        unit=None,
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_button_runs_a_known_command_and_its_label_runs_it_too(role: Role) -> None:
    ctx = _ctx()
    buttons = menu_buttons(ctx, Person(full_name="A", role=role))
    assert buttons
    for button in buttons:
        command = Command.unpack(button.data)
        assert command is not None and command.name in ROUTES.commands
        assert button.label and "<" not in button.label
        assert menu_command(ctx, button.label) == button.data
        assert menu_command(ctx, f"  {button.label} ") == button.data


def test_labels_name_one_command_each() -> None:
    ctx = _ctx()
    by_label: dict[str, set[str]] = {}
    for role in Role:
        for button in menu_buttons(ctx, Person(full_name="A", role=role)):
            by_label.setdefault(button.label, set()).add(button.data)
    assert all(len(data) == 1 for data in by_label.values()), by_label


def test_other_text_is_no_menu_command() -> None:
    ctx = _ctx()
    assert menu_buttons(ctx, None) == ()
    for text in ("", "Tình hình chung", "xin chào", "/tinhhinh", "📊"):
        assert menu_command(ctx, text) is None


def test_menu_label_typed_without_emoji_case_or_diacritics() -> None:
    ctx = _ctx()
    for text in ("Tình hình", "tinh hinh", "AI CHUA NOP?", "danh sach da gui", "Đề cử"):
        assert menu_command(ctx, text) is not None, text
    assert menu_command(ctx, "tinh hinh") == Command(name="tinhhinh").pack()


def test_normalize_invite_code() -> None:
    assert normalize_invite_code(" k7xm-2pqr 9a ") == "K7XM2PQR9A"
    assert normalize_invite_code("") == ""
