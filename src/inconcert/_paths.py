"""Paths of inputs and outputs: whether a path lies in an input folder, and swapping two
folders in one step (shared by the result writer and the prepared store)."""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import OutputError

__all__ = ["exchange", "inside", "refuse_inside", "same_file", "split_inputs"]


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), os.fspath(b))


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def inside(path: Path, folder: Path) -> bool:
    """Whether resolved ``path`` is ``folder`` or lies in it where a folder input would find
    it (no hidden part on the way: the readers skip those)."""
    try:
        rel = path.relative_to(folder)
    except ValueError:
        return False
    return not any(part.startswith(".") for part in rel.parts)


def split_inputs(inputs: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """The inputs as (files, folders), resolved; missing ones are left to the readers."""
    files: list[Path] = []
    folders: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            folders.append(path.resolve())
        elif path.exists():
            files.append(path.resolve())
    return files, folders


def refuse_inside(given: Path, resolved: Path, folders: Sequence[Path], hint: str) -> None:
    """An :class:`~inconcert.errors.OutputError` when the output ``given`` (``resolved``) is
    one of the input ``folders`` or lies inside one, where reading that folder again would
    find it: the result writer's check and the store's."""
    for folder in folders:
        if inside(resolved, folder):
            where = "is the input folder" if resolved == folder else "is inside the input folder"
            raise OutputError(given, f"{where} {os.fspath(folder)!r}", hint=hint)
