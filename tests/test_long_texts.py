"""Long texts (scraped articles): a run whose texts, or whose evidence's quoted texts, pass what
one Arrow array of strings can hold (2 GiB with 32-bit offsets) takes them in slices and joins
chunks as large strings. Here the limit is lowered to a few hundred bytes, so that every such
path runs on a small input: the results are those of the run without slicing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import inconcert as ic
from inconcert import _arrow
from inconcert._arrow import gather, take_rows, take_table
from inconcert.schema import POST_SCHEMA

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _republished() -> pa.Table:
    """Four outlets republish one long article per occasion within seconds, each with its own
    footer and the link, on six occasions hours apart."""
    rows = []
    for occasion in range(6):
        words = " ".join(f"word{(occasion * 7 + j) % 53}" for j in range(90))
        for k, outlet in enumerate("abcd"):
            rows.append(
                {
                    "post_id": f"{outlet}{occasion}",
                    "account_id": f"outlet_{outlet}",
                    "timestamp": T0 + timedelta(hours=5 * occasion, seconds=7 * k),
                    "text": f"Story {occasion}: {words} (republished by {outlet})",
                    "urls": [f"https://example.org/story/{occasion}"],
                }
            )
    return pa.Table.from_pylist(rows, schema=POST_SCHEMA)


def _page(folder: Path) -> str:
    html = (folder / "report.html").read_text(encoding="utf-8")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "T", html.replace(folder.name, "OUT"))


def test_texts_taken_in_slices_give_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = _republished()
    options = ic.DetectOptions(kinds=("neartext", "text", "url"), window=60, max_q=1.0)
    whole = ic.detect(posts, options=options)
    assert whole.evidence.num_rows and "object_text" in whole.evidence.column_names
    ic.write_result(whole, tmp_path / "ic_out_aaa", report=True)

    monkeypatch.setattr(_arrow, "OFFSET_LIMIT", 300)  # a text or two per slice
    sliced = ic.detect(posts, options=options)
    ic.write_result(sliced, tmp_path / "ic_out_bbb", report=True)
    # the evidence holds each text once; decoded (to write it) in slices under the limit
    assert sliced.evidence.schema.field("text_a").type == _arrow.TEXTS_TYPE
    assert _arrow.plain_texts(sliced.evidence.column("text_a")).num_chunks > 1
    assert pq.read_table(tmp_path / "ic_out_bbb" / "evidence.parquet").equals(
        pq.read_table(tmp_path / "ic_out_aaa" / "evidence.parquet")
    )
    for name in ("edges", "accounts", "groups", "evidence"):
        assert getattr(sliced, name).to_pylist() == getattr(whole, name).to_pylist(), name
    assert _page(tmp_path / "ic_out_bbb") == _page(tmp_path / "ic_out_aaa")


def test_slices_keep_values_and_order() -> None:
    texts = pa.chunked_array([pa.array(["aa", None, "ccc"]), pa.array(["d" * 50, "e"])])
    rows = np.array([4, 3, 0, 1, 3, 2])
    expected = [texts.to_pylist()[i] for i in rows]
    assert take_rows(texts, rows).to_pylist() == expected
    flat = texts.combine_chunks()
    assert gather(flat, pa.array(rows)).to_pylist() == expected
    for outside in ([5], [0, -1]):
        with pytest.raises(IndexError):
            take_rows(texts, np.array(outside))
    table = pa.table({"t": texts, "n": pa.array(range(5))})
    assert take_table(table, rows).to_pylist() == [table.to_pylist()[i] for i in rows]


def test_slices_stay_under_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_arrow, "OFFSET_LIMIT", 120)
    values = pa.array([f"{i:03d}" * 10 for i in range(20)])  # 30 bytes each
    taken = gather(values, pa.array(np.arange(19, -1, -1)))
    assert taken.num_chunks == 5 and max(c.nbytes for c in taken.chunks) <= 120 + 4 * 5
    assert taken.to_pylist() == values.to_pylist()[::-1]
