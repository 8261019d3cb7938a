"""Signed link tokens and the signing key kept in the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.web.tokens import SECRET_FILE, load_secret, make_token, token_hash, verify_token


def test_a_token_verifies_only_with_its_key_and_kind() -> None:
    token = make_token(b"key", "upload")
    assert verify_token(b"key", "upload", token)
    assert not verify_token(b"other", "upload", token)
    assert not verify_token(b"key", "download", token)
    nonce, _, signature = token.partition(".")
    assert not verify_token(b"key", "upload", f"{nonce}x.{signature}")
    for bad in ("", ".", nonce, f"{nonce}.", "ä" * 10, "a." + "b" * 100):
        assert not verify_token(b"key", "upload", bad)
    assert make_token(b"key", "upload") != token
    assert len(token_hash(token)) == 64 and token not in token_hash(token)


def test_the_generated_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = load_secret(tmp_path / "data")
    path = tmp_path / "data" / SECRET_FILE
    assert len(first) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path / "data") == first
    assert load_secret(tmp_path / "data", "configured secret") == b"configured secret"
