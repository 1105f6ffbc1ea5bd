"""The scale benchmark (benchmarks/scale.py) refuses ``--crowds`` where it would be ignored
(the world it multiplies is tested with the quality benchmark's ``world_config``)."""

from __future__ import annotations

import subprocess
import sys

from .helpers import load_benchmark

scale = load_benchmark("scale")


def test_crowds_need_the_growing_density() -> None:
    done = subprocess.run(
        [sys.executable, scale.__file__, "--crowds", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--crowds applies to --density growing" in done.stderr


def test_a_run_s_peak_is_its_own_not_the_benchmark_s() -> None:
    """Linux starts a child's peak RSS at its parent's: the benchmark, which holds the
    simulated worlds, measures each run from a small launcher instead."""
    held = bytearray(b"\x01") * (400 << 20)  # 400 MiB, every page touched
    run = scale._run([sys.executable, "-c", "x = bytearray(b'\\x01') * (50 << 20)"])
    assert held[-1] == 1
    assert 50 <= run["mb"] < 200, run
    assert run["s"] > 0 and run["cpu_s"] > 0 and len(run["load"]) == 2
    try:
        scale._run([sys.executable, "-c", "import sys; sys.exit('broken')"])
    except SystemExit as exc:
        assert "failed (1)" in str(exc) and "broken" in str(exc)
    else:
        raise AssertionError("a failing command must stop the benchmark")
