"""Start-up and exit cost (issue 10): importing inconcert, or its command line, imports none of
the heavy optional machinery (igraph, leidenalg, matplotlib, pandas, Spark, DuckDB); the
command line's own process imports igraph without matplotlib.pyplot and never imports pandas,
a library user's igraph is the ordinary one; the public names still resolve. The console
script's process ends without the interpreter's teardown, its exit codes, output and exit
handlers kept, and exits as usual where a thread runs or something watches it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("igraph", "leidenalg", "matplotlib", "pandas", "pyspark", "duckdb")
HAS_MPL = importlib.util.find_spec("matplotlib") is not None


#: The environment of the processes: their output buffered as it is by default (this machine
#: sets ``PYTHONUNBUFFERED``, which would hide an output left unflushed).
_BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a process of its own; its exit code and output."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_BUFFERED,
    )


def _python(code: str) -> str:
    done = _run(["-c", code])
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("module", ["inconcert", "inconcert.cli"])
def test_import_is_light(module: str) -> None:
    loaded = json.loads(
        _python(
            f"import sys, json, {module}\n"
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
        )
    )
    assert loaded == [], f"import {module} imports {loaded}"


def test_public_names_resolve_lazily() -> None:
    out = _python(
        "import inconcert as ic\n"
        "from inconcert.detect import DetectResult, detect\n"  # binds the submodule first
        "from inconcert.options import DetectOptions\n"
        "from inconcert.outputs import write_result\n"
        "assert ic.detect is detect and callable(ic.detect)\n"
        "assert ic.DetectResult is DetectResult and ic.DetectOptions is DetectOptions\n"
        "assert ic.write_result is write_result and ic.detect_actions\n"
        "assert set(ic.__all__) <= set(dir(ic))\n"
        "try:\n"
        "    ic.no_such_name\n"
        "except AttributeError:\n"
        "    print('ok')\n"
    )
    assert out.strip() == "ok"


def _actions_csv(path: Path) -> Path:
    rows = ["account_id,object_id,timestamp,post_id"]
    for i in range(12):
        for j, account in enumerate(("a", "b", "c")):
            rows.append(f"{account},u{i},{1_700_000_000 + 7_200 * i + j},{account}{i}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the png extra) is not installed")
def test_cli_process_imports_igraph_without_pyplot(tmp_path: Path) -> None:
    """The console script's process: igraph without pyplot, matplotlib still there for the PNG
    figures, pandas not imported (pyarrow asked for it while it could not be found), nor, with
    --quiet, Rich's progress display."""
    src = _actions_csv(tmp_path / "actions.csv")
    out = tmp_path / "res"
    argv = ["inconcert", "detect", str(src), "--out", str(out), "--quiet", "--max-q", "1"]
    argv += ["--figures", "svg,png"]
    loaded = json.loads(
        _python(
            "import atexit, importlib.util, sys, json\n"
            "from inconcert.cli import main\n"
            f"sys.argv = {argv!r}\n"
            "def report():  # main() ends the process; its exit handlers still run\n"
            "    names = ('igraph', 'matplotlib', 'matplotlib.pyplot', 'pandas', 'rich.progress')\n"
            "    loaded = sorted(m for m in names if m in sys.modules)\n"
            "    # pyarrow was told pandas is absent, yet it can be found\n"
            "    assert importlib.util.find_spec('pandas') is not None\n"
            "    print(json.dumps(loaded))\n"
            "atexit.register(report)\n"
            "main()\n"
        )
    )
    assert loaded == ["igraph", "matplotlib"]
    assert (out / "network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "manifest.json").read_text())["summary"]["groups"] == 1


#: What a quiet detect run on a prepared store never imports: the readers, and Rich (it
#: prints nothing).
_NOT_IN_A_QUIET_STORE_RUN = ("inconcert.ingest", "inconcert.ingest._build", "rich.console")


def test_store_run_never_imports_the_readers(tmp_path: Path) -> None:
    """A detect run on a prepared store reads nothing itself: its process never imports the
    readers (``inconcert.ingest``: the file formats, the platforms, the mapping), while the
    run that prepared the store does; the store's rejects and the manifest's inputs are still
    there. With --quiet it does not import Rich either."""
    src = _actions_csv(tmp_path / "actions.csv")
    store, out = tmp_path / "store", tmp_path / "res"
    script = (
        "import atexit, sys, json\n"
        "from inconcert.cli import main\n"
        "sys.argv = {argv!r}\n"
        "atexit.register(lambda: print(json.dumps(sorted(\n"
        f"    m for m in {_NOT_IN_A_QUIET_STORE_RUN!r} if m in sys.modules))))\n"
        "main()\n"
    )
    prepare = ["inconcert", "prepare", str(src), "--out", str(store), "--quiet"]
    assert {"inconcert.ingest", "inconcert.ingest._build"} <= set(
        json.loads(_python(script.format(argv=prepare)))
    )
    detect = ["inconcert", "detect", str(store), "--out", str(out), "--quiet", "--max-q", "1"]
    detect += ["--rejects", str(tmp_path / "rejects.csv")]
    assert json.loads(_python(script.format(argv=detect))) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["groups"] == 1
    assert [i["rows_read"] for i in manifest["inputs"]] == [36]
    assert (tmp_path / "rejects.csv").read_text().splitlines()[0].startswith('"file","line"')


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the png extra) is not installed")
def test_library_igraph_keeps_its_plotting() -> None:
    out = _python(
        "import sys\n"
        "from inconcert.network import import_igraph\n"
        "ig = import_igraph()\n"
        "import igraph.drawing.shapes as shapes\n"
        "print(type(shapes.plt).__name__, 'matplotlib.pyplot' in sys.modules)\n"
    )
    assert out.split() == ["module", "True"]


def test_igraph_without_plotting_leaves_matplotlib_importable() -> None:
    out = _python(
        "import sys\n"
        "from inconcert.network import import_igraph\n"
        "ig = import_igraph(plotting=False)\n"
        "import igraph.drawing.shapes as shapes\n"
        "print(type(shapes.plt).__name__, 'matplotlib' in sys.modules)\n"
        "try:\n"
        "    import matplotlib.figure\n"
        "    print('importable')\n"
        "except ModuleNotFoundError:\n"
        "    print('absent')\n"
    )
    first, second = out.splitlines()
    assert first == "FakeModule False"
    assert second == ("importable" if HAS_MPL else "absent")


def _console(
    args: list[str], prologue: str = "", flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The console script's process (``main``), after ``prologue``; its exit code and output.
    Where ``main`` returns to its caller (a normal exit) it prints ``main returned``."""
    code = (
        f"import sys\n{prologue}\nfrom inconcert.cli import main\nsys.argv = {args!r}\n"
        "try:\n    main()\nexcept SystemExit:\n    print('main returned')\n    raise\n"
    )
    return _run([*flags, "-c", code])


def test_console_process_keeps_exit_codes_and_flushes_its_output(tmp_path: Path) -> None:
    """``main`` ends the process without the interpreter's teardown: each exit code is the
    command's, the summary reaches a pipe whole, the result folder is complete."""
    src = _actions_csv(tmp_path / "actions.csv")
    out = tmp_path / "res"
    done = _console(["inconcert", "detect", str(src), "--out", str(out), "--max-q", "1"])
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr
    assert "groups" in done.stdout and str(out) in done.stdout.replace("\n", "")
    assert json.loads((out / "manifest.json").read_text())["summary"]["groups"] == 1
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder

    missing = _console(
        ["inconcert", "detect", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o3")]
    )
    assert missing.returncode == 2 and "nope.csv" in missing.stderr

    short = tmp_path / "short.csv"
    short.write_text("post_id,account_id,timestamp,text\n1,a,2024-01-01T00:00:00Z,hi\n")
    empty = _console(["inconcert", "detect", str(short), "--out", str(tmp_path / "o2")])
    assert empty.returncode == 3 and "gave no action" in empty.stderr

    usage = _console(["inconcert", "detect", "--no-such-option"])
    assert usage.returncode == 2 and "no-such-option" in usage.stderr


def test_console_process_runs_exit_handlers_and_skips_teardown() -> None:
    """Exit handlers run and what they print arrives; an object the teardown would free is
    not (the process is about to end): that is the time saved."""
    done = _console(
        ["inconcert", "--version"],
        "import atexit\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('written, never flushed\\n')\n"
        "class Noisy:\n"
        "    def __del__(self):\n"
        "        print('torn down')\n"
        "keep = Noisy()\n",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "written, never flushed" and lines[-1] == "handler ran"
    assert "torn down" not in done.stdout and "main returned" not in done.stdout


@pytest.mark.parametrize(
    ("prologue", "flags"),
    [
        ("sys.settrace(lambda *args: None)\n", ()),  # a tracer: python -m trace, coverage
        ("sys.setprofile(lambda *args: None)\n", ()),  # a profiler
        ("import bdb\n", ()),  # pdb after `continue` keeps no trace function
        ("", ("-X", "dev")),  # development mode reports what teardown finds left open
    ],
)
def test_console_process_exits_as_usual_when_watched(prologue: str, flags: tuple[str, ...]) -> None:
    """Under a tracer, a profiler, a debugger or ``-X dev`` the process exits as usual: ``main``
    returns to its caller with the command's exit code."""
    done = _console(["inconcert", "detect", "--no-such-option"], prologue, flags)
    assert done.returncode == 2
    assert "main returned" in done.stdout


def test_console_process_waits_for_a_running_thread() -> None:
    """A non-daemon thread still running when the command is done finishes its work: the
    process then exits as usual, after it, with the command's code."""
    done = _console(
        ["inconcert", "detect", "--no-such-option"],
        "import threading, time\n"
        "def work():\n"
        "    time.sleep(0.5)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=work).start()\n",
    )
    assert done.returncode == 2
    assert "thread finished" in done.stdout


def test_console_process_under_a_profiler_exits_as_usual(tmp_path: Path) -> None:
    """``python -m cProfile -o FILE`` writes FILE after the program returns: under a profiler
    (or a tracer) the process is not ended early."""
    prof = tmp_path / "cli.prof"
    done = _run(["-m", "cProfile", "-o", str(prof), "-m", "inconcert.cli", "--version"])
    assert done.returncode == 0, done.stderr
    assert prof.stat().st_size > 0


@pytest.mark.parametrize(("chosen", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_console_process_allocates_arrow_memory_with_malloc(
    tmp_path: Path, chosen: str | None, expected: str
) -> None:
    """The console script's process gives pyarrow the C library's malloc (mimalloc's
    transparent huge pages made a run's system time move 2-3x with the machine's state),
    unless ARROW_DEFAULT_MEMORY_POOL names a pool; the run's tables are the same either way.
    A program that imports the library keeps pyarrow's default."""
    src = _actions_csv(tmp_path / "actions.csv")
    env = {k: v for k, v in _BUFFERED.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    out = tmp_path / f"res-{expected}"
    argv = ["inconcert", "detect", str(src), "--out", str(out), "--quiet", "--max-q", "1"]
    code = (
        "import atexit, sys\n"
        "import pyarrow as pa\n"
        "from inconcert.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "atexit.register(lambda: print(pa.default_memory_pool().backend_name))\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]
    assert json.loads((out / "manifest.json").read_text())["summary"]["groups"] == 1
    library = _python(  # importing the library (its command line too) changes nothing
        "import pyarrow as pa\n"
        "before = pa.default_memory_pool().backend_name\n"
        "import inconcert.cli\n"
        "print(before == pa.default_memory_pool().backend_name)\n"
    )
    assert library.split() == ["True"]
