"""Compatibility with peer tools: their exact semantics, for parity and migration.

Importing this package registers CooRTweet's pipeline (:mod:`.pipeline`) for
``DetectOptions(compat="coortweet")``; :mod:`inconcert` imports it. The registered object
imports :mod:`.pipeline` (and CooRTweet's functions, :mod:`.coortweet`) on its first use, so
that importing inconcert stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..stages import PIPELINES

if TYPE_CHECKING:
    import pyarrow as pa

    from ..engine import Engine
    from ..options import DetectOptions
    from ..stages import Relations

__all__ = ["CooRTweet"]


class CooRTweet:
    """CooRTweet's pipeline (:class:`.pipeline.CooRTweetPipeline`), imported on first use."""

    def build(
        self, eng: Engine, actions: pa.Table, options: DetectOptions
    ) -> tuple[Relations, pa.Table]:
        from .pipeline import CooRTweetPipeline

        return CooRTweetPipeline().build(eng, actions, options)

    def keep(self, edges: pa.Table, options: DetectOptions) -> pa.Table:
        from .pipeline import CooRTweetPipeline

        return CooRTweetPipeline().keep(edges, options)


PIPELINES["coortweet"] = CooRTweet()
