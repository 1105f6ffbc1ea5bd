"""Start-up cost (issue 10): importing inconcert, or its command line, imports none of the heavy
optional machinery (igraph, leidenalg, matplotlib, pandas, Spark, DuckDB); the command line's
own process imports igraph without matplotlib.pyplot and never imports pandas, a library
user's igraph is the ordinary one; the public names still resolve."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("igraph", "leidenalg", "matplotlib", "pandas", "pyspark", "duckdb")
HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
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
    figures, pandas not imported (pyarrow asked for it while it could not be found)."""
    src = _actions_csv(tmp_path / "actions.csv")
    out = tmp_path / "res"
    argv = ["inconcert", "detect", str(src), "--out", str(out), "--quiet", "--max-q", "1"]
    argv += ["--figures", "svg,png"]
    loaded = json.loads(
        _python(
            "import sys, json\n"
            "from inconcert.cli import main\n"
            f"sys.argv = {argv!r}\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n"
            "names = ('igraph', 'matplotlib', 'matplotlib.pyplot', 'pandas')\n"
            "loaded = sorted(m for m in names if m in sys.modules)\n"
            "import pandas  # pyarrow was told pandas is absent, yet it can be imported\n"
            "print(json.dumps(loaded))\n"
        )
    )
    assert loaded == ["igraph", "matplotlib"]
    assert (out / "network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "manifest.json").read_text())["summary"]["groups"] == 1


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
