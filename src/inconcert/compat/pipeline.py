"""CooRTweet's pipeline (``--compat coortweet``): its ``detect_groups`` per kind and its
``generate_coordinated_network`` on them, registered in :data:`inconcert.stages.PIPELINES`.

The core never imports this module; :mod:`inconcert.compat` registers it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..engine import Engine
from ..options import DetectOptions
from ..stages import Relations
from ..stages.coactions import load_actions
from .coortweet import RESULT_COLUMNS, detect_groups, generate_coordinated_network

__all__ = ["CooRTweetPipeline"]


class CooRTweetPipeline:
    """CooRTweet's co-actions and edges (see :class:`inconcert.stages.CompatPipeline`)."""

    def build(
        self, eng: Engine, actions: pa.Table, options: DetectOptions
    ) -> tuple[Relations, pa.Table]:
        rows = _coactions(eng, actions, options)
        return Relations(), _edges(rows, options, eng)

    def keep(self, edges: pa.Table, options: DetectOptions) -> pa.Table:
        """Every edge, or with ``edge_quantile`` those above it (``weight_threshold``)."""
        if edges.num_rows == 0 or options.edge_quantile is None:
            return edges
        return edges.filter(pc.equal(edges.column("weight_threshold"), 1))


def _coactions(eng: Engine, actions: pa.Table, options: DetectOptions) -> pa.Table:
    """CooRTweet's detect_groups per kind (as its vignette runs one call per modality)."""
    load_actions(eng, actions, Relations.actions)
    parts = []
    kinds = [k for k in options.kinds if k in set(pc.unique(actions.column("kind")).to_pylist())]
    for kind in kinds:
        sub = actions.filter(pc.equal(actions.column("kind"), kind))
        x = pa.table(
            {
                "object_id": sub.column("object_id"),
                "account_id": sub.column("account_id"),
                "content_id": sub.column("post_id"),
                "timestamp_share": sub.column("timestamp"),
            }
        )
        res = detect_groups(
            x,
            time_window=options.window_for(kind),
            min_participation=options.min_participation,
            engine=eng,
        )
        parts.append(res.append_column("kind", pa.array([kind] * res.num_rows, pa.string())))
    if parts:
        result = pa.concat_tables(parts)
    else:
        result = pa.table(
            {
                c: pa.array([], pa.float64() if c == "time_delta" else pa.string())
                for c in (*RESULT_COLUMNS, "kind")
            }
        )
    eng.load("ct_result_all", result)
    # The evidence side keeps CooRTweet's orientation of posts but puts accounts in byte order,
    # like every edge.
    eng.create(
        "ic_coactions",
        """
SELECT r.kind, r.object_id,
    CASE WHEN r.account_id < r.account_id_y THEN r.account_id ELSE r.account_id_y END AS account_a,
    CASE WHEN r.account_id < r.account_id_y THEN r.content_id ELSE r.content_id_y END AS post_a,
    CASE WHEN r.account_id < r.account_id_y THEN ta.t ELSE tb.t END AS t_a,
    CASE WHEN r.account_id < r.account_id_y THEN r.account_id_y ELSE r.account_id END AS account_b,
    CASE WHEN r.account_id < r.account_id_y THEN r.content_id_y ELSE r.content_id END AS post_b,
    CASE WHEN r.account_id < r.account_id_y THEN tb.t ELSE ta.t END AS t_b,
    CAST(ROUND(r.time_delta * 1000000) AS BIGINT) AS dt
FROM ct_result_all r
JOIN (SELECT DISTINCT post_id, t FROM ic_actions) ta ON r.content_id = ta.post_id
JOIN (SELECT DISTINCT post_id, t FROM ic_actions) tb ON r.content_id_y = tb.post_id
""",
    )
    return result


def _edges(result: pa.Table, options: DetectOptions, eng: Engine) -> pa.Table:
    # Object ids are prefixed with their kind, as CooRTweet's vignette does by hand, so that
    # object_ids stay unambiguous across kinds.
    labelled = result.set_column(
        result.column_names.index("object_id"),
        "object_id",
        pc.binary_join_element_wise(result.column("kind"), result.column("object_id"), "_"),
    ).drop_columns(["kind"])
    net = generate_coordinated_network(
        labelled,
        edge_weight=0.5 if options.edge_quantile is None else options.edge_quantile,
        objects=True,
        engine=eng,
    )
    edges = net.edges.rename_columns(["account_a", "account_b", *net.edges.column_names[2:]])
    return edges.sort_by([("account_a", "ascending"), ("account_b", "ascending")])
