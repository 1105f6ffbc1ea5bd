"""Fuzzing every reader (issue 12, "a fuzz and fault suite"): Hypothesis-generated tables
written as CSV, TSV, JSON Lines and Parquet (plain and gzip), and byte-level mutations of valid
files. Each file either parses, with every record used or rejected (read = used + rejected), or
fails with inconcert's own error; never another exception, never a crash."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.errors import InconcertError
from inconcert.ingest import read_inputs

# pyarrow reports some failures as "exception ignored" tracebacks on stderr: those fail too
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

COLUMNS = ["post_id", "account_id", "timestamp", "text", "urls", "hashtags", "repost_of"]
NASTY = [
    "",
    " ",
    "NA",
    "null",
    "nan",
    "None",
    "=1+1",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ud7ff",
    "a\nb",
    'say "hi"',
    "é",
    "\ufeff",
    "1e400",
    "-0",
    "18446744073709551617",
    "[1,2",
    '["a", "b"]',
    "2024-13-45T99:99:99Z",
    "1700000000",
    "1e14",
    "Wed Oct 10 20:19:24 +0000",
]

text = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
json_value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
column_names = st.lists(
    st.one_of(st.sampled_from(COLUMNS), st.text(max_size=8)), min_size=1, max_size=8
)


def _check(path: Path) -> None:
    """Parses with every record accounted for, or raises inconcert's own error."""
    try:
        ing = read_inputs([path])
    except InconcertError:
        return
    assert ing.rows_read == ing.rows_used + sum(ing.rejected.values())
    assert ing.rejects.num_rows == sum(ing.rejected.values())


@contextmanager
def _folder() -> Iterator[Path]:
    """A fresh folder for one example, removed after it (Hypothesis runs hundreds of examples
    per test, and pytest's ``tmp_path`` is one folder per test)."""
    with tempfile.TemporaryDirectory(prefix="inconcert-fuzz-") as folder:
        yield Path(folder)


@contextmanager
def _written(data: bytes, suffix: str) -> Iterator[Path]:
    """``data`` as a file named ``input{suffix}`` (gzip-compressed for a ``.gz`` suffix) in a
    folder of its own, removed afterwards."""
    with _folder() as folder:
        path = folder / f"input{suffix}"
        path.write_bytes(gzip.compress(data, mtime=0) if suffix.endswith(".gz") else data)
        yield path


def _check_data(data: bytes, suffix: str) -> None:
    with _written(data, suffix) as path:
        _check(path)


# ---- generated tables -------------------------------------------------------------------------


@FUZZ
@given(
    names=column_names,
    rows=st.lists(st.lists(text, max_size=9), max_size=12),
    delimiter=st.sampled_from([",", "\t"]),
    gz=st.booleans(),
)
def test_generated_csv(names: list[str], rows: list[list[str]], delimiter: str, gz: bool) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)  # ragged on purpose
    suffix = (".csv" if delimiter == "," else ".tsv") + (".gz" if gz else "")
    data = buffer.getvalue().encode("utf-8", "surrogatepass")
    _check_data(data, suffix)


@FUZZ
@given(
    records=st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {c: scalar for c in COLUMNS[:3]}, optional={c: json_value for c in COLUMNS[3:]}
            ),
            st.dictionaries(st.text(max_size=6), json_value, max_size=5),
            json_value,
        ),
        min_size=1,
        max_size=10,
    ),
    blank=st.booleans(),
    gz=st.booleans(),
)
def test_generated_jsonl(records: list[object], blank: bool, gz: bool) -> None:
    lines = [json.dumps(r, allow_nan=True) for r in records]
    if blank:
        lines.insert(len(lines) // 2, "  ")
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    _check_data(data, ".jsonl.gz" if gz else ".jsonl")


arrow_column = st.sampled_from(
    [
        pa.array(["p1", None, "p3"]),
        pa.array([1, 2**62, None], pa.int64()),
        pa.array([1.5, float("nan"), float("inf")]),
        pa.array([True, False, None]),
        pa.array([0, 2**62, -(2**62)], pa.timestamp("ms")),
        pa.array([0, 1, None], pa.timestamp("ns", tz="Asia/Tokyo")),
        pa.array([["a"], [], None], pa.list_(pa.string())),
        pa.array([[1], [2, 3], None]),
        pa.array([{"x": 1}, None, {"x": 2}]),
        pa.array([b"\xff", b"ok", None], pa.binary()),
        pa.array(["NA", "nan", " "]),
        pa.array([0, 1, 2], pa.date32()),
        pa.array([18446744073709551615, 1, None], pa.uint64()),
    ]
)


@FUZZ
@given(
    columns=st.dictionaries(
        st.sampled_from([*COLUMNS, "x", "object_id", "kind"]), arrow_column, min_size=1, max_size=7
    )
)
def test_generated_parquet(columns: dict[str, pa.Array]) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    _check_data(buffer.getvalue(), ".parquet")


# ---- mutated files ----------------------------------------------------------------------------

GOOD_CSV = (
    b"post_id,account_id,timestamp,text,urls\n"
    b'p1,a,2024-01-01T00:00:00Z,"hello\nworld",https://x.org/1\n'
    b'p2,b,1700000000,plain,["https://x.org/2"]\n'
    b"p3,c,Wed Oct 10 20:19:24 +0000 2018,,\n"
)
GOOD_JSONL = (
    b'{"post_id": "p1", "account_id": "a", "timestamp": "2024-01-01T00:00:00Z", '
    b'"urls": ["https://x.org/1"], "text": "hi"}\n'
    b'{"post_id": 2, "account_id": 7, "timestamp": 1700000000.5, "hashtags": ["x"]}\n'
)


def _good_parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "post_id": ["p1", "p2", "p3"],
                "account_id": ["a", "b", "a"],
                "timestamp": pa.array(
                    [1_700_000_000_000, 1_700_000_001_000, 0], pa.timestamp("ms")
                ),
                "urls": pa.array([["https://x.org/1"], None, []], pa.list_(pa.string())),
            }
        ),
        buffer,
        compression="none",
    )
    return buffer.getvalue()


mutation = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]),
    st.floats(min_value=0, max_value=1),
    st.binary(min_size=1, max_size=8),
)


def _mutate(data: bytes, steps: list[tuple[str, float, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload in steps:
        at = min(int(where * len(out)), max(len(out) - 1, 0))
        if kind == "flip" and out:
            out[at] ^= payload[0] or 1
        elif kind == "insert":
            out[at:at] = payload
        elif kind == "delete":
            del out[at : at + len(payload)]
        elif kind == "truncate":
            del out[at:]
        elif kind == "repeat":
            out[at:at] = out[at : at + 64] * 3
    return bytes(out)


@FUZZ
@given(
    steps=st.lists(mutation, min_size=1, max_size=4),
    which=st.sampled_from([".csv", ".tsv", ".csv.gz", ".jsonl", ".jsonl.gz"]),
)
def test_mutated_text_files(steps: list[tuple[str, float, bytes]], which: str) -> None:
    good = GOOD_JSONL if ".jsonl" in which else GOOD_CSV
    if which.startswith(".tsv"):
        good = good.replace(b",", b"\t")
    _check_data(_mutate(good, steps), which)


@FUZZ
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_gzip_stream(steps: list[tuple[str, float, bytes]]) -> None:
    """The compressed bytes themselves damaged: a clear error, or (rarely) a readable file."""
    with _folder() as folder:
        path = folder / "input.jsonl.gz"
        path.write_bytes(_mutate(gzip.compress(GOOD_JSONL * 20, mtime=0), steps))
        _check(path)


def _parquet_in_child(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """Read damaged Parquet files in a child process: a crash of the Parquet library must fail
    this test, not end the test run."""
    code = (
        "import sys\n"
        "from inconcert.errors import InconcertError\n"
        "from inconcert.ingest import read_inputs\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        ing = read_inputs([p])\n"
        "    except InconcertError:\n"
        "        continue\n"
        "    assert ing.rows_read == ing.rows_used + sum(ing.rejected.values()), p\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_mutated_parquet_files(tmp_path: Path) -> None:
    import random

    good = _good_parquet()
    rng = random.Random(7)
    paths = []
    for i in range(150):
        steps = [
            (
                rng.choice(["flip", "insert", "delete", "truncate", "repeat"]),
                rng.random(),
                bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))),
            )
            for _ in range(rng.randrange(1, 4))
        ]
        path = tmp_path / f"m{i}.parquet"
        path.write_bytes(_mutate(good, steps))
        paths.append(path)
    done = _parquet_in_child(paths)
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:])


# ---- platform readers --------------------------------------------------------------------------

_PLATFORM_FUZZ = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def platform_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small sample file of every platform format the samples write (and the TikTok
    comments as a CSV table), written once for the fuzz."""
    from tests import platform_samples as ps

    folder = tmp_path_factory.mktemp("platforms")
    story = ps.world()[:48]
    samples: dict[str, Path] = {}
    for name, (writer, _) in sorted(ps.WRITERS.items()):
        written = writer(story, folder / name)
        samples[name] = written[0] if isinstance(written, list) else written
    pages = [json.loads(line) for line in samples["tiktok-comments"].read_text().splitlines()]
    comments = [c for page in pages for c in page["data"]["comments"]]
    buffer = io.StringIO(newline="")
    writer_ = csv.DictWriter(buffer, fieldnames=list(comments[0]), lineterminator="\n")
    writer_.writeheader()
    writer_.writerows(comments)
    samples["tiktok-comments-csv"] = folder / "tiktok_comments.csv"
    samples["tiktok-comments-csv"].write_text(buffer.getvalue(), encoding="utf-8")
    return samples


def _platform_names() -> list[str]:
    from tests import platform_samples as ps

    return sorted([*ps.WRITERS, "tiktok-comments-csv"])


def _leaves(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """The path of every value inside a JSON value (containers and leaves)."""
    out: list[tuple[object, ...]] = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _leaves(item, (*path, index))
    return out


def _replace(document: object, path: tuple[object, ...], new: object, delete: bool) -> None:
    parent = document
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new  # type: ignore[index]


@pytest.mark.parametrize("name", _platform_names())
@_PLATFORM_FUZZ
@given(data=st.data())
def test_platform_reader_on_damaged_records(
    name: str, data: st.DataObject, platform_samples: dict[str, Path]
) -> None:
    """Every platform reader, on its sample with some fields replaced by hostile values
    (nulls, wrong types, nested junk, nasty text) or deleted, and some CSV cells replaced:
    each record used or rejected, or inconcert's own error."""
    source = platform_samples[name]
    with _folder() as folder:
        path = folder / source.name
        path.write_bytes(_damaged(source, data))
        _check(path)


def _damaged(source: Path, data: st.DataObject) -> bytes:
    """The sample ``source`` with a few fields or cells replaced or deleted, as drawn."""
    steps = data.draw(st.integers(min_value=1, max_value=4))
    if source.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
        for _ in range(steps):
            r = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
            c = data.draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))
            rows[r][c] = data.draw(text)
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8", "surrogatepass")
    lines = source.read_text(encoding="utf-8").splitlines()
    documents = (
        [json.loads(line) for line in lines]
        if source.suffix == ".jsonl"
        else [json.loads(source.read_text(encoding="utf-8"))]
    )
    for _ in range(steps):
        which = data.draw(st.integers(min_value=0, max_value=len(documents) - 1))
        paths = _leaves(documents[which])
        if not paths:
            continue
        at = paths[data.draw(st.integers(min_value=0, max_value=len(paths) - 1))]
        _replace(documents[which], at, data.draw(json_value), data.draw(st.booleans()))
    if source.suffix == ".jsonl":
        body = "".join(json.dumps(d, allow_nan=True) + "\n" for d in documents)
    else:
        body = json.dumps(documents[0], allow_nan=True)
    return body.encode("utf-8", "surrogatepass")


# ---- the command line, end to end --------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    steps=st.lists(mutation, max_size=3),
    which=st.sampled_from([".csv", ".csv.gz", ".jsonl", ".jsonl.gz"]),
)
def test_detect_on_mutated_files_is_a_result_or_a_message(
    steps: list[tuple[str, float, bytes]], which: str
) -> None:
    good = (GOOD_JSONL if ".jsonl" in which else GOOD_CSV) * 3
    with _written(_mutate(good, steps), which) as path:
        _detect_is_a_result_or_a_message(path)


def _detect_is_a_result_or_a_message(path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "detect",
            str(path),
            "--out",
            str(path.parent / "r"),
            "-q",
            "--max-q",
            "1",
            "--min-occasions",
            "1",
        ],
    )
    # 0: a result; 2: inconcert's message; 3: nothing left to analyse (every row rejected)
    assert result.exit_code in (0, 2, 3), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        manifest = json.loads((path.parent / "r" / "manifest.json").read_text())
        rows = manifest["rows"]
        assert rows["used"] > 0 and rows["read"] == rows["used"] + sum(rows["rejected"].values())
