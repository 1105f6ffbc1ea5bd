"""The installed package's version, from its metadata (pyproject.toml is the one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["VERSION"]

try:
    VERSION: str = version("inconcert")
except PackageNotFoundError:  # a source tree that was never installed
    VERSION = "0+unknown"
