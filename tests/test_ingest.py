"""Tests of the readers: formats, shapes, timestamps, lists, rejects and whole-file errors."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inconcert import _arrow
from inconcert.errors import InputError, ParameterError
from inconcert.ingest import (
    REJECT_REASONS,
    REJECTS_SCHEMA,
    FileReport,
    Ingested,
    _files,
    parse_assignments,
    read_inputs,
)
from inconcert.schema import ACTION_SCHEMA, POST_SCHEMA

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GERMAN_OBJECTS = {
    "url_id": "url",
    "domain_id": "domain",
    "hashtag_id": "hashtag",
    "phash_id": "image",
}

HEADER = "post_id,account_id,timestamp,text\n"
ROWS = "007,alice,2021-08-15T10:00:00Z,hello\n008,bob,1629064892,world\n"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def write(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in records))


def check_accounting(result: Ingested) -> None:
    """Every row is used or rejected once, in each file and in the rejects table."""
    for report in result.files:
        assert report.rows_read == report.rows_used + sum(report.rejected.values())
        assert list(report.rejected) == sorted(report.rejected)
        rows = result.rejects.filter(pa.compute.equal(result.rejects["file"], report.path))
        assert rows.num_rows == sum(report.rejected.values())
        for reason, count in report.rejected.items():
            assert reason in REJECT_REASONS
            assert rows.filter(pa.compute.equal(rows["reason"], reason)).num_rows == count
    assert result.rejects.schema == REJECTS_SCHEMA
    expected_schema = POST_SCHEMA if result.shape == "posts" else ACTION_SCHEMA
    assert result.table.schema == expected_schema


def rejects_of(result: Ingested) -> list[tuple[int, str]]:
    return [(r["line"], r["reason"]) for r in result.rejects.to_pylist()]


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["posts.csv", "posts.csv.gz", "POSTS.CSV"])
def test_csv_reads_posts_as_text(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, HEADER + ROWS)
    result = read_inputs([path])
    assert result.shape == "posts"
    assert result.table.schema == POST_SCHEMA
    rows = result.table.to_pylist()
    assert [r["post_id"] for r in rows] == ["007", "008"]  # leading zeros kept
    assert [r["timestamp"] for r in rows] == [utc(2021, 8, 15, 10), utc(2021, 8, 15, 22, 1, 32)]
    assert rows[0]["text"] == "hello"
    assert rows[0]["urls"] is None and rows[0]["hashtags"] is None  # not taken from text here
    (report,) = result.files
    assert report == FileReport(
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format="csv",
        rows_read=2,
        rows_used=2,
        rejected={},
    )
    check_accounting(result)


def _posts_file(folder: Path, container: str, padding: int = 0) -> Path:
    """The same two posts as gzipped CSV, JSON Lines, a JSON array (read by the platform
    reader; plain or gzipped) or Parquet; ``padding`` characters of incompressible text in the
    first post make the file larger."""
    pad = "".join(f"{i:x}" for i in range(padding))[:padding] if padding else ""
    rows = [
        {
            "post_id": "1",
            "account_id": "a",
            "timestamp": "2021-08-15T10:00:00Z",
            "text": "hi" + pad,
        },
        {"post_id": "2", "account_id": "b", "timestamp": "2021-08-15T10:00:05Z", "text": "ho"},
    ]
    if container == "csv":
        text = "post_id,account_id,timestamp,text\n" + "".join(
            f"{r['post_id']},{r['account_id']},{r['timestamp']},{r['text']}\n" for r in rows
        )
        return write(folder / "posts.csv", text)
    if container == "jsonl":
        return write(folder / "posts.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    if container in ("json", "json.gz"):
        return write(folder / f"posts.{container}", json.dumps(rows))
    path = folder / "posts.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, compression="none")
    return path


@pytest.fixture(params=["at once", "in a thread"])
def hashed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small files are hashed at once, large ones in a thread: both ways."""
    if request.param == "in a thread":
        monkeypatch.setattr("inconcert.ingest._files._HASH_IN_THREAD_FROM", 0)
    return str(request.param)


def _track_handles(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every file the hashing opens, to check that each is closed."""
    from inconcert.ingest import _files

    opened: list[Any] = []

    def tracked(*args: Any, **kwargs: Any) -> Any:
        handle = open(*args, **kwargs)  # noqa: SIM115 - the code under test closes it
        opened.append(handle)
        return handle

    monkeypatch.setattr(_files, "open", tracked, raising=False)
    return opened


@pytest.mark.parametrize("container", ["csv", "jsonl", "json", "json.gz", "parquet"])
def test_file_hash_is_the_whole_file(
    tmp_path: Path, container: str, hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest's hash of an input, computed while the file is read, is the SHA-256 of
    its bytes as stored (compressed where it is), whichever reader reads it; the file the
    hash opened is closed."""
    path = _posts_file(tmp_path, container)
    opened = _track_handles(monkeypatch)
    result = read_inputs([path])
    assert result.table.num_rows == 2
    assert result.files[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert opened and all(handle.closed for handle in opened)


@pytest.mark.parametrize("container", ["csv", "parquet"])
def test_large_file_is_hashed_in_a_thread_small_one_at_once(tmp_path: Path, container: str) -> None:
    """From 1 MiB a file is hashed in a thread (the real threshold, not a test's), with the
    same digest; a small file is hashed before its reading starts."""
    from inconcert.ingest._files import _HASH_IN_THREAD_FROM, Digest, expand_paths

    small = _posts_file(tmp_path / "small", container)
    large = _posts_file(tmp_path / "large", container, padding=_HASH_IN_THREAD_FROM + 1000)
    assert small.stat().st_size < _HASH_IN_THREAD_FROM <= large.stat().st_size
    for path, threaded in ((small, False), (large, True)):
        (source,) = expand_paths([path])
        digest = Digest(source)
        assert (digest._thread is not None) == threaded
        assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert read_inputs([path]).files[0].sha256 == digest.hexdigest()


@pytest.mark.parametrize("container", ["csv", "json", "parquet"])
def test_file_that_fails_while_hashed_is_an_input_error(
    tmp_path: Path, container: str, monkeypatch: pytest.MonkeyPatch, hashed: str
) -> None:
    """A read error while hashing (in the thread or not) reaches the caller as an error
    naming the file, and is not lost with the thread; the file is closed."""
    path = _posts_file(tmp_path, container)
    opened = _track_handles(monkeypatch)

    def broken(handle: object, name: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("inconcert.ingest._files.hashlib.file_digest", broken)
    with pytest.raises(InputError, match=r"posts\.[a-z.]+.*cannot be read: Input/output error"):
        read_inputs([path])
    assert opened and all(handle.closed for handle in opened)


def test_other_failure_while_hashed_reaches_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hashed: str
) -> None:
    """Any other exception while hashing is raised in the caller as it is, the same way
    whether the hash ran in a thread or not (never a run without a hash)."""
    path = _posts_file(tmp_path, "parquet")

    def broken(handle: object, name: str) -> None:
        raise ValueError("unexpected")

    monkeypatch.setattr("inconcert.ingest._files.hashlib.file_digest", broken)
    with pytest.raises(ValueError, match="unexpected"):
        read_inputs([path])


def test_file_gone_before_it_is_hashed_is_named(tmp_path: Path) -> None:
    from inconcert.ingest._files import Digest, expand_paths

    path = _posts_file(tmp_path, "csv")
    (source,) = expand_paths([path])
    path.unlink()
    with pytest.raises(InputError, match=r"posts\.csv.*cannot be opened"):
        Digest(source)


@pytest.mark.parametrize("name", ["posts.tsv", "posts.tsv.gz"])
def test_tsv_is_tab_separated(tmp_path: Path, name: str) -> None:
    text = "post_id\taccount_id\ttimestamp\ttext\n1\ta\t2021-08-15 10:00:00\thi, there\n"
    result = read_inputs([write(tmp_path / name, text)])
    assert result.table.to_pylist()[0]["text"] == "hi, there"
    assert result.files[0].format == "csv"


@pytest.mark.parametrize("name", ["p.jsonl", "p.jsonl.gz", "p.ndjson", "p.ndjson.gz"])
def test_jsonl(tmp_path: Path, name: str) -> None:
    records = [
        {"post_id": 1, "account_id": "a", "timestamp": 1629064892, "urls": ["u1", "u2"]},
        {"post_id": 2, "account_id": "b", "timestamp": "2021-08-15T10:00:00+02:00", "urls": []},
    ]
    result = read_inputs([jsonl(tmp_path / name, records)])
    rows = result.table.to_pylist()
    assert [r["post_id"] for r in rows] == ["1", "2"]
    assert rows[0]["urls"] == ["u1", "u2"] and rows[1]["urls"] == []
    assert rows[1]["timestamp"] == utc(2021, 8, 15, 8)
    assert result.files[0].format == "jsonl"
    check_accounting(result)


def test_jsonl_mixed_types_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        '{"post_id": 1, "account_id": "a", "timestamp": 1629064892}\n'
        "\n"
        '{"post_id": "x2", "account_id": "b", "timestamp": "soon"}\n'
        '{"post_id": 3.0, "account_id": "c", "timestamp": 1629064893.5}\n'
    )
    result = read_inputs([write(tmp_path / "p.jsonl", text)])
    assert [r["post_id"] for r in result.table.to_pylist()] == ["1", "3"]
    assert result.table.column("timestamp")[1].as_py() == utc(2021, 8, 15, 22, 1, 33, 500000)
    assert rejects_of(result) == [(3, "bad_timestamp")]
    assert "'soon'" in result.rejects.column("detail")[0].as_py()
    assert json.loads(result.rejects.column("record")[0].as_py())["post_id"] == "x2"


def test_jsonl_with_bom_and_crlf(tmp_path: Path) -> None:
    line = b'{"post_id": "1", "account_id": "a", "timestamp": 1}\r\n'
    result = read_inputs([write(tmp_path / "p.jsonl", b"\xef\xbb\xbf" + line * 2)])
    assert result.table.column("post_id").to_pylist() == ["1"]
    assert rejects_of(result) == [(2, "duplicate_row")]


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    table = pa.table(
        {
            "post_id": pa.array([129235, 84441], pa.int32()),
            "account_id": pa.array(["fb_1", "fb_2"]).dictionary_encode(),
            "timestamp": pa.array([0, 3_600_000_000], pa.timestamp("us", tz="Europe/Berlin")),
            "hashtags": pa.array([["#a", None, ""], None], pa.large_list(pa.large_string())),
            "extra": pa.array([{"x": 1}, {"x": 2}]),  # unknown columns are ignored
        }
    )
    pq.write_table(table, tmp_path / "p.parquet")
    result = read_inputs([tmp_path / "p.parquet"])
    rows = result.table.to_pylist()
    assert [r["post_id"] for r in rows] == ["129235", "84441"]
    assert [r["account_id"] for r in rows] == ["fb_1", "fb_2"]
    assert [r["timestamp"] for r in rows] == [utc(1970, 1, 1), utc(1970, 1, 1, 1)]
    assert rows[0]["hashtags"] == ["#a"] and rows[1]["hashtags"] is None
    assert result.files[0].format == "parquet"


def test_large_parquet_files_are_read_a_few_row_groups_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file too large to read whole (here the limits lowered to a few hundred bytes) is read
    in groups of row groups: the same rows, rejects and line numbers as read whole."""
    rows = [
        {"post_id": str(i), "account_id": f"a{i % 3}", "text": f"text {i} " * (i % 5),
         "timestamp": None if i == 7 else datetime(2024, 1, 1, 0, i, tzinfo=UTC)}
        for i in range(40)
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet", row_group_size=6)
    whole = read_inputs([tmp_path / "p.parquet"])
    monkeypatch.setattr(_arrow, "OFFSET_LIMIT", 100)
    monkeypatch.setattr(_files, "PARQUET_READ_BYTES", 400)
    reads: list[list[int]] = []
    real = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(
        pq.ParquetFile,
        "read_row_groups",
        lambda self, groups, **kw: reads.append(list(groups)) or real(self, groups, **kw),
    )
    grouped = read_inputs([tmp_path / "p.parquet"])
    assert len(reads) > 1 and sorted(g for r in reads for g in r) == list(range(7))
    assert grouped.table.to_pylist() == whole.table.to_pylist()
    assert grouped.rejects.to_pylist() == whole.rejects.to_pylist()
    assert [r["line"] for r in grouped.rejects.to_pylist()] == [8]


def test_pq_suffix_and_naive_timestamp_and_date(tmp_path: Path) -> None:
    table = pa.table(
        {
            "post_id": ["1", "2"],
            "account_id": ["a", "b"],
            "timestamp": pa.array([datetime(2021, 1, 1, 12), None], pa.timestamp("ms")),
        }
    )
    pq.write_table(table, tmp_path / "p.pq")
    result = read_inputs([tmp_path / "p.pq"])
    assert result.table.column("timestamp").to_pylist() == [utc(2021, 1, 1, 12)]
    assert rejects_of(result) == [(2, "missing_timestamp")]
    dated = table.set_column(2, "timestamp", pa.array([1, 2], pa.date32()))
    pq.write_table(dated, tmp_path / "d.parquet")
    assert read_inputs([tmp_path / "d.parquet"]).table.column("timestamp")[1].as_py() == utc(
        1970, 1, 3
    )


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "b.csv", HEADER + "2,b,1629064892,x\n")
    write(folder / "a" / "z.jsonl", '{"post_id": "1", "account_id": "a", "timestamp": 1}\n')
    write(folder / "c.csv.gz", HEADER + "3,c,1629064892,x\n")
    write(folder / "notes.txt", "ignored")
    write(folder / ".hidden.csv", b"\xff\xfe not even utf-8")
    write(folder / ".git" / "x.csv", "ignored")
    result = read_inputs([folder])
    assert [f.path for f in result.files] == [
        str(folder / "a" / "z.jsonl"),
        str(folder / "b.csv"),
        str(folder / "c.csv.gz"),
    ]
    assert result.table.column("post_id").to_pylist() == ["1", "2", "3"]


def test_several_files_in_the_order_given(tmp_path: Path) -> None:
    second = write(tmp_path / "2.csv", HEADER + "20,b,1629064892,x\n")
    first = write(tmp_path / "1.jsonl", '{"post_id": "10", "account_id": "a", "timestamp": 5}\n')
    result = read_inputs([second, str(first)])
    assert result.table.column("post_id").to_pylist() == ["20", "10"]
    assert [f.path for f in result.files] == [str(second), str(first)]
    assert result.rows_read == 2 and result.rows_used == 2 and result.rejected == {}


def test_same_input_gives_identical_table(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", HEADER + ROWS + "007,carol,5,dup\n")
    one, two = read_inputs([path]), read_inputs([path])
    assert one.table.equals(two.table) and one.rejects.equals(two.rejects)


def test_progress_is_reported_per_file(tmp_path: Path) -> None:
    calls: list[tuple[str, float, float | None]] = []
    paths = [write(tmp_path / f"{i}.csv", HEADER + f"{i},a,1,x\n") for i in range(2)]
    read_inputs(paths, progress=lambda *args: calls.append(args))
    assert calls == [("read", 0, 2), ("read", 1, 2), ("read", 2, 2)]


# ---------------------------------------------------------------------------------------------
# Mapping and shapes
# ---------------------------------------------------------------------------------------------


def test_mapping_renames_columns(tmp_path: Path) -> None:
    text = "id,user,created_at,post_id,links\n1,a,2021-08-15,ignored,http://x http://y\n"
    result = read_inputs(
        [write(tmp_path / "p.csv", text)],
        mapping={"post_id": "id", "account_id": "user", "timestamp": "created_at", "urls": "links"},
    )
    row = result.table.to_pylist()[0]
    assert (row["post_id"], row["account_id"], row["urls"]) == ("1", "a", ["http://x", "http://y"])
    assert row["timestamp"] == utc(2021, 8, 15)


def test_mapping_to_an_absent_column_names_it(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", HEADER + ROWS)
    with pytest.raises(InputError, match=r"p\.csv: the mapping post_id=id names column 'id'"):
        read_inputs([path], mapping={"post_id": "id"})


def test_mapping_an_unknown_field_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="'mapping' parameter"):
        read_inputs([write(tmp_path / "p.csv", HEADER + ROWS)], mapping={"author": "x"})


def test_missing_required_columns_are_named_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "id,user,text\n1,a,x\n")
    with pytest.raises(InputError) as info:
        read_inputs([path])
    message = str(info.value)
    assert str(path) in message
    assert "missing required columns post_id, account_id, timestamp" in message
    assert "columns found: 'id', 'user', 'text'" in message
    assert "--map post_id=id --map account_id=user --map timestamp=<column>" in message


def test_wrong_delimiter_is_suspected(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "post_id;account_id;timestamp\n1;a;5\n")
    with pytest.raises(InputError, match="looks delimited by ';'"):
        read_inputs([path])


def test_header_only_csv_gives_zero_rows_and_a_report(tmp_path: Path) -> None:
    result = read_inputs([write(tmp_path / "p.csv", HEADER)])
    assert result.table.num_rows == 0 and result.table.schema == POST_SCHEMA
    assert result.files[0].rows_read == 0 and result.files[0].rejected == {}


def test_coortweet_shape(tmp_path: Path) -> None:
    text = (
        "object_id,account_id,content_id,timestamp_share\n"
        "o1,a,p1,1623881091\n"
        "o1,b,p2,1623881092\n"
        "o1,b,p2,1623881092\n"
        "o2,b,p2,1623881092\n"
    )
    result = read_inputs([write(tmp_path / "r.csv", text)])
    assert result.shape == "actions" and result.table.schema == ACTION_SCHEMA
    assert result.table.to_pylist()[0] == {
        "account_id": "a",
        "kind": "object",
        "object_id": "o1",
        "timestamp": utc(2021, 6, 16, 22, 4, 51),
        "post_id": "p1",
    }
    assert result.table.column("object_id").to_pylist() == ["o1", "o1", "o2"]
    assert rejects_of(result) == [(4, "duplicate_action")]
    assert "line 3" in result.rejects.column("detail")[0].as_py()
    check_accounting(result)


def test_actions_with_kind_column(tmp_path: Path) -> None:
    text = (
        "account_id,object_id,timestamp,post_id,kind\n"
        "a,u,1,p1,url\na,u,1,p1,\na,u,1,p1,url\na,,1,p2,url\n"
    )
    result = read_inputs([write(tmp_path / "a.csv", text)], shape="actions")
    assert result.table.column("kind").to_pylist() == ["url", "object"]
    assert rejects_of(result) == [(4, "duplicate_action"), (5, "missing_object_id")]


def test_reader_opens_duckdb_only_when_a_step_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Epoch times and repeated actions need no DuckDB connection; text times and post ids
    that may repeat do (one connection per read, closed at its end)."""
    import duckdb

    from inconcert.ingest import _build

    opened: list[object] = []
    real = _build.connect

    def counted() -> object:
        opened.append(con := real())
        return con

    monkeypatch.setattr(_build, "connect", counted)
    head = "account_id,object_id,timestamp,post_id\n"
    epoch = read_inputs([write(tmp_path / "e.csv", head + "a,o,1,p\na,o,1,p\nb,o,2,q\n")])
    assert epoch.rejected == {"duplicate_action": 1} and opened == []
    text = read_inputs([write(tmp_path / "t.csv", head + "a,o,2021-01-01 10:00,p\n")])
    assert text.table.num_rows == 1 and len(opened) == 1
    posts = read_inputs([write(tmp_path / "p.csv", HEADER + "1,a,5,x\n1,a,5,x\n")])
    assert posts.rejected == {"duplicate_row": 1} and len(opened) == 2
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")  # type: ignore[attr-defined]


def test_wide_objects_table(tmp_path: Path) -> None:
    text = (
        "account_id,post_id,url_id,hashtag_id,timestamp\n"
        "a,1,10,20,100\n"  # two actions
        "a,1,10,,100\n"  # every action repeats row 2
        "a,1,11,20,100\n"  # one new action (url 11); the repeated hashtag is dropped
        "b,2,,,100\n"  # no object
        ",3,12,,100\n"  # missing account
    )
    result = read_inputs(
        [write(tmp_path / "w.csv", text)], objects={"url_id": "url", "hashtag_id": "hashtag"}
    )
    assert result.shape == "actions"
    assert [(r["kind"], r["object_id"]) for r in result.table.to_pylist()] == [
        ("url", "10"),
        ("hashtag", "20"),
        ("url", "11"),
    ]
    assert rejects_of(result) == [
        (3, "duplicate_action"),
        (5, "no_object"),
        (6, "missing_account_id"),
    ]
    assert result.files[0].rows_used == 2  # rows that gave at least one action
    check_accounting(result)


def test_wide_objects_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "account_id,post_id,timestamp\na,1,1\n")
    with pytest.raises(InputError, match="'url_id' not in the file"):
        read_inputs([path], objects={"url_id": "url"})


def test_shapes_must_agree(tmp_path: Path) -> None:
    posts = write(tmp_path / "p.csv", HEADER + ROWS)
    actions = write(tmp_path / "a.csv", "account_id,object_id,timestamp,post_id\na,o,1,p\n")
    with pytest.raises(InputError, match=r"a\.csv: looks like a table of actions"):
        read_inputs([posts, actions])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shape": "tweets"}, "'shape' parameter"),
        ({"shape": "posts", "objects": {"url_id": "url"}}, "'shape' parameter"),
        ({"objects": {"url_id": "urls"}}, "'objects' parameter"),
    ],
)
def test_bad_parameters(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        read_inputs([write(tmp_path / "p.csv", HEADER + ROWS)], **kwargs)  # type: ignore[arg-type]


def test_parse_assignments() -> None:
    assert parse_assignments(["a=b", "c = d,e=f=g"], option="--map") == {
        "a": "b",
        "c": "d",
        "e": "f=g",
    }
    assert parse_assignments([], option="--map") == {}
    for bad in (["a"], ["a="], ["=b"], ["a=b,"], ["a=b", "a=c"]):
        with pytest.raises(ParameterError, match="'--map' parameter"):
            parse_assignments(bad, option="--map")


# ---------------------------------------------------------------------------------------------
# Timestamps and lists
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-08-15T10:00:00", utc(2021, 8, 15, 10)),  # naive means UTC
        ("2021-08-15 10:00:00+02:00", utc(2021, 8, 15, 8)),
        ("2021-08-15T10:00:00Z", utc(2021, 8, 15, 10)),
        ("2021-08-15T10:00:00.123456Z", utc(2021, 8, 15, 10, 0, 0, 123456)),
        ("2021-08-15T10:00:00.5+0000", utc(2021, 8, 15, 10, 0, 0, 500000)),
        ("2021-08-15", utc(2021, 8, 15)),
        ("1629064892", utc(2021, 8, 15, 22, 1, 32)),  # epoch seconds
        ("1629064892.25", utc(2021, 8, 15, 22, 1, 32, 250000)),
        ("1629064892000", utc(2021, 8, 15, 22, 1, 32)),  # >= 1e11: milliseconds
        ("1629064892123.5", utc(2021, 8, 15, 22, 1, 32, 123500)),
        (" 99999999999 ", utc(5138, 11, 16, 9, 46, 39)),  # just below 1e11: seconds
        ("-86400", utc(1969, 12, 31)),
        ("+86400", utc(1970, 1, 2)),
        ("1.6290648925e9", utc(2021, 8, 15, 22, 1, 32, 500000)),
        ("Wed Oct 10 20:19:24 +0000 2018", utc(2018, 10, 10, 20, 19, 24)),
        ("Wed, 10 Oct 2018 22:19:24 +0200", utc(2018, 10, 10, 20, 19, 24)),
        ("10 Oct 2018 22:19:24 +0200", utc(2018, 10, 10, 20, 19, 24)),
        ("Wed, 10 Oct 2018 20:19:24 GMT", utc(2018, 10, 10, 20, 19, 24)),
        ("2021-08-15T10:00:00 Europe/Berlin", utc(2021, 8, 15, 8)),
    ],
)
def test_timestamp_forms(tmp_path: Path, value: str, expected: datetime) -> None:
    path = write(tmp_path / "t.csv", f'post_id,account_id,timestamp\n1,a,"{value}"\n')
    result = read_inputs([path])
    assert result.rejected == {}
    assert result.table.column("timestamp")[0].as_py() == expected


def test_mixed_timestamp_forms_in_one_column(tmp_path: Path) -> None:
    values = ["2021-08-15T10:00:00", "2021-08-15T10:00:00+01:00", "1629064892", "1629064892000.0"]
    text = "post_id,account_id,timestamp\n" + "".join(f"{i},a,{v}\n" for i, v in enumerate(values))
    result = read_inputs([write(tmp_path / "t.csv", text)])
    assert result.table.column("timestamp").to_pylist() == [
        utc(2021, 8, 15, 10),
        utc(2021, 8, 15, 9),
        utc(2021, 8, 15, 22, 1, 32),
        utc(2021, 8, 15, 22, 1, 32),
    ]


@pytest.mark.parametrize(
    "values",
    [
        pa.array([1629064892, 1629064892000], pa.int64()),
        pa.array([1629064892.0, 1629064892000.0], pa.float64()),
        pa.array([1629064892, 1629064892000], pa.uint64()),
        pa.array([1629064892, 1629064892000], pa.decimal128(20, 3)),
    ],
)
def test_numeric_epoch_columns(tmp_path: Path, values: pa.Array) -> None:
    table = pa.table({"post_id": ["1", "2"], "account_id": ["a", "b"], "timestamp": values})
    pq.write_table(table, tmp_path / "n.parquet")
    result = read_inputs([tmp_path / "n.parquet"])
    assert result.table.column("timestamp").to_pylist() == [utc(2021, 8, 15, 22, 1, 32)] * 2


def test_epoch_out_of_range_is_rejected(tmp_path: Path) -> None:
    table = pa.table(
        {
            "post_id": ["1", "2"],
            "account_id": ["a", "b"],
            "timestamp": pa.array([2**63, 5], pa.uint64()),
        }
    )
    pq.write_table(table, tmp_path / "n.parquet")
    result = read_inputs([tmp_path / "n.parquet"])
    assert rejects_of(result) == [(1, "bad_timestamp")]
    assert result.table.column("timestamp").to_pylist() == [utc(1970, 1, 1, 0, 0, 5)]


def test_bad_and_missing_timestamps_are_rejected(tmp_path: Path) -> None:
    text = (
        "post_id,account_id,timestamp\n"
        "1,a,yesterday\n2,a,\n3,a,2021-13-45\n4,a,100000000000000\n5,a,nan\n6,a,2021-08-15\n"
    )
    result = read_inputs([write(tmp_path / "t.csv", text)])
    assert rejects_of(result) == [
        (2, "bad_timestamp"),
        (3, "missing_timestamp"),
        (4, "bad_timestamp"),
        (5, "bad_timestamp"),
        (6, "missing_timestamp"),  # "nan" is a missing-value marker
    ]
    assert (
        "cannot read 'yesterday' (column 'timestamp') as a time"
        in result.rejects["detail"][0].as_py()
    )
    assert result.table.column("post_id").to_pylist() == ["6"]
    check_accounting(result)


def test_lists_in_csv(tmp_path: Path) -> None:
    text = (
        "post_id,account_id,timestamp,urls,hashtags\n"
        '1,a,1,"[""http://x"", ""http://y""]",  #one   #two \n'
        "2,a,1,,[]\n"
        '3,a,1,"[1, null, ""z""]",#solo\n'
        '4,a,1,"[""broken",\n'
    )
    result = read_inputs([write(tmp_path / "l.csv", text)])
    rows = result.table.to_pylist()
    assert [r["urls"] for r in rows] == [["http://x", "http://y"], None, ["1", "z"]]
    assert [r["hashtags"] for r in rows] == [["#one", "#two"], [], ["#solo"]]
    assert rejects_of(result) == [(5, "bad_list")]
    assert "urls (column 'urls') is not a valid JSON array" in result.rejects["detail"][0].as_py()


# ---------------------------------------------------------------------------------------------
# Rejected rows
# ---------------------------------------------------------------------------------------------


def test_rejects_reasons_lines_and_records(tmp_path: Path) -> None:
    text = (
        "post_id,account_id,timestamp,text\n"  # line 1
        '1,a,2021-01-01T00:00:00,"two\n'  # line 2
        'lines"\n'  # line 3
        "2,b,2021-01-01\n"  # line 4: three fields
        "\n"  # line 5: blank
        "3,c,bad,x\n"  # line 6
        ",d,1,x\n"  # line 7
        "4,,1,x\n"  # line 8
        "5,e,1,x,extra\n"  # line 9: five fields
        "NA,f,1,x\n"  # line 10: NA is missing
        f"6,g,bad,{'y' * 3000}\n"  # line 11: long record
        "7,h,1,ok\n"  # line 12
    )
    result = read_inputs([write(tmp_path / "r.csv", text)])
    assert rejects_of(result) == [
        (4, "wrong_field_count"),
        (5, "empty_row"),
        (6, "bad_timestamp"),
        (7, "missing_post_id"),
        (8, "missing_account_id"),
        (9, "wrong_field_count"),
        (10, "missing_post_id"),
        (11, "bad_timestamp"),
    ]
    assert result.table.column("post_id").to_pylist() == ["1", "7"]
    assert result.table.column("text")[0].as_py() == "two\nlines"
    report = result.files[0]
    assert (report.rows_read, report.rows_used) == (10, 2)
    assert report.rejected == {
        "bad_timestamp": 2,
        "empty_row": 1,
        "missing_account_id": 1,
        "missing_post_id": 2,
        "wrong_field_count": 2,
    }
    records = result.rejects.to_pylist()
    assert records[0]["detail"] == "expected 4 fields, found 3"
    assert json.loads(records[0]["record"]) == "2,b,2021-01-01"
    assert json.loads(records[2]["record"]) == {
        "post_id": "3",
        "account_id": "c",
        "timestamp": "bad",
        "text": "x",
    }
    assert len(records[-1]["record"]) == 2000
    assert {r["file"] for r in records} == {str(tmp_path / "r.csv")}
    check_accounting(result)


def test_duplicate_post_ids(tmp_path: Path) -> None:
    first = write(tmp_path / "1.csv", HEADER + "1,a,5,x\n1,a,5,x\n1,a,6,x\n2,b,5,y\n")
    second = write(tmp_path / "2.jsonl", '{"post_id": 2, "account_id": "b", "timestamp": 5}\n')
    result = read_inputs([first, second])
    assert result.table.column("post_id").to_pylist() == ["1", "2"]
    assert rejects_of(result) == [
        (3, "duplicate_row"),
        (4, "duplicate_post_id"),
        (1, "duplicate_post_id"),
    ]
    detail = result.rejects["detail"][2].as_py()
    assert detail.startswith("post_id '2' already read at ") and "1.csv, line 5" in detail
    assert result.rejected == {"duplicate_post_id": 2, "duplicate_row": 1}
    check_accounting(result)


def test_duplicate_details_across_files(tmp_path: Path) -> None:
    """Every duplicate's detail names the repeated key and the file and line of its first copy,
    for posts, long actions and wide tables alike, when the rejects are split between files
    (the details are made only when the rejects table is)."""
    posts = read_inputs(
        [
            write(tmp_path / "p1.csv", HEADER + "1,a,5,x\n2,b,5,y\n1,a,5,x\n"),
            write(tmp_path / "p2.csv", HEADER + "2,b,6,y\n3,c,5,z\n1,a,5,x\n"),
        ]
    )
    p1, p2 = tmp_path / "p1.csv", tmp_path / "p2.csv"
    assert [(r["file"], r["line"], r["detail"]) for r in posts.rejects.to_pylist()] == [
        (str(p1), 4, f"post_id '1' already read at {p1}, line 2"),
        (
            str(p2),
            2,
            f"post_id '2' already read at {p1}, line 3 with other values; the first one is kept",
        ),
        (str(p2), 4, f"post_id '1' already read at {p1}, line 2"),
    ]
    head = "account_id,object_id,timestamp,post_id\n"
    long = read_inputs(
        [
            write(tmp_path / "a1.csv", head + "a,o1,1,p1\na,o1,1,p1\n"),
            write(tmp_path / "a2.csv", head + "b,o2,1,p2\na,o1,1,p1\n"),
        ]
    )
    a1, a2 = tmp_path / "a1.csv", tmp_path / "a2.csv"
    key = "(post_id, kind, object_id) = ('p1', 'object', 'o1')"
    assert [(r["file"], r["line"], r["detail"]) for r in long.rejects.to_pylist()] == [
        (str(a1), 3, f"{key} already read at {a1}, line 2"),
        (str(a2), 3, f"{key} already read at {a1}, line 2"),
    ]
    head = "account_id,post_id,url_id,timestamp\n"
    wide = read_inputs(
        [
            write(tmp_path / "w1.csv", head + "a,1,10,100\nb,2,11,100\n"),
            write(tmp_path / "w2.csv", head + "b,2,11,100\na,1,10,100\n"),
        ],
        objects={"url_id": "url"},
    )
    w1, w2 = tmp_path / "w1.csv", tmp_path / "w2.csv"
    before = "every action of the row was read before, e.g."
    assert [(r["file"], r["line"], r["detail"]) for r in wide.rejects.to_pylist()] == [
        (str(w2), 2, f"{before} (post_id, kind, object_id) = ('2', 'url', '11') at {w1}, line 3"),
        (str(w2), 3, f"{before} (post_id, kind, object_id) = ('1', 'url', '10') at {w1}, line 2"),
    ]
    for result in (posts, long, wide):
        check_accounting(result)


# ---------------------------------------------------------------------------------------------
# Whole-file errors
# ---------------------------------------------------------------------------------------------


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_inputs([tmp_path / "nope.csv"])


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"p\.csv: the file is empty \(0 bytes\)"):
        read_inputs([path])


def test_gzip_of_nothing_and_jsonl_of_blank_lines(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no header line"):
        read_inputs([write(tmp_path / "p.csv.gz", "")])
    with pytest.raises(InputError, match="no JSON records"):
        read_inputs([write(tmp_path / "p.jsonl", "\n \n")])


def test_invalid_utf8_names_line_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", (HEADER + "1,a,5,caf").encode() + b"\xe9\n")
    with pytest.raises(
        InputError,
        match=r"p\.csv, line 2: is not valid UTF-8: byte 0xe9 at "
        r"byte offset 43 .*iconv -f latin1 -t utf-8",
    ):
        read_inputs([path])


def test_invalid_utf8_in_header_and_in_gzip(tmp_path: Path) -> None:
    header = write(tmp_path / "h.csv", b"post_id,acc\xe9,timestamp\n1,a,1\n")
    with pytest.raises(InputError, match=r"h\.csv, line 1: is not valid UTF-8: byte 0xe9"):
        read_inputs([header])
    gz = write(tmp_path / "g.csv.gz", b"post_id,account_id,timestamp\n1,a,1\n2,b,\xff\n")
    with pytest.raises(InputError, match=r"g\.csv\.gz, line 3: .* offset 39 of the decompressed"):
        read_inputs([gz])


def test_tsv_with_commas_is_suspected(tmp_path: Path) -> None:
    path = write(tmp_path / "p.tsv", "post_id,account_id,timestamp\n1,a,1\n")
    with pytest.raises(InputError, match="looks delimited by ',', but this file is read as tab"):
        read_inputs([path])


def test_invalid_utf8_in_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", b'{"post_id": "1"}\n{"post_id": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"p\.jsonl, line 2: is not valid UTF-8.*iconv"):
        read_inputs([path])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"post_id": "1"}\n{"post_id": \n', r"p\.jsonl, line 2: invalid JSON"),
        ('{"post_id": "1"}\n\n[1, 2]\n', r"p\.jsonl, line 3: expected a JSON object"),
        ("null\n", r"p\.jsonl, line 1: expected a JSON object, found a JSON null"),
        ('{"post_id": "1"}\n"x"\n', r"p\.jsonl, line 2: expected a JSON object, found a JSON s"),
    ],
)
def test_invalid_json_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_inputs([write(tmp_path / "p.jsonl", text)])


def test_unreadable_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"p\.parquet: cannot be read as Parquet"):
        read_inputs([write(tmp_path / "p.parquet", "post_id,account_id\n")])


def test_bad_gzip(tmp_path: Path) -> None:
    path = tmp_path / "p.csv.gz"
    path.write_bytes(b"plain text, not gzip\n")
    with pytest.raises(InputError, match=r"p\.csv\.gz: is not a valid gzip file"):
        read_inputs([path])


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "p.xlsx", "x")
    with pytest.raises(
        InputError,
        match=r"p\.xlsx: unsupported file type '\.xlsx' \(supported: "
        r"\.csv\.gz, .*\.parquet, \.pq\)",
    ):
        read_inputs([path])


def test_folder_without_supported_files(tmp_path: Path) -> None:
    write(tmp_path / "in" / "notes.txt", "x")
    with pytest.raises(InputError, match="in: the folder contains no supported files"):
        read_inputs([tmp_path / "in"])


def test_no_paths() -> None:
    with pytest.raises(ParameterError, match="'paths' parameter"):
        read_inputs([])


def test_duplicate_header_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "post_id,account_id,timestamp,post_id\n1,a,1,2\n")
    with pytest.raises(InputError, match="column 'post_id' appears 2 times"):
        read_inputs([path])


def test_column_of_unusable_type(tmp_path: Path) -> None:
    table = pa.table({"post_id": [["1"]], "account_id": ["a"], "timestamp": [1]})
    pq.write_table(table, tmp_path / "p.parquet")
    with pytest.raises(InputError, match=r"p\.parquet: column 'post_id' has type list"):
        read_inputs([tmp_path / "p.parquet"])


# ---------------------------------------------------------------------------------------------
# Property: every row is used or rejected, and good rows round-trip
# ---------------------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\x00"),
    max_size=12,
)
_ROW = st.one_of(
    st.tuples(st.just("good"), st.integers(-(10**10), 10**10), _TEXT),
    st.tuples(st.just("no_id"), st.integers(0, 10**9), _TEXT),
    st.tuples(st.just("bad_time"), st.integers(0, 10**9), _TEXT),
    st.tuples(st.just("ms"), st.integers(10**11, 10**13), _TEXT),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, max_size=25))
def test_property_rows_are_used_or_rejected(rows: list[tuple[str, int, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["post_id", "account_id", "timestamp", "text"])
    expected_ids, expected_micros, expected_rejects = [], [], []
    line = 2
    for i, (kind, number, text) in enumerate(rows):
        post_id = f"0{i}"
        stamp = {"bad_time": f"t{number}"}.get(kind, str(number))
        writer.writerow(["" if kind == "no_id" else post_id, f"acc{i % 3}", stamp, text])
        if kind in ("good", "ms"):
            expected_ids.append(post_id)
            expected_micros.append(number * (1000 if kind == "ms" else 1_000_000))
        else:
            expected_rejects.append(
                (line, "missing_post_id" if kind == "no_id" else "bad_timestamp")
            )
        line += 1 + text.count("\n")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / "p.csv", buffer.getvalue())
        result = read_inputs([path])
    assert result.rows_read == len(rows)
    assert result.rows_used == len(expected_ids)
    assert result.table.column("post_id").to_pylist() == expected_ids
    assert result.table.column("timestamp").cast(pa.int64()).to_pylist() == expected_micros
    assert rejects_of(result) == expected_rejects
    check_accounting(result)


_KEY = st.one_of(st.none(), st.sampled_from(["a", "b", " a", "c"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_KEY, _KEY, st.sampled_from(["x", "y"])), max_size=30))
def test_property_first_seen_matches_a_plain_reference(
    rows: list[tuple[str | None, str | None, str]],
) -> None:
    """The repeated keys and their first rows (nulls equal to each other, as in SQL's GROUP
    BY), and the hash pre-check that spares the numbering where no key repeats."""
    from inconcert.ingest import _build

    table = pa.table(
        {
            "k1": pa.array([r[0] for r in rows], pa.string()),
            "k2": pa.array([r[1] for r in rows], pa.string()),
            "v": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    seen: dict[tuple[str | None, str | None], int] = {}
    want_pos, want_first, want_same = [], [], []
    for i, (k1, k2, v) in enumerate(rows):
        if (k1, k2) in seen:
            want_pos.append(i)
            want_first.append(seen[(k1, k2)])
            want_same.append(rows[seen[(k1, k2)]][2] == v)
        else:
            seen[(k1, k2)] = i
    con = _build.connect()
    try:
        if want_pos:  # a repeated key always repeats its hash
            assert _build._may_repeat(con, table, ["k1", "k2"])
        pos, first, same = _build._first_seen(lambda: con, table, ["k1", "k2"], ["v"])
    finally:
        con.close()
    assert pos.tolist() == want_pos
    assert first.tolist() == want_first
    assert same.tolist() == want_same


def test_columns_in_many_chunks_read_and_detect_as_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose columns come in many chunks (CSV is read in blocks; here a Parquet file
    whose reader is made to split every column): the reader keeps a text column in its chunks,
    and the posts, the rejects and every result table are those of the same file in one."""
    import inconcert
    from inconcert.ingest import _files
    from inconcert.simulate import simulate

    posts = simulate(n_organic=150, n_groups=2, days=4, viral_bursts=1, seed=3).posts
    path = tmp_path / "posts.parquet"
    pq.write_table(pa.concat_tables([posts, posts.slice(0, 5)]), path)  # five repeated rows
    options = inconcert.DetectOptions(
        kinds=("repost", "url", "hashtag", "text", "neartext"), max_q=None
    )
    one_read = read_inputs([path])
    one = inconcert.detect([path], options=options)

    whole = _files._read_parquet

    def in_pieces(source: _files.InputFile) -> pa.Table:
        table = whole(source)
        return pa.concat_tables([table.slice(i, 97) for i in range(0, table.num_rows, 97)])

    monkeypatch.setattr(_files, "_read_parquet", in_pieces)
    many_read = read_inputs([path])
    many = inconcert.detect([path], options=options)
    assert many_read.table.equals(one_read.table)
    assert many_read.rejects.equals(one_read.rejects)
    assert one_read.rejected == {"duplicate_row": 5}
    assert one.edges.num_rows > 0
    for name in ("edges", "accounts", "groups", "evidence"):
        assert getattr(many, name).equals(getattr(one, name)), name
    # without the repeats the text column reaches the posts table in its chunks
    pq.write_table(posts, path)
    assert read_inputs([path]).table.column("text").num_chunks > 1


# ---------------------------------------------------------------------------------------------
# The reference datasets
# ---------------------------------------------------------------------------------------------


def shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"reference dataset {path} is absent")
    return path


def test_german_elections_wide_table() -> None:
    from_csv = read_inputs([shared("german_elections.csv.gz")], objects=GERMAN_OBJECTS)
    counts = dict(zip(*pa.compute.value_counts(from_csv.table["kind"]).flatten(), strict=True))
    counts = {k.as_py(): v.as_py() for k, v in counts.items()}
    assert counts == {"url": 41_100, "domain": 63_529, "hashtag": 36_005, "image": 16_934}
    report = from_csv.files[0]
    assert report.rows_read == 218_971
    # The 3 rows without post_id have no object either; they count as missing_post_id.
    assert report.rejected == {
        "duplicate_action": 19_510,
        "missing_post_id": 3,
        "no_object": 99_348,
    }
    check_accounting(from_csv)
    from_parquet = read_inputs([shared("german_elections.parquet")], objects=GERMAN_OBJECTS)
    assert from_parquet.table.equals(from_csv.table)
    assert from_parquet.files[0].rejected == report.rejected


def test_russian_coord_tweets_coortweet_shape() -> None:
    result = read_inputs([shared("russian_coord_tweets.parquet")])
    assert result.shape == "actions"
    assert result.rows_read == 35_125
    assert result.rejected == {"duplicate_action": 1}
    assert result.table.num_rows == 35_124
    from_csv = read_inputs([shared("russian_coord_tweets.csv.gz")])
    assert from_csv.table.equals(result.table)
