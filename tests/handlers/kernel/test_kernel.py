"""The kernel's guarantees: typed button data and the conversation states.

Each property is checked by a small function that takes the kinds (or flows) to check, so the
tests can show it catches a broken case (a throw-away duplicate) as well as pass on the core.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
from collections import Counter
from collections.abc import Iterable
from types import ModuleType
from typing import Any, cast

import pytest

import handlers.flows
from handlers.domain.errors import UserError
from handlers.kernel.callbacks import MAX_BYTES, SEP, CallbackData, Command, all_kinds
from handlers.kernel.context import Ctx, StateSpec
from handlers.kernel.messages import ChatKey, Incoming
from handlers.kernel.states import IDLE, merge_states
from handlers.routes import ROUTES

# -- helpers ---------------------------------------------------------------------------------


def core_kinds() -> list[type[CallbackData]]:
    """Every kind of button data the core defines (the dispatcher has loaded every flow)."""
    ROUTES.load()  # every flow's kinds are defined
    return [k for k in all_kinds() if not k.__module__.startswith("tests.")]


def duplicate_prefixes(kinds: Iterable[type[CallbackData]]) -> dict[str, list[str]]:
    """Prefixes used by more than one kind → the kinds using them."""
    owners: dict[str, list[str]] = {}
    for kind in kinds:
        owners.setdefault(kind.__prefix__, []).append(f"{kind.__module__}.{kind.__qualname__}")
    return {prefix: names for prefix, names in owners.items() if len(names) > 1}


def flow_modules() -> list[ModuleType]:
    """Every module of ``handlers.flows``."""
    return [
        importlib.import_module(f"handlers.flows.{info.name}")
        for info in pkgutil.iter_modules(handlers.flows.__path__)
    ]


def state_enums(modules: Iterable[ModuleType]) -> list[type[enum.StrEnum]]:
    """The ``State`` enum of each flow that has steps."""
    found = [getattr(m, "State", None) for m in modules]
    return [s for s in found if isinstance(s, type) and issubclass(s, enum.StrEnum)]


def missing_states(enums: Iterable[type[enum.StrEnum]], table: Iterable[str]) -> list[str]:
    """State names declared in a flow's enum that the dispatcher's table does not serve."""
    served = set(table)
    return [str(s) for e in enums for s in e if str(s) not in served]


def shared_state_values(enums: Iterable[type[enum.StrEnum]]) -> list[str]:
    """State names two enums (or one, twice) declare."""
    counts = Counter(str(s) for e in enums for s in e)
    return sorted(name for name, n in counts.items() if n > 1)


def make_ctx(choice: str | None) -> Ctx:
    """A step context with nothing behind it but the chosen button."""
    return Ctx(
        session=cast(Any, None),
        deps=cast(Any, None),
        msg=Incoming(ChatKey("test", "1"), "1"),
        now=dt.datetime(2019, 11, 12, 2, tzinfo=dt.UTC),
        account=None,
        person=None,
        unit=None,
        choice=choice,
    )


# -- throw-away kinds for the codec tests ----------------------------------------------------


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Sample(CallbackData, prefix="tests.sample"):
    number: int
    word: str
    flag: bool
    colour: Colour


class Other(CallbackData, prefix="tests.other"):
    number: int


class Bare(CallbackData, prefix="tests.bare"):
    """A kind without fields."""


# -- prefixes --------------------------------------------------------------------------------


def test_every_prefix_in_the_core_is_unique() -> None:
    kinds = core_kinds()
    assert Command in kinds and len(kinds) > 10  # the flows' kinds are there too
    assert duplicate_prefixes(kinds) == {}


def test_the_uniqueness_check_reports_a_duplicate() -> None:
    real = core_kinds()[0]

    class Clash(CallbackData, prefix=real.__prefix__):
        x: int

    found = duplicate_prefixes([*core_kinds(), Clash])
    assert list(found) == [real.__prefix__]
    assert f"{__name__}.{Clash.__qualname__}" in found[real.__prefix__]


def test_no_prefix_contains_the_separator() -> None:
    assert all(SEP not in k.__prefix__ and k.__prefix__ for k in core_kinds())
    with pytest.raises(TypeError):

        class Bad(CallbackData, prefix="tests:bad"):
            pass

    with pytest.raises(TypeError):

        class Unnamed(CallbackData):
            pass


# -- pack and unpack -------------------------------------------------------------------------


def test_round_trip_of_int_str_bool_and_enum_fields() -> None:
    for flag in (True, False):
        data = Sample(number=-7, word="Bắc Sơn", flag=flag, colour=Colour.GREEN)
        packed = data.pack()
        assert packed == f"tests.sample:-7:Bắc Sơn:{int(flag)}:green"
        assert Sample.unpack(packed) == data
    assert Bare.unpack(Bare().pack()) == Bare()
    assert Bare().pack() == "tests.bare"
    assert Command.unpack(Command(name="nop").pack()) == Command(name="nop")


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (Sample, None),
        (Sample, ""),
        (Sample, "tests.other:7"),  # another kind
        (Sample, "tests.samplex:1:a:1:red"),  # a prefix that merely starts the same
        (Sample, "tests.sample"),  # no values at all
        (Sample, "tests.sample:1:a:1"),  # too few parts
        (Sample, "tests.sample:1:a:1:red:extra"),  # too many
        (Sample, "tests.sample:one:a:1:red"),  # not an int
        (Sample, "tests.sample:1:a:maybe:red"),  # not a bool
        (Sample, "tests.sample:1:a:1:blue"),  # not a member of the enum
        (Other, "tests.other:"),  # an empty int
        (Other, "tests.other:3:4"),  # one part too many
        (Bare, "tests.bare:1"),  # a kind without fields carries nothing
        (Bare, "tests.other:3"),
    ],
)
def test_unpack_refuses_what_is_not_this_kind(kind: type[CallbackData], data: str | None) -> None:
    assert kind.unpack(data) is None


def test_pack_refuses_a_separator_in_a_value_and_data_over_the_limit() -> None:
    with pytest.raises(ValueError, match="contains"):
        Sample(number=1, word="a:b", flag=True, colour=Colour.RED).pack()
    room = MAX_BYTES - len("tests.sample:1::1:red")
    fits = Sample(number=1, word="x" * room, flag=True, colour=Colour.RED)
    assert len(fits.pack().encode()) == MAX_BYTES
    with pytest.raises(ValueError, match="64 bytes"):
        Sample(number=1, word="x" * (room + 1), flag=True, colour=Colour.RED).pack()
    with pytest.raises(ValueError, match="64 bytes"):  # bytes, not characters
        Sample(number=1, word="ư" * room, flag=True, colour=Colour.RED).pack()


def test_button_carries_the_packed_data() -> None:
    button = Other(number=3).button("Ba")
    assert (button.label, button.data) == ("Ba", "tests.other:3")


def test_ctx_expect_and_pressed() -> None:
    ctx = make_ctx(Other(number=3).pack())
    assert ctx.expect(Other) == Other(number=3)
    assert ctx.pressed(Other) == Other(number=3)
    assert ctx.pressed(Sample) is None
    with pytest.raises(UserError) as refused:
        ctx.expect(Sample)
    assert refused.value.key == "pick_one"
    with pytest.raises(UserError) as typed:
        make_ctx(None).expect(Other)  # text typed where a button was expected
    assert typed.value.key == "pick_one"


# -- states ----------------------------------------------------------------------------------


class FirstFlow(enum.StrEnum):
    ASK = "first.ask"


class SecondFlow(enum.StrEnum):
    ASK = "second.ask"
    CLASH = "first.ask"


class IdleFlow(enum.StrEnum):
    IDLE = IDLE


async def _step(ctx: Ctx) -> list[Any]:
    return []


SPEC = StateSpec(_step, _step)


def test_merge_states_merges_distinct_names() -> None:
    merged = merge_states([{FirstFlow.ASK: SPEC}, {SecondFlow.ASK: SPEC}])
    assert merged == {"first.ask": SPEC, "second.ask": SPEC}


def test_merge_states_refuses_a_name_two_flows_use() -> None:
    with pytest.raises(ValueError, match=r"first\.ask"):
        merge_states([{FirstFlow.ASK: SPEC}, {SecondFlow.CLASH: SPEC}])


def test_merge_states_refuses_idle() -> None:
    with pytest.raises(ValueError, match="idle"):
        merge_states([{IdleFlow.IDLE: SPEC}])


def test_merge_states_refuses_keys_that_are_not_enum_members() -> None:
    with pytest.raises(TypeError):
        merge_states([{"first.ask": SPEC}])


def test_every_state_of_every_flow_is_served() -> None:
    enums = state_enums(flow_modules())
    assert len(enums) >= 8  # every flow with steps declares its State enum
    assert missing_states(enums, ROUTES.load_states()) == []
    assert missing_states([*enums, FirstFlow], ROUTES.load_states()) == ["first.ask"]


def test_the_flows_package_names_every_flow_module() -> None:
    """A flow is imported when first named (``flows.submit``): only the names it lists."""
    modules = {info.name for info in pkgutil.iter_modules(handlers.flows.__path__)}
    assert set(handlers.flows.__all__) == modules
    assert handlers.flows.submit.__name__ == "handlers.flows.submit"
    with pytest.raises(AttributeError):
        _ = handlers.flows.nosuchflow


def test_no_two_flows_share_a_state_name() -> None:
    enums = state_enums(flow_modules())
    assert shared_state_values(enums) == []
    assert shared_state_values([FirstFlow, SecondFlow]) == ["first.ask"]
