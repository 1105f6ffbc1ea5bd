"""Hostile use of the options and output paths (issue 12, items 1, 3, 13, 14 and 15): every case
ends in the tool's own message and exit code 2, never a traceback, a lost input or a stray
file."""

from __future__ import annotations

import csv
import importlib
import json
import math
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from inconcert import engine as engine_module
from inconcert.cli import app
from inconcert.engine import DuckDBEngine, check_memory_limit, check_threads
from inconcert.errors import InputError, OutputError, ParameterError, ResourceError
from inconcert.options import DetectOptions
from inconcert.outputs import check_out_dir, check_rejects_path, write_rejects

runner = CliRunner()

POSTS = (
    "post_id,account_id,timestamp,urls\n"
    "p1,a,2024-01-01T00:00:00Z,https://x.org/1\n"
    "p2,b,2024-01-01T00:00:05Z,https://x.org/1\n"
    "p3,a,not a time,https://x.org/2\n"
    "p4,,2024-01-01T00:00:09Z,https://x.org/2\n"
    "p5,a,2024-01-02T00:00:00Z,https://x.org/3\n"
    "p6,b,2024-01-02T00:00:01Z,https://x.org/3\n"
)


def _posts(folder: Path, name: str = "posts.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(POSTS, encoding="utf-8")
    return path


def _invoke(*args: str | Path) -> Result:
    return runner.invoke(app, ["detect", *(str(a) for a in args)])


def _refused(result: Result, *needles: str) -> None:
    """Exit code 2 with the tool's one-line message (a traceback would be exit code 1)."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "error:" in result.output and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# ---- 15: nothing a user types reaches DuckDB's SQL ----------------------------------------

CRAFTED = "1GB'; COPY (SELECT 1) TO '{pwn}'; --"
BAD_MEMORY = [
    "lots",
    "",
    "8",
    "1e3GB",
    "0GB",
    "10MB",
    "-1GB",
    "101%",
    "0%",
    "8 GB; --",
    "8GB'",
    "8GB\nSET threads = 1",
    "٨GB",
    8,
]
BAD_THREADS = [0, -1, True, 2.5, "4", 10**6]


def test_crafted_memory_limit_is_refused_by_the_cli(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    pwn = tmp_path / "pwn.csv"
    result = _invoke(src, "--out", tmp_path / "r", "-q", "--memory-limit", CRAFTED.format(pwn=pwn))
    _refused(result, "'memory_limit' parameter must be")
    assert not pwn.exists()
    assert not (tmp_path / "r" / "edges.csv").exists()


@pytest.mark.parametrize("value", [CRAFTED, *BAD_MEMORY])
def test_bad_memory_limit_is_a_parameter_error(value: object, tmp_path: Path) -> None:
    if isinstance(value, str):
        value = value.format(pwn=tmp_path / "pwn.csv")
    with pytest.raises(ParameterError, match="memory_limit"):
        check_memory_limit(value)
    with pytest.raises(ParameterError, match="memory_limit"):
        DuckDBEngine(memory_limit=value)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="memory_limit"):
        DetectOptions(memory_limit=value)  # type: ignore[arg-type]
    assert not (tmp_path / "pwn.csv").exists()


@pytest.mark.parametrize("value", BAD_THREADS)
def test_bad_threads_is_a_parameter_error(value: object) -> None:
    with pytest.raises(ParameterError, match="threads"):
        check_threads(value)
    with pytest.raises(ParameterError, match="threads"):
        DuckDBEngine(threads=value)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="threads"):
        DetectOptions(threads=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "canonical", "mib"),
    [
        ("8GB", "8GB", 7630),
        ("1.5 gib", "1.5GiB", 1536),
        ("512MiB", "512MiB", 512),
        (" 2gb ", "2GB", 1908),
    ],
)
@pytest.mark.parametrize("held_mib", [0, 300])
def test_good_memory_limits_are_applied(
    value: str, canonical: str, mib: int, held_mib: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the share as given: a process holding little (the test process may hold more than the
    # margin, which would lower DuckDB's share for the statement:
    # test_duckdb_gets_less_while_the_process_holds_more_outside_it)
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: 0)
    assert check_memory_limit(value) == canonical
    assert DetectOptions(memory_limit=value).memory_limit == canonical
    with DuckDBEngine(memory_limit=value, threads=2, held_bytes=held_mib * 1024**2) as eng:
        got = eng.fetch(
            "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t"
        ).to_pylist()[0]
    assert got["t"] == 2
    unit = got["m"].split()[1]
    shown = _mib(got["m"])
    # DuckDB gets the limit less what the input holds and a margin for Python (a sixth of
    # the limit, at least 768 MiB), at least a quarter of the limit
    margin = max(mib / 6, 768)
    expected = max(math.ceil(mib - held_mib - margin), mib / 4)  # set in whole MiB
    # DuckDB shows whole MiB, or GiB with one decimal, cut off
    assert 0 <= expected - shown < {"MiB": 0.1, "GiB": 102.4}[unit] + 1


def _mib(shown: object) -> float:
    """DuckDB's memory limit as it shows it ("1.5 GiB", "768.0 MiB"), in MiB."""
    number, unit = str(shown).split()
    return float(number) * {"MiB": 1, "GiB": 1024}[unit]


def test_duckdb_gets_the_limit_less_what_is_held_and_a_sixth() -> None:
    from inconcert.engine import MARGIN_FLOOR, MIN_MEMORY_BYTES, duckdb_budget

    gib, mib = 1 << 30, 1 << 20
    assert duckdb_budget(6 * gib, 0) == 5 * gib
    assert duckdb_budget(6 * gib, 2 * gib) == 3 * gib
    assert duckdb_budget(6 * gib, -gib) == 5 * gib  # nothing held is nothing
    assert duckdb_budget(8 * gib, 7 * gib) == 2 * gib  # never below a quarter of the limit
    assert duckdb_budget(128 << 20, 120 << 20) == MIN_MEMORY_BYTES
    # under small limits the margin is at least 768 MiB: what the run keeps outside DuckDB
    # does not shrink with the limit (2GB on the 2.2M-post skewed world: 2,337 MiB with a sixth)
    assert 768 * mib == MARGIN_FLOOR
    assert duckdb_budget(3 * gib, 0) == 3 * gib - 768 * mib
    assert duckdb_budget(2 * gib, 256 * mib) == 1024 * mib
    assert duckdb_budget(1 * gib, 0) == 256 * mib  # a quarter of the limit
    assert duckdb_budget(6 * gib + 6 * 768 * mib, 0) == 5 * gib + 5 * 768 * mib  # a sixth again


@given(
    limit=st.integers(min_value=64 << 20, max_value=1 << 40),
    held=st.integers(min_value=-(1 << 30), max_value=1 << 40),
    outside=st.integers(min_value=-(1 << 30), max_value=1 << 41),
    more=st.integers(min_value=0, max_value=1 << 40),
)
def test_the_fitted_share_never_grows_and_never_falls_below_a_quarter(
    limit: int, held: int, outside: int, more: int
) -> None:
    from inconcert.engine import MIN_MEMORY_BYTES, duckdb_budget, fitted_share

    share = duckdb_budget(limit, held)
    fitted = fitted_share(limit, share, outside)
    assert max(limit // 4, MIN_MEMORY_BYTES) <= fitted <= share
    assert fitted_share(limit, share, outside + more) <= fitted  # more outside, less inside
    if outside + limit // 16 + share <= limit:  # room for the whole share beside it
        assert fitted == share
    elif share > max(limit // 4, MIN_MEMORY_BYTES):  # no room, and above the floor: less
        assert fitted < share


def test_duckdb_gets_less_while_the_process_holds_more_outside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before each statement DuckDB's limit is fitted to the process's resident memory less
    what DuckDB counts as its own (Linux's /proc/self/statm): a run that holds more outside
    DuckDB than the margin guessed (5.57M posts under 4GB: ~1 GiB in the evidence stage,
    4.03 GiB against 3.73) lowers DuckDB's share, down to a quarter of the limit; the share
    comes back when the process holds less again, and results do not change."""
    from inconcert.engine import duckdb_budget

    mib = 1 << 20
    limit = 4000 * mib  # "4000MiB"
    share = duckdb_budget(limit, 0)
    rss = {"now": 0}
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: rss["now"])

    def setting(eng: DuckDBEngine) -> float:
        return _mib(eng.fetch("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py())

    with DuckDBEngine(memory_limit="4000MiB", threads=1) as eng:
        assert abs(setting(eng) - share / mib) < 103  # all of it: the process holds little
        rss["now"] = 2000 * mib  # DuckDB counts next to nothing of it as its own
        eng.create("t", "SELECT range AS x FROM range(1000)")
        got = setting(eng)
        assert abs(got - (limit - 2000 * mib - limit // 16) / mib) < 103, got
        assert got < share / mib - 500
        fitted = math.ceil((limit - 2000 * mib - limit // 16) / mib)
        assert eng.memory_limit == f"4000MiB, of which DuckDB {fitted / 1024:.2f} GiB"  # errors
        rss["now"] = 10_000 * mib  # far above the limit: a quarter of it, DuckDB spills
        assert eng.fetch("SELECT SUM(x) AS s FROM t").column("s")[0].as_py() == 499500
        assert abs(setting(eng) - 1000) < 103
        rss["now"] = 100 * mib  # let go again: the whole share
        assert abs(setting(eng) - share / mib) < 103
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: None)  # not Linux
    with DuckDBEngine(memory_limit="4000MiB", threads=1) as eng:
        assert abs(setting(eng) - share / mib) < 103


def test_duckdb_is_not_asked_while_the_process_leaves_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def asked(*_: object) -> int:
        raise AssertionError("fitted although the process leaves room for the whole share")

    monkeypatch.setattr(engine_module, "fitted_share", asked)
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: 100 << 20)
    with DuckDBEngine(memory_limit="4000MiB", threads=1) as eng:
        eng.create("t", "SELECT range AS x FROM range(10)")
        assert eng.fetch("SELECT COUNT(*) AS n FROM t").column("n")[0].as_py() == 10
    # a limit whose share is at its floor (a quarter of the limit) already: not asked either
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: 10 << 30)
    with DuckDBEngine(memory_limit="1000MiB", threads=1) as eng:
        assert eng.fetch("SELECT 1 AS one").column("one")[0].as_py() == 1


def test_fitting_the_share_never_fails_a_statement(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where DuckDB cannot move what it holds past a lowered share to its spill folder (the
    folder's size limit), the statement runs with the share it had; hold() lowering the share
    the same way is the run's error, named."""
    rss = {"now": 0}
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: rss["now"])
    spill = tmp_path / "spill"
    spill.mkdir()
    with DuckDBEngine(
        memory_limit="1200MiB", threads=1, temp_directory=str(spill), max_temp_size="16MiB"
    ) as eng:
        before = eng.memory_limit
        # ~350 MiB in DuckDB, above the 300 MiB a fitted share could fall to
        eng.create("big", "SELECT range AS a, md5(range::VARCHAR) AS c FROM range(8000000)")
        rss["now"] = 3000 << 20  # the process holds far more than the limit outside DuckDB
        assert eng.fetch("SELECT COUNT(*) AS n FROM big").column("n")[0].as_py() == 8_000_000
        assert eng.memory_limit == before  # the share stayed
        with pytest.raises(ResourceError, match="temporary"):
            eng.hold(900 << 20)


def test_the_resident_memory_is_read_where_linux_gives_it() -> None:
    from inconcert._timer import current_rss_bytes, peak_rss_bytes

    now = current_rss_bytes()
    if not Path("/proc/self/statm").exists():
        assert now is None
        return
    peak = peak_rss_bytes()
    assert now is not None and peak is not None and 10 << 20 < now <= peak + (1 << 20)
    block = bytearray(b"x" * (64 << 20))  # written: resident
    grown = current_rss_bytes()
    assert grown is not None and grown >= now + (32 << 20)
    del block


def test_a_run_above_its_memory_limit_says_so_and_where() -> None:
    """The limit bounds DuckDB; the read and the actions stage come before it, and DuckDB's
    limit is approximate. A run whose process went above the limit says in which stage (the
    2.2M-post skewed world under 1GB: 1.45 GiB, making its actions)."""
    from inconcert._timer import memory_warning

    gib = 1 << 30
    marks = [("read", gib // 2), ("actions", 3 * gib // 2), ("load", 3 * gib // 2)]
    note = memory_warning([*marks, ("edges", 2 * gib)], gib // 4, gib, "1GiB")
    assert note is not None
    assert "above --memory-limit 1GiB (1.00 GiB) in the actions stage" in note
    assert "peaked at 2.00 GiB" in note and "before DuckDB" in note
    late = memory_warning([("read", gib // 2), ("edges", 3 * gib // 2)], None, gib, "1GiB")
    assert late is not None and "in the edges stage" in late and "approximate" in late
    assert memory_warning([("read", gib // 2), ("edges", gib)], gib // 4, gib, "1GiB") is None
    # a process already above the limit when the run began (a notebook holding other data):
    # only a stage that raised the peak further counts
    assert memory_warning([("read", 2 * gib), ("edges", 2 * gib)], 2 * gib, gib, "1GiB") is None
    higher = memory_warning([("read", 2 * gib), ("edges", 3 * gib)], 2 * gib, gib, "1GiB")
    assert higher is not None and "in the edges stage" in higher
    assert memory_warning([], None, gib, "1GiB") is None  # the system does not say
    # a nested stage: what the stage around it took before it began is that stage's
    nested = [("read", gib // 2), ("edges", 3 * gib // 2), ("significance", 3 * gib // 2)]
    assert "in the edges stage" in (memory_warning(nested, None, gib, "1GiB") or "")


def test_the_timer_marks_the_stage_around_a_nested_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from inconcert import _timer

    marks = iter(range(100, 1000, 100))
    monkeypatch.setattr(_timer, "peak_rss_bytes", lambda: next(marks))
    timer = _timer.Timer(lambda *_: None)
    with timer.stage("edges"), timer.stage("significance"):
        pass
    with timer.stage("groups"):
        pass
    assert timer.start_peak == 100
    assert timer.marks == [("edges", 200), ("significance", 300), ("edges", 400), ("groups", 500)]
    assert timer.peaks == {"significance": 300, "edges": 400, "groups": 500}


def _link_posts(folder: Path, n: int) -> Path:
    """``n`` posts of 20 accounts sharing 13 links within the hour, as a CSV in ``folder``."""
    posts = folder / "posts.csv"
    rows = ["post_id,account_id,timestamp,urls"] + [
        f"p{i},a{i % 20},2024-01-01T00:{i % 60:02d}:{i % 7:02d}Z,https://x.org/{i % 13}"
        for i in range(n)
    ]
    posts.write_text("\n".join(rows) + "\n")
    return posts


def test_the_manifest_gives_the_peak_memory(tmp_path: Path) -> None:
    """End to end, in a fresh process: the manifest gives the peak resident memory as each
    stage ended, in MiB; a run that stayed under its limit has no warning about it."""
    import json
    import subprocess
    import sys

    posts = _link_posts(tmp_path, 2_000)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "inconcert.cli", "detect", str(posts), "--out", str(out)]
    done = subprocess.run(
        [*command, "--memory-limit", "4GB", "--figures", "none", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    peaks = manifest["peak_rss_mib"]
    assert list(peaks) == list(manifest["timings_s"])  # one per stage, in order
    assert all(isinstance(v, int) and 20 < v < 4000 for v in peaks.values())
    assert list(peaks.values()) == sorted(peaks.values())  # high-water marks
    assert not any("--memory-limit" in w for w in manifest["warnings"])


def test_a_run_that_went_above_its_limit_warns_in_the_manifest_and_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line says when the process went above --memory-limit, naming the stage:
    here the process's high-water mark (made up, as the system would give it) passes 1 GiB
    in the actions stage."""
    import json

    from typer.testing import CliRunner

    from inconcert import _timer
    from inconcert.cli import app

    gib = 1 << 30
    marks = iter([gib // 4, gib // 2])  # the start, then the read's end

    monkeypatch.setattr(_timer, "peak_rss_bytes", lambda: next(marks, 3 * gib // 2))
    posts = _link_posts(tmp_path, 500)
    out = tmp_path / "out"
    done = CliRunner().invoke(
        app,
        ["detect", str(posts), "--out", str(out), "--memory-limit", "1GiB", "--figures", "none"],
    )
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["peak_rss_mib"]["read"] == 512
    assert manifest["peak_rss_mib"]["actions"] == 1536
    notes = [w for w in manifest["warnings"] if "--memory-limit" in w]
    assert notes == [
        "The process went above --memory-limit 1GiB (1.00 GiB) in the actions stage, and peaked "
        "at 1.50 GiB: the read and the actions stage hold the posts and their actions in memory "
        "before DuckDB has them, so the limit cannot bound them: give more memory, or fewer or "
        "narrower inputs (e.g. --kinds)."
    ]
    assert "went above --memory-limit 1GiB" in " ".join(done.output.split())


def test_memory_limit_bounds_the_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12 item 9: --memory-limit bounded DuckDB only, so the input's Arrow tables came on
    top of it (3.5 GB peak at 2GB on 1.76M posts). DuckDB now gets the limit less what the
    input holds in memory."""
    import importlib

    detect_module = importlib.import_module("inconcert.detect")
    seen: dict[str, object] = {}
    real = detect_module.open_engine

    def spy(name: str = "duckdb", **settings: object) -> object:
        seen.update(settings)
        return real(name, **settings)

    monkeypatch.setattr(detect_module, "open_engine", spy)
    posts = tmp_path / "posts.csv"
    rows = ["post_id,account_id,timestamp,text"] + [
        f"p{i},a{i % 50},2024-01-01T00:{i % 60:02d}:00Z,{'word ' * 40}{i}" for i in range(20_000)
    ]
    posts.write_text("\n".join(rows) + "\n")
    result = detect_module.detect([posts], options=DetectOptions(memory_limit="1GB"))
    held = seen["held_bytes"]
    assert isinstance(held, int) and held > 20_000 * 200  # the texts are in memory
    assert result.summary["actions"]["posts"] == 20_000
    assert not any("in memory" in w for w in result.warnings)  # far below half the limit


def test_the_run_lets_go_of_the_input_once_the_engine_holds_it(tmp_path: Path) -> None:
    """Issue 10: the posts and actions stayed in Python as Arrow tables for the whole run (4.5
    GiB of an 8 GB limit at 10.4M posts), so DuckDB spilled and the process went past the
    limit. Once they are loaded, nothing keeps them: at the co-actions stage Arrow holds a
    small part of what the input took, and DuckDB's share of the limit has grown back."""
    import importlib

    detect_module = importlib.import_module("inconcert.detect")
    posts = tmp_path / "posts.csv"
    rows = ["post_id,account_id,timestamp,text,urls"] + [
        f"p{i},a{i % 50},2024-01-01T00:{i % 60:02d}:00Z,{'word ' * 40}{i},https://x.org/{i % 97}"
        for i in range(20_000)
    ]
    posts.write_text("\n".join(rows) + "\n")
    held: dict[str, int] = {}
    budgets: list[int | None] = []
    real = detect_module.open_engine

    def spy(name: str = "duckdb", **settings: object) -> object:
        eng = real(name, **settings)
        budgets.append(eng.duckdb_bytes)  # type: ignore[attr-defined]
        hold = eng.hold  # type: ignore[attr-defined]

        def hold_spy(held_bytes: int) -> None:
            hold(held_bytes)
            budgets.append(eng.duckdb_bytes)  # type: ignore[attr-defined]

        eng.hold = hold_spy  # type: ignore[attr-defined]
        return eng

    def progress(stage: str, done: int, total: int) -> None:
        held.setdefault(f"{stage}:{done}", pa.total_allocated_bytes())

    base = pa.total_allocated_bytes()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(detect_module, "open_engine", spy)
        # an input too large to be read in place (DuckDBEngine.load), without writing one
        mp.setattr(engine_module, "ARROW_IN_PLACE_BYTES", 0)
        result = detect_module.detect(
            [posts],
            options=DetectOptions(memory_limit="2GB", kinds=("url", "text")),
            progress=progress,
        )
    loaded = held["load:0"] - base  # the posts and actions, as Arrow tables
    after = held["co-actions:0"] - base
    assert loaded > 20_000 * 200, loaded  # the texts were in memory
    assert after < loaded / 10, (after, loaded)
    assert result.ingested is not None and result.ingested.table.num_rows == 0
    assert result.ingested.rows_used == 20_000  # the read's report is kept
    # set anew once the posts are loaded and once the actions are
    assert len(budgets) == 3 and None not in budgets
    assert budgets[0] < budgets[1] < budgets[2]  # type: ignore[operator]


def test_an_in_memory_input_is_let_go_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pandas DataFrame is read through an Arrow copy: the run lets go of that copy as well
    (the caller keeps its DataFrame)."""
    # an input too large to be read in place (DuckDBEngine.load), without making one
    monkeypatch.setattr(engine_module, "ARROW_IN_PLACE_BYTES", 0)
    import importlib

    import pandas as pd

    detect_module = importlib.import_module("inconcert.detect")
    n = 20_000
    frame = pd.DataFrame(
        {
            # object columns: reading them makes an Arrow copy (pyarrow-backed ones are shared)
            "post_id": pd.Series([f"p{i}" for i in range(n)], dtype=object),
            "account_id": pd.Series([f"a{i % 50}" for i in range(n)], dtype=object),
            "timestamp": pd.to_datetime([f"2024-01-01T00:{i % 60:02d}:00Z" for i in range(n)]),
            "text": pd.Series([f"{'word ' * 40}{i}" for i in range(n)], dtype=object),
        }
    )
    held: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        held.setdefault(f"{stage}:{done}", pa.total_allocated_bytes())

    base = pa.total_allocated_bytes()
    detect_module.detect(frame, options=DetectOptions(kinds=("text",)), progress=progress)
    loaded = held["load:0"] - base
    assert loaded > n * 200, loaded
    assert held["co-actions:0"] - base < loaded / 10, (held, base)


def test_small_tables_are_read_in_place_up_to_a_bounded_total() -> None:
    """DuckDBEngine.load reads a small Arrow table in place (no copy into DuckDB) while the
    tables read in place come to at most ARROW_IN_PLACE_BYTES, or a 32nd of a memory limit;
    past that a table is copied, so that DuckDB can spill it. Either way SQL sees the same
    rows, and a name can be dropped or replaced."""
    small = pa.table({"x": pa.array(range(1000), pa.int64())})  # 8,000 bytes
    with DuckDBEngine() as eng:
        eng.load("t1", small)
        eng.load("t2", small)
        assert eng.held_in_place == 2 * small.nbytes
        # DuckDB's own tables: none (both are read in place)
        assert eng.fetch("SELECT table_name FROM duckdb_tables()").num_rows == 0
        assert eng.fetch("SELECT SUM(x) AS s FROM t1").to_pylist() == [{"s": 499_500}]
        assert eng.create("t1", "SELECT x * 2 AS x FROM t2") == 1000  # replaces the view
        assert eng.held_in_place == small.nbytes
        assert eng.fetch("SELECT SUM(x) AS s FROM t1").to_pylist() == [{"s": 999_000}]
        eng.load("t1", small)  # and back: the table is dropped, the view made again
        assert eng.fetch("SELECT SUM(x) AS s FROM t1").to_pylist() == [{"s": 499_500}]
        eng.drop("t2")
        assert eng.held_in_place == small.nbytes
        with pytest.raises(duckdb.CatalogException):
            eng.fetch("SELECT * FROM t2")
    # a memory limit of 64 MiB reads at most 2 MiB in place: the third 1 MB table is copied
    mib = pa.table({"x": pa.array(range(125_000), pa.int64())})  # 1,000,000 bytes
    with DuckDBEngine(memory_limit="64MiB") as eng:
        for name in ("a", "b", "c"):
            eng.load(name, mib)
        assert eng.held_in_place == 2 * mib.nbytes
        tables = eng.fetch("SELECT table_name FROM duckdb_tables()").column(0).to_pylist()
        assert tables == ["c"]
        total = eng.fetch("SELECT (SELECT SUM(x) FROM a) + (SELECT SUM(x) FROM c) AS s")
        assert total.to_pylist() == [{"s": 2 * sum(range(125_000))}]
    # the bytes read in place are the caller's to count (a run passes all of Arrow's): hold()
    # does not add them a second time
    with DuckDBEngine(memory_limit="4GB") as eng:
        eng.load("a", mib)
        assert eng.held_in_place == mib.nbytes
        eng.hold(0)
        assert eng.duckdb_bytes == engine_module.duckdb_budget(4 * 1000**3, 0)


def test_hold_sets_duckdbs_share_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "current_rss_bytes", lambda: 0)  # the share as given
    with DuckDBEngine(memory_limit="3GB", held_bytes=1024**3) as eng:
        before = eng.duckdb_bytes
        eng.hold(0)
        shown = eng.fetch("SELECT current_setting('memory_limit') AS m").to_pylist()[0]["m"]
    assert before is not None and eng.duckdb_bytes is not None
    assert eng.duckdb_bytes - before == 1024**3  # the GiB held is DuckDB's again
    assert abs(_mib(shown) - eng.duckdb_bytes / 1024**2) < 103
    with DuckDBEngine() as eng:  # no limit given: nothing to share
        eng.hold(10**9)
        assert eng.duckdb_bytes is None


def test_percent_memory_limit_is_a_share_of_ram() -> None:
    assert check_memory_limit("50%") == "50%"
    with DuckDBEngine(memory_limit="50%") as eng:
        assert eng.fetch("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py()


def test_temp_directory_with_a_quote_is_not_sql(tmp_path: Path) -> None:
    spill = tmp_path / "it's here"
    spill.mkdir()
    with DuckDBEngine(temp_directory=str(spill)) as eng:
        got = eng.fetch("SELECT current_setting('temp_directory') AS d").column("d")[0]
    assert got.as_py() == str(spill)


def test_engine_table_names_must_be_identifiers() -> None:
    with DuckDBEngine() as eng, pytest.raises(ParameterError, match="identifier"):
        eng.create("x; DROP TABLE y", "SELECT 1")


def test_an_attached_parquet_file_is_read_where_it_lies(tmp_path: Path) -> None:
    """DuckDB reads an attached file at each query (a view, nothing loaded); a path with a
    quote is a value, not SQL; the name can be dropped, attached again, or replaced by a
    table."""
    path = tmp_path / "it's.parquet"
    pq.write_table(pa.table({"x": [3, 1, 2]}), path, row_group_size=1)
    with DuckDBEngine() as eng:
        eng.attach_parquet("ic_file", path)
        assert eng.fetch("SELECT SUM(x) AS s FROM ic_file").column("s")[0].as_py() == 6
        kind = "SELECT table_type FROM information_schema.tables WHERE table_name = 'ic_file'"
        assert eng.fetch(kind).column(0).to_pylist() == ["VIEW"]
        eng.attach_parquet("ic_file", path)  # again: replaced
        eng.drop("ic_file")
        assert eng.fetch(kind).num_rows == 0
        eng.drop("ic_file")  # dropping what is gone is no error
        eng.attach_parquet("ic_file", path)
        assert eng.create("ic_file", "SELECT 7 AS x") == 1  # a table in its place
        assert eng.fetch("SELECT x FROM ic_file").column("x").to_pylist() == [7]
        eng.drop("ic_file")
        assert eng.fetch(kind).num_rows == 0


# ---- 13: windows the engine cannot hold ----------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "1e300", "-inf", "nan", "1e10"])
def test_unbounded_window_is_a_clear_error(value: str, tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--window", value), "'window' parameter must be"
    )
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--window-for", f"url={value}"),
        "'windows[url]' parameter must be",
    )


@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_unbounded_speed_is_a_clear_error(value: str, tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--speeds", f"10,{value}"),
        "'speeds' parameter must be",
    )


def test_longest_window_still_runs(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    result = _invoke(src, "--out", tmp_path / "r", "-q", "--window", "1e9", "--min-weight", "2")
    assert result.exit_code == 0, result.output


def test_memory_limit_lots_is_a_clear_error(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--memory-limit", "lots"),
        "'memory_limit' parameter must be",
        "'lots'",
    )


# ---- 13 and 14: --out problems, reported before the first row is read ---------------------


def _no_detect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading the input fail loudly: the checks must come before it."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was read before the --out/--rejects checks")

    # the package's ``detect`` function hides the module of the same name
    monkeypatch.setattr(importlib.import_module("inconcert.detect"), "detect", boom)


def test_out_is_an_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    target = tmp_path / "afile"
    target.write_text("keep me", encoding="utf-8")
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", target, "-q"), "is a file, not a folder")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_out_is_the_input_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", src, "-q"), "is one of the input files")
    assert src.read_text(encoding="utf-8") == POSTS


@pytest.mark.parametrize("inside", [False, True])
def test_out_is_the_input_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inside: bool
) -> None:
    folder = tmp_path / "in"
    _posts(folder)
    out = folder / "results" if inside else folder
    _no_detect(monkeypatch)
    _refused(
        _invoke(folder, "--out", out, "-q"),
        "is inside the input folder" if inside else "is the input folder",
    )
    assert sorted(p.name for p in folder.iterdir()) == ["posts.csv"]


def test_out_already_holds_results_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _posts(tmp_path / "in")
    out = tmp_path / "r"
    result = _invoke(src, "--out", out, "-q", "--min-weight", "2")
    assert result.exit_code == 0, result.output
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", out, "-q"), "already holds results", "--overwrite")


def test_out_would_replace_an_input_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r"
    src = _posts(out, "edges.csv")
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", out, "-q", "--overwrite"), "holds the input file 'edges.csv'")
    assert src.read_text(encoding="utf-8") == POSTS


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user"
)
def test_out_in_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        _no_detect(monkeypatch)
        _refused(_invoke(src, "--out", locked / "r", "-q"), "read-only")
    finally:
        locked.chmod(0o700)


def test_out_and_rejects_in_a_folder_we_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only case as the checks see it (works as root too)."""
    src = _posts(tmp_path / "in")
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and real(p, mode))
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", locked / "r", "-q"), "read-only")
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--rejects", locked / "rejects.csv"),
        "read-only",
    )


def test_check_out_dir_for_the_library(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    with pytest.raises(OutputError, match="is one of the input files"):
        check_out_dir(src, inputs=[src])
    with pytest.raises(OutputError, match="is the input folder"):
        check_out_dir(tmp_path / "in", inputs=[tmp_path / "in"])
    assert check_out_dir(tmp_path / "new" / "r", inputs=[src]) == tmp_path / "new" / "r"
    # a hidden folder inside an input folder is never read as input
    assert check_out_dir(tmp_path / "in" / ".r", inputs=[tmp_path / "in"])


# ---- 1: --rejects never destroys a file ------------------------------------------------------


def test_rejects_is_the_input_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    _no_detect(monkeypatch)
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--rejects", src), "is one of the input files"
    )
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--overwrite", "--rejects", src),
        "is one of the input files",
    )
    # the same file by another spelling
    other = tmp_path / "in" / ".." / "in" / "posts.csv"
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--overwrite", "--rejects", other),
        "is one of the input files",
    )
    assert src.read_text(encoding="utf-8") == POSTS
    assert not (tmp_path / "r").exists()


def test_rejects_in_an_input_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    src = _posts(folder)
    _no_detect(monkeypatch)
    _refused(
        _invoke(folder, "--out", tmp_path / "r", "-q", "--overwrite", "--rejects", src),
        "is one of the input files",
    )
    _refused(
        _invoke(folder, "--out", tmp_path / "r", "-q", "--rejects", folder / "rej.csv"),
        "is inside the input folder",
    )
    assert src.read_text(encoding="utf-8") == POSTS


def test_rejects_collides_with_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    _no_detect(monkeypatch)
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--rejects", tmp_path / "r" / "edges.csv"),
        "is a result file of --out",
    )


def test_rejects_is_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    _no_detect(monkeypatch)
    _refused(_invoke(src, "--out", tmp_path / "r", "-q", "--rejects", tmp_path), "is a folder")


def test_rejects_in_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _posts(tmp_path / "in")
    _no_detect(monkeypatch)
    _refused(
        _invoke(
            src, "--out", tmp_path / "r", "-q", "--rejects", tmp_path / "nowhere" / "rejects.csv"
        ),
        "does not exist",
    )
    assert not (tmp_path / "nowhere").exists()


def test_existing_rejects_file_needs_overwrite(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("precious\n", encoding="utf-8")
    _refused(
        _invoke(src, "--out", tmp_path / "r", "-q", "--min-weight", "2", "--rejects", rejects),
        "already exists",
        "--overwrite",
    )
    assert rejects.read_text(encoding="utf-8") == "precious\n"
    assert not (tmp_path / "r").exists()  # refused before any result was written
    result = _invoke(
        src, "--out", tmp_path / "r", "-q", "--min-weight", "2", "--overwrite", "--rejects", rejects
    )
    assert result.exit_code == 0, result.output
    _check_rejects(src, rejects, tmp_path / "r")


def test_rejects_inside_the_new_out_folder(tmp_path: Path) -> None:
    src = _posts(tmp_path / "in")
    out = tmp_path / "r"
    result = _invoke(src, "--out", out, "-q", "--min-weight", "2", "--rejects", out / "rejects.csv")
    assert result.exit_code == 0, result.output
    _check_rejects(src, out / "rejects.csv", out)


def _check_rejects(src: Path, rejects: Path, out: Path) -> None:
    """read = used + rejected, against a line count of the input made here."""
    with open(src, encoding="utf-8") as fh:
        records = sum(1 for _ in fh) - 1  # no quoted line breaks in POSTS
    with open(rejects, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows_info = manifest["rows"]
    assert rows_info["read"] == records == rows_info["used"] + sum(rows_info["rejected"].values())
    assert len(rows) == sum(rows_info["rejected"].values()) == 2
    assert sorted(r["reason"] for r in rows) == ["bad_timestamp", "missing_account_id"]


# ---- 3: the rejects file is written atomically ---------------------------------------------

REJECTS = pa.table(
    {"file": ["x.csv"] * 3, "line": [2, 3, 4], "reason": ["bad"] * 3, "record": ['{"a": 1}'] * 3}
)


def _interrupt_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write half the file, then die like a killed process."""

    def half(table: pa.Table, path: str | os.PathLike[str], *, raw: bool = False) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("file,line,reason,record\nx.csv,2,bad,")
        raise KeyboardInterrupt

    monkeypatch.setattr("inconcert.outputs.write_csv", half)


def test_interrupted_rejects_leave_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rejects.csv"
    write_rejects(REJECTS, path)
    before = path.read_bytes()
    _interrupt_midway(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_rejects(REJECTS.slice(0, 1), path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rejects.csv"]


def test_interrupted_rejects_leave_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _interrupt_midway(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_rejects(REJECTS, tmp_path / "rejects.csv")
    assert list(tmp_path.iterdir()) == []


def test_write_rejects_for_the_library(tmp_path: Path) -> None:
    path = write_rejects(REJECTS, tmp_path / "rejects.csv")
    assert path.read_text(encoding="utf-8").count("\n") == 4
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    with pytest.raises(OutputError, match="already exists"):
        write_rejects(REJECTS, path)
    with pytest.raises(OutputError, match="is one of the input files"):
        check_rejects_path(path, overwrite=True, inputs=[path])
    with pytest.raises(OutputError, match="does not exist"):
        write_rejects(REJECTS, tmp_path / "missing" / "rejects.csv")


# ---- 8: no two accounts become one node in the graph files ---------------------------------


def test_gexf_and_graphml_keep_accounts_whose_escaped_ids_would_collide(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    import igraph as ig

    from inconcert.detect import detect_actions
    from inconcert.outputs import write_result

    from .helpers import actions

    ids = ["a\x01", "a\\x01", "a\\", "b"]  # a control character, its escape, a backslash
    rows = [
        (m, "url", f"https://x.org/{day}", day * 86_400 + j, f"{j}-{day}")
        for day in range(3)
        for j, m in enumerate(ids)
    ]
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None)
    )
    assert result.accounts.num_rows == 4
    write_result(result, tmp_path / "r")
    ns = {"g": "http://gexf.net/1.3"}
    root = ET.parse(tmp_path / "r" / "network.gexf").getroot()
    nodes = [n.get("id") for n in root.findall(".//g:node", ns)]
    assert len(nodes) == len(set(nodes)) == 4, nodes
    edges = {frozenset((e.get("source"), e.get("target"))) for e in root.findall(".//g:edge", ns)}
    assert len(edges) == 6 and all(len(e) == 2 and e <= set(nodes) for e in edges)
    g = ig.Graph.Read_GraphML(str(tmp_path / "r" / "network.graphml"))
    assert g.vcount() == 4 and len(set(g.vs["name"])) == 4 and g.ecount() == 6


# ---- 13: library misuse ends in the tool's own errors ----------------------------------------


def _actions_table(**columns: object) -> pa.Table:
    base: dict[str, object] = {
        "account_id": ["a", "b"],
        "kind": ["url", "url"],
        "object_id": ["x", "x"],
        "timestamp": pa.array([1, 2], pa.timestamp("s", tz="UTC")),
        "post_id": ["p", "q"],
    }
    base.update(columns)
    return pa.table({k: v for k, v in base.items() if v is not None})


@pytest.mark.parametrize(
    ("value", "error", "needle"),
    [
        (123, ParameterError, "'actions' parameter"),
        ("posts.csv", ParameterError, "'actions' parameter"),
        (_actions_table(kind=None, post_id=None), InputError, "no column kind, post_id"),
        (_actions_table(account_id=["a", None]), InputError, "1 null account_id"),
        (_actions_table(post_id=[None, None]), InputError, "2 null post_id"),
        (_actions_table(timestamp=["soon", "later"]), InputError, "column timestamp"),
    ],
)
def test_detect_actions_misuse_is_the_tools_own_error(
    value: object, error: type, needle: str
) -> None:
    from inconcert.detect import detect_actions

    with pytest.raises(error, match=needle):
        detect_actions(value)  # type: ignore[arg-type]


def test_detect_actions_takes_ids_given_as_numbers() -> None:
    from inconcert.detect import detect_actions

    table = _actions_table(account_id=[1, 2], post_id=[10, 11])
    assert (
        detect_actions(
            table,
            options=DetectOptions(min_weight=1, min_participation=1, min_occasions=1, max_q=None),
        ).accounts.num_rows
        == 2
    )


def test_spilling_past_the_temp_limit_is_a_clear_error() -> None:
    """Issue 12, item 10: a spill that would fill the disk stops at --max-temp-size with a
    message, not a traceback after the disk is full."""
    from inconcert.engine import DuckDBEngine
    from inconcert.errors import ResourceError

    with (
        DuckDBEngine(memory_limit="100MiB", threads=1, max_temp_size="8MiB") as eng,
        pytest.raises(ResourceError, match=r"temporary disk.*--max-temp-size"),
    ):
        eng.create("x", "SELECT range AS a, random() AS b FROM range(20000000) ORDER BY b")


def test_max_temp_size_is_checked_and_defaults_to_half_the_free_disk(tmp_path: Path) -> None:
    import shutil

    from inconcert.engine import DuckDBEngine

    for bad in ("lots", "50%", "1GB'; --", -1):
        with pytest.raises(ParameterError, match="max_temp_size"):
            DetectOptions(max_temp_size=bad)  # type: ignore[arg-type]
    assert DetectOptions(max_temp_size="20gb").max_temp_size == "20GB"
    with DuckDBEngine(temp_directory=str(tmp_path)) as eng:
        free = shutil.disk_usage(tmp_path).free
        assert abs(eng.max_temp_bytes - max(free // 2, 1024**3)) < 64 * 1024**2


def test_cli_max_temp_size_stops_a_runaway_spill(tmp_path: Path) -> None:
    """A dense burst with the cap off and a tiny spill budget: exit code and message."""
    rows = ["post_id,account_id,timestamp,urls"]
    rows += [
        f"p{i},a{i},2024-01-01T00:00:{i % 60:02d}Z,https://x.example/v https://x.example/w"
        for i in range(3000)
    ]
    src = tmp_path / "burst.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "detect",
            str(src),
            "--out",
            str(tmp_path / "r"),
            "--max-burst",
            "0",
            "--memory-limit",
            "64MiB",
            "--max-temp-size",
            "1MiB",
            "--threads",
            "1",
            "-q",
        ],
    )
    assert result.exit_code != 0
    assert "out of" in result.output and "Traceback" not in result.output
