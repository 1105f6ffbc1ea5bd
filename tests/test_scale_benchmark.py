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


def test_memory_limit_none_runs_detect_without_one(tmp_path, monkeypatch) -> None:
    """``--memory-limit none`` measures growth apart from a limit's spilling: detect's command
    has no ``--memory-limit``; by default it has the one given."""
    commands: list[list[str]] = []

    def fake_run(cmd: list[str]) -> dict[str, object]:
        commands.append(cmd)
        out = tmp_path / "result"
        out.mkdir(exist_ok=True)
        (out / "manifest.json").write_text('{"timings_s": {"read": 1.0}}')
        return {"s": 2.0, "cpu_s": 2.0, "mb": 10.0, "load": [0.0, 0.0]}

    monkeypatch.setattr(scale, "_run", fake_run)
    for given, expected in (("none", None), ("NONE", None), ("8GB", "8GB")):
        args = scale.build_parser().parse_args(["--memory-limit", given, "--no-naive"])
        runs: dict[str, object] = {}
        scale.run_once(tmp_path / "posts.parquet", tmp_path, args, 10, runs)
        cmd = commands.pop()
        if expected is None:
            assert "--memory-limit" not in cmd
        else:
            assert cmd[cmd.index("--memory-limit") + 1] == expected
        assert runs["detect"][0]["rest_s"] == 1.0  # type: ignore[index]
