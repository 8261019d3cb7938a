"""Writing a campaign file: a campaign's mapping as the YAML text ``campaign load`` reads back.

The mapping is built by :func:`handlers.services.campaign_export.campaign_data`; the text is
read by :func:`handlers.io.campaign_file.parse.parse_campaign`.

The text is stable: keys in the order given (the format's order), Vietnamese kept as it is
(``allow_unicode``), dates written ``dd/mm/yyyy``, hours ``"HH:MM"``, no line folding, so
exporting the same campaign twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["dump_campaign", "vn_date"]


def vn_date(day: dt.date) -> str:
    """A date as the campaign file writes it: ``dd/mm/yyyy``."""
    return f"{day:%d/%m/%Y}"


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key and writes dates as ``dd/mm/yyyy`` strings."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _date(dumper: yaml.SafeDumper, day: dt.date) -> yaml.Node:
    return dumper.represent_str(vn_date(day))


def _time(dumper: yaml.SafeDumper, hour: dt.time) -> yaml.Node:
    return dumper.represent_str(f"{hour:%H:%M}")


_Dumper.add_representer(dt.date, _date)
_Dumper.add_representer(dt.time, _time)


def dump_campaign(data: Mapping[str, Any]) -> str:
    """The campaign file's YAML text for ``data`` (a mapping in the format's key order)."""
    text: str = yaml.dump(
        dict(data),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )
    return text
