"""The relational plan: actions → co-actions → edges → evidence, written once as SQL.

Every relational step of inconcert lives here, as SQL text over named relations, so that any
engine that runs SQL over tables (DuckDB embedded by default, Apache Spark when data outgrows
one machine) executes the same plan. The SQL keeps to what both dialects share: equality joins,
``GROUP BY``, ``UNION ALL``, ``CASE``, ``COUNT(DISTINCT ...)``, and window functions with a
``RANGE`` frame. The one construct that differs, integer division, comes from the engine's
:class:`Dialect`.

Time is carried as ``t``, integer microseconds since the epoch, and windows as ``w``, integer
microseconds, so the window edge is exact: ``|Δt| <= w`` is inclusive.

Why a bucket join
-----------------
Co-actions are pairs of actions on the same object within the window. A self-join on the
object alone probes every pair of actions of an object (the sum of squared object sizes; what
makes CooRTweet's memory grow with the square of popularity). Instead each action is put in a
time bucket of width ``w`` (``t div w``); two actions within ``w`` of each other are in the same
or in adjacent buckets, so an *equality* join on ``(kind, object_id, bucket)`` against the own
and the next bucket finds every pair and probes only pairs that are at most ``2w`` apart. Equality
joins hash-partition and spill to disk in both engines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DUCKDB",
    "SPARK",
    "Dialect",
    "burst_counts_sql",
    "edges_sql",
    "pairs_sql",
    "quote",
    "window_case_sql",
]

MICROS = 1_000_000


@dataclass(frozen=True)
class Dialect:
    """The few spellings that differ between SQL engines."""

    name: str
    int_div: str  # format string with {a} and {b}

    def div(self, a: str, b: str) -> str:
        """Integer division of two integer expressions."""
        return self.int_div.format(a=a, b=b)


DUCKDB = Dialect(name="duckdb", int_div="(({a}) // ({b}))")
SPARK = Dialect(name="spark", int_div="(({a}) div ({b}))")


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def window_case_sql(windows_us: Mapping[str, int], default_us: int, column: str = "kind") -> str:
    """``CASE`` expression giving each action's window in microseconds from its kind."""
    if not windows_us:
        return str(int(default_us))
    whens = " ".join(
        f"WHEN {quote(kind)} THEN {int(us)}" for kind, us in sorted(windows_us.items())
    )
    return f"(CASE {column} {whens} ELSE {int(default_us)} END)"


def burst_counts_sql(src: str, windows: Sequence[int]) -> str:
    """Per action, how many actions (itself included) share its object within ``±w``.

    ``src`` needs ``action_id, kind, object_id, t, w``. A ``RANGE`` frame needs a constant
    width, so the query is a ``UNION ALL`` over the distinct window widths in use.
    """
    parts = [
        f"SELECT action_id, COUNT(*) OVER (PARTITION BY kind, object_id ORDER BY t "
        f"RANGE BETWEEN {int(w)} PRECEDING AND {int(w)} FOLLOWING) AS n_near "
        f"FROM {src} WHERE w = {int(w)}"
        for w in sorted(set(windows))
    ]
    if not parts:
        return f"SELECT action_id, CAST(0 AS BIGINT) AS n_near FROM {src} WHERE 1 = 0"
    return "\nUNION ALL\n".join(parts)


def pairs_sql(src: str, dialect: Dialect, *, distinct_accounts: bool = True) -> str:
    """Every unordered pair of actions on the same ``(kind, object_id)`` with ``|Δt| <= w``.

    ``src`` needs ``action_id, account_id, kind, object_id, post_id, t, w`` with ``w`` the same
    for every action of a kind. Each unordered pair appears exactly once, as sides ``x`` and
    ``y`` (not ordered by time or account; callers orient). With ``distinct_accounts`` an
    account's pairs with itself are left out (a co-action needs two accounts).
    """
    bucket = f"CASE WHEN w = 0 THEN t ELSE {dialect.div('t', 'w')} END"
    same_account = "AND x.account_id <> y.account_id" if distinct_accounts else ""
    return f"""
WITH b AS (
    SELECT action_id, account_id, kind, object_id, post_id, t, w, {bucket} AS bucket
    FROM {src}
),
probe AS (
    SELECT action_id, account_id, kind, object_id, post_id, t, w, bucket, bucket AS join_bucket
    FROM b
    UNION ALL
    SELECT action_id, account_id, kind, object_id, post_id, t, w, bucket, bucket + 1 AS join_bucket
    FROM b
)
SELECT
    x.kind AS kind, x.object_id AS object_id,
    x.action_id AS x_action, x.account_id AS x_account, x.post_id AS x_post, x.t AS x_t,
    y.action_id AS y_action, y.account_id AS y_account, y.post_id AS y_post, y.t AS y_t
FROM probe x
JOIN b y
  ON x.kind = y.kind AND x.object_id = y.object_id AND x.join_bucket = y.bucket
WHERE ABS(x.t - y.t) <= x.w
  AND (x.join_bucket <> x.bucket OR x.action_id < y.action_id)
  {same_account}
"""


def coactions_sql(pairs: str) -> str:
    """Orient raw pairs by account: ``account_a < account_b`` (byte order), Δt in µs."""
    return f"""
SELECT
    kind, object_id,
    CASE WHEN x_account < y_account THEN x_account ELSE y_account END AS account_a,
    CASE WHEN x_account < y_account THEN x_post ELSE y_post END AS post_a,
    CASE WHEN x_account < y_account THEN x_t ELSE y_t END AS t_a,
    CASE WHEN x_account < y_account THEN y_account ELSE x_account END AS account_b,
    CASE WHEN x_account < y_account THEN y_post ELSE x_post END AS post_b,
    CASE WHEN x_account < y_account THEN y_t ELSE x_t END AS t_b,
    ABS(x_t - y_t) AS dt
FROM {pairs}
"""


def participation_sql(coactions: str, min_participation: int) -> str:
    """Accounts with at least ``min_participation`` distinct posts in co-actions."""
    return f"""
SELECT account_id FROM (
    SELECT account_a AS account_id, post_a AS post_id FROM {coactions}
    UNION
    SELECT account_b AS account_id, post_b AS post_id FROM {coactions}
) p
GROUP BY account_id
HAVING COUNT(*) >= {int(min_participation)}
"""


def edges_sql(
    coactions: str, kinds: Sequence[str], dialect: Dialect,
    speeds: Mapping[str, int] | None = None,
) -> str:
    """One row per account pair: counts per kind, weight, posts per side, times.

    ``events`` is the number of distinct post pairs (one post of each account acting on at least
    one same object within the window: a co-posting *event*; a post carrying the same link and
    hashtag as the other counts once); ``coactions`` the number of co-actions (per kind too);
    ``objects`` the number of distinct (kind, object);
    ``posts_a``/``posts_b`` the distinct posts of each account on the edge; the symmetry score
    is ``min(posts_a, posts_b) / max(posts_a, posts_b)``; ``days`` counts distinct UTC days with
    a co-action; ``coactions_<label>`` counts the co-actions at most ``speeds[label]`` µs apart
    (fast subnetworks, all speeds in one pass). Times are µs since the epoch.
    """
    per_kind = []
    for kind in kinds:
        k = quote(kind)
        per_kind.append(
            f"CAST(SUM(CASE WHEN kind = {k} THEN 1 ELSE 0 END) AS BIGINT) AS {kind}_coactions"
        )
        per_kind.append(
            f"COUNT(DISTINCT CASE WHEN kind = {k} THEN object_id END) AS {kind}_objects"
        )
    for label, us in (speeds or {}).items():
        per_kind.append(
            f"CAST(SUM(CASE WHEN dt <= {int(us)} THEN 1 ELSE 0 END) AS BIGINT) AS coactions_{label}"
        )
    per_kind_sql = ",\n    ".join(per_kind)
    day = dialect.div("CASE WHEN t_a < t_b THEN t_a ELSE t_b END", str(86_400 * MICROS))
    return f"""
SELECT
    account_a, account_b,
    COUNT(DISTINCT post_a || chr(31) || post_b) AS events,
    COUNT(*) AS coactions,
    COUNT(DISTINCT kind || chr(31) || object_id) AS objects,
    {per_kind_sql},
    COUNT(DISTINCT post_a) AS posts_a,
    COUNT(DISTINCT post_b) AS posts_b,
    AVG(dt) AS mean_dt,
    MIN(dt) AS min_dt,
    MAX(dt) AS max_dt,
    MIN(CASE WHEN t_a < t_b THEN t_a ELSE t_b END) AS first_t,
    MAX(CASE WHEN t_a > t_b THEN t_a ELSE t_b END) AS last_t,
    COUNT(DISTINCT {day}) AS days
FROM {coactions}
GROUP BY account_a, account_b
"""


def _tfidf_weights_cte(actions: str) -> str:
    """``w``: each account's TF-IDF weight per (kind, object): ``tf`` = its actions on the
    object, ``idf = ln(accounts / accounts acting on it)``."""
    return f"""
WITH tf AS (
    SELECT account_id, kind, object_id, COUNT(*) AS tf FROM {actions}
    GROUP BY account_id, kind, object_id
), df AS (
    SELECT kind, object_id, COUNT(DISTINCT account_id) AS df FROM {actions}
    GROUP BY kind, object_id
), n AS (
    SELECT COUNT(DISTINCT account_id) AS n FROM {actions}
), w AS (
    SELECT tf.account_id, tf.kind, tf.object_id, tf.tf * LN(CAST(n.n AS DOUBLE) / df.df) AS w
    FROM tf JOIN df ON tf.kind = df.kind AND tf.object_id = df.object_id CROSS JOIN n
)"""


def tfidf_terms_sql(actions: str, edges: str) -> str:
    """Per edge and shared object, the product of the two accounts' TF-IDF weights (Pacheco et
    al. 2021); summed, the dot product of their vectors."""
    return f"""{_tfidf_weights_cte(actions)}
SELECT e.account_a, e.account_b, wa.w * wb.w AS term
FROM {edges} e
JOIN w wa ON wa.account_id = e.account_a
JOIN w wb ON wb.account_id = e.account_b AND wb.kind = wa.kind AND wb.object_id = wa.object_id
ORDER BY e.account_a, e.account_b, wa.kind, wa.object_id
"""


def tfidf_norms_sql(actions: str) -> str:
    """Each account's squared TF-IDF weights, to sum into its vector norm."""
    return f"""{_tfidf_weights_cte(actions)}
SELECT account_id, w * w AS sq FROM w ORDER BY account_id, kind, object_id
"""
