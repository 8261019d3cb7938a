"""``column IN (a list)`` with the whole list bound as one parameter.

SQLAlchemy's ``in_`` renders one bound parameter per value when the statement runs: for a
requirement of a few hundred listed unit codes, each execution expands, renders (with a cast
per value on PostgreSQL) and sends them all, and building the condition coerces each value.
:func:`among` binds the list once, whatever its length, so the statement stays the same:

* PostgreSQL: ``column = ANY (:values)``, the list as an array;
* SQLite: ``column IN (SELECT value FROM json_each(:values))``, the list as a JSON text.

Both still look each value up in the column's index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, JSON, BindParameter, Boolean, ColumnElement, String, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["among"]


class _TextList(TypeDecorator[list[str]]):
    """A list of strings bound as an array on PostgreSQL, as a JSON text elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """An array of text on PostgreSQL, else JSON."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(JSON())


class Among(ColumnElement[bool]):
    """Whether ``column`` is one of ``values`` (see :func:`among`)."""

    inherit_cache = True
    type = Boolean()
    #: A condition in itself (no ``= 1`` added where the database has no boolean type).
    _is_implicitly_boolean = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration)
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: Iterable[str]) -> None:
        self.column = column
        self.values: BindParameter[list[str]] = bindparam(None, list(values), type_=_TextList())


def among(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN (values)`` for text values, the list bound as one parameter.

    Args:
        column: A text column (or expression).
        values: The strings it may equal (none: nothing matches).
    """
    return Among(column, values)


@compiles(Among)
def _json_each(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(Among, "postgresql")
def _any_array(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY ({compiler.process(element.values, **kw)})"
