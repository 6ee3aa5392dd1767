"""Statements on a hot path, compiled once per dialect and run on the driver's own cursor."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

__all__ = ["ROWS_PER_STATEMENT", "DriverInsert"]

#: The most rows :meth:`DriverInsert.many` puts in one SQLite statement (SQLite allows 32,766
#: parameters in one statement; a wide table has a few dozen columns).
ROWS_PER_STATEMENT = 256


class DriverInsert:
    """``INSERT INTO table (...) VALUES (...)``, optionally ``RETURNING`` one column.

    Every column is given but the table's generated integer key, if it has one.

    Built from a :class:`sqlalchemy.Table`, compiled once per dialect with the column types'
    own bind processors (so :class:`UtcDateTime` and :class:`JsonText` values are stored exactly
    as a Core insert stores them), and executed on the DBAPI cursor of the caller's transaction.
    That skips SQLAlchemy's per-statement bookkeeping, a third of the cost of a small insert,
    which matters on paths such as a citizen's POST. Errors are raised as SQLAlchemy's
    :class:`~sqlalchemy.exc.DBAPIError`, without the parameters (rows hold personal data).

    Args:
        table: The table.
        returning: A column whose value the insert returns (the generated key), or None.
        with_key: Give the generated key's column too (the caller chose the keys).
    """

    def __init__(
        self, table: sa.Table, *, returning: str | None = None, with_key: bool = False
    ) -> None:
        self._table = table
        self._returning = returning
        self._with_key = with_key
        self._compiled: dict[str, tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]]
        self._compiled = {}
        self._lock = threading.Lock()

    def _for(
        self, dialect: Dialect
    ) -> tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
        key = f"{dialect.name}+{dialect.driver}:{dialect.paramstyle}"
        found = self._compiled.get(key)
        if found is not None:
            return found
        with self._lock:
            generated = self._table.autoincrement_column
            columns = [c for c in self._table.columns if self._with_key or c is not generated]
            statement = sa.insert(self._table).values(
                {c.name: sa.bindparam(c.name) for c in columns}
            )
            if self._returning is not None:
                statement = statement.returning(self._table.c[self._returning])
            compiled = statement.compile(dialect=dialect)
            names = compiled.positiontup or [c.name for c in columns]
            processors = tuple(
                (name, self._table.c[name].type.bind_processor(dialect)) for name in names
            )
            found = (compiled.string, processors)
            self._compiled[key] = found
        return found

    @staticmethod
    def _params(
        dialect: Dialect,
        processors: tuple[tuple[str, Callable[[Any], Any] | None], ...],
        values: Mapping[str, Any],
    ) -> tuple[Any, ...] | dict[str, Any]:
        if dialect.paramstyle in ("qmark", "numeric", "format"):
            return tuple(
                values[name] if process is None else process(values[name])
                for name, process in processors
            )
        return {
            name: values[name] if process is None else process(values[name])
            for name, process in processors
        }

    def __call__(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Insert one row of ``values`` (a value for each given column) in ``conn``'s transaction.

        Returns:
            The returned column's value, or None.
        """
        dialect = conn.dialect
        sql, processors = self._for(dialect)
        params = self._params(dialect, processors, values)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone() if self._returning is not None else None
        except dialect.loaded_dbapi.Error as e:
            _raise_terse(sql, e, dialect)
        finally:
            cursor.close()
        return None if row is None else row[0]

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert several rows in ``conn``'s transaction, in as few statements as possible.

        On SQLite, one ``INSERT ... VALUES (...), (...)`` per up to :data:`ROWS_PER_STATEMENT`
        rows: one call into the driver (each call lets other threads take the interpreter, and a
        thread that holds the write lock should give it up as rarely as it can). Elsewhere, the
        driver's ``executemany``. Nothing is returned (``returning`` applies to single rows).
        """
        if not rows:
            return
        dialect = conn.dialect
        sql, processors = self._for(dialect)
        if self._returning is not None:
            sql = sql[: sql.rindex(" RETURNING ")]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if dialect.paramstyle == "qmark":
                head, _, one = sql.partition(" VALUES ")
                for start in range(0, len(rows), ROWS_PER_STATEMENT):
                    chunk = rows[start : start + ROWS_PER_STATEMENT]
                    flat: list[Any] = []
                    for values in chunk:
                        flat.extend(self._params(dialect, processors, values))
                    cursor.execute(f"{head} VALUES {', '.join([one] * len(chunk))}", flat)
            else:
                cursor.executemany(sql, [self._params(dialect, processors, v) for v in rows])
        except dialect.loaded_dbapi.Error as e:
            _raise_terse(sql, e, dialect)
        finally:
            cursor.close()


def _raise_terse(sql: str, error: Exception, dialect: Dialect) -> NoReturn:
    """Raise the driver's error as SQLAlchemy's, without the row's values."""
    terse = _without_values(error)
    raised = sa.exc.DBAPIError.instance(
        sql, None, terse, dialect.loaded_dbapi.Error, hide_parameters=True
    )
    if terse is error:
        raise raised from error
    raise raised from None  # the driver's own error quotes the row


def _without_values(error: Exception) -> Exception:
    """The driver's error, without what it quotes of the row.

    PostgreSQL adds a ``DETAIL`` with the failing row or the duplicate key's value, and a few of
    its messages end with the offending value (``invalid input syntax for type integer: ...``):
    only the primary message, up to such a value, is kept, in an error of the same class (so of
    the same SQLSTATE). SQLite's messages name the constraint, never a value, and are kept.
    """
    primary = getattr(getattr(error, "diag", None), "message_primary", None)
    if not primary:
        return error
    return type(error)(primary.split(": ", 1)[0])
