"""Compiled templates kept between processes: the same texts, an edited template compiled again."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, NoReturn

import jinja2.bccache
import pytest

from handlers.kernel.texts import Texts


def _cached(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.cache"))


def test_compiled_templates_are_kept_and_give_the_same_texts(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = Texts()("errors.secretariat_only")
    assert Texts(cache_dir=cache)("errors.secretariat_only") == plain
    files = _cached(cache)
    assert len(files) >= 1  # errors.j2 and what it imports
    stamps = {f: f.stat().st_mtime_ns for f in files}
    assert Texts(cache_dir=cache)("errors.secretariat_only") == plain  # read back, not rewritten
    assert {f: f.stat().st_mtime_ns for f in _cached(cache)} == stamps


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    cache, overrides = tmp_path / "cache", tmp_path / "overrides"
    overrides.mkdir()
    template = overrides / "chao.j2"
    template.write_text("{% macro hi() %}Xin chào{% endmacro %}", encoding="utf-8")
    assert Texts(overrides, cache_dir=cache)("chao.hi") == "Xin chào"
    template.write_text("{% macro hi() %}Chào anh chị{% endmacro %}", encoding="utf-8")
    assert Texts(overrides, cache_dir=cache)("chao.hi") == "Chào anh chị"


def test_a_cache_that_cannot_be_written_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    assert Texts(cache_dir=blocked / "cache")("errors.secretariat_only")

    def disk_full(*args: object, **kwargs: object) -> NoReturn:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", disk_full)
    cache = tmp_path / "cache"
    assert Texts(cache_dir=cache)("errors.secretariat_only")
    assert _cached(cache) == []


def test_compile_all_fills_the_cache_so_a_new_process_compiles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    count = Texts(cache_dir=cache).compile_all()
    templates = Path(__file__).parents[3] / "handlers" / "templates"
    assert count == len(list(templates.rglob("*.j2"))) > 20
    assert len(_cached(cache)) == count

    def no_compiling(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("compiled a template that was in the cache")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    texts = Texts(cache_dir=cache)
    assert texts("errors.secretariat_only") and texts("onboarding.unknown")


def test_tdkt_init_compiles_the_templates_into_the_data_directory(tdkt: Any) -> None:
    tdkt("init")
    assert len(_cached(tdkt.cwd / "data" / "cache")) > 20
