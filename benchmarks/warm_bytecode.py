"""Benchmarks time inconcert as an installed package runs: with its bytecode written.

``pip install`` writes each module's bytecode (``__pycache__/*.pyc``) when it installs a
package, so a user's first ``inconcert detect`` does not compile ~60 modules from source. An
editable install or a source tree on ``PYTHONPATH`` has no bytecode until a process writes
it, and a machine that sets ``PYTHONDONTWRITEBYTECODE`` (this one does) never does: every run
would compile them again, ~0.2 s of a 1-3 s run. :func:`compile_inconcert` writes the bytecode
of the package a benchmark's child processes import before they are timed; the benchmarks
print what it did.
"""

from __future__ import annotations

import compileall
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["compile_inconcert"]

_WHERE = "import importlib.util as u; print(u.find_spec('inconcert').submodule_search_locations[0])"


def compile_inconcert(env: Mapping[str, str] | None = None) -> str:
    """Write the bytecode of every module of the ``inconcert`` package that this interpreter
    imports with the environment ``env`` (this process's by default), where it is missing or
    older than its source; return a line saying where and how many modules that was. The
    package is found without importing it."""
    found = subprocess.run(
        [sys.executable, "-c", _WHERE],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env) if env is not None else None,
    )
    package = Path(found.stdout.strip())
    sources = sorted(package.rglob("*.py"))
    stale = [p for p in sources if not _fresh(p)]
    ok = compileall.compile_dir(package, quiet=1, workers=1)
    if not ok:
        raise SystemExit(f"compiling {package} failed")
    return f"bytecode of {package}: {len(stale)} of {len(sources)} modules compiled"


def _fresh(source: Path) -> bool:
    """Whether ``source`` has bytecode for this interpreter at least as new as itself."""
    import importlib.util

    cached = Path(importlib.util.cache_from_source(str(source)))
    return cached.exists() and cached.stat().st_mtime >= source.stat().st_mtime
