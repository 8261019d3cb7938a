"""Codes of units, campaigns, requirements and award forms, as offices write them.

A code is ASCII letters, digits and ``-``, ``_``, ``.``, starting with a letter or a digit; it is
stored trimmed and upper-case (:func:`storage.text.normalize_code`), so ``p-badinh`` and
``P-BADINH`` are one code.
"""

from __future__ import annotations

import re

from storage.text import normalize_code

__all__ = ["check_code"]

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def check_code(text: str, max_len: int = 32) -> str:
    """Return the stored form of a code written ``text``.

    Args:
        text: The code as written (surrounding spaces are ignored).
        max_len: Most characters allowed.

    Raises:
        ValueError: With a Vietnamese message when ``text`` is not a code.
    """
    value = text.strip()
    if not _CODE.match(value) or len(value) > max_len:
        raise ValueError(
            f'Mã "{value}" chỉ được gồm chữ cái không dấu, chữ số và các dấu - _ . '
            f"(tối đa {max_len} ký tự)."
        )
    return normalize_code(value)
