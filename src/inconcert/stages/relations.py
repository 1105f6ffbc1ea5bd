"""The named relations one detection run creates in its engine."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Relations"]


@dataclass(frozen=True)
class Relations:
    """Names of the engine relations a run has created, passed from stage to stage.

    Attributes
    ----------
    actions:
        Every action: ``action_id, account_id, kind, object_id, post_id, t`` (µs).
    acts:
        The actions of accounts with enough actions (``min_participation``), their codes,
        kind and time only (:data:`inconcert.plan.ACTS_COLUMNS`; names by action id from
        ``actions``, :func:`inconcert.plan.named_sql`), with their window ``w`` (µs).
    near:
        Per action of ``acts``: ``n_near``, the actions on its object within ±w (itself
        included).
    paired:
        The actions that were paired: ``acts`` less the actions of dense bursts.
    coded:
        The co-actions in integer codes (:func:`inconcert.plan.coded_coactions_sql`: ``obj,
        acc_a, action_a, pst_a, acc_b, action_b, pst_b``, 32-bit where every code fits), after
        the similarity check: what the co-actions stage creates.
    participants:
        The accounts (codes, ``acc``) with ``min_participation`` posts in ``coded``: only the
        co-actions of two participants count (:func:`inconcert.plan.candidate_pairs_sql`).
    coactions:
        The co-actions by name: ``kind, object_id, account_a, post_a, t_a, account_b, post_b,
        t_b, dt`` (accounts in byte order), of the candidate pairs only: what the edges stage
        creates from ``coded``: the candidate pairs' coded co-actions first
        (:func:`inconcert.plan.candidate_coactions_sql`), then, ``coded`` dropped, their names
        (:func:`inconcert.plan.pair_coactions_sql`).
    similarity:
        For the text-similarity kinds, every co-acting post pair's similarity (``kind, post_a,
        post_b, similarity, threshold``), or ``None``.
    edges:
        The candidate edges (one row per account pair), once the edges stage has run.
    """

    actions: str = "ic_actions"
    acts: str = "ic_acts"
    near: str = "ic_near"
    paired: str = "ic_acts"
    coded: str = "ic_co"
    participants: str = "ic_part"
    coactions: str = "ic_coactions"
    similarity: str | None = None
    edges: str | None = None
