"""Compatibility with peer tools: their exact semantics, for parity and migration.

Importing this package registers CooRTweet's pipeline (:mod:`.pipeline`) for
``DetectOptions(compat="coortweet")``; :mod:`inconcert` imports it.
"""

from ..stages import PIPELINES
from .pipeline import CooRTweetPipeline

PIPELINES["coortweet"] = CooRTweetPipeline()
