"""Unit tests of the Telegram channel's pure parts: rate limits on a fake clock, splitting."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import TokenRedactor
from bot.telegram import Limits, RateLimiter, TokenBucket, split_html


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(time: FakeTime, **kwargs: float) -> RateLimiter:
    kwargs.setdefault("overall_per_second", 30.0)  # round figures (the product uses 29)
    return RateLimiter(Limits(**kwargs), clock=time, sleep=time.sleep)  # type: ignore[arg-type]


async def _send_times(limiter: RateLimiter, time: FakeTime, chats: list[str]) -> list[float]:
    times = []
    for chat in chats:
        await limiter.acquire(chat, is_group=chat.startswith("-"))
        times.append(time.now)
    return times


def test_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3, now=0.0)
    assert [bucket.reserve(0.0) for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert bucket.reserve(10.0) == 0.0  # refilled, up to its capacity only
    assert not bucket.is_full(10.0)
    assert bucket.is_full(20.0)


async def test_one_private_chat_gets_one_message_a_second_after_a_small_burst() -> None:
    time = FakeTime()
    times = await _send_times(_limiter(time), time, ["42"] * 6)
    # a burst of 3 (paced by the overall limit), then one a second
    assert times == pytest.approx([0.0, 1 / 30, 2 / 30, 1.0, 2.0, 3.0])


async def test_a_group_gets_twenty_messages_a_minute() -> None:
    time = FakeTime()
    times = await _send_times(_limiter(time), time, ["-100"] * 23)
    assert times[:3] == pytest.approx([0.0, 1 / 30, 2 / 30])
    assert times[22] == pytest.approx(60.0)  # 20 more after the burst take a minute
    assert all(b - a == pytest.approx(3.0) for a, b in itertools.pairwise(times[3:]))


async def test_many_chats_share_thirty_messages_a_second() -> None:
    time = FakeTime()
    times = await _send_times(_limiter(time), time, [str(n) for n in range(1, 121)])
    assert times[-1] == pytest.approx(119 / 30)  # evenly paced, no burst
    for start in times:  # never more than 30 in any second (Telegram's sliding window)
        assert sum(1 for t in times if start <= t < start + 1 - 1e-9) <= 30


async def test_a_429_pauses_every_chat() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.pause(5.0)
    await limiter.acquire("1")
    await limiter.acquire("2")
    assert time.now == pytest.approx(5.0 + 1 / 30)


def test_split_keeps_short_texts_whole() -> None:
    assert split_html("<b>Một</b>\nHai") == ["<b>Một</b>\nHai"]


def test_split_cuts_between_lines_below_the_limit() -> None:
    lines = [f"<b>Đơn vị {n}</b>: đã nộp kế hoạch" for n in range(400)]
    chunks = split_html("\n".join(lines), limit=1000)
    assert all(len(c) <= 1000 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines  # nothing lost, no line broken


@given(st.text(alphabet=st.sampled_from("ab <>&\nđ"), max_size=3000))
def test_split_never_exceeds_the_limit_or_loses_words(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    chunks = split_html(escaped, limit=100)
    assert all(len(c) <= 100 for c in chunks)
    assert "".join(escaped.split()) == "".join("".join(chunks).split())


def test_token_is_redacted_from_logs_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    token = "123:SECRET-token"
    logger = logging.getLogger("tests.redact")
    caplog.handler.addFilter(TokenRedactor(token))
    logger.warning("calling https://api.telegram.org/bot%s/getMe", token)
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{token}/getMe")
    except RuntimeError:
        logger.exception("boom")
    assert token not in caplog.text
    assert "<token>" in caplog.text
