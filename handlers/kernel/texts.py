"""User-facing wording, rendered from Jinja2 templates an office can edit.

Every template file in ``handlers/templates`` holds the macros of one feature; ``texts("nop.ask",
...)`` renders macro ``ask`` of ``nop.j2``. A directory given as ``override_dir`` is searched
first, so an office can change a text without touching code. Output is the small HTML subset
described in :mod:`handlers.kernel.messages`; every value is autoescaped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import html
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    pass_context,
)
from jinja2.ext import Extension
from jinja2.runtime import Context

from handlers.domain.deadlines import due_hour, effective_due, extended_to, unit_dues
from handlers.domain.normalize import writable
from handlers.domain.unit_kind_labels import UNIT_KINDS

__all__ = [
    "NAME_STAND_IN",
    "Texts",
    "around_stand_in",
    "fmt_date",
    "fmt_datetime",
    "fmt_hour",
    "fmt_when",
    "plain_text",
    "roman",
]

#: A name's stand-in when a text is rendered once for many units (thousands of report items,
#: a gia hạn's notices): each unit's name then takes its place (:func:`around_stand_in`).
NAME_STAND_IN = "TDKTUNITNAME"

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def fmt_date(value: dt.date | None) -> str:
    """Format a date as dd/mm/yyyy."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def fmt_hour(time: dt.time) -> str:
    """An hour as Vietnamese texts write it: "16h30", "8h00"."""
    return f"{time.hour}h{time.minute:02d}"


def fmt_when(day: dt.date | None, time: dt.time | None = None) -> str:
    """A day with its hour when it has one: "16h30 15/11/2019" (else "15/11/2019")."""
    if day is None or time is None:
        return fmt_date(day)
    return f"{fmt_hour(time)} {fmt_date(day)}"


def fmt_datetime(value: dt.datetime | None, tz: ZoneInfo | str = DEFAULT_TZ) -> str:
    """Format an aware datetime in ``tz`` (a zone or its name) as dd/mm/yyyy HH:MM."""
    if value is None:
        return ""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M")


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def roman(number: int) -> str:
    """``number`` (1–3999) in Roman numerals, as Vietnamese documents number their parts."""
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


@pass_context
def _dt_filter(context: Context, value: dt.datetime | None) -> str:
    """``|dt``: a datetime in the zone the text is rendered for (``Texts(..., tz=)``)."""
    return fmt_datetime(value, context.get("tz") or DEFAULT_TZ)


_HTML_TAG = re.compile(r"</?[a-z]+[^>]*>")


def around_stand_in(text: str) -> tuple[str, str] | None:
    """The parts of ``text`` before and after :data:`NAME_STAND_IN`, which it holds once.

    None when it does not hold it exactly once: such a text is rendered for each name.
    """
    before, found, after = text.partition(NAME_STAND_IN)
    return (before, after) if found and NAME_STAND_IN not in after else None


def plain_text(html_text: str) -> str:
    """A rendered text as plain text: tags dropped, entities read (for button labels)."""
    return html.unescape(_HTML_TAG.sub("", html_text))


#: How often a template in use is compared with its file (an office's edited override).
_RECHECK_SECONDS = 2.0

_TAG_ONLY_LINE = re.compile(r"^[ \t]*((?:\{%.*?%\}|\{#.*?#\}[ \t]*)+)[ \t]*\n", re.MULTILINE)


class TagLines(Extension):
    """A line holding only tags or comments disappears with its line break.

    Inline tags keep the text's line breaks, so a template reads like the message it renders.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """Join tag-only lines with the next line."""
        return _TAG_ONLY_LINE.sub(r"\1", source)


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's files of compiled templates; one that cannot be written is simply not kept."""

    def dump_bytecode(self, bucket: Any) -> None:
        """Write the bucket (atomically, as Jinja does); a full or read-only disk is no error."""
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates(cache_dir: Path | None) -> FileSystemBytecodeCache | None:
    """Where compiled templates are kept: a subdirectory of ``cache_dir`` per way of compiling.

    Jinja checks each file against its template's source (an edited template is compiled
    again); the subdirectory's name covers what else changes the compiled code (Jinja's
    version, :class:`TagLines`). None without a directory or when it cannot be made.
    """
    if cache_dir is None:
        return None
    key = hashlib.sha256(f"{jinja2.__version__}|{_TAG_ONLY_LINE.pattern}".encode()).hexdigest()
    path = cache_dir / f"templates-{key[:12]}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(path))


class Texts:
    """Renders reply texts from template macros.

    Args:
        override_dir: Templates searched before the built-in ones (an office's wording).
        cache_dir: Where compiled templates are kept between processes (compiling the 30-odd
            files costs a command or the bot's first replies a tenth of a second each); None
            compiles them in every process.
        unit_kinds: The deployment's unit kinds, code → label (``|kind_label`` shows a kind
            by its label); default the built-in ones.
    """

    def __init__(
        self,
        override_dir: Path | None = None,
        cache_dir: Path | None = None,
        unit_kinds: Mapping[str, str] | None = None,
    ) -> None:
        loaders: list[Any] = []
        if override_dir is not None:
            loaders.append(FileSystemLoader(str(override_dir)))
        loaders.append(PackageLoader("handlers", "templates"))
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=[TagLines],
            bytecode_cache=_compiled_templates(cache_dir),
        )
        self._env.filters["d"] = fmt_date
        self._env.filters["dt"] = _dt_filter
        self._env.filters["roman"] = roman
        self._env.filters["when"] = fmt_when
        # A unit's deadline after any gia hạn (handlers.domain.deadlines), and whether it was.
        self._env.filters["due"] = effective_due
        self._env.filters["extended"] = extended_to
        self._env.filters["unit_dues"] = unit_dues
        self._env.filters["due_hour"] = due_hour
        self._env.filters["hm"] = fmt_hour
        labels = dict(UNIT_KINDS if unit_kinds is None else unit_kinds)
        self._env.filters["kind_label"] = lambda code: labels.get(code, code)
        #: Each template's module (its macros) per time zone, made once: making one runs the
        #: whole template file, which costs more than the macro itself (an export renders one
        #: macro per cell). Keyed by the template object, so a reloaded template is made anew.
        self._modules: dict[tuple[Any, str | None], Any] = {}
        #: Each file's template and when it was last checked against its source (monotonic
        #: seconds): Jinja's own lookup stats the file on every call, a cost on every reply.
        self._templates: dict[str, tuple[Template, float]] = {}
        #: The texts of macros called without arguments, per template object and zone.
        self._fixed: dict[tuple[Template, str | None, str], str] = {}
        #: Their plain forms (menu and button labels, read on every message), by rendered text.
        self._plain: dict[str, str] = {}

    def compile_all(self) -> int:
        """Compile every template now, into the cache of compiled templates if there is one.

        ``tdkt init`` calls it, so that the bot's first answers after a set-up or an upgrade
        load compiled templates instead of compiling them (a tenth of a second each file).

        Returns:
            How many template files there are.
        """
        names = self._env.list_templates(extensions=["j2"])
        for name in names:
            self._env.get_template(name)
        return len(names)

    def _template(self, file: str) -> Template:
        """``file.j2``'s compiled template; an edited override is reloaded within seconds."""
        now = time.monotonic()
        cached = self._templates.get(file)
        if cached is not None and now - cached[1] < _RECHECK_SECONDS:
            return cached[0]
        if cached is not None and cached[0].is_up_to_date:
            self._templates[file] = (cached[0], now)
            return cached[0]
        template = self._env.get_template(f"{file}.j2")
        self._templates[file] = (template, now)
        return template

    def __call__(self, name: str, /, *, tz: str | None = None, **params: Any) -> str:
        """Render ``file.macro`` with ``params`` and strip surrounding whitespace.

        Args:
            name: ``file.macro``.
            tz: The time zone (IANA name) the text's times are shown in: the campaign's.
                Without one, Asia/Ho_Chi_Minh.
            **params: The macro's arguments.
        """
        file, _, macro = name.partition(".")
        template = self._template(file)
        if not params:  # a fixed text (a menu label, a button): rendered once per template
            key = (template, tz, macro)
            fixed = self._fixed.get(key)
            if fixed is None:
                fixed = self._fixed[key] = self._render(template, file, macro, tz, {})
            return fixed
        return self._render(template, file, macro, tz, params)

    def _render(
        self, template: Template, file: str, macro: str, tz: str | None, params: dict[str, Any]
    ) -> str:
        module = self._modules.get((template, tz))
        if module is None:
            module = template.make_module(vars={"tz": tz})
            self._modules[(template, tz)] = module
        fn = getattr(module, macro, None)
        if fn is None:
            raise KeyError(f"no macro {macro!r} in {file}.j2")
        lines = [line.rstrip() for line in writable(str(fn(**params))).strip().splitlines()]
        return "\n".join(lines)

    def plain(self, name: str, /, *, tz: str | None = None, **params: Any) -> str:
        """Render ``file.macro`` as plain text (:func:`plain_text`): labels, files, charts."""
        rendered = self(name, tz=tz, **params)
        if params:
            return plain_text(rendered)
        plain = self._plain.get(rendered)  # a fixed text: the same text, the same plain form
        if plain is None:
            plain = self._plain[rendered] = plain_text(rendered)
        return plain
