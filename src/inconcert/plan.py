"""The relational plan: actions → co-actions → edges → evidence, written once as SQL.

Every relational step of inconcert lives here, as SQL text over named relations, so that any
engine that runs SQL over tables (DuckDB embedded by default, Apache Spark when data outgrows
one machine) executes the same plan. The SQL keeps to what both dialects share: equality joins,
``GROUP BY``, ``UNION ALL``, ``CASE``, ``COUNT(DISTINCT ...)``, and window functions with a
``RANGE`` frame. The one construct that differs, integer division, comes from the engine's
:class:`Dialect`. For byte-identical results on DuckDB and Spark (:mod:`inconcert.engine_spark`)
the SQL also avoids what the two spell alike but compute differently: decimal literals in
arithmetic, casts of doubles to integers (DuckDB rounds, Spark truncates:
:func:`whole_seconds_sql`), sums of doubles (their order differs: fetched and summed in NumPy in
a fixed order), and NULL placement in ``ORDER BY`` (written out: ``NULLS LAST``).

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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import ParameterError
from .kinds import KINDS

__all__ = [
    "ACTS_COLUMNS",
    "DUCKDB",
    "FETCH_BATCH_ROWS",
    "SOURCE_KINDS",
    "SPARK",
    "Dialect",
    "account_names_sql",
    "action_pairs_sql",
    "action_periods_sql",
    "burst_counts_sql",
    "candidate_coactions_sql",
    "candidate_pairs_sql",
    "cited_posts_sql",
    "coactions_sql",
    "coded_coactions_sql",
    "columns_sql",
    "dense_actions_sql",
    "dissimilar_pairs_sql",
    "edge_ids_sql",
    "edges_sql",
    "habit_terms_sql",
    "identifier",
    "kind_code_sql",
    "latency_bins_sql",
    "latency_histogram_sql",
    "named_sql",
    "pair_coactions_sql",
    "pair_latency_sql",
    "pair_sources_sql",
    "pairs_sql",
    "participating_count_sql",
    "participation_sql",
    "pool_activity_sql",
    "pool_day_sql",
    "pool_days_sql",
    "pool_exposure_sql",
    "pool_terms_sql",
    "posts_of_sql",
    "prefilter_sql",
    "quote",
    "sorted_sql",
    "source_affinity_sql",
    "source_objects_sql",
    "sources_sql",
    "text_pairs_sql",
    "tfidf_norms_sql",
    "tfidf_terms_sql",
    "top_dense_objects_sql",
    "whole_seconds_sql",
    "window_case_sql",
    "without_actions_sql",
    "without_pairs_sql",
]

MICROS = 1_000_000
#: Rows per batch when an engine hands a large result over a batch at a time
#: (``Engine.fetch_batches``): a few tens of MB for a handful of integer columns.
FETCH_BATCH_ROWS = 1 << 20


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


# tables are named by the pipeline, never by the user; still, only plain identifiers reach SQL
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """``name``, checked to be a plain SQL identifier (a table an engine creates or loads)."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ParameterError("name", "a plain SQL identifier (letters, digits, _)", name)
    return name


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def whole_seconds_sql(us: str, dialect: Dialect) -> str:
    """A non-negative integer expression of µs ``us`` in whole seconds, rounded half to even,
    in integers: what DuckDB's cast of ``us / 1e6`` to ``BIGINT`` gives (Spark's cast
    truncates instead)."""
    q = dialect.div(us, str(MICROS))
    r = f"(({us}) - {q} * {MICROS})"
    half = MICROS // 2
    return f"({q} + CASE WHEN {r} > {half} THEN 1 WHEN {r} = {half} THEN {q} % 2 ELSE 0 END)"


def window_case_sql(windows_us: Mapping[str, int], default_us: int, column: str = "kind") -> str:
    """``CASE`` expression giving each action's window in microseconds from its kind."""
    if not windows_us:
        return str(int(default_us))
    whens = " ".join(
        f"WHEN {quote(kind)} THEN {int(us)}" for kind, us in sorted(windows_us.items())
    )
    return f"(CASE {column} {whens} ELSE {int(default_us)} END)"


def burst_counts_sql(
    src: str, windows: Sequence[int], key: Sequence[str] = ("kind", "object_id")
) -> str:
    """Per action, how many actions (itself included) share its object (``key``) within
    ``±w``.

    ``src`` needs ``action_id, t, w`` and the ``key``. A ``RANGE`` frame needs a constant
    width, so the query is a ``UNION ALL`` over the distinct window widths in use.
    """
    parts = [
        f"SELECT action_id, COUNT(*) OVER (PARTITION BY {', '.join(key)} ORDER BY t "
        f"RANGE BETWEEN {int(w)} PRECEDING AND {int(w)} FOLLOWING) AS n_near "
        f"FROM {src} WHERE w = {int(w)}"
        for w in sorted(set(windows))
    ]
    if not parts:
        return f"SELECT action_id, CAST(0 AS BIGINT) AS n_near FROM {src} WHERE 1 = 0"
    return "\nUNION ALL\n".join(parts)


def pairs_sql(
    src: str,
    dialect: Dialect,
    *,
    distinct_accounts: bool = True,
    key: Sequence[str] = ("kind", "object_id"),
    carry: Mapping[str, str] | None = None,
) -> str:
    """Every unordered pair of actions on the same ``key`` (an object) with ``|Δt| <= w``.

    ``src`` needs ``action_id, t, w``, the ``key`` columns and the ``carry`` columns, with ``w``
    the same for every action of a key. The output has the key columns and, per side ``x`` and
    ``y``, ``x_action``, ``x_<alias>`` for each carried ``column: alias`` (default
    ``account_id: account, post_id: post``) and ``x_t``. Each unordered pair appears exactly
    once (sides not ordered by time or account; callers orient). With ``distinct_accounts`` an
    account's pairs with itself are left out (a co-action needs two accounts); the account is
    the first carried column.
    """
    carry = dict(carry or {"account_id": "account", "post_id": "post"})
    cols = ", ".join(["action_id", *key, *carry, "t", "w"])
    on = " AND ".join(f"x.{k} = y.{k}" for k in key)
    sides = ",\n    ".join(
        f"{s}.action_id AS {s}_action, "
        + "".join(f"{s}.{c} AS {s}_{alias}, " for c, alias in carry.items())
        + f"{s}.t AS {s}_t"
        for s in ("x", "y")
    )
    bucket = f"CASE WHEN w = 0 THEN t ELSE {dialect.div('t', 'w')} END"
    account = next(iter(carry))
    keys = ", ".join(f"x.{k} AS {k}" for k in key)
    same_account = f"AND x.{account} <> y.{account}" if distinct_accounts else ""
    return f"""
WITH b AS (
    SELECT {cols}, {bucket} AS bucket
    FROM {src}
),
probe AS (
    SELECT {cols}, bucket, bucket AS join_bucket FROM b
    UNION ALL
    SELECT {cols}, bucket, bucket + 1 AS join_bucket FROM b
)
SELECT
    {keys},
    {sides}
FROM probe x
JOIN b y
  ON {on} AND x.join_bucket = y.bucket
WHERE ABS(x.t - y.t) <= x.w
  AND (x.join_bucket <> x.bucket OR x.action_id < y.action_id)
  {same_account}
"""


def coactions_sql(
    pairs: str,
    key: Sequence[str] = ("kind", "object_id"),
    fields: Sequence[str] = ("account", "post"),
) -> str:
    """Orient raw pairs (:func:`pairs_sql`) by the first field (the account): ``<f>_a`` is the
    side with the smaller account (byte order for names, numeric for codes), for each field
    and ``t``; ``dt`` is ``|Δt|`` in µs."""
    first = fields[0]
    lower = f"x_{first} < y_{first}"
    cols = []
    for side, (when, other) in (("a", ("x", "y")), ("b", ("y", "x"))):
        for f in (*fields, "t"):
            cols.append(f"CASE WHEN {lower} THEN {when}_{f} ELSE {other}_{f} END AS {f}_{side}")
    oriented = ",\n    ".join(cols)
    return f"""
SELECT
    {", ".join(key)},
    {oriented},
    ABS(x_t - y_t) AS dt
FROM {pairs}
"""


def coded_coactions_sql(src: str, dialect: Dialect, *, narrow: bool = False) -> str:
    """The co-actions of the actions in ``src`` in integer codes (see
    :func:`inconcert.stages.coactions.with_time`): ``obj, acc_a, action_a, pst_a, acc_b,
    action_b, pst_b``, accounts oriented by code, which is byte order of the names. Joins,
    counts and the participation filter run on these few integers; names, objects and times
    come back by action id for the few pairs that can become edges
    (:func:`pair_coactions_sql`). The kind is the object code's remainder by the number of
    kinds (:func:`kind_code_sql`). With ``narrow`` (every code below 2**31) the codes are
    32-bit: this relation has a row per co-action, the run's largest, and half the bytes
    spill half as much."""
    pairs = pairs_sql(src, dialect, key=("obj",), carry={"acc": "acc", "pst": "pst"})
    width = "INTEGER" if narrow else "BIGINT"
    cols = ",\n    ".join(
        f"CAST(CASE WHEN x_acc < y_acc THEN {first}_{f} ELSE {second}_{f} END AS {width})"
        f" AS {f}_{side}"
        for side, first, second in (("a", "x", "y"), ("b", "y", "x"))
        for f in ("acc", "action", "pst")
    )
    return f"""
SELECT
    CAST(obj AS {width}) AS obj,
    {cols}
FROM ({pairs}) p
"""


def kind_code_sql(obj: str, n_kinds: int) -> str:
    """The kind's code of an object code ``obj`` (``obj = object * n_kinds + kind``,
    :func:`inconcert.stages.coactions.with_time`)."""
    return f"({obj} % {max(int(n_kinds), 1)})"


def participation_sql(coactions: str, min_participation: int) -> str:
    """Accounts (codes) with at least ``min_participation`` distinct posts in the coded
    co-actions.

    For 2, the default, an account has two distinct posts exactly when its smallest post code
    differs from its largest: a grouped MIN and MAX per account instead of a distinct set of
    every (account, post) pair (at 3.3M posts, 25M co-actions: 0.37 s against 0.69 s)."""
    if int(min_participation) == 2:
        return f"""
SELECT acc FROM (
    SELECT acc_a AS acc, MIN(pst_a) AS lo, MAX(pst_a) AS hi FROM {coactions} GROUP BY acc_a
    UNION ALL
    SELECT acc_b AS acc, MIN(pst_b) AS lo, MAX(pst_b) AS hi FROM {coactions} GROUP BY acc_b
) p
GROUP BY acc
HAVING MIN(lo) < MAX(hi)
"""
    return f"""
SELECT acc FROM (
    SELECT acc_a AS acc, pst_a AS pst FROM {coactions}
    UNION
    SELECT acc_b AS acc, pst_b AS pst FROM {coactions}
) p
GROUP BY acc
HAVING COUNT(*) >= {int(min_participation)}
"""


def candidate_pairs_sql(coactions: str, participants: str, min_coactions: int) -> str:
    """The account pairs (codes) of two ``participants`` with at least ``min_coactions`` coded
    co-actions: a cheap count that bounds every edge measure (its events, objects and
    occasions are each at most its co-actions), so the names, the distinct counts and the null
    model are needed only for these pairs. Participation is a property of each account, so the
    pairs are counted first and filtered after (fewer rows than co-actions)."""
    return f"""
SELECT c.acc_a, c.acc_b FROM (
    SELECT acc_a, acc_b FROM {coactions}
    GROUP BY acc_a, acc_b
    HAVING COUNT(*) >= {int(min_coactions)}
) c
WHERE c.acc_a IN (SELECT acc FROM {participants})
  AND c.acc_b IN (SELECT acc FROM {participants})
"""


def participating_count_sql(coactions: str, participants: str) -> str:
    """How many coded co-actions are between two ``participants`` (``n``)."""
    return f"""
SELECT COUNT(*) AS n FROM {coactions}
WHERE acc_a IN (SELECT acc FROM {participants})
  AND acc_b IN (SELECT acc FROM {participants})
"""


def candidate_coactions_sql(coactions: str, pairs: str) -> str:
    """The coded co-actions of the pairs in ``pairs`` (codes; :func:`candidate_pairs_sql`, one
    row a pair): a small relation of its own, so that :func:`pair_coactions_sql` joins the
    actions to it, and never the other way round (a hash table of every action's names)."""
    return f"""
SELECT c.* FROM {coactions} c
JOIN {pairs} p ON c.acc_a = p.acc_a AND c.acc_b = p.acc_b
"""


def pair_coactions_sql(coactions: str, actions: str) -> str:
    """The co-actions by name (``kind, object_id, account_a, post_a, t_a, account_b, post_b,
    t_b, dt``) of the coded co-actions ``coactions`` (:func:`candidate_coactions_sql`): names,
    objects and times come back from ``actions`` by action id. The codes stay beside them
    (``acc_a, acc_b, obj, pst_a, pst_b``, as BIGINT): the edges' counts and the null model's
    joins run on these integers."""
    return f"""
SELECT
    x.kind AS kind, x.object_id AS object_id,
    x.account_id AS account_a, x.post_id AS post_a, x.t AS t_a,
    y.account_id AS account_b, y.post_id AS post_b, y.t AS t_b,
    ABS(x.t - y.t) AS dt,
    CAST(c.acc_a AS BIGINT) AS acc_a, CAST(c.acc_b AS BIGINT) AS acc_b, x.obj AS obj,
    CAST(c.pst_a AS BIGINT) AS pst_a, CAST(c.pst_b AS BIGINT) AS pst_b
FROM {coactions} c
JOIN {actions} x ON x.action_id = c.action_a
JOIN {actions} y ON y.action_id = c.action_b
"""


#: Two codes below 2**31 in one BIGINT: ``first * _PAIR_KEY + second``.
_PAIR_KEY = 4294967296


def edges_sql(
    coactions: str,
    kinds: Sequence[str],
    dialect: Dialect,
    speeds: Mapping[str, int] | None = None,
    occasion_gap: int = 3_600 * MICROS,
) -> str:
    """One row per account pair of ``coactions`` (:func:`pair_coactions_sql`: names and codes;
    counts run on the codes): counts per kind, weight, posts per side, times.

    ``events`` is the number of distinct post pairs (one post of each account acting on at least
    one same object within the window: a co-posting *event*; a post carrying the same link and
    hashtag as the other counts once); ``coactions`` the number of co-actions (per kind too);
    ``objects`` the number of distinct (kind, object);
    ``posts_a``/``posts_b`` the distinct posts of each account on the edge; the symmetry score
    is ``min(posts_a, posts_b) / max(posts_a, posts_b)``; ``days`` counts distinct UTC days with
    a co-action; ``coactions_<label>`` counts the co-actions at most ``speeds[label]`` µs apart
    (fast subnetworks, all speeds in one pass). Times are µs since the epoch.

    ``occasions`` counts the pair's separate *occasions*: its co-actions ordered by time (the
    earlier action of each), a new occasion starting wherever more than ``occasion_gap`` µs
    pass since the previous co-action. Ten links pushed in one burst are one occasion; the same
    pair meeting again the next day is a second. Ties in time never start an occasion, so the
    count does not depend on row order.
    """
    per_kind, per_kind_objects, outer = [], [], []
    for kind in kinds:
        k = quote(kind)
        per_kind.append(
            f"CAST(SUM(CASE WHEN kind = {k} THEN 1 ELSE 0 END) AS BIGINT) AS {kind}_coactions"
        )
        per_kind_objects.append(
            f"CAST(SUM(CASE WHEN kind = {k} THEN 1 ELSE 0 END) AS BIGINT) AS {kind}_objects"
        )
        outer += [f"p.{kind}_coactions", f"o.{kind}_objects"]
    for label, us in (speeds or {}).items():
        per_kind.append(
            f"CAST(SUM(CASE WHEN dt <= {int(us)} THEN 1 ELSE 0 END) AS BIGINT) AS coactions_{label}"
        )
        outer.append(f"p.coactions_{label}")
    per_kind_sql = "".join(f"\n    {item}," for item in per_kind)
    objects_sql = "".join(f",\n    {item}" for item in per_kind_objects)
    outer_sql = "".join(f"\n    {item}," for item in outer)
    day = dialect.div("t0", str(86_400 * MICROS))
    # The objects, per kind too, are counted over the pair's distinct (object, kind) rows (``po``):
    # one grouping in place of a distinct count per kind (17% less time and memory at 1.4M
    # co-actions, and it spills as a plain grouping does).
    return f"""
WITH c0 AS (
    SELECT *, CASE WHEN t_a < t_b THEN t_a ELSE t_b END AS t0 FROM {coactions}
), c AS (
    SELECT *, CASE WHEN t0 - LAG(t0) OVER (PARTITION BY acc_a, acc_b ORDER BY t0)
                        <= {int(occasion_gap)} THEN 0 ELSE 1 END AS new_occasion
    FROM c0
), po AS (
    SELECT acc_a, acc_b, obj, kind FROM c GROUP BY acc_a, acc_b, obj, kind
), o AS (
    SELECT acc_a, acc_b,
    COUNT(*) AS objects{objects_sql}
    FROM po
    GROUP BY acc_a, acc_b
), p AS (
    SELECT acc_a, acc_b,
    MIN(account_a) AS account_a, MIN(account_b) AS account_b,
    COUNT(DISTINCT pst_a * {_PAIR_KEY} + pst_b) AS events,
    COUNT(*) AS coactions,{per_kind_sql}
    COUNT(DISTINCT pst_a) AS posts_a,
    COUNT(DISTINCT pst_b) AS posts_b,
    AVG(dt) AS mean_dt,
    MIN(dt) AS min_dt,
    MAX(dt) AS max_dt,
    MIN(t0) AS first_t,
    MAX(CASE WHEN t_a > t_b THEN t_a ELSE t_b END) AS last_t,
    COUNT(DISTINCT {day}) AS days,
    CAST(SUM(new_occasion) AS BIGINT) AS occasions
    FROM c
    GROUP BY acc_a, acc_b
)
SELECT
    p.account_a, p.account_b, p.events, p.coactions, o.objects,{outer_sql}
    p.posts_a, p.posts_b, p.mean_dt, p.min_dt, p.max_dt, p.first_t, p.last_t, p.days,
    p.occasions
FROM p JOIN o ON p.acc_a = o.acc_a AND p.acc_b = o.acc_b
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


#: The kinds whose object is a post with an author: its *source* for the null model.
SOURCE_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.source)
_SOURCE_KINDS_SQL = ", ".join(quote(k) for k in SOURCE_KINDS)


def edge_ids_sql(coactions: str) -> str:
    """Each candidate edge's row number ``e`` in ``(account_a, account_b)`` order, from 0, with
    its accounts' codes ``acc_a, acc_b``. The candidate edges are the account pairs of the
    co-actions (:func:`edges_sql` groups them), and codes order as names do."""
    return f"""
SELECT acc_a, acc_b, ROW_NUMBER() OVER (ORDER BY acc_a, acc_b) - 1 AS e
FROM (SELECT DISTINCT acc_a, acc_b FROM {coactions}) p
"""


def pool_day_sql(
    t: str, kind: str, dialect: Dialect, days_us: Mapping[str, int], default_day_us: int
) -> str:
    """The pool term's day of an action at ``t`` (µs) of kind ``kind`` (column expressions):
    ``t // day``, with the day of each kind from ``days_us`` (µs), else ``default_day_us``
    (:func:`inconcert.significance.pool_day`)."""
    return dialect.div(t, window_case_sql(days_us, default_day_us, kind))


def pool_days_sql(
    actions: str,
    dialect: Dialect,
    days_us: Mapping[str, int],
    default_day_us: int,
    min_actions: int,
) -> str:
    """The pool term's periods (:mod:`inconcert.significance`): per kind and day ``d`` with
    actions (:func:`pool_day_sql`), its actions ``n`` and its period ``p``, the actions of the
    kind on the days before it divided by ``min_actions``. A day with ``min_actions`` or more
    is a period of its own; sparser days share one until together they hold about
    ``min_actions``; periods depend only on earlier days."""
    d = pool_day_sql("t", "kind", dialect, days_us, default_day_us)
    before = (
        "SUM(n) OVER (PARTITION BY kind ORDER BY d "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n"
    )
    period = dialect.div(before, str(int(min_actions)))
    return f"""
WITH days AS (
    SELECT kind, {d} AS d, COUNT(*) AS n FROM {actions} GROUP BY kind, {d}
)
SELECT kind, d, n, CAST({period} AS BIGINT) AS p
FROM days
"""


def pool_activity_sql(
    actions: str,
    near: str,
    edge_ids: str,
    days: str,
    dialect: Dialect,
    days_us: Mapping[str, int],
    default_day_us: int,
) -> str:
    """For the pool term of the null model (:mod:`inconcert.significance`): per account of the
    edges (code ``acc``), kind and period ``p`` (:func:`pool_days_sql`, relation ``days``) in
    which it acted, its actions ``n`` and their exposure ``e`` (the other actions on their
    objects within the window), and everyone's actions in the period, ``nt``."""
    d = pool_day_sql("a.t", "a.kind", dialect, days_us, default_day_us)
    return f"""
WITH accts AS (
    SELECT acc_a AS acc FROM {edge_ids}
    UNION
    SELECT acc_b AS acc FROM {edge_ids}
), ad AS (
    SELECT a.acc, a.kind, {d} AS d, COUNT(*) AS n, SUM(n.n_near - 1) AS e
    FROM {actions} a
    JOIN accts c ON c.acc = a.acc
    JOIN {near} n ON a.action_id = n.action_id
    GROUP BY a.acc, a.kind, {d}
), ap AS (
    SELECT ad.acc, ad.kind, pd.p, SUM(ad.n) AS n, SUM(ad.e) AS e
    FROM ad JOIN {days} pd ON pd.kind = ad.kind AND pd.d = ad.d
    GROUP BY ad.acc, ad.kind, pd.p
), tot AS (
    SELECT kind, p, SUM(n) AS n FROM {days} GROUP BY kind, p
)
SELECT ap.acc, ap.kind, ap.p, CAST(ap.n AS BIGINT) AS n, CAST(ap.e AS BIGINT) AS e,
       CAST(tot.n AS BIGINT) AS nt
FROM ap JOIN tot ON tot.kind = ap.kind AND tot.p = ap.p
"""


def pool_exposure_sql(
    activity: str,
    edge_ids: str,
    coactions: str,
    days: str,
    dialect: Dialect,
    days_us: Mapping[str, int],
    default_day_us: int,
) -> str:
    """Per edge ``e``, side (0: A's actions; 1: B's), kind and period in which that side
    acted (:func:`pool_activity_sql`): the side's exposure less the pair's co-actions of its
    actions in the period (the evidence under test, left out), ``ex``, and the other side's
    account code ``y``. A table of its own, so that the engine joins the other side by account
    and never by period alone."""
    d_a = pool_day_sql("t_a", "kind", dialect, days_us, default_day_us)
    d_b = pool_day_sql("t_b", "kind", dialect, days_us, default_day_us)
    return f"""
WITH own AS (
    SELECT o.acc_a, o.acc_b, o.kind, o.side, pd.p, COUNT(*) AS k FROM (
        SELECT acc_a, acc_b, kind, 0 AS side, {d_a} AS d FROM {coactions}
        UNION ALL
        SELECT acc_a, acc_b, kind, 1 AS side, {d_b} AS d FROM {coactions}
    ) o
    JOIN {days} pd ON pd.kind = o.kind AND pd.d = o.d
    GROUP BY o.acc_a, o.acc_b, o.kind, o.side, pd.p
), sides AS (
    SELECT e, acc_a, acc_b, 0 AS side, acc_a AS x, acc_b AS y FROM {edge_ids}
    UNION ALL
    SELECT e, acc_a, acc_b, 1 AS side, acc_b AS x, acc_a AS y FROM {edge_ids}
)
SELECT s.e, s.side, s.y, x.kind, x.p, x.e - COALESCE(o.k, 0) AS ex, x.nt
FROM sides s
JOIN {activity} x ON x.acc = s.x
LEFT JOIN own o ON o.acc_a = s.acc_a AND o.acc_b = s.acc_b AND o.kind = x.kind
                 AND o.side = s.side AND o.p = x.p
WHERE x.e > COALESCE(o.k, 0)
"""


def pool_terms_sql(exposure: str, activity: str) -> str:
    """The pool term of the null model (:mod:`inconcert.significance`) in integers, per edge
    ``e``, side (0: A's exposure against B's actions; 1: the reverse), kind and period in
    which both accounts acted: ``ex``, the side's exposure in the period less the evidence
    (:func:`pool_exposure_sql`); ``ny``, the other side's actions in the period (its activity,
    which the null keeps); ``nt``, everyone's. Sorted, so that sums over it run in a fixed
    order."""
    return f"""
SELECT x.e, x.side, x.kind, x.p, CAST(x.ex AS BIGINT) AS ex, y.n AS ny, x.nt
FROM {exposure} x
JOIN {activity} y ON y.acc = x.y AND y.kind = x.kind AND y.p = x.p
ORDER BY x.e, x.side, x.kind, x.p
"""


def account_names_sql(posts: str, accounts: str) -> str:
    """Per account of ``accounts`` (``account_id``) whose posts name it, the name on its latest
    post that has one (ties: the smallest name), by account."""
    return f"""
SELECT account_id, account_name FROM (
    SELECT p.account_id, p.account_name,
           ROW_NUMBER() OVER (PARTITION BY p.account_id ORDER BY p.t DESC, p.account_name)
               AS rk
    FROM {posts} p
    JOIN {accounts} w ON w.account_id = p.account_id
    WHERE p.account_name IS NOT NULL
) r
WHERE rk = 1
ORDER BY account_id
"""


def cited_posts_sql(posts: str, coactions: str, kept: str, columns: Sequence[str]) -> str:
    """``post_id`` and ``columns`` of the posts of the co-actions of the ``kept`` pairs
    (``account_a, account_b``): what the evidence quotes of them, read in one pass over
    ``posts``, by post id (an order the input's order does not change)."""
    extra = "".join(f", p.{c}" for c in columns)
    return f"""
SELECT p.post_id{extra}
FROM {posts} p
WHERE p.post_id IN (
    SELECT c.post_a FROM {coactions} c
    JOIN {kept} k ON c.account_a = k.account_a AND c.account_b = k.account_b
    UNION ALL
    SELECT c.post_b FROM {coactions} c
    JOIN {kept} k ON c.account_a = k.account_a AND c.account_b = k.account_b
)
ORDER BY p.post_id
"""


def posts_of_sql(posts: str, wanted: str, columns: list[str]) -> str:
    """The posts whose ``post_id`` is in ``wanted``: ``post_id, account_id`` and ``columns``, in
    the posts' order (``post_row``)."""
    extra = "".join(f", p.{c}" for c in columns)
    return f"""
SELECT p.post_id, p.account_id{extra}
FROM {posts} p
WHERE p.post_id IN (SELECT post_id FROM {wanted})
ORDER BY p.post_row
"""


def sources_sql(actions: str, posts: str) -> str:
    """``(obj, kind, source, t_ref)``: the author of each reposted, quoted or replied-to post
    (object code ``obj``) that is itself in the input, and that post's time (``posts`` needs
    ``post_id, account_id, t``)."""
    return f"""
SELECT o.obj, MIN(o.kind) AS kind, MIN(p.account_id) AS source, MIN(p.t) AS t_ref
FROM (
    SELECT DISTINCT obj, kind, object_id FROM {actions} WHERE kind IN ({_SOURCE_KINDS_SQL})
) o
JOIN {posts} p ON p.post_id = o.object_id
GROUP BY o.obj
"""


def source_objects_sql(actions: str, sources: str) -> str:
    """Per account (code ``acc``) and object (code ``obj``) with a source, one row: integer
    numbers for the (kind, source) (``src``) and the (account, kind, source) (``g``, from 0
    in sort order)."""
    return f"""
WITH per_object AS (
    SELECT DISTINCT a.acc, a.kind, s.source, a.obj
    FROM {actions} a
    JOIN {sources} s ON s.obj = a.obj
)
SELECT *,
       DENSE_RANK() OVER (ORDER BY kind, source) AS src,
       DENSE_RANK() OVER (ORDER BY acc, kind, source) - 1 AS g
FROM per_object
"""


def latency_bins_sql(actions: str, sources: str, bins: int) -> str:
    """Per action on a post with a known time (``sources``' ``t_ref``): its *latency* bin.
    The latency is how long after the referenced post the account acted (at least 0); bins
    are in units of the action's window ``w``: bin 0 is ``[0, w]``, bin ``i >= 1`` is
    ``(2^(i-1) w, 2^i w]``, the last bin open-ended (:mod:`inconcert.significance`)."""
    lat = "CAST(GREATEST(a.t - s.t_ref, 0) AS DOUBLE)"
    w = "CAST(GREATEST(a.w, 1) AS DOUBLE)"
    return f"""
SELECT a.acc, a.kind, a.obj,
       CASE WHEN a.t - s.t_ref <= a.w THEN 0
            ELSE LEAST({int(bins) - 1},
                       1 + CAST(FLOOR(LOG2({lat} / {w}) - 1e-12) AS BIGINT)) END AS bin
FROM {actions} a
JOIN {sources} s ON s.obj = a.obj
"""


def latency_histogram_sql(latencies: str) -> str:
    """Each account's (code ``acc``) actions per (kind, latency bin)."""
    return f"""
SELECT acc, kind, bin, COUNT(*) AS n FROM {latencies}
GROUP BY acc, kind, bin
ORDER BY acc, kind, bin
"""


def habit_terms_sql(
    actions: str,
    edge_ids: str,
    coactions: str,
    dialect: Dialect,
    bin_floor_us: int = 3_600 * MICROS,
) -> str:
    """The habit term of the null model (:mod:`inconcert.significance`), per edge ``e``, side
    (0: A's actions against B's habit; 1: the reverse) and object the two co-acted on: the
    integer numerator ``S_X,o · (n_Y - k_Y)`` with ``S_X,o = Σ_h x_h · (o_h - x_h)``, and the
    denominator ``N_o - n_X``. ``x_h`` and ``o_h`` count X's and everyone's actions on the
    object in time bin ``h`` (``max(bin_floor, 4w)`` wide), ``n_X`` and ``N_o`` the same over
    the whole period, ``n_Y`` Y's actions on it and ``k_Y`` those co-acted with X (the
    evidence, left out). ``S_X,o`` is per account and object, so no per-pair time join is
    needed. Only objects that some account used at least twice can contribute (``n_Y > k_Y >=
    1``), and only the accounts of the edges are binned. Sorted, so that sums over it run in a
    fixed order."""
    hb = dialect.div("a.t", f"GREATEST({int(bin_floor_us)}, 4 * a.w)")
    return f"""
WITH co_objs AS (
    SELECT DISTINCT obj FROM {coactions}
), objs AS (
    SELECT DISTINCT a.obj
    FROM {actions} a JOIN co_objs o ON o.obj = a.obj
    GROUP BY a.acc, a.obj HAVING COUNT(*) >= 2
), oh AS (
    SELECT a.obj, {hb} AS hb, COUNT(*) AS n
    FROM {actions} a JOIN objs o ON o.obj = a.obj
    GROUP BY a.obj, {hb}
), ot AS (
    SELECT obj, SUM(n) AS n FROM oh GROUP BY obj
), accts AS (
    SELECT acc_a AS acc FROM {edge_ids}
    UNION
    SELECT acc_b AS acc FROM {edge_ids}
), h AS (
    SELECT a.acc, a.obj, {hb} AS hb, COUNT(*) AS n
    FROM {actions} a
    JOIN objs o ON o.obj = a.obj
    JOIN accts c ON c.acc = a.acc
    GROUP BY a.acc, a.obj, {hb}
), ao AS (
    SELECT h.acc, h.obj, SUM(h.n) AS n, SUM(h.n * (oh.n - h.n)) AS s
    FROM h JOIN oh ON oh.obj = h.obj AND oh.hb = h.hb
    GROUP BY h.acc, h.obj
), k AS (
    SELECT acc_a, acc_b, obj, MIN(kind) AS kind, MIN(object_id) AS object_id,
           COUNT(DISTINCT pst_a) AS ka, COUNT(DISTINCT pst_b) AS kb
    FROM {coactions} GROUP BY acc_a, acc_b, obj
), sides AS (
    SELECT e, acc_a, acc_b, 0 AS side, acc_a AS x, acc_b AS y FROM {edge_ids}
    UNION ALL
    SELECT e, acc_a, acc_b, 1 AS side, acc_b AS x, acc_a AS y FROM {edge_ids}
)
SELECT s.e, s.side, k.kind, k.object_id,
       CAST(ax.s * (ay.n - CASE WHEN s.side = 0 THEN k.kb ELSE k.ka END) AS BIGINT) AS num,
       CAST(ot.n - ax.n AS BIGINT) AS den
FROM sides s
JOIN k ON k.acc_a = s.acc_a AND k.acc_b = s.acc_b
JOIN ao ax ON ax.acc = s.x AND ax.obj = k.obj
JOIN ao ay ON ay.acc = s.y AND ay.obj = k.obj
JOIN ot ON ot.obj = k.obj
WHERE ot.n > ax.n AND ay.n > CASE WHEN s.side = 0 THEN k.kb ELSE k.ka END AND ax.s > 0
ORDER BY s.e, s.side, k.kind, k.object_id
"""


def pair_latency_sql(latencies: str, edge_ids: str, coactions: str) -> str:
    """Per edge ``e``, kind, side (0: ``account_a``, 1: ``account_b``) and latency bin: that
    side's actions on the objects the pair co-acted on: the evidence the null model leaves out
    of each account's timing habit when it tests this pair."""
    return f"""
WITH co AS (
    SELECT DISTINCT acc_a, acc_b, kind, obj FROM {coactions}
    WHERE kind IN ({_SOURCE_KINDS_SQL})
), sides AS (
    SELECT d.e, c.kind, 0 AS side, c.acc_a AS acc, c.obj
    FROM co c JOIN {edge_ids} d ON d.acc_a = c.acc_a AND d.acc_b = c.acc_b
    UNION ALL
    SELECT d.e, c.kind, 1 AS side, c.acc_b AS acc, c.obj
    FROM co c JOIN {edge_ids} d ON d.acc_a = c.acc_a AND d.acc_b = c.acc_b
)
SELECT x.e, x.kind, x.side, l.bin, COUNT(*) AS n
FROM sides x
JOIN {latencies} l ON l.acc = x.acc AND l.obj = x.obj
GROUP BY x.e, x.kind, x.side, l.bin
ORDER BY x.e, x.kind, x.side, l.bin
"""


def pair_sources_sql(per_object: str, edge_ids: str, coactions: str, sources: str) -> str:
    """Per edge ``e`` (with its accounts) and (kind, source) ``src`` of the objects the two
    accounts co-acted on: how many of the source's objects they co-acted on (``c``) and how
    many objects the source has (``n_s``). Only sources with at least two objects (a source
    with one object, which both accounts acted on, tells nothing of their habits)."""
    return f"""
WITH source_ids AS (
    SELECT kind, source, MIN(src) AS src, COUNT(DISTINCT obj) AS n_s FROM {per_object}
    GROUP BY kind, source HAVING COUNT(DISTINCT obj) >= 2
), co AS (
    SELECT DISTINCT acc_a, acc_b, obj FROM {coactions}
    WHERE kind IN ({_SOURCE_KINDS_SQL})
)
SELECT d.e, d.acc_a, d.acc_b, z.src, MIN(z.n_s) AS n_s, COUNT(*) AS c
FROM co c
JOIN {sources} s ON s.obj = c.obj
JOIN source_ids z ON z.kind = s.kind AND z.source = s.source
JOIN {edge_ids} d ON d.acc_a = c.acc_a AND d.acc_b = c.acc_b
GROUP BY d.e, d.acc_a, d.acc_b, z.src
"""


def source_affinity_sql(per_object: str, pair_sources: str) -> str:
    """Per edge ``e`` and source ``src`` in ``pair_sources`` (:func:`pair_sources_sql`, which
    gives ``c`` and ``n_s``): the source's objects acted on by A (``n_a``) and by B (``n_b``),
    with A's and B's (account, kind, source) numbers ``g_a`` and ``g_b``. ``per_object`` is
    :func:`source_objects_sql`'s relation. Unsorted: ``(e, g_a)`` is a key."""
    return f"""
WITH per_source AS (
    SELECT acc, src, MIN(kind) AS kind, MIN(g) AS g, COUNT(*) AS n FROM {per_object}
    GROUP BY acc, src
)
SELECT p.e, p.acc_a, p.acc_b, xa.kind, xa.g AS g_a, xb.g AS g_b, p.c, xa.n AS n_a,
       xb.n AS n_b, p.n_s
FROM {pair_sources} p
JOIN per_source xa ON xa.acc = p.acc_a AND xa.src = p.src
JOIN per_source xb ON xb.acc = p.acc_b AND xb.src = p.src
"""


# -- small relational steps of the co-actions and edges stages --------------------------------


#: The columns of the actions the co-actions, edges and null-model stages read (``acts``): the
#: integer codes, the kind and the time; names come back by action id (:func:`named_sql`).
ACTS_COLUMNS: tuple[str, ...] = ("action_id", "acc", "pst", "obj", "kind", "t")


def prefilter_sql(
    actions: str,
    min_participation: int,
    window_expr: str | None = None,
    columns: Sequence[str] | None = None,
) -> str:
    """Actions of accounts with at least ``min_participation`` actions (and their window
    ``w`` from ``window_expr``, an expression over ``a.kind``); accounts by code (``acc``).
    ``columns``: the actions' columns to keep (default all)."""
    w = f", {window_expr} AS w" if window_expr else ""
    cols = ", ".join(f"a.{c}" for c in columns) if columns else "a.*"
    if int(min_participation) <= 1:
        return f"SELECT {cols}{w} FROM {actions} a"
    return f"""
SELECT {cols}{w}
FROM {actions} a
WHERE a.acc IN (SELECT acc FROM {actions} GROUP BY acc
                HAVING COUNT(*) >= {int(min_participation)})
"""


def named_sql(acts: str, actions: str, names: Sequence[str]) -> str:
    """``acts`` with the name columns ``names`` (``account_id``, ``object_id``, ``post_id``) of
    each action from ``actions`` by action id, as a parenthesised subquery for a FROM clause."""
    cols = "".join(f", n.{c}" for c in names)
    return f"(SELECT a.*{cols} FROM {acts} a JOIN {actions} n ON n.action_id = a.action_id)"


def dense_actions_sql(near: str, max_burst: int) -> str:
    """Actions with more than ``max_burst`` other actions on their object within ±w."""
    return f"SELECT action_id FROM {near} WHERE n_near - 1 > {int(max_burst)}"


def top_dense_objects_sql(actions: str, dense: str, limit: int = 3) -> str:
    """The objects with the most dense actions (for the warning)."""
    return f"""
SELECT a.kind, a.object_id, COUNT(*) AS n FROM {actions} a
JOIN {dense} d ON a.action_id = d.action_id
GROUP BY a.kind, a.object_id ORDER BY n DESC, a.kind, a.object_id LIMIT {int(limit)}
"""


def without_actions_sql(actions: str, left_out: str) -> str:
    """``actions`` less the actions in ``left_out`` (by ``action_id``)."""
    return (
        f"SELECT a.* FROM {actions} a WHERE a.action_id NOT IN (SELECT action_id FROM {left_out})"
    )


def text_pairs_sql(coactions: str, actions: str, kind_code: int, n_kinds: int) -> str:
    """The distinct post pairs of one text-similarity kind's coded co-actions (the kind's code
    ``kind_code``), by code and by name, sorted by name."""
    return f"""
SELECT DISTINCT CAST(c.pst_a AS BIGINT) AS pst_a, CAST(c.pst_b AS BIGINT) AS pst_b,
       x.post_id AS post_a, y.post_id AS post_b
FROM {coactions} c
JOIN {actions} x ON x.action_id = c.action_a
JOIN {actions} y ON y.action_id = c.action_b
WHERE {kind_code_sql("c.obj", n_kinds)} = {int(kind_code)}
ORDER BY post_a, post_b
"""


def dissimilar_pairs_sql(similarity: str, kind_codes: Mapping[str, int]) -> str:
    """The post pairs (``kc``, the kind's code, and the posts' codes) whose own texts are below
    their kind's similarity threshold."""
    cases = " ".join(f"WHEN {quote(k)} THEN {int(c)}" for k, c in sorted(kind_codes.items()))
    kc = f"CASE kind {cases} END" if cases else "-1"  # no actions: no kind has a code
    return (
        f"SELECT {kc} AS kc, pst_a, pst_b FROM {similarity}"
        " WHERE NOT (similarity >= threshold - 1e-12)"
    )


def without_pairs_sql(coactions: str, pairs: str, n_kinds: int) -> str:
    """The coded ``coactions`` less those whose ``(kind code, pst_a, pst_b)`` is in ``pairs``."""
    return f"""
SELECT c.* FROM {coactions} c
WHERE NOT EXISTS (
    SELECT 1 FROM {pairs} l
    WHERE l.kc = {kind_code_sql("c.obj", n_kinds)} AND l.pst_a = c.pst_a AND l.pst_b = c.pst_b)
"""


def columns_sql(relation: str, columns: Sequence[str]) -> str:
    """Every row of ``relation`` with ``columns`` only, in order."""
    return f"SELECT {', '.join(identifier(c) for c in columns)} FROM {relation}"


def sorted_sql(relation: str, *keys: str) -> str:
    """Every row of ``relation`` in the order of ``keys``."""
    return f"SELECT * FROM {relation} ORDER BY {', '.join(keys)}"


def action_pairs_sql(actions: str, dialect: Dialect) -> str:
    """Every pair of actions within the window, self-pairs included, sorted (the permutation
    test relabels them)."""
    return (
        "SELECT x_action, y_action FROM ("
        + pairs_sql(actions, dialect, distinct_accounts=False, key=("obj",), carry={"acc": "acc"})
        + ") p ORDER BY x_action, y_action"
    )


def action_periods_sql(
    actions: str, days: str, dialect: Dialect, days_us: Mapping[str, int], default_day_us: int
) -> str:
    """``action_id, account_id, kind`` and pool period ``p`` (:func:`pool_days_sql` of these
    actions, relation ``days``) of every action, by ``action_id``."""
    d = pool_day_sql("a.t", "a.kind", dialect, days_us, default_day_us)
    return f"""
SELECT a.action_id, a.account_id, a.kind, pd.p
FROM {actions} a JOIN {days} pd ON pd.kind = a.kind AND pd.d = {d}
ORDER BY a.action_id
"""
