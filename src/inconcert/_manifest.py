"""The manifest's hashes of a result folder's files, kept apart so that both the writer of a
result (:mod:`inconcert.outputs`) and the report that rewrites its files in place
(:mod:`inconcert.report`) use them without importing each other."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["refresh_manifest", "sha256_file"]


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def refresh_manifest(out_dir: str | os.PathLike[str], names: Iterable[str]) -> bool:
    """Re-hash ``names`` in ``out_dir/manifest.json`` after they were rewritten (``inconcert
    report`` rebuilding the report of a finished run); a name whose file is gone is dropped.
    Returns whether there was a manifest to update; it is replaced atomically."""
    folder = Path(out_dir)
    path = folder / "manifest.json"
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        outputs = content["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(outputs, dict):
        return False
    for name in names:
        if (folder / name).is_file():
            outputs[name] = sha256_file(folder / name)
        else:
            outputs.pop(name, None)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.json.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(content, fh, indent=2, default=str)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
