"""inconcert: find accounts acting in concert.

Posts become actions (account, kind, object, time); pairs of different accounts acting on the
same object within a time window are co-actions; co-actions make a weighted network whose groups
are reported with the evidence behind every edge. See :mod:`inconcert.schema` for the glossary.

>>> import inconcert as ic
>>> result = ic.detect(["posts.csv.gz"], options=ic.DetectOptions(window=30))  # doctest: +SKIP
>>> ic.write_result(result, "result/")  # doctest: +SKIP
"""

from __future__ import annotations

from . import compat as _compat  # noqa: F401 - registers the CooRTweet pipeline
from ._version import VERSION as __version__
from .detect import DetectResult, detect, detect_actions
from .errors import InconcertError, InputError, ParameterError
from .options import DetectOptions
from .outputs import write_result

__all__ = [
    "DetectOptions",
    "DetectResult",
    "InconcertError",
    "InputError",
    "ParameterError",
    "__version__",
    "detect",
    "detect_actions",
    "write_result",
]
