"""inconcert: find accounts acting in concert.

Posts become actions (account, kind, object, time); pairs of different accounts acting on the
same object within a time window are co-actions; co-actions make a weighted network whose groups
are reported with the evidence behind every edge. See :mod:`inconcert.schema` for the glossary.

>>> import inconcert as ic
>>> result = ic.detect(["posts.csv.gz"], options=ic.DetectOptions(window=30))  # doctest: +SKIP
>>> ic.write_result(result, "result/")  # doctest: +SKIP

The names below are imported on first use (``import inconcert`` itself imports neither DuckDB
nor igraph), so the command line starts fast.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from . import compat as _compat  # noqa: F401 - registers the CooRTweet pipeline
from ._version import VERSION as __version__
from .errors import InconcertError, InputError, ParameterError

if TYPE_CHECKING:
    from .detect import DetectResult, detect, detect_actions
    from .options import DetectOptions
    from .outputs import write_result
    from .store import open_store, prepare, save_store

__all__ = [
    "DetectOptions",
    "DetectResult",
    "InconcertError",
    "InputError",
    "ParameterError",
    "__version__",
    "detect",
    "detect_actions",
    "open_store",
    "prepare",
    "save_store",
    "write_result",
]

#: public name -> the module that defines it, imported by ``__getattr__`` on first use
_LAZY = {
    "DetectOptions": ".options",
    "DetectResult": ".detect",
    "detect": ".detect",
    "detect_actions": ".detect",
    "write_result": ".outputs",
    "prepare": ".store",
    "save_store": ".store",
    "open_store": ".store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This package, whose ``detect`` is the function: importing the submodule of the same
    name (``from inconcert.detect import ...``) makes the import system bind the submodule on
    its package, and the function is bound instead (as when the package imported it eagerly).
    A module's class may be a subclass of ModuleType (the data model's "Customizing module
    attribute access")."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "detect" and isinstance(value, types.ModuleType):
            value = value.detect
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
