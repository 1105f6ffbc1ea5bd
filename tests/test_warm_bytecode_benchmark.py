"""The benchmarks time inconcert with its bytecode written, as an installed package runs
(benchmarks/warm_bytecode.py): the package a child process imports is compiled, and only once."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from .helpers import load_benchmark

warm_bytecode = load_benchmark("warm_bytecode")


def test_compiles_the_package_a_child_imports(tmp_path: Path) -> None:
    package = tmp_path / "src" / "inconcert"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("X = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text("Y = 2\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "src"), PYTHONDONTWRITEBYTECODE="1")

    said = warm_bytecode.compile_inconcert(env)

    assert said == f"bytecode of {package}: 3 of 3 modules compiled"
    for source in package.rglob("*.py"):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()
    assert warm_bytecode.compile_inconcert(env).endswith(": 0 of 3 modules compiled")
    shutil.rmtree(package / "sub" / "__pycache__")
    assert warm_bytecode.compile_inconcert(env).endswith(": 2 of 3 modules compiled")
