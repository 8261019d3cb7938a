"""Texts: templates compiled once, fixed texts rendered once, an edited override still shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handlers.kernel import texts as texts_module
from handlers.kernel.texts import Texts


def _write(path: Path, body: str, mtime: int) -> None:
    path.write_text(body, encoding="utf-8")
    os.utime(path, (mtime, mtime))  # a later mtime than the compiled template's


def test_a_template_is_looked_up_once(tmp_path: Path) -> None:
    texts = Texts(override_dir=tmp_path)
    lookups: list[str] = []
    original = texts._env.get_template

    def counted(name: str, *args: object, **kwargs: object) -> object:
        lookups.append(name)
        return original(name, *args, **kwargs)  # type: ignore[arg-type]

    texts._env.get_template = counted  # type: ignore[method-assign,assignment]
    labels = [texts.plain("onboarding.menu_status") for _ in range(5)]
    rendered = [texts("errors.unknown_command", name=f"x{n}") for n in range(5)]
    assert len(set(labels)) == 1 and labels[0]
    assert rendered[0] != rendered[1] and "x1" in rendered[1]  # parameters still rendered
    assert lookups.count("onboarding.j2") == 1  # (a template's own imports are Jinja's)
    assert lookups.count("errors.j2") == 1


def test_an_edited_override_is_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(texts_module, "_RECHECK_SECONDS", 0.0)  # compare with the file each time
    override = tmp_path / "onboarding.j2"
    _write(override, "{% macro menu_status() %}Cũ{% endmacro %}", 1_000_000_000)
    texts = Texts(override_dir=tmp_path)
    assert texts.plain("onboarding.menu_status") == "Cũ"
    assert texts.plain("onboarding.menu_status") == "Cũ"
    _write(override, "{% macro menu_status() %}Mới {{ 1 + 1 }}{% endmacro %}", 1_000_000_100)
    assert texts.plain("onboarding.menu_status") == "Mới 2"
