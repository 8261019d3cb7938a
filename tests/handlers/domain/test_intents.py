"""The intent table and matcher: a corpus of real-style phrasings, and the matcher's bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.domain.intents import (
    MAX_CHARS,
    PHRASES,
    Intent,
    IntentMatch,
    edit_distance,
    match_intent,
    similar,
)
from storage.text import fold_text

_CORPUS = Path(__file__).with_name("intent_corpus.txt")


def _corpus() -> list[tuple[str, str, str]]:
    rows = []
    for line in _CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, text = line.partition(" | ")
        intent, _, arg = head.strip().partition("=")
        rows.append((intent, arg, text.strip()))
    return rows


CORPUS = _corpus()


def test_corpus_is_large_enough() -> None:
    questions = [row for row in CORPUS if row[0] != "none"]
    assert len(questions) >= 150
    assert {Intent(row[0]) for row in questions} == set(Intent)


@pytest.mark.parametrize(("intent", "arg", "text"), CORPUS)
def test_corpus(intent: str, arg: str, text: str) -> None:
    found = match_intent(text)
    if intent == "none":
        assert not isinstance(found, IntentMatch), (text, found)
        return
    assert found == IntentMatch(Intent(intent), arg), text


def test_no_phrase_means_two_things() -> None:
    seen: dict[str, Intent] = {}
    for intent, phrases in PHRASES.items():
        for phrase in phrases:
            folded = fold_text(phrase)
            assert seen.setdefault(folded, intent) is intent, phrase


def test_every_phrase_matches_its_intent() -> None:
    for intent, phrases in PHRASES.items():
        for phrase in phrases:
            assert match_intent(phrase) == IntentMatch(intent), phrase


def test_unclear_text_offers_likely_meanings() -> None:
    found = match_intent("nộp")
    assert isinstance(found, list) and found
    assert all(not m.sure for m in found) and len(found) <= 3
    assert Intent.LATE in {m.intent for m in found}


def test_long_or_hostile_text_is_never_matched() -> None:
    assert match_intent("ai chưa nộp " * 20) is None
    assert match_intent("a" * (MAX_CHARS + 1)) is None
    assert match_intent("ai " + "x" * MAX_CHARS + " chưa nộp") is None
    assert match_intent("\u202e\u200bai chưa nộp") == IntentMatch(Intent.LATE)
    assert match_intent("") is None
    assert match_intent("???") is None


def test_edit_distance_is_bounded() -> None:
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("kitten", "sitting", 1) == 2  # stops past the limit
    assert edit_distance("a" * 50, "b", 2) == 3
    assert similar("hinhh", "hinh")
    assert not similar("hop", "nop")  # short words: no typo tolerated
    assert similar("nopj", "nop")  # a Telex tone key left in
