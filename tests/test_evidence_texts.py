"""The evidence holds each quoted text once (issue 10: memory bounded whatever the input).

Every co-action quotes its two posts' texts (``text_a``, ``text_b``) and, for the text kinds,
the text its object stands for (``object_text``). An article republished by many outlets is
quoted by every pair of them: as plain strings the evidence of 300,000 republished articles held
~21 GB of copies. The evidence's texts are dictionary columns (:data:`TEXTS_TYPE`): each
distinct text once, each row an index; ``evidence.parquet`` still has plain ``string`` columns,
decoded a slice of rows at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inconcert as ic
from inconcert import _arrow, outputs
from inconcert._arrow import TEXTS_TYPE, encode_texts, plain_texts, texts_nbytes
from inconcert.report._data import read_result
from inconcert.schema import POST_SCHEMA

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TEXT_COLUMNS = ("object_text", "text_a", "text_b")


def _syndicated(outlets: int, occasions: int, chars: int) -> pa.Table:
    """``outlets`` accounts post the same long article within seconds, a new one on each of
    ``occasions`` days."""
    rng = random.Random(7)
    rows = []
    for day in range(occasions):
        words = " ".join(f"w{rng.randrange(5000)}" for _ in range(chars // 5))[:chars]
        for k in range(outlets):
            rows.append(
                {
                    "post_id": f"p{day}_{k}",
                    "account_id": f"outlet{k:03d}",
                    "timestamp": T0 + timedelta(days=day, seconds=k),
                    "text": f"Article {day}. {words}",
                }
            )
    return pa.Table.from_pylist(rows, schema=POST_SCHEMA)


def test_evidence_quotes_each_text_once(tmp_path: Path) -> None:
    """40 outlets, 3 articles of 20 KB: 2,340 co-actions quote 140 MB of text as plain strings;
    the evidence holds the three articles once. The file's columns are plain strings with the
    same values."""
    posts = _syndicated(40, 3, 20_000)
    options = ic.DetectOptions(kinds=("text",), window=120, max_q=1.0)
    result = ic.detect(posts, options=options)
    ev = result.evidence
    assert ev.num_rows == 3 * 40 * 39 // 2
    quoted = sum(texts_nbytes(ev.column(c)) for c in TEXT_COLUMNS)
    assert quoted > 130_000_000
    assert ev.nbytes < 2_000_000  # the texts once, and the other columns
    for name in TEXT_COLUMNS:
        column = ev.column(name)
        assert column.type == TEXTS_TYPE
        assert len(column.chunk(0).dictionary) == 3  # the three articles
    ids, texts_ = posts.column("post_id").to_pylist(), posts.column("text").to_pylist()
    by_post = dict(zip(ids, texts_, strict=True))
    rows = ev.select(["post_a", "post_b", "text_a", "text_b", "object_text"]).to_pylist()
    for row in rows[:: len(rows) // 50]:
        assert row["text_a"] == by_post[row["post_a"]]
        assert row["text_b"] == by_post[row["post_b"]]
        assert row["object_text"] == row["text_a"]  # all spell it alike

    ic.write_result(result, tmp_path / "out", report=False)
    written = pq.read_table(tmp_path / "out" / "evidence.parquet")
    for name in TEXT_COLUMNS:
        assert written.schema.field(name).type == pa.string()
        assert written.column(name).to_pylist() == ev.column(name).to_pylist()
    # the report reads them back as dictionaries too (inconcert report on a result folder)
    read = read_result(tmp_path / "out").evidence
    assert read.nbytes < 2_000_000
    for name in TEXT_COLUMNS:
        assert pa.types.is_dictionary(read.schema.field(name).type)
        assert read.column(name).to_pylist() == ev.column(name).to_pylist()


def test_evidence_file_written_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past :data:`EVIDENCE_WRITE_BYTES` of texts, ``evidence.parquet`` is decoded and written a
    slice of rows at a time (a row group each), with the values of the file written whole."""
    result = ic.detect(
        _syndicated(12, 4, 3_000), options=ic.DetectOptions(kinds=("text",), max_q=1.0)
    )
    whole, sliced = tmp_path / "whole.parquet", tmp_path / "sliced.parquet"
    outputs.write_evidence(result.evidence, whole)
    monkeypatch.setattr(outputs, "EVIDENCE_WRITE_BYTES", 50_000)
    outputs.write_evidence(result.evidence, sliced)
    assert pq.ParquetFile(whole).metadata.num_row_groups == 1
    assert pq.ParquetFile(sliced).metadata.num_row_groups > 10
    assert pq.read_table(sliced).equals(pq.read_table(whole))
    assert pq.read_table(whole).to_pylist() == result.evidence.to_pylist()
    # read back for the report: one dictionary per column, not one per row group (taking rows
    # across row groups would join them, as strings past 2 GiB for an article collection)
    ic.write_result(result, tmp_path / "out", report=False)
    read = read_result(tmp_path / "out").evidence
    assert pq.ParquetFile(tmp_path / "out" / "evidence.parquet").metadata.num_row_groups > 10
    for name in TEXT_COLUMNS:
        assert read.column(name).num_chunks == 1
        assert read.column(name).type == TEXTS_TYPE
    assert read.to_pylist() == result.evidence.to_pylist()


texts = st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(texts, st.data())
def test_encode_texts_keeps_values_and_is_canonical(values: list[str | None], data: st.DataObject):
    """Decoded, each column is ``values`` taken at its indices (null for a null index or
    text); the one dictionary is the distinct texts used, in order of first use; and it does
    not depend on the order of ``values``."""
    # texts told apart by Arrow's hash table, or by digest (as long texts are)
    digest = data.draw(st.booleans())
    saved = _arrow.DIGEST_FROM_BYTES
    _arrow.DIGEST_FROM_BYTES = 0 if digest else 10**9
    try:
        _check_encode_texts(values, data)
    finally:
        _arrow.DIGEST_FROM_BYTES = saved


def _check_encode_texts(values: list[str | None], data: st.DataObject) -> None:
    n = len(values)
    index = st.one_of(st.none(), st.integers(0, max(n - 1, 0))) if n else st.none()
    a = data.draw(st.lists(index, max_size=20))
    b = data.draw(st.lists(index, max_size=20))
    col_a, col_b = encode_texts(
        pa.array(values, pa.string()), pa.array(a, pa.int32()), pa.array(b, pa.int32())
    )
    assert col_a.type == col_b.type == TEXTS_TYPE
    assert col_a.to_pylist() == [None if i is None else values[i] for i in a]
    assert col_b.to_pylist() == [None if i is None else values[i] for i in b]
    dictionary = col_a.chunk(0).dictionary.to_pylist()
    assert col_b.chunk(0).dictionary.to_pylist() == dictionary
    used = [v for v in col_a.to_pylist() + col_b.to_pylist() if v is not None]
    assert dictionary == list(dict.fromkeys(used))
    assert plain_texts(col_a).to_pylist() == col_a.to_pylist()
    # by place: the same columns' values, the texts in order of their first place in values
    by_place = encode_texts(
        pa.array(values, pa.string()),
        pa.array(a, pa.int32()),
        pa.array(b, pa.int32()),
        by_use=False,
    )
    assert [c.to_pylist() for c in by_place] == [col_a.to_pylist(), col_b.to_pylist()]
    placed = [v for v in dict.fromkeys(v for v in values if v is not None) if v in set(used)]
    assert by_place[0].chunk(0).dictionary.to_pylist() == placed
    # the same rows from the values in another order: the same columns
    perm = data.draw(st.permutations(range(n)))
    where = {old: new for new, old in enumerate(perm)}
    moved = [values[i] for i in perm]
    again = encode_texts(
        pa.array(moved, pa.string()),
        pa.array([None if i is None else where[i] for i in a], pa.int32()),
        pa.array([None if i is None else where[i] for i in b], pa.int32()),
    )
    assert again[0].equals(col_a) and again[1].equals(col_b)


@pytest.mark.parametrize("digest_from", [0, 10**9])
def test_as_texts_joins_row_groups_dictionaries(
    digest_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dictionaries per chunk (one per row group, as Parquet's reader gives them, with texts in
    common) become one chunk with one dictionary of the distinct texts; plain strings too."""
    monkeypatch.setattr(_arrow, "DIGEST_FROM_BYTES", digest_from)
    a = pa.DictionaryArray.from_arrays(pa.array([1, 0, None, 1], pa.int32()), pa.array(["x", "y"]))
    b = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1], pa.int32()), pa.array(["y", "z"]))
    column = pa.chunked_array([a, b])
    joined = _arrow.as_texts(column)
    assert joined.num_chunks == 1 and joined.type == TEXTS_TYPE
    assert joined.to_pylist() == column.to_pylist() == ["y", "x", None, "y", "y", "z", "z"]
    assert joined.chunk(0).dictionary.to_pylist() == ["x", "y", "z"]  # by first place
    plain = _arrow.as_texts(pa.chunked_array([pa.array(["q", None]), pa.array(["q", "r"])]))
    assert plain.to_pylist() == ["q", None, "q", "r"]
    assert plain.chunk(0).dictionary.to_pylist() == ["q", "r"]
