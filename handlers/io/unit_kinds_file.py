"""The deployment's unit kinds: a small YAML file that adds, relabels or replaces kinds.

::

    # unit-kinds.yaml (TDKT_UNIT_KINDS_FILE)
    replace: false          # true: only the kinds below; false (default): the built-in ones too
    kinds:
      - code: to_dan_pho    # a new kind: code (a-z, 0-9, _) and label
        label: Tổ dân phố
        aliases: [TDP, Khu phố]
      - code: so_ban_nganh  # a built-in kind: more aliases (and a new label if given)
        aliases: [Văn phòng UBND tỉnh]

Errors name the entry and are in Vietnamese; a file that cannot be read is refused whole.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds, UnitKindSpec

__all__ = ["UnitKindsFileError", "read_unit_kinds", "unit_kinds_from_data"]


class UnitKindsFileError(Exception):
    """The unit kinds file cannot be used; the message is Vietnamese and names the entry."""


def _entry(index: int, raw: Any) -> UnitKindSpec:
    where = f"Mục {index} của «kinds»"
    if not isinstance(raw, dict):
        raise UnitKindsFileError(f"{where}: cần có code, label và aliases.")
    code, label, aliases = raw.get("code"), raw.get("label"), raw.get("aliases", [])
    if not isinstance(code, str) or not code.strip():
        raise UnitKindsFileError(f"{where}: thiếu mã loại (code).")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise UnitKindsFileError(f"{where}: tên loại (label) phải là chữ.")
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise UnitKindsFileError(f"{where}: aliases phải là danh sách các cách viết.")
    return UnitKindSpec(code.strip(), label.strip() if label else None, tuple(aliases))


def unit_kinds_from_data(data: Any, base: UnitKinds = DEFAULT_UNIT_KINDS) -> UnitKinds:
    """The vocabulary a parsed YAML document declares, over ``base``.

    Raises:
        UnitKindsFileError: The document breaks the format (the entry is named).
    """
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), list):
        raise UnitKindsFileError("Tệp loại đơn vị cần có danh sách «kinds».")
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise UnitKindsFileError("«replace» phải là true hoặc false.")
    specs = [_entry(i, raw) for i, raw in enumerate(data["kinds"], start=1)]
    try:
        return base.with_overrides(specs, replace=replace)
    except ValueError as exc:
        raise UnitKindsFileError(str(exc)) from None


def read_unit_kinds(path: str | os.PathLike[str]) -> UnitKinds:
    """Read the deployment's unit kinds file.

    Raises:
        UnitKindsFileError: It cannot be opened, is not YAML, or breaks the format.
    """
    file = Path(path)
    try:
        text = unicodedata.normalize("NFC", file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        raise UnitKindsFileError(f"Không đọc được tệp loại đơn vị «{file.name}».") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (dòng {mark.line + 1})" if mark is not None else ""
        raise UnitKindsFileError(f"Tệp «{file.name}» không đúng cú pháp YAML{line}.") from None
    try:
        return unit_kinds_from_data(data)
    except UnitKindsFileError as exc:
        raise UnitKindsFileError(f"Tệp «{file.name}»: {exc}") from None
