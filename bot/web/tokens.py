"""Signed link tokens: a random nonce and its HMAC, so a forged link is refused unread.

A token is ``<nonce>.<signature>`` in URL-safe base64. The database keeps only its SHA-256;
the signing key is the office's (``TDKT_WEB_SECRET``) or one generated once in the data
directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

__all__ = ["SECRET_FILE", "load_secret", "make_token", "token_hash", "verify_token"]

_LOGGER = logging.getLogger(__name__)

#: The generated signing key, in the data directory.
SECRET_FILE = "web-secret.key"
_NONCE_BYTES = 18
_SIG_BYTES = 18
#: Longest token accepted before anything is computed (a nonce and a signature of 24 chars).
_MAX_TOKEN = 64


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _signature(secret: bytes, kind: str, nonce: str) -> str:
    mac = hmac.new(secret, f"{kind}.{nonce}".encode("ascii"), hashlib.sha256).digest()
    return _b64(mac[:_SIG_BYTES])


def make_token(secret: bytes, kind: str) -> str:
    """A fresh token for a link of ``kind`` (``upload`` or ``download``)."""
    nonce = _b64(secrets.token_bytes(_NONCE_BYTES))
    return f"{nonce}.{_signature(secret, kind, nonce)}"


def verify_token(secret: bytes, kind: str, token: str) -> bool:
    """Whether ``token`` was signed with ``secret`` for ``kind`` (constant-time comparison)."""
    if len(token) > _MAX_TOKEN or not token.isascii():
        return False
    nonce, dot, signature = token.partition(".")
    if not dot or not nonce or not signature:
        return False
    return hmac.compare_digest(_signature(secret, kind, nonce), signature)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def load_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The signing key: ``configured``, else the one kept in ``data_dir`` (made on first use)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    _LOGGER.info("generated the web companion's signing key in %s", path)
    return key
