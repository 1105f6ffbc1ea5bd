"""The detection pipeline as explicit stages, each a module with declared inputs and outputs.

::

    posts, actions (Arrow) ──► load ──► coactions ──► edges ──► null_model ──► edges ──► groups
                               │          │             │                   (thresholds)    │
                               ▼          ▼             ▼                                   ▼
                     Posts, LoadedActions Relations.*   candidate edges (Arrow)   evidence/summaries

=================  ==================================================  =======================
stage              reads                                               creates / returns
=================  ==================================================  =======================
load               the posts and actions tables (Arrow), once; the     :class:`.posts.Posts`
                   run keeps no reference to them afterwards           (``ic_posts``),
                   (:mod:`.posts`, :func:`.coactions.load_actions`)    :class:`.coactions.
                                                                       LoadedActions`
                                                                       (``Relations.actions``)
:mod:`.coactions`  the loaded actions                                  :class:`Relations`:
                                                                       ``acts``, ``near``,
                                                                       ``paired``,
                                                                       ``coactions``,
                                                                       ``similarity``
:mod:`.edges`      ``Relations.coactions``                             ``Relations.edges`` and
                                                                       the candidate edges
:mod:`.null_model` ``acts``, ``near``, ``coactions``, ``edges``, posts  expected co-actions per
                                                                       edge (numerics in
                                                                       :mod:`inconcert.
                                                                       significance`)
:mod:`.groups`     the kept edges (Arrow)                              groups, components,
                                                                       scores
evidence           ``Relations.coactions``, ``actions``,               evidence, accounts and
                   ``similarity``, posts                               groups tables
                   (:mod:`inconcert.summaries`)
=================  ==================================================  =======================

Every relational step is SQL from :mod:`inconcert.plan`; a stage reads only the relations whose
names it is given (:class:`Relations`) and names what it creates. Other pipelines (CooRTweet's
semantics, :mod:`inconcert.compat`) register themselves in :data:`PIPELINES`; the core never
imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from .relations import Relations

if TYPE_CHECKING:
    from ..engine import Engine
    from ..options import DetectOptions

__all__ = ["PIPELINES", "CompatPipeline", "Relations"]


class CompatPipeline(Protocol):
    """Another tool's semantics for the co-actions and edges stages (``DetectOptions.compat``).
    The groups and evidence stages run on what it returns as on inconcert's own."""

    def build(
        self, eng: Engine, actions: pa.Table, options: DetectOptions
    ) -> tuple[Relations, pa.Table]:
        """Create the co-actions (``Relations.actions`` and ``coactions``); return the
        relations and the candidate edges."""
        ...

    def keep(self, edges: pa.Table, options: DetectOptions) -> pa.Table:
        """The candidate edges this tool keeps."""
        ...


#: The registered compatibility pipelines by name (:mod:`inconcert.compat` registers its own).
PIPELINES: dict[str, CompatPipeline] = {}
