"""Checks of what library callers pass in, so that misuse ends in inconcert's own errors
(:class:`~inconcert.errors.ParameterError`, :class:`~inconcert.errors.InputError`), never a raw
``TypeError`` or ``KeyError`` from deep inside (issue 12, item 13)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputError, ParameterError
from .schema import ACTION_SCHEMA

__all__ = ["action_table"]


def action_table(actions: object) -> pa.Table:
    """``actions`` as exactly :data:`~inconcert.schema.ACTION_SCHEMA`, or a clear error.

    Raises
    ------
    ParameterError
        ``actions`` is not an Arrow table.
    InputError
        A column is missing, cannot be converted, or holds nulls where none are allowed.
    """
    if isinstance(actions, pa.RecordBatch):
        actions = pa.Table.from_batches([actions])
    if not isinstance(actions, pa.Table):
        raise ParameterError(
            "actions",
            "a pyarrow Table with columns " + ", ".join(ACTION_SCHEMA.names),
            type(actions).__name__,
        )
    missing = [c for c in ACTION_SCHEMA.names if c not in actions.column_names]
    if missing:
        raise InputError(
            None,
            f"the actions table has no column {', '.join(missing)}",
            hint="columns: " + ", ".join(ACTION_SCHEMA.names),
        )
    table = actions.select(ACTION_SCHEMA.names)
    for field in ACTION_SCHEMA:
        column = table.column(field.name)
        if not field.nullable and column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise InputError(
                None,
                f"the actions table has {column.null_count:,} null "
                f"{field.name} value(s), the first in row {row}",
                hint=f"drop or fill them: every action needs its {field.name}",
            )
        if column.type != field.type:
            try:
                column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                raise InputError(
                    None,
                    f"the actions table's column {field.name} has type "
                    f"{column.type}, which cannot become {field.type} ({exc})",
                    hint="timestamps must be Arrow timestamps; ids text",
                ) from exc
    return table.cast(ACTION_SCHEMA)
