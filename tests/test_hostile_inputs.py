"""Hostile input files (issue 12, items 2, 5, 6, 11 and 12): every row is used or rejected with
a reason, counted against an independent count of the file's records made here; ids stay exact
text; one rule for missing values in every format; what does not fit is refused with a message.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inconcert.errors import InputError
from inconcert.ingest import Ingested, read_inputs
from inconcert.ingest._files import MAX_JSON_DEPTH, MEMORY_ENV


def _balanced(ing: Ingested, records: int) -> None:
    """read = used + rejected = the records counted independently."""
    assert ing.rows_read == records == ing.rows_used + sum(ing.rejected.values()), (
        ing.rows_read,
        records,
        ing.rows_used,
        ing.rejected,
    )
    assert ing.rejects.num_rows == sum(ing.rejected.values())


def _csv_records(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        return sum(1 for _ in csv.reader(fh)) - 1


def _jsonl_records(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        return sum(1 for line in fh if line.strip())


# ---- 2: line breaks inside quoted CSV fields, across pyarrow's blocks ----------------------


@pytest.mark.parametrize("rows", [10_000, 30_000])
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_quoted_line_breaks_in_a_large_csv(tmp_path: Path, rows: int, suffix: str) -> None:
    """~1.3 MB and ~4 MB of posts whose texts span lines: nothing is split or refused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["post_id", "account_id", "timestamp", "text"])
    for i in range(rows):
        text = f'line one of {i}\nline two, "quoted"\n\nline four' if i % 3 else f"plain {i}"
        writer.writerow([f"p{i}", f"a{i % 50}", 1_700_000_000 + i, text])
    path = tmp_path / f"posts{suffix}"
    data = buffer.getvalue().encode()
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    ing = read_inputs([path])
    _balanced(ing, _csv_records(path))
    assert ing.rows_used == rows and ing.rejected == {}
    texts = ing.table.column("text").to_pylist()
    assert texts[1] == 'line one of 1\nline two, "quoted"\n\nline four'
    assert texts[rows - 1].endswith("line four") or texts[rows - 1].startswith("plain")


def test_quoted_line_breaks_keep_line_numbers(tmp_path: Path) -> None:
    body = ["post_id,account_id,timestamp"] + [
        f'"p{i}\n{i}",a,{1_700_000_000 + i}' for i in range(40_000)
    ]
    body[20_000] = "p_bad,a"  # one record short of a field, deep into the file
    path = tmp_path / "posts.csv"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    ing = read_inputs([path])
    _balanced(ing, _csv_records(path))
    assert ing.rejected == {"wrong_field_count": 1}
    # header = line 1, each earlier record takes 2 lines
    assert ing.rejects.column("line").to_pylist() == [2 + 2 * 19_999]


# ---- 5: ids stay exact text whatever the JSON reader infers -----------------------------


def test_jsonl_ids_above_2_63_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"post_id": 18446744073709551617, "account_id": 9223372036854775808, '
        '"timestamp": 1700000000}\n'
        '{"post_id": 18446744073709551618, "account_id": 9223372036854775809, '
        '"timestamp": 1700000001}\n',
        encoding="utf-8",
    )
    ing = read_inputs([path])
    _balanced(ing, _jsonl_records(path))
    assert ing.table.column("post_id").to_pylist() == [
        "18446744073709551617",
        "18446744073709551618",
    ]
    assert ing.table.column("account_id").to_pylist() == [
        "9223372036854775808",
        "9223372036854775809",
    ]


def test_one_float_does_not_turn_every_id_into_a_float(tmp_path: Path) -> None:
    lines = [
        {"post_id": str(i), "account_id": 12345678901234567 + i, "timestamp": 1_700_000_000}
        for i in range(3)
    ]
    text = "\n".join(json.dumps(r) for r in lines) + "\n"
    text += '{"post_id": "x", "account_id": 1.5, "timestamp": 1700000000.25}\n'
    path = tmp_path / "posts.jsonl"
    path.write_text(text, encoding="utf-8")
    ing = read_inputs([path])
    _balanced(ing, _jsonl_records(path))
    assert ing.table.column("account_id").to_pylist() == [
        "12345678901234567",
        "12345678901234568",
        "12345678901234569",
        "1.5",
    ]
    assert ing.table.column("timestamp")[3].as_py().microsecond == 250_000


def test_exact_ids_across_pieces_of_a_large_jsonl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read piece by piece, a column typed differently in two pieces is unified as text."""
    monkeypatch.setattr("inconcert.ingest._files._CHUNK", 4096)
    rows = [
        {
            "post_id": i,
            "account_id": f"a{i % 7}",
            "timestamp": 1_700_000_000 + i,
            "urls": [f"https://x.org/{i}"],
        }
        for i in range(300)
    ]
    rows[250]["post_id"] = 2**64 + 5  # a float column in one piece only
    rows[280]["post_id"] = "p-text"
    path = tmp_path / "posts.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    ing = read_inputs([path])
    _balanced(ing, _jsonl_records(path))
    ids = ing.table.column("post_id").to_pylist()
    assert ids[:3] == ["0", "1", "2"] and ids[250] == str(2**64 + 5) and ids[280] == "p-text"
    assert ing.table.column("urls")[299].as_py() == ["https://x.org/299"]


# ---- 6: one rule for missing values and times in every format ---------------------------

MARKERS = ["NA", "N/A", "NaN", "nan", "NULL", "null", "None", " "]


def _three_formats(tmp_path: Path, accounts: list[object]) -> list[Path]:
    n = len(accounts)
    rows = [
        {"post_id": f"p{i}", "account_id": a, "timestamp": 1_700_000_000 + i}
        for i, a in enumerate(accounts)
    ]
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(
        "post_id,account_id,timestamp\n"
        + "".join(
            f"p{i},{'' if a is None else a},{1_700_000_000 + i}\n" for i, a in enumerate(accounts)
        ),
        encoding="utf-8",
    )
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "post_id": [f"p{i}" for i in range(n)],
                "account_id": pa.array(accounts, pa.string()),
                "timestamp": [1_700_000_000 + i for i in range(n)],
            }
        ),
        parquet,
    )
    return [csv_path, jsonl, parquet]


def test_missing_markers_are_missing_in_every_format(tmp_path: Path) -> None:
    for path in _three_formats(tmp_path, ["real", *MARKERS]):
        ing = read_inputs([path])
        _balanced(ing, len(MARKERS) + 1)
        assert ing.rejected == {"missing_account_id": len(MARKERS)}, (path.name, ing.rejected)
        assert ing.table.column("account_id").to_pylist() == ["real"]


def test_parquet_nan_account_ids_are_missing_not_one_account(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "post_id": ["p1", "p2", "p3"],
                "account_id": [1.0, math.nan, math.nan],
                "timestamp": [1_700_000_000, 1_700_000_001, 1_700_000_002],
            }
        ),
        path,
    )
    ing = read_inputs([path])
    _balanced(ing, 3)
    assert ing.table.column("account_id").to_pylist() == ["1"]
    assert ing.rejected == {"missing_account_id": 2}


def test_out_of_range_parquet_times_are_rejected_not_wrapped(tmp_path: Path) -> None:
    millis = np.array([1_700_000_000_000, 2**62, -(2**62), 10**16], dtype=np.int64)
    path = tmp_path / "p.parquet"  # 2**62 ms wraps around as microseconds; 1e16 ms: year 318857
    pq.write_table(
        pa.table(
            {
                "post_id": ["p1", "p2", "p3", "p4"],
                "account_id": ["a"] * 4,
                "timestamp": pa.array(millis, pa.timestamp("ms")),
            }
        ),
        path,
    )
    ing = read_inputs([path])
    _balanced(ing, 4)
    assert ing.rejected == {"bad_timestamp": 3}
    assert ing.table.column("post_id").to_pylist() == ["p1"]


def test_marker_timestamps_are_missing_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"post_id": "p1", "account_id": "a", "timestamp": "NA"}\n'
        '{"post_id": "p2", "account_id": "a", "timestamp": NaN}\n',
        encoding="utf-8",
    )
    ing = read_inputs([path])
    _balanced(ing, 2)
    assert ing.rejected == {"missing_timestamp": 2}


# ---- 11: compressed input is streamed; what does not fit is refused with a message ------


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_compressed_bomb_is_refused_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setenv(MEMORY_ENV, str(8 << 20))
    monkeypatch.setattr("inconcert.ingest._files._CHUNK", 1 << 20)
    path = tmp_path / f"bomb{suffix}"
    if suffix.startswith(".jsonl"):
        head, line = b"", b'{"post_id": "p", "account_id": "a", "timestamp": 1700000000}\n'
    else:
        head, line = b"post_id,account_id,timestamp\n", b"p,a,1700000000\n"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(head)
        for _ in range(64):  # 64 MiB of text, a few hundred KiB compressed
            fh.write(line * ((1 << 20) // len(line)))
    assert path.stat().st_size < (2 << 20)
    with pytest.raises(InputError, match="in memory") as err:
        read_inputs([path])
    assert err.value.hint and "split it" in err.value.hint


def test_compressed_jsonl_within_the_budget_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("inconcert.ingest._files._CHUNK", 1 << 16)
    path = tmp_path / "posts.jsonl.gz"
    lines = [
        json.dumps({"post_id": f"p{i}", "account_id": f"a{i % 9}", "timestamp": 1_700_000_000 + i})
        for i in range(20_000)
    ]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    ing = read_inputs([path])
    _balanced(ing, _jsonl_records(path))
    assert ing.rows_used == 20_000


# ---- 12: deep nesting is a reject with a reason, never a crash ---------------------------


def _deep(depth: int) -> str:
    return (
        '{"post_id": "deep", "account_id": "a", "timestamp": 1700000000, "x": '
        + "[" * depth
        + "]" * depth
        + "}"
    )


def test_deep_line_among_normal_lines_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"post_id": "p1", "account_id": "a", "timestamp": 1700000000}\n'
        + _deep(10_000)
        + "\n"
        + '{"post_id": "p3", "account_id": "a", "timestamp": 1700000001, '
        + '"s": "'
        + "[" * 150
        + '"}\n'
        + _deep(MAX_JSON_DEPTH - 1)
        + "\n",
        encoding="utf-8",
    )
    ing = read_inputs([path])
    _balanced(ing, _jsonl_records(path))
    assert ing.rejected == {"bad_record": 1}  # the 100-deep record and the string are fine
    reject = ing.rejects.to_pylist()[0]
    assert reject["line"] == 2 and "10001 levels" in reject["detail"]
    assert ing.table.column("post_id").to_pylist() == ["p1", "p3", "deep"]


def test_a_file_of_one_deep_line_does_not_crash(tmp_path: Path) -> None:
    """pyarrow segfaults near 10,000 levels: run the CLI in a child so a crash fails the test."""
    import subprocess
    import sys

    path = tmp_path / "posts.jsonl"
    path.write_text(_deep(10_000) + "\n", encoding="utf-8")
    code = "from inconcert.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "detect", str(path), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "line 1: no record can be read: JSON nested 10001 levels deep" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_csv_record_that_is_not_utf8_is_explained(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """pyarrow cannot hand such a record to the bad-row handler: it printed an "exception
    ignored" traceback and the parse failed with a message about field counts."""
    path = tmp_path / "posts.csv"
    path.write_bytes(b"post_id,account_id,timestamp\np1,a,1700000000\np2,\x8d,x,y\n")
    with pytest.raises(InputError, match="not valid UTF-8: byte 0x8d") as err:
        read_inputs([path])
    assert err.value.line == 3
    assert "Traceback" not in capfd.readouterr().err
