"""Settings from the environment / .env (prefix ``TDKT_``); read only by the composition root.

A plain pydantic model filled from ``TDKT_*`` variables: pydantic-settings (with python-dotenv
and its many sources) cost every ``tdkt`` command about a tenth of a second of imports for what
these few lines do. The order is pydantic-settings' own: arguments, then the environment, then
``.env`` in the working directory, then the defaults; names are matched without regard to case.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["Settings", "read_env_file"]

PREFIX = "tdkt_"
ENV_FILE = Path(".env")


def read_env_file(path: Path) -> dict[str, str]:
    """The ``KEY=value`` lines of a dotenv file (none when it does not exist).

    Blank lines and ``#`` comments are skipped, ``export KEY=value`` is read as ``KEY=value``,
    a value in single or double quotes is taken as written between them (in double quotes the
    backslash escapes of a newline, a quote and a backslash are undone), and an unquoted value
    ends at a space followed by ``#``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        quote = value[:1]
        if quote in ("'", '"') and quote in value[1:]:
            value = value[1 : value.index(quote, 1) if quote == "'" else _closing(value)]
            if quote == '"':
                value = (
                    value.replace("\\\\", "\0")
                    .replace("\\n", "\n")
                    .replace('\\"', '"')
                    .replace("\0", "\\")
                )
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def _closing(value: str) -> int:
    """Where the double-quoted value that starts ``value`` ends (its quote not escaped)."""
    at = 1
    while at < len(value):
        if value[at] == "\\":
            at += 2
            continue
        if value[at] == '"':
            return at
        at += 1
    return len(value)


def _prefixed(source: Mapping[str, str]) -> dict[str, str]:
    """The ``TDKT_*`` entries of ``source`` by field name (lower case, prefix dropped)."""
    return {
        key[len(PREFIX) :].lower(): value
        for key, value in source.items()
        if key.lower().startswith(PREFIX)
    }


class Settings(BaseModel):
    """Runtime configuration. Nothing is read at import time: build one with ``Settings()``.

    Keyword arguments win over ``TDKT_*`` environment variables, which win over ``.env``.
    """

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        found = _prefixed(read_env_file(ENV_FILE)) | _prefixed(os.environ)
        fields = type(self).model_fields
        super().__init__(**{k: v for k, v in found.items() if k in fields} | values)

    data_dir: Path = Field(default=Path("data"), description="Where the database and files live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default a SQLite file in data_dir."
    )
    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather; without it the console runs."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        description="Root of the Bot API server (<root>/bot…, <root>/file/bot…).",
    )
    telegram_poll_timeout: int = Field(default=30, ge=0, le=50)
    telegram_rate_overall: float = Field(default=29.0, gt=0, description="Messages a second.")
    telegram_rate_chat: float = Field(default=1.0, gt=0, description="A second, per chat.")
    telegram_rate_group: float = Field(default=20.0, gt=0, description="A minute, per group.")
    zalo_token: SecretStr | None = Field(
        default=None, description="Zalo Bot token from Zalo Bot Creator (<bot_id>:<secret>)."
    )
    zalo_api_url: str = Field(
        default="https://bot-api.zaloplatforms.com",
        description="Root of the Zalo Bot API (<root>/bot<token>/<method>).",
    )
    zalo_poll_timeout: int = Field(default=30, ge=0, le=50)
    zalo_rate_overall: float = Field(default=5.0, gt=0, description="Messages a second.")
    zalo_rate_chat: float = Field(default=1.0, gt=0, description="A second, per chat.")
    zalo_webhook_secret: SecretStr | None = Field(
        default=None,
        min_length=8,
        max_length=256,
        description="Secret Zalo sends with each webhook call (8–256 characters).",
    )
    reminder_grace_hours: float = Field(
        default=12, ge=0, le=72, description="How late a missed reminder slot is still sent."
    )
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with each webhook call."
    )
    web_host: str = Field(default="127.0.0.1", description="Where the web companion listens.")
    web_port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = Field(
        default=None,
        description="The https address users reach the web companion at (its reverse proxy).",
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the web links; default one generated in data_dir.",
    )
    web_upload_minutes: int = Field(default=60, ge=1, le=24 * 60)
    web_download_minutes: int = Field(default=30, ge=1, le=24 * 60)
    templates_dir: Path | None = Field(
        default=None, description="Directory of .j2 files that override the built-in texts."
    )
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    unit_kinds_file: Path | None = Field(
        default=None, description="YAML file of the deployment's unit kinds (optional)."
    )
    zalo_bot_link: str | None = Field(
        default=None, description="The Zalo bot's link printed on invite sheets (optional)."
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "WARNING"

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/tdkt.db`` on SQLite."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tdkt.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        """Where submitted files are kept by content hash."""
        return self.data_dir / "files"
