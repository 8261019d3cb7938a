"""The rows of a bulk list checked with the wizards' own field rules.

Each cell is read by the same :class:`~handlers.domain.fields.Field` the wizard asks it with
(``/decu``: :data:`~handlers.domain.fields.NOMINATION_FIELDS`, ``/daibieu``:
:data:`~handlers.domain.fields.DELEGATE_FIELDS`), so a value refused in the chat is refused in
a file with the same words. Every problem of every row is collected (:class:`Problem`: the row,
the column, the reason's macro in ``templates/errors.j2``); a file with any problem imports
nothing.

Nominations: a row with "Họ và tên" is an individual (gender, birth year and position needed;
"Đơn vị công tác", when given, is added to the position as the wizard's "chức vụ, nơi công
tác"); a row without a name but with "Đơn vị công tác" is a collective named by it. Delegates:
an empty "Đoàn chủ tịch" is "Không".

Duplicates (:func:`duplicates`): the same name and birth year twice in the file or already in
the unit's list. They are not problems: the unit head decides to skip or keep them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.fields import (
    DELEGATE_FIELDS,
    NO,
    Facts,
    Field,
    nomination_fields,
)
from handlers.io.bulk_sheet import SheetRow
from storage.models import SubjectKind
from storage.text import fold_text

__all__ = [
    "Entry",
    "Problem",
    "check_delegates",
    "check_nominations",
    "duplicates",
    "person_key",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one cell (or one row when ``column`` is None).

    Attributes:
        row: The row's number in the file.
        column: The column key (its title is the template's), or None.
        key: The reason's macro in ``templates/errors.j2``.
        params: What the macro needs.
    """

    row: int
    column: str | None
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Entry:
    """One valid row: its number in the file and the values to store (the wizard's keys)."""

    row: int
    values: Mapping[str, Any]

    @property
    def subject(self) -> str:
        """``ca_nhan`` or ``tap_the`` (a delegate is a person: ``ca_nhan``)."""
        return str(self.values.get("subject", SubjectKind.INDIVIDUAL.value))


def person_key(name: str, birth_year: int | None) -> tuple[str, int | None]:
    """How two entries are told to be the same person: folded name and birth year."""
    return fold_text(name), birth_year


def _read(
    row: SheetRow, column: str, text: str, fld: Field, facts: Facts, problems: list[Problem]
) -> Any:
    """The value of ``fld`` in ``text``, or None with the problem recorded."""
    if column in row.formulas:  # listed once per row by _formulas
        return None
    if not text.strip() and not fld.optional:
        problems.append(Problem(row.number, column, "bulk_cell_empty"))
        return None
    try:
        return fld.parse(text, facts)
    except UserError as err:
        if fld.key == "award" or (fld.choices is not None and not fld.typed):
            options = list(facts.awards.values()) if fld.key == "award" else []
            params = {"value": text.strip(), "options": options}
            problems.append(Problem(row.number, column, "bulk_not_in_list", params))
        else:
            problems.append(Problem(row.number, column, err.key, err.params))
        return None


def _formulas(row: SheetRow, problems: list[Problem]) -> None:
    """A problem for every cell of ``row`` that holds a formula, whatever its column."""
    problems.extend(Problem(row.number, column, "bulk_formula") for column in row.formulas)


def check_nominations(
    rows: Iterable[SheetRow], today: dt.date, awards: Mapping[str, Mapping[str, str]]
) -> tuple[list[Entry], list[Problem]]:
    """Check every row of a nominations list.

    Args:
        rows: The rows read from the file.
        today: Today in the campaign's timezone (birth years are checked against it).
        awards: Subject (``ca_nhan``/``tap_the``) → the award forms open to it, code → name.

    Returns:
        The valid entries and every problem (when there is any, nothing may be imported).
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    for row in rows:
        name, workplace = row.cells.get("name", ""), row.cells.get("workplace", "")
        individual = bool(name) or "name" in row.formulas
        subject = SubjectKind.INDIVIDUAL.value if individual else SubjectKind.COLLECTIVE.value
        facts = Facts(today, awards.get(subject, {}))
        before = len(problems)
        _formulas(row, problems)
        values: dict[str, Any] = {"subject": subject}
        for fld in nomination_fields(subject):
            column, text = fld.key, row.cells.get(fld.key, "")
            from_workplace = fld.key == "name" and not individual
            if fld.key == "position" and workplace and not text:
                from_workplace = True
            if from_workplace:
                column, text = "workplace", workplace
            elif fld.key == "position" and workplace:
                text = f"{text}, {workplace}"
            values[fld.key] = _read(row, column, text, fld, facts, problems)
        if len(problems) == before:
            entries.append(Entry(row.number, values))
    return entries, problems


def check_delegates(rows: Iterable[SheetRow], today: dt.date) -> tuple[list[Entry], list[Problem]]:
    """Check every row of a delegates list (see :func:`check_nominations`)."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    facts = Facts(today)
    for row in rows:
        before = len(problems)
        _formulas(row, problems)
        values: dict[str, Any] = {}
        for fld in DELEGATE_FIELDS:
            text = row.cells.get(fld.key, "")
            if fld.key == "presidium" and not text.strip():
                text = NO
            values[fld.key] = _read(row, fld.key, text, fld, facts, problems)
        if len(problems) == before:
            entries.append(Entry(row.number, values))
    return entries, problems


def duplicates(
    entries: Sequence[Entry], existing: Iterable[tuple[str, int | None]]
) -> list[tuple[Entry, int | None]]:
    """The entries naming the same person (name and birth year) as an earlier one.

    Args:
        entries: The file's valid entries, in order.
        existing: (name, birth year) of the unit's current list.

    Returns:
        (entry, the row of its first occurrence in the file, or None when it is already in
        the system), in file order.
    """
    known = {person_key(name, year) for name, year in existing}
    first: dict[tuple[str, int | None], int] = {}
    found: list[tuple[Entry, int | None]] = []
    for entry in entries:
        key = person_key(str(entry.values["name"]), entry.values.get("birth_year"))
        if key in known:
            found.append((entry, None))
        elif key in first:
            found.append((entry, first[key]))
        else:
            first[key] = entry.row
    return found
