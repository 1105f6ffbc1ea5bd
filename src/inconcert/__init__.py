"""inconcert: find accounts acting in concert.

Posts become actions (account, kind, object, time); pairs of different accounts acting on the
same object within a time window are co-actions; co-actions make a weighted network whose groups
are reported with the evidence behind every edge. See :mod:`inconcert.schema` for the glossary.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
