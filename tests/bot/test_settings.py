"""Settings: ``TDKT_*`` variables, ``.env`` and arguments, in pydantic-settings' order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without ``.env`` and an environment without ``TDKT_*``."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.upper().startswith("TDKT_")]:
        monkeypatch.delenv(name)
    return tmp_path


def test_the_defaults_without_environment(workdir: Path) -> None:
    settings = Settings()
    assert settings.data_dir == Path("data")
    assert settings.telegram_token is None
    assert settings.telegram_poll_timeout == 30
    assert settings.db_url.endswith("/data/tdkt.db")


def test_arguments_win_over_the_environment_which_wins_over_dot_env(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text(
        "TDKT_LOG_LEVEL=debug\nTDKT_WEB_PORT=9001\nTDKT_INVITE_TTL_DAYS=3\n", encoding="utf-8"
    )
    monkeypatch.setenv("TDKT_WEB_PORT", "9002")
    monkeypatch.setenv("tdkt_invite_ttl_days", "4")  # names are matched whatever their case
    settings = Settings(log_level="error")
    assert (settings.log_level, settings.web_port, settings.invite_ttl_days) == ("error", 9002, 4)
    assert Settings().log_level == "debug"


def test_values_are_converted_and_checked(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TDKT_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("TDKT_TELEGRAM_RATE_OVERALL", "12.5")
    monkeypatch.setenv("TDKT_DATA_DIR", str(workdir / "d"))
    monkeypatch.setenv("TDKT_NOT_A_SETTING", "ignored")
    settings = Settings()
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.telegram_rate_overall == 12.5
    assert settings.data_dir == workdir / "d"
    monkeypatch.setenv("TDKT_WEB_PORT", "0")
    with pytest.raises(ValidationError, match="web_port"):
        Settings()
