"""Property tests of the input rules every conversation step relies on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.errors import UserError
from handlers.domain.fields import parse_birth_year
from handlers.kernel import inputs
from handlers.kernel.context import Ctx
from handlers.kernel.dispatcher import _match_button
from handlers.kernel.messages import ChatKey, Incoming
from handlers.routes import ROUTES

TODAY = dt.date(2019, 11, 12)


def _ctx(text: str) -> Ctx:
    deps: Any = type("Deps", (), {"max_text_chars": 4000})()
    msg = Incoming(ChatKey("console", "u"), "u", text=text)
    return Ctx(None, deps, msg, dt.datetime.now(dt.UTC), None, None, None)  # type: ignore[arg-type]


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@given(
    st.one_of(
        st.text(max_size=12),
        st.integers(-10, 4000).map(str),
        st.integers(1900, 2020).map(lambda y: str(y).translate(_FULL_WIDTH)),
    )
)
def test_birth_year_accepts_exactly_plausible_four_digit_years(text: str) -> None:
    """ASCII or full-width digits; any other digit is refused."""
    digits = text.translate(str.maketrans("０１２３４５６７８９", "0123456789")).strip()
    plausible = (
        digits.isascii() and digits.isdigit() and len(digits) == 4 and 1920 <= int(digits) <= 2004
    )
    try:
        year = parse_birth_year(text, TODAY)
    except UserError as err:
        assert not plausible
        assert err.key in {"birth_year_invalid", "text_empty", "text_too_long"}
    else:
        assert plausible and year == int(digits)


@given(st.text(max_size=5000))
def test_free_text_is_refused_iff_empty_or_over_the_limit(text: str) -> None:
    try:
        value = inputs.free_text(_ctx(text), limit=2000)
    except UserError as err:
        assert err.key == ("text_empty" if not text.strip() else "text_too_long")
    else:
        assert value == text.strip() and 0 < len(value) <= 2000


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=12), st.data())
def test_a_typed_number_picks_that_button(labels: list[str], data: st.DataObject) -> None:
    stored = [[label, f"d{i}"] for i, label in enumerate(labels)]
    index = data.draw(st.integers(1, len(labels)))
    assert _match_button(f" {index} ", stored) == f"d{index - 1}"
    assert _match_button(str(len(labels) + 1), stored) is None


@given(st.text(max_size=40))
def test_only_slash_text_is_a_command(text: str) -> None:
    parsed = ROUTES.parse_command(text)
    assert (parsed is None) == (not text.startswith("/"))
