"""DataFrames and Arrow tables in and out of the library (issue 11, items 5 and 6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import inconcert as ic
from inconcert import DetectOptions, InputError, ParameterError
from inconcert._tables import _python_hint

pl = pytest.importorskip("polars")

#: The tests are about reading, not significance: keep every edge.
OPTS = DetectOptions(max_q=None, min_occasions=1)


def _rows() -> list[dict[str, object]]:
    """Five accounts post the same link and text within seconds, on three days; two more post
    the link alone, hours apart."""
    rows: list[dict[str, object]] = []
    for day in range(3):
        for i, account in enumerate("abcde"):
            rows.append(
                {
                    "post_id": f"{day}{account}",
                    "account_id": account,
                    "timestamp": 1_700_000_000 + day * 86_400 + i,
                    "text": f"Day {day}: the same long message from everyone in the group",
                    "urls": [
                        "https://www.example.com/story/" if i % 2 else "http://example.com/story"
                    ],
                }
            )
    for j, account in enumerate("xy"):
        rows.append(
            {
                "post_id": f"o{account}",
                "account_id": account,
                "timestamp": 1_700_000_000 + (j + 1) * 20_000,
                "text": None,
                "urls": None,
            }
        )
    return rows


def _members(result: ic.DetectResult) -> set[str]:
    return set(
        result.accounts.filter(pa.compute.is_valid(result.accounts["group_id"]))
        .column("account_id")
        .to_pylist()
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda rows: pd.DataFrame(rows), id="pandas"),
        pytest.param(lambda rows: pd.DataFrame(rows).set_index("post_id"), id="pandas-index"),
        pytest.param(lambda rows: pl.DataFrame(rows), id="polars"),
        pytest.param(lambda rows: pl.DataFrame(rows).lazy(), id="polars-lazy"),
        pytest.param(lambda rows: pa.Table.from_pylist(rows), id="arrow"),
        pytest.param(lambda rows: pa.RecordBatch.from_pylist(rows), id="arrow-batch"),
    ],
)
def test_detect_reads_tables_like_files(make: object, tmp_path: Path) -> None:
    table = make(_rows())  # type: ignore[operator]
    result = ic.detect(table, options=OPTS)
    assert _members(result) == set("abcde")
    # the same rows from a file give the same network
    path = tmp_path / "posts.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(_rows()), path)
    from_file = ic.detect([path], options=OPTS)
    assert result.edges.select(["account_a", "account_b", "weight"]).equals(
        from_file.edges.select(["account_a", "account_b", "weight"])
    )
    (report,) = result.ingested.files  # type: ignore[union-attr]
    assert report.path.startswith("<") and report.path.endswith(">")
    assert report.rows_read == report.rows_used == len(_rows())


def test_pandas_types_and_missing_values() -> None:
    rows = _rows()
    df = pd.DataFrame(rows)
    df["post_id"] = np.arange(len(df), dtype=np.int64) + 10**17  # numeric ids: read in full
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s")  # naive datetimes are UTC
    df["account_id"] = df["account_id"].astype("category")
    df["repost_of"] = np.nan
    result = ic.detect(df, options=OPTS)
    assert _members(result) == set("abcde")
    assert str(10**17) in result.evidence.column("post_a").to_pylist()


def test_several_tables_and_paths_are_named_in_reports_and_rejects(tmp_path: Path) -> None:
    rows = _rows()
    csv = tmp_path / "more.csv"
    csv.write_text("post_id,account_id,timestamp\nz1,z,not a time\n", encoding="utf-8")
    result = ic.detect([pd.DataFrame(rows[:8]), pd.DataFrame(rows[8:]), csv], options=OPTS)
    assert [f.path for f in result.ingested.files] == [  # type: ignore[union-attr]
        "<pandas.DataFrame #1>",
        "<pandas.DataFrame #2>",
        str(csv),
    ]
    assert result.ingested.rejects.column("file").to_pylist() == [str(csv)]  # type: ignore[union-attr]
    dup = ic.detect([pl.DataFrame(rows), pl.DataFrame(rows[:1])], options=OPTS)
    assert dup.ingested.rejects.column("file").to_pylist() == ["<polars.DataFrame #2>"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [123, 1.5, None, {"post_id": ["a"]}, b"posts.csv", [], [123], [pd.DataFrame(), 4]],
)
def test_wrong_inputs_are_a_parameter_error(bad: object) -> None:
    with pytest.raises(ParameterError, match="'inputs' parameter must be a file or folder path"):
        ic.detect(bad, options=OPTS)  # type: ignore[arg-type]


def test_a_series_is_a_parameter_error_that_says_so() -> None:
    with pytest.raises(ParameterError, match="pandas Series"):
        ic.detect(pd.DataFrame(_rows())["text"], options=OPTS)


@pytest.mark.parametrize("library", ["pandas", "polars", "arrow"])
def test_missing_columns_name_the_expected_columns(library: str) -> None:
    rows = [
        {k: v for k, v in r.items() if k != "account_id"} | {"user": r["account_id"]}
        for r in _rows()
    ]
    table = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "arrow": pa.Table.from_pylist}[
        library
    ](rows)
    with pytest.raises(InputError) as caught:
        ic.detect(table, options=OPTS)
    message = str(caught.value)
    assert message.startswith("<")
    assert "missing required column account_id" in message
    assert "mapping={'account_id': 'user'}" in message  # the library's wording, not --map
    assert "posts need the columns post_id, account_id, timestamp" in message
    assert "tmp" not in message.lower().split("(")[0]  # never the temporary file
    ok = ic.detect(table, options=OPTS, mapping={"account_id": "user"})
    assert _members(ok) == set("abcde")


def test_unconvertible_and_empty_tables_are_input_errors() -> None:
    mixed = pd.DataFrame({"post_id": [1, "x"], "account_id": ["a", "b"], "timestamp": [1, 2]})
    with pytest.raises(InputError, match=r"<pandas.DataFrame>: cannot be read as a table.*post_id"):
        ic.detect(mixed, options=OPTS)
    with pytest.raises(InputError, match=r"has no columns.*posts need the columns"):
        ic.detect(pd.DataFrame(), options=OPTS)


def test_python_hint() -> None:
    assert _python_hint("use --map a=b --map c=<column> to name it") == (
        "use mapping={'a': 'b', 'c': '<column>'} to name it"
    )
    assert _python_hint("no flags here") == "no flags here"


# ---------------------------------------------------------------------------------------------
# results out
# ---------------------------------------------------------------------------------------------


def test_results_convert_to_pandas_and_polars() -> None:
    result = ic.detect(pd.DataFrame(_rows()), options=OPTS)
    groups = result.to_pandas("groups")
    assert isinstance(groups, pd.DataFrame) and len(groups) == result.groups.num_rows
    assert result.groups.to_pandas().shape == groups.shape  # pandas is a dependency
    frames = result.to_pandas()
    assert list(frames) == ["groups", "accounts", "edges", "evidence"]
    assert len(frames["evidence"]) == result.evidence.num_rows
    pframes = result.to_polars()
    assert isinstance(pframes["edges"], pl.DataFrame)
    assert result.to_polars("accounts").height == result.accounts.num_rows
    with pytest.raises(ParameterError, match="'table' parameter"):
        result.to_pandas("nodes")


def test_to_polars_names_the_extra_when_polars_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins
    import sys

    result = ic.detect(pd.DataFrame(_rows()), options=OPTS)
    real_import = builtins.__import__

    def no_polars(name: str, *args: object, **kwargs: object) -> object:
        if name == "polars" or name.startswith("polars."):
            raise ImportError("No module named 'polars'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "polars")
    monkeypatch.setattr(builtins, "__import__", no_polars)
    with pytest.raises(ImportError, match=r"pip install 'inconcert\[polars\]'"):
        result.to_polars()


# ---------------------------------------------------------------------------------------------
# shortened links in the summary, the warnings and the manifest
# ---------------------------------------------------------------------------------------------


def test_shortened_links_are_counted_and_warned(tmp_path: Path) -> None:
    rows = _rows()
    for row in rows[:5]:
        row["urls"] = ["https://t.co/" + str(row["post_id"])]
    rows[5]["urls"] = ["https://bit.ly/3abc"]
    result = ic.detect(pd.DataFrame(rows), options=OPTS)
    short = result.summary["shortened_links"]
    assert short["url_actions"] == 15
    assert short["shortened_url_actions"] == 6
    assert short["shortened_links"] == 6
    assert short["by_domain"] == {"t.co": 5, "bit.ly": 1}
    (warning,) = [w for w in result.warnings if "shortened links" in w]
    assert warning.startswith("6 of 15 link actions (40%) use shortened links (t.co, bit.ly)")
    out = tmp_path / "out"
    ic.write_result(result, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["shortened_links"]["by_domain"] == {"t.co": 5, "bit.ly": 1}
    assert warning in manifest["warnings"]


def test_shortened_links_of_an_actions_table_are_canonicalised_first() -> None:
    """An actions table's links are raw: each is made canonical before the check, as
    ``is_shortened_url`` does for one link."""
    from inconcert.normalize import is_shortened_url

    links = ["HTTP://T.CO/AbC1", "bit.ly/3abc", "https://bit.ly/", "https://example.com/a"]
    links += ["https://a@t.co/xyz1", "not a link", "https://l.example.com/abc"]
    links += ["https://www.google.com/url?q=https://t.co/xyz9"]  # shortened once unwrapped
    rows = [
        {
            "account_id": f"acc{i % 3}",
            "object_id": link,
            "kind": "url",
            "timestamp": f"2024-03-01T12:00:{i:02d}Z",
            "post_id": f"p{i}",
        }
        for i, link in enumerate(links)
    ]
    result = ic.detect(pa.Table.from_pylist(rows), options=OPTS)
    short = result.summary["shortened_links"]
    want = [link for link in links if is_shortened_url(link)]
    assert len(want) == 5
    assert short["shortened_url_actions"] == short["shortened_links"] == len(want)
    # counted under the host as the link was given
    assert short["by_domain"] == {
        "T.CO": 1,
        "a@t.co": 1,
        "bit.ly": 1,
        "l.example.com": 1,
        "www.google.com": 1,
    }


def test_no_warning_without_shortened_links() -> None:
    result = ic.detect(pd.DataFrame(_rows()), options=OPTS)
    assert result.summary["shortened_links"]["shortened_url_actions"] == 0
    assert not [w for w in result.warnings if "shortened" in w]


def test_www_http_and_trailing_slash_links_are_one_object() -> None:
    """Half the group writes http://example.com/story, half https://www.example.com/story/."""
    result = ic.detect(
        pd.DataFrame(_rows()), options=DetectOptions(max_q=None, min_occasions=1, kinds=("url",))
    )
    assert set(result.evidence.column("object_id").to_pylist()) == {"https://example.com/story"}
    assert _members(result) == set("abcde")
