"""Small Arrow helpers shared across the package."""

from __future__ import annotations

import pyarrow as pa


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one contiguous array (a chunked column's chunks joined)."""
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
