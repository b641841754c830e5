"""IN lists as one array parameter on PostgreSQL: one prepared statement per query.

SQLAlchemy renders ``column IN (:ids)`` with one placeholder per value, so every length
of list is a statement of its own text. asyncpg prepares each new text (a round trip,
and a parse and plan in the database) and keeps 100 per connection, so lists of varying
lengths (a batch's ids) prepare again and again and push the fixed statements out too.
This compiler renders them as ``column = ANY($1::BIGINT[])`` (``NOT IN``: ``<> ALL``),
which means the same, NULLs and empty lists included, with one text for every length.
Lists over other types (tuples, enums, JSON) and subqueries render as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Enum, Integer, String, all_, any_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import PGCompiler_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import OPERATORS
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement


class ArrayInCompiler(PGCompiler_asyncpg):
    """asyncpg's compiler, with IN lists of integers and strings as one array parameter."""

    def visit_in_op_binary(self, binary: BinaryExpression[Any], operator: Any, **kw: Any) -> str:
        values = _as_array(binary)
        if values is None:
            return self._generate_generic_binary(binary, OPERATORS[operator], **kw)
        return str(self.process(binary.left == any_(values), **kw))

    def visit_not_in_op_binary(
        self, binary: BinaryExpression[Any], operator: Any, **kw: Any
    ) -> str:
        values = _as_array(binary)
        if values is None:
            return str(super().visit_not_in_op_binary(binary, operator, **kw))  # type: ignore[no-untyped-call]
        return str(self.process(binary.left != all_(values), **kw))


def _as_array(binary: BinaryExpression[Any]) -> ColumnElement[Any] | None:
    """The list parameter of ``binary`` as one array parameter (None: not a list of
    integers or strings)."""
    values = binary.right
    left_type = binary.left.type
    if not isinstance(values, BindParameter) or not values.expanding or values.literal_execute:
        return None
    if not isinstance(left_type, Integer | String) or isinstance(left_type, Enum):
        return None
    # a clone keeps the parameter's lineage, so a cached statement still takes each
    # execution's own values
    array = values._with_binary_element_type(ARRAY(left_type))
    array.expanding = False
    return array


def use_array_in_lists(dialect: Dialect) -> None:
    """Compile this PostgreSQL (asyncpg) dialect's statements with :class:`ArrayInCompiler`."""
    dialect.statement_compiler = ArrayInCompiler
