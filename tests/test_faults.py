"""Faults during the write phase (issue 12, items 4 and 13): a full disk, Ctrl-C or a kill
leaves the previous complete result or the new one, never new tables beside an old report; the
manifest hashes every file, the report included; every failure is the tool's own message."""

from __future__ import annotations

import ast
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from inconcert.cli import app
from inconcert.engine import DuckDBEngine, query_interrupted
from inconcert.errors import OutputError
from inconcert.outputs import verify_result, write_result

runner = CliRunner()

POSTS = "post_id,account_id,timestamp,urls\n" + "".join(
    f"p{day}{m},{m},2024-01-0{day + 1}T00:00:0{j}Z,https://x.org/{day}\n"
    for day in range(3)
    for j, m in enumerate("abc")
)
LOOSE = ("--max-q", "1", "--min-occasions", "1", "--min-weight", "1", "-q")


def _posts(tmp_path: Path) -> Path:
    src = tmp_path / "in" / "posts.csv"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(POSTS, encoding="utf-8")
    return src


def _detect(src: Path, out: Path, *args: str) -> Result:
    return runner.invoke(app, ["detect", str(src), "--out", str(out), *LOOSE, *args])


def _window(out: Path) -> float:
    return float(json.loads((out / "manifest.json").read_text())["parameters"]["window"])


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "error:" in result.output and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# ---- 4: the whole folder switches at once; the manifest hashes the report -----------------


def test_manifest_hashes_the_report_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert _detect(_posts(tmp_path), out).exit_code == 0
    outputs = json.loads((out / "manifest.json").read_text())["outputs"]
    assert {"report.html", "network.svg", "timeline.svg"} <= set(outputs)
    assert verify_result(out) == []
    (out / "report.html").write_text("<p>edited</p>", encoding="utf-8")
    assert verify_result(out) == ["report.html differs from its hash in manifest.json"]


def test_full_disk_while_writing_the_report_keeps_the_old_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "30").exit_code == 0
    before = _snapshot(out)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("inconcert.report.build_html", full)
    _refused(_detect(src, out, "--window", "60", "--overwrite"), "No space left", "free some")
    assert _snapshot(out) == before  # no new tables beside the old report
    assert _window(out) == 30.0 and verify_result(out) == []
    assert not [p for p in tmp_path.rglob("*inconcert-tmp*")]


def test_full_disk_while_writing_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "30").exit_code == 0
    before = _snapshot(out)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("inconcert.outputs._write_graphml", full)
    _refused(_detect(src, out, "--window", "60", "--overwrite"), "No space left")
    assert _snapshot(out) == before


def test_stale_result_files_do_not_survive_a_new_run(tmp_path: Path) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "auto").exit_code == 0
    assert (out / "window_estimate.svg").exists()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert _detect(src, out, "--window", "30", "--overwrite", "--figures", "none").exit_code == 0
    names = {p.name for p in out.iterdir()}
    assert "window_estimate.svg" not in names and "network.svg" not in names
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not ours: kept
    assert verify_result(out) == [] and _window(out) == 30.0


def test_without_folder_exchange_the_manifest_goes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where folders cannot be swapped, a half-switched folder has no manifest."""
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "30").exit_code == 0
    monkeypatch.setattr("inconcert.outputs._exchange", lambda a, b: False)
    assert _detect(src, out, "--window", "60", "--overwrite").exit_code == 0
    assert verify_result(out) == [] and _window(out) == 60.0
    real_replace = os.replace
    seen: list[bool] = []

    def replace(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
        if Path(b).parent == out:  # moving a new file into the result folder
            seen.append((out / "manifest.json").exists())
            if len(seen) == 3:
                raise KeyboardInterrupt
        real_replace(a, b)

    monkeypatch.setattr("inconcert.outputs.os.replace", replace)
    result = _detect(src, out, "--window", "30", "--overwrite")
    assert result.exit_code == 130 and seen == [False, False, False]
    assert verify_result(out)[0].startswith("manifest.json missing")


def test_result_folder_in_a_read_only_parent_still_switches(tmp_path: Path) -> None:
    """No staging folder beside it: the files are swapped inside the folder."""
    src, out = _posts(tmp_path), tmp_path / "locked" / "r"
    out.mkdir(parents=True)
    os.chmod(out.parent, 0o555)
    try:
        assert _detect(src, out, "--window", "30").exit_code == 0
        assert _detect(src, out, "--window", "60", "--overwrite").exit_code == 0
    finally:
        os.chmod(out.parent, 0o755)
    assert verify_result(out) == [] and _window(out) == 60.0
    assert not list(out.glob(".inconcert-tmp-*"))


# ---- 13: Ctrl-C is a message and exit code 130, with no half result -----------------------


def test_ctrl_c_while_detecting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["inconcert.detect"], "detect", interrupted)
    result = _detect(_posts(tmp_path), tmp_path / "r")
    assert result.exit_code == 130, (result.exit_code, result.output)
    assert "interrupted" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_ctrl_c_in_a_query_of_the_readers_is_an_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers' own DuckDB connection registers Arrow tables (the duplicate check): a
    Ctrl-C that lands in DuckDB's Python code for one reaches the command line as DuckDB's
    InvalidInputException, which is an interruption like DuckDB's 'Query interrupted'."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise duckdb.InvalidInputException(
            "Invalid Input Error: offering a filter to the source registered as "
            "'_inconcert_keys' failed: KeyboardInterrupt: "
        )

    monkeypatch.setattr(sys.modules["inconcert.detect"], "detect", interrupted)
    result = _detect(_posts(tmp_path), tmp_path / "r")
    assert result.exit_code == 130, (result.exit_code, result.output)
    assert "interrupted" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()

    def failed(*args: object, **kwargs: object) -> None:
        raise duckdb.InvalidInputException("Invalid Input Error: something else")

    monkeypatch.setattr(sys.modules["inconcert.detect"], "detect", failed)
    result = _detect(_posts(tmp_path), tmp_path / "r")
    assert isinstance(result.exception, duckdb.InvalidInputException)  # not an interruption


def test_ctrl_c_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "30").exit_code == 0
    before = _snapshot(out)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("inconcert.outputs.generate_gexf", interrupted)
    result = _detect(src, out, "--window", "60", "--overwrite")
    assert result.exit_code == 130 and "Traceback" not in result.output
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.rglob("*inconcert-tmp*")]


def test_report_on_a_result_that_is_not_utf8(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert _detect(_posts(tmp_path), out).exit_code == 0
    (out / "accounts.csv").write_bytes(b"account_id,group_id\n\xe9\xff,1\n")
    _refused(runner.invoke(app, ["report", str(out)]), "not valid UTF-8")


def test_report_that_cannot_be_written(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert _detect(_posts(tmp_path), out).exit_code == 0
    under_a_file = out / "edges.csv" / "report.html"
    _refused(
        runner.invoke(app, ["report", str(out), "--out", str(under_a_file)]), "could not be written"
    )


# ---- kills at random points of the write phase ---------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from inconcert.detect import detect
    from inconcert.options import DetectOptions
    from inconcert.outputs import write_result

    src, out = sys.argv[1], Path(sys.argv[2])
    runs = [detect([src], options=DetectOptions(window=w, max_q=None, min_occasions=1,
                                                min_weight=1, kinds=("url",)))
            for w in (30.0, 60.0)]
    print("ready", flush=True)
    i = 0
    while True:
        write_result(runs[i % 2], out, overwrite=True, report=True)
        i += 1
    """
)


@pytest.mark.slow
def test_kill_at_random_points_of_the_write_phase(tmp_path: Path) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    assert _detect(src, out, "--window", "30", "--kinds", "url").exit_code == 0
    script = tmp_path / "writer.py"
    script.write_text(_WRITER, encoding="utf-8")
    rng = random.Random(12)
    seen: set[float] = set()
    for _ in range(8):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(src), str(out)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.6))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert verify_result(out) == [], sorted(p.name for p in out.iterdir())
        seen.add(_window(out))
    assert seen <= {30.0, 60.0}
    # the next run cleans the staging folder a kill left behind
    assert _detect(src, out, "--overwrite").exit_code == 0
    assert not [p for p in tmp_path.rglob("*inconcert-tmp*")]


# ---- a real full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 2 MiB tmpfs, where the machine lets us mount one (root with CAP_SYS_ADMIN)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and the mount command")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_real_full_disk_is_a_message_and_keeps_the_old_result(
    tmp_path: Path, small_disk: Path
) -> None:
    src, out = _posts(tmp_path), small_disk / "r"
    assert _detect(src, out, "--window", "30").exit_code == 0
    before = _snapshot(out)
    fd = os.open(small_disk / "ballast", os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    result = _detect(src, out, "--window", "60", "--overwrite")
    _refused(result, "No space left")
    assert _snapshot(out) == before and verify_result(out) == []


def test_write_result_failure_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inconcert.detect import detect
    from inconcert.options import DetectOptions

    result = detect([_posts(tmp_path)], options=DetectOptions(max_q=None, min_occasions=1))

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr("inconcert.outputs.write_csv", full)
    with pytest.raises(OutputError, match="quota"):
        write_result(result, tmp_path / "r")


def test_rebuilding_the_report_keeps_the_manifest_true(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert _detect(_posts(tmp_path), out).exit_code == 0
    before = json.loads((out / "manifest.json").read_text())["outputs"]
    result = runner.invoke(app, ["report", str(out), "--max-nodes", "1", "--figures", "none"])
    assert result.exit_code == 0, result.output
    after = json.loads((out / "manifest.json").read_text())["outputs"]
    assert after["report.html"] != before["report.html"]
    assert after["network.svg"] == before["network.svg"]  # not rewritten, still there
    assert verify_result(out) == []


# ---- signals: Ctrl-C and SIGTERM during DuckDB's work ------------------------------------------


_CTRL_C_IN_A_QUERY = textwrap.dedent(
    """
    import _thread, threading, time
    from inconcert.engine import DuckDBEngine

    with DuckDBEngine(threads=1) as eng:
        threading.Timer(0.3, _thread.interrupt_main).start()
        started = time.perf_counter()
        try:
            eng.fetch("SELECT SUM(range % 7) AS s FROM range(20000000000)")
            print("finished")
        except KeyboardInterrupt:
            print("interrupted after", round(time.perf_counter() - started, 1))
        print(eng.fetch("SELECT 1 AS one").column("one")[0].as_py())
    """
)


def test_ctrl_c_during_a_duckdb_query_is_a_keyboard_interrupt() -> None:
    """DuckDB ends a query on Ctrl-C and raises ``RuntimeError('Query interrupted')`` in place
    of the KeyboardInterrupt: the engine raises the KeyboardInterrupt again, so that a caller
    (a notebook, the command line) sees the interruption, not a failure. In a process of its
    own, whose main thread runs the query (signal handlers run there only)."""
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_A_QUERY], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout.split()
    assert said[:2] == ["interrupted", "after"] and float(said[2]) < 30, done.stdout
    assert said[3] == "1"  # the engine still answers
    assert "remaining" not in done.stdout + done.stderr  # no DuckDB progress bar


_CTRL_C_IN_AN_ARROW_SOURCE = textwrap.dedent(
    """
    import collections, random, signal
    import numpy as np
    import pyarrow as pa
    from inconcert.engine import DuckDBEngine

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, interrupt)
    random.seed(0)
    seen = collections.Counter()
    n = 200_000
    with DuckDBEngine(threads=1) as eng:
        eng.load("ic_x", pa.table({
            "acc": pa.array(np.arange(n) % 997),
            "kind": pa.array(["text", "url"] * (n // 2)),
        }))
        assert eng.held_in_place > 0  # read in place: DuckDB runs Python code to read it
        for _ in range(150):
            signal.setitimer(signal.ITIMER_REAL, random.uniform(0.0005, 0.02))
            try:
                for _ in range(50):
                    eng.fetch(
                        "SELECT kind, COUNT(*) AS n FROM ic_x WHERE kind IN ('text') "
                        "AND acc < 500 GROUP BY kind"
                    )
                seen["finished"] += 1
            except KeyboardInterrupt:
                seen["interrupted"] += 1
            except BaseException as err:
                seen[f"{type(err).__name__}: {err}"] += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    print(dict(seen))
    """
)


def test_ctrl_c_in_python_code_duckdb_runs_is_a_keyboard_interrupt() -> None:
    """A table read in place (``DuckDBEngine.load``) is an Arrow table DuckDB reads through
    Python code (its row count, a filter offered to it, its stream): a Ctrl-C that lands
    there reaches the caller as DuckDB's ``InvalidInputException`` "... registered as 'ic_x'
    failed: KeyboardInterrupt" (38 of 300 interruptions in a loop of such queries). The engine
    raises the KeyboardInterrupt again for those too. In a process of its own (signal handlers
    run in the main thread only)."""
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_AN_ARROW_SOURCE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    seen = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert set(seen) <= {"finished", "interrupted"}, seen
    assert seen.get("interrupted", 0) > 50, seen  # the signals did land during queries


def test_duckdbs_report_of_an_interrupted_source_is_an_interruption() -> None:
    """The message DuckDB gives when Python code of a source it reads raised
    KeyboardInterrupt is recognised (engine and command line share ``query_interrupted``),
    and nothing else of its kind is."""
    said = (
        "Invalid Input Error: counting the rows of the object registered as 'ic_x' failed: "
        "KeyboardInterrupt: "
    )
    assert query_interrupted(duckdb.InvalidInputException(said))
    assert query_interrupted(RuntimeError("Query interrupted"))
    other = "Invalid Input Error: counting the rows of the object registered as 'ic_x' failed"
    assert not query_interrupted(duckdb.InvalidInputException(other + ": ValueError: bad"))
    assert not query_interrupted(duckdb.InvalidInputException("KeyboardInterrupt"))
    with DuckDBEngine() as eng:
        with pytest.raises(KeyboardInterrupt), eng._mapped():
            raise duckdb.InvalidInputException(said)
        with pytest.raises(duckdb.InvalidInputException), eng._mapped():
            raise duckdb.InvalidInputException(other + ": ValueError: bad")


def _default_signals() -> None:
    """In the child: Ctrl-C, SIGTERM and SIGHUP as a fresh process has them (a child of a
    non-interactive shell, or of a test runner, may start with some ignored)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def _crowded_posts(path: Path, n: int) -> Path:
    """``n`` accounts sharing one link within a minute: ~n²/2 co-actions, so DuckDB works for
    a while (``--max-burst 0`` keeps the burst, ``--min-participation 1`` the accounts)."""
    lines = ["post_id,account_id,timestamp,urls"]
    lines += [f"p{i},a{i},{1_700_000_000 + i * 50 // n},https://example.org/x" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _signal_a_crowded_run(
    tmp_path: Path, signum: int, started: Callable[[], None] = _default_signals
) -> tuple[int, str, Path, Path]:
    """Start ``inconcert detect`` on :func:`_crowded_posts` (one thread, ``--memory-limit 1GB``,
    its temporary folder in ``tmp_path``), send ``signum`` once DuckDB has opened its spill
    folder there, and wait: the exit code, stderr, the result folder and the spill folders'
    parent. ``started`` runs in the child before the command (its signals)."""
    src = _crowded_posts(tmp_path / "posts.csv", 6000)
    spill_parent = tmp_path / "tmp"
    spill_parent.mkdir()
    out = tmp_path / "r"
    command = [sys.executable, "-m", "inconcert.cli", "detect", str(src), "--out", str(out)]
    command += ["--max-burst", "0", "--min-participation", "1", "--memory-limit", "1GB"]
    command += ["--threads", "1", "-q"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(spill_parent)},
        preexec_fn=started,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(spill_parent.glob("inconcert-duckdb-*")):  # DuckDB is open
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run did not open DuckDB"
            time.sleep(0.02)
        time.sleep(0.3)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err, out, spill_parent


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_run_ends_it_cleanly(tmp_path: Path, signum: int) -> None:
    """SIGTERM (``kill``, a scheduler's time limit) and Ctrl-C while DuckDB works: the run
    says so and exits with 128 + the signal's number, and leaves neither DuckDB's spill folder
    (gigabytes under a tight limit) nor a partial result. SIGTERM used to end the process where
    it stood, leaving the spill folder; a Ctrl-C in a query printed DuckDB's traceback."""
    code, err, out, spill_parent = _signal_a_crowded_run(tmp_path, signum)
    assert code == 128 + signum, err
    said = "interrupted" if signum == signal.SIGINT else "terminated (SIGTERM)"
    assert said in err and "Traceback" not in err, err
    assert not list(spill_parent.glob("inconcert-duckdb-*"))
    assert not out.exists() or verify_result(out) == []


@pytest.mark.parametrize("ignored", [True, False])
def test_a_run_started_with_nohup_outlives_its_terminal(tmp_path: Path, ignored: bool) -> None:
    """``nohup`` starts a command with SIGHUP ignored, so that it outlives the terminal: the
    command line handles SIGHUP only where it was not ignored (then as SIGTERM: 128 + 1)."""

    def started() -> None:
        _default_signals()
        if ignored:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    code, err, out, spill_parent = _signal_a_crowded_run(tmp_path, signal.SIGHUP, started)
    if ignored:
        assert code == 0, err
        assert verify_result(out) == []
    else:
        assert code == 128 + signal.SIGHUP, err
        assert "terminated (SIGHUP)" in err and not list(spill_parent.glob("inconcert-*"))


def test_sigterm_to_a_command_without_its_own_message_exits_143(tmp_path: Path) -> None:
    """Typer ends any interrupted command with 130, the code of Ctrl-C; after SIGTERM the
    process exits with 143 whatever the command (here ``simulate``, which says nothing)."""
    simulate = [sys.executable, "-m", "inconcert.cli", "simulate", "--world", "hard"]
    proc = subprocess.Popen(
        [*simulate, "--out", str(tmp_path / "sim")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    try:
        time.sleep(2.0)  # imported, simulating (the hard world takes several seconds)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
