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
