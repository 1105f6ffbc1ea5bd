"""Small Arrow helpers shared across the package."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Most bytes of values an Arrow string, binary or list array addresses with 32-bit offsets.
OFFSET_LIMIT = 2**31 - 1


def fits_one_array(nbytes: int) -> bool:
    """Whether ``nbytes`` of strings fit one array with 32-bit offsets (:data:`OFFSET_LIMIT`)."""
    return nbytes <= OFFSET_LIMIT


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one contiguous array (a chunked column's chunks joined; its only chunk as
    it is, where joining would copy it).

    Strings, binaries and lists whose chunks together hold more than 32-bit offsets address
    (2 GiB: the texts of a few hundred thousand scraped articles) are joined as their large
    types (:func:`large_type`), whose values are the same: joined as they are, Arrow would
    refuse them (offset overflow)."""
    if not isinstance(column, pa.ChunkedArray):
        return column
    if column.num_chunks == 1:
        return column.chunk(0)
    if column.nbytes > OFFSET_LIMIT and large_type(column.type) != column.type:
        return column.cast(large_type(column.type)).combine_chunks()
    return column.combine_chunks()


def large_type(t: pa.DataType) -> pa.DataType:
    """``t`` with 64-bit offsets: ``large_string`` for ``string``, ``large_binary`` for
    ``binary``, ``large_list`` of the large value type for ``list``; any other type as it is."""
    if pa.types.is_string(t):
        return pa.large_string()
    if pa.types.is_binary(t):
        return pa.large_binary()
    if pa.types.is_list(t):
        return pa.large_list(large_type(t.value_type))
    return t


def _variable_width(t: pa.DataType) -> bool:
    """Strings or binaries: values of any length behind offsets."""
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    )


def _rows_per_slice(values: pa.Array | pa.ChunkedArray) -> int:
    """Rows of ``values`` that surely fit one array with 32-bit offsets (by the longest)."""
    longest = 0
    if len(values) and _variable_width(values.type):
        longest = pc.max(pc.binary_length(values)).as_py() or 0
    return max(1, OFFSET_LIMIT // max(1, longest))


def gather(values: pa.Array, indices: pa.Array) -> pa.ChunkedArray:
    """``values.take(indices)`` in as few slices as hold at most 2 GiB each (by the longest
    value; one slice where the result fits one array): one array of strings could not hold
    more, and long texts taken for every row (an article quoted by each co-action that cites
    it) pass that."""
    step = _rows_per_slice(values)
    indices = one_array(indices)
    chunks = [values.take(indices.slice(i, step)) for i in range(0, len(indices), step)]
    return pa.chunked_array(chunks, type=values.type)


def take_rows(column: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``column``'s values at ``rows`` (positions, in that order), taken chunk by chunk: the
    chunks are never joined, so a column of long texts past 2 GiB gives the few rows wanted."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= len(column)):
        raise IndexError(f"rows outside 0..{len(column) - 1}")
    if not isinstance(column, pa.ChunkedArray):
        return column.take(pa.array(rows))
    if column.num_chunks == 1:
        return column.chunk(0).take(pa.array(rows))
    bounds = np.cumsum([0] + [len(c) for c in column.chunks])
    which = np.searchsorted(bounds, rows, side="right") - 1
    parts: list[pa.Array] = []
    placed: list[np.ndarray] = []
    for k, chunk in enumerate(column.chunks):
        sel = np.flatnonzero(which == k)
        if sel.size:
            parts.append(chunk.take(pa.array(rows[sel] - bounds[k])))
            placed.append(sel)
    if not parts:
        return pa.array([], column.type)
    joined = one_array(pa.chunked_array(parts, type=column.type))
    if rows.size < 2 or bool(np.all(rows[1:] >= rows[:-1])):
        return joined  # taken in order already
    order = np.empty(rows.size, dtype=np.int64)
    order[np.concatenate(placed)] = np.arange(rows.size, dtype=np.int64)
    return joined.take(pa.array(order))


def take_table(table: pa.Table, indices: pa.Array | np.ndarray) -> pa.Table:
    """``table.take(indices)``, its string and binary columns taken in as few slices as hold
    at most 2 GiB each (:func:`take_rows`; by their longest value): a table of co-actions that
    quote long texts may hold more than one array of strings can."""
    rows = np.asarray(
        indices.to_numpy(zero_copy_only=False) if isinstance(indices, pa.Array) else indices,
        dtype=np.int64,
    )
    columns = []
    for column in table.columns:
        t = column.type
        if not _variable_width(t):
            columns.append(column.take(pa.array(rows)))
            continue
        step = _rows_per_slice(column)
        chunks = [take_rows(column, rows[i : i + step]) for i in range(0, len(rows), step)]
        columns.append(pa.chunked_array([c.cast(t) for c in chunks], type=t))
    return pa.table(columns, schema=table.schema)


def nulled(
    values: pa.Array | pa.ChunkedArray, mask: pa.Array | pa.ChunkedArray
) -> pa.Array | pa.ChunkedArray:
    """``values`` with null where ``mask`` is true (a null in ``mask`` changes nothing). A
    string or binary array keeps its offsets and characters: only a new validity bitmap is
    made, where ``pc.if_else`` would copy every string (a quarter of a GiB for 3.3M posts'
    texts). A chunked array, chunk by chunk."""
    if isinstance(values, pa.ChunkedArray):
        mask = one_array(mask)
        parts, start = [], 0
        for chunk in values.chunks:
            parts.append(nulled(chunk, mask.slice(start, len(chunk))))
            start += len(chunk)
        return pa.chunked_array(parts, type=values.type)
    drop = pc.fill_null(one_array(mask), False)
    if not _variable_width(values.type) or values.offset != 0:
        return pc.if_else(drop, pa.scalar(None, values.type), values)
    keep = pc.and_not(pc.is_valid(values), drop)  # a fresh array: offset 0, no nulls
    return pa.Array.from_buffers(
        values.type, len(values), [keep.buffers()[1], *values.buffers()[1:]], null_count=-1
    )


#: The type of the evidence's texts (``text_a``, ``text_b``, ``object_text``): each distinct
#: text once, each row an index into them. A text is quoted by every co-action that cites it
#: (an article republished by fifty outlets: 1,225 pairs, each quoting it two or three times),
#: and as plain strings 300,000 republished articles' evidence held ~21 GB of copies.
TEXTS_TYPE = pa.dictionary(pa.int32(), pa.large_string())


#: Mean bytes per text from which texts are told apart by a digest of each (SHA-256, its first
#: 128 bits) rather than by Arrow's hash table of the texts themselves. 300,000 articles (2.6
#: GB): 2.2 s against 8.6-18.6 s; for short texts (posts) Arrow's table is the faster.
DIGEST_FROM_BYTES = 1024


def _digests(texts: pa.Array) -> pa.Array:
    """Each text's SHA-256, first 16 bytes (a null's: the empty text's), read in place from
    the array's buffers."""
    n = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], np.int64, count=n + 1, offset=texts.offset * 8)
    data = texts.buffers()[2]
    chars = memoryview(data) if data is not None else memoryview(b"")
    out = bytearray(16 * n)
    bounds = offsets.tolist()
    for i in range(n):
        out[16 * i : 16 * i + 16] = hashlib.sha256(chars[bounds[i] : bounds[i + 1]]).digest()[:16]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(out)])


def _text_codes(texts: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """A code per text of ``texts`` (large strings): equal codes for equal texts, -1 for a
    null; and the number of codes. Long texts are told apart by digest (:data:`DIGEST_FROM_BYTES`;
    two different texts with one digest: a chance of 2**-64 among four billion texts)."""
    if len(texts) == 0:
        return np.zeros(0, np.int64), 0
    chars = 0
    for chunk in texts.chunks:
        offsets = chunk.buffers()[1]
        if offsets is not None and len(chunk):
            bounds = np.frombuffer(offsets, np.int64, count=len(chunk) + 1, offset=chunk.offset * 8)
            chars += int(bounds[-1] - bounds[0])
    long = chars >= DIGEST_FROM_BYTES * len(texts)
    keys = pa.chunked_array([_digests(c) for c in texts.chunks], pa.binary(16)) if long else texts
    encoded = pc.dictionary_encode(keys)
    codes = np.concatenate(
        [
            np.asarray(pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False), np.int64)
            for c in encoded.chunks
        ]
    )
    if long:  # a null's digest is the empty text's
        codes[np.asarray(pc.is_null(texts).to_numpy(zero_copy_only=False), bool)] = -1
    return codes, len(encoded.chunk(encoded.num_chunks - 1).dictionary)


def encode_texts(
    values: pa.Array | pa.ChunkedArray,
    *indices: pa.Array | pa.ChunkedArray,
    by_use: bool = True,
) -> list[pa.ChunkedArray]:
    """Columns of :data:`TEXTS_TYPE`, one per array of ``indices`` (positions in ``values``;
    null for none), that share one dictionary: the distinct texts they use, in order of first
    use (along the first array, then the next), whatever the order of ``values``: the same
    rows give the same columns. With ``by_use`` false, in the order of their first place in
    ``values`` instead (for ``values`` in an order of their own, such as by post id): the texts
    are then taken in the order they lie, several times faster for long texts than in any
    other. A null index or a null text gives null."""
    # as large strings: the characters are not copied, and the chunks are never joined
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    texts = pa.chunked_array([c.cast(pa.large_string()) for c in chunks], pa.large_string())
    value_codes, count = _text_codes(texts)
    first = smallest_rows(value_codes, count, np.flatnonzero(value_codes >= 0))
    codes = []
    for at in indices:
        rows = np.asarray(pc.fill_null(one_array(at), -1).to_numpy(zero_copy_only=False), np.int64)
        taken = value_codes[np.maximum(rows, 0)] if value_codes.size else np.full(len(rows), -1)
        codes.append(np.where(rows >= 0, taken, -1))
    used = np.concatenate([np.zeros(0, np.int64), *codes])
    used = used[used >= 0]
    distinct, first_use = np.unique(used, return_index=True)
    if by_use:
        order = distinct[np.argsort(first_use, kind="stable")]  # codes in order of first use
    else:
        order = distinct[np.argsort(first[distinct], kind="stable")]  # in place order
    renumber = np.full(count + 1, -1, np.int64)  # the last slot: null
    renumber[order] = np.arange(order.size, dtype=np.int64)
    dictionary = take_rows(texts, first[order])  # chunk by chunk (a query's many batches)
    out = []
    for c in codes:
        new = renumber[c]
        at = pa.array(new.astype(np.int32), mask=new < 0)
        out.append(pa.chunked_array([pa.DictionaryArray.from_arrays(at, dictionary)], TEXTS_TYPE))
    return out


def as_texts(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of texts (strings, or dictionaries of strings such as Parquet's reader gives,
    one per row group) as one chunk of :data:`TEXTS_TYPE` (:func:`encode_texts`): one
    dictionary, so that taking rows never joins dictionaries again (joined as ``string``, an
    article collection's texts pass 2 GiB)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not all(pa.types.is_dictionary(c.type) for c in chunks):
        return encode_texts(column, pa.array(np.arange(len(column)), pa.int64()))[0]
    # every chunk's dictionary in a row, and each row's position among them
    values = pa.chunked_array(
        [c.dictionary.cast(pa.large_string()) for c in chunks], pa.large_string()
    )
    shift = np.cumsum([0] + [len(c.dictionary) for c in chunks[:-1]])
    index = [
        pc.add(pc.cast(c.indices, pa.int64()), int(at)) for c, at in zip(chunks, shift, strict=True)
    ]
    rows = pa.chunked_array(index, pa.int64()) if index else pa.array([], pa.int64())
    return encode_texts(values, rows, by_use=False)[0]


def plain_texts(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of texts as ``string`` chunks, each under 2 GiB (a :data:`TEXTS_TYPE` column
    decoded in slices; a column of strings as it is)."""
    if not pa.types.is_dictionary(column.type):
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        return pa.chunked_array([c.cast(pa.string()) for c in chunks], pa.string())
    parts: list[pa.Array] = []
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        step = _rows_per_slice(chunk.dictionary)
        for i in range(0, len(chunk), step):
            parts.append(chunk.slice(i, step).dictionary_decode().cast(pa.string()))
    return pa.chunked_array(parts, pa.string())


def texts_nbytes(column: pa.Array | pa.ChunkedArray) -> int:
    """Bytes of characters ``column``'s texts would hold as plain strings."""
    if not pa.types.is_dictionary(column.type):
        return int(pc.sum(pc.binary_length(column)).as_py() or 0)
    total = 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        lengths = pc.binary_length(chunk.dictionary).take(chunk.indices)
        total += int(pc.sum(lengths).as_py() or 0)
    return total


def value_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """A code per value, equal codes for equal values (nulls equal to each other, as in SQL's
    GROUP BY), and the number of codes."""
    codes, distinct = coded_values(values)
    return codes, len(distinct)


def coded_values(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """:func:`value_codes` with the distinct values themselves, by code (in order of first
    appearance)."""
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], values.type)
    dictionary = chunks[0].dictionary
    if any(not chunk.dictionary.equals(dictionary) for chunk in chunks[1:]):
        # Arrow gives every chunk the same dictionary; should that change, encode one chunk
        return coded_values(values.combine_chunks())
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in chunks]).astype(np.int64)
    return codes, dictionary


def sort_ranks(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``values`` in sorted order (``pc.sort_indices``: strings in byte order,
    as SQL engines compare them; nulls last) and each value's place in that order."""
    order = np.asarray(pc.sort_indices(values).to_numpy(), dtype=np.int64)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return order, rank


def first_rows(columns: Sequence[pa.Array | pa.ChunkedArray], n: int) -> np.ndarray:
    """For every row, the first row with the same values in ``columns`` (itself if none)."""
    key = np.zeros(n, dtype=np.int64)
    span = 1  # key < span
    for column in columns:
        codes, count = value_codes(column)
        if span * count >= 2**62:  # renumber the key densely (< n) before it could overflow
            key, span = value_codes(pa.array(key))
        key = key * count + codes
        span *= max(count, 1)
    # one column's codes are dense already; a combined key is renumbered
    codes, count = (key, span) if len(columns) == 1 else value_codes(pa.array(key))
    return smallest_rows(codes, count)[codes]


def smallest_rows(codes: np.ndarray, count: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per code (``0 <= code < count``), the smallest of ``rows`` (every row by default) with
    that code in ``codes``; -1 for a code none of them has."""
    if rows is None:
        rows = np.arange(len(codes), dtype=np.int64)
    none = np.iinfo(np.int64).max
    first = np.full(count, none, dtype=np.int64)
    np.minimum.at(first, codes[rows], rows)
    first[first == none] = -1
    return first


def release_unused() -> None:
    """Give the pages Arrow's memory pool keeps after frees back to the system. The pool
    (mimalloc or jemalloc; the command line's, the C library's ``malloc``, where this is
    ``malloc_trim``) keeps them for reuse: at 3.3M posts, 0.8 GB after the read on top of the
    0.5 GB the posts take, which the stages after it, DuckDB included, could not use. With
    ``malloc`` at 10.4M posts it takes up to 26 ms and gives back up to 0.6 GiB."""
    pa.default_memory_pool().release_unused()
