"""Parameters of a detection run, validated once at the public boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from .engine import ENGINES, check_memory_limit, check_size, check_threads
from .errors import ParameterError
from .network import COMMUNITY_METHODS
from .normalize import MIN_TEXT_CHARS
from .schema import ALL_KINDS, DEFAULT_KINDS

__all__ = ["COMPAT_MODES", "DetectOptions"]

COMPAT_MODES = ("coortweet",)
WEIGHTS = ("events", "coactions", "objects", "tfidf")

#: The default false discovery rate of kept edges (see :class:`DetectOptions`).
DEFAULT_MAX_Q = 1e-6


@dataclass(frozen=True)
class DetectOptions:
    """Every parameter of :func:`inconcert.detect`, with the defaults a first run should use.

    Attributes
    ----------
    kinds:
        Which kinds of action to compare (see :mod:`inconcert.actions`). Default: repost, quote,
        url, hashtag, text, image, object.
    window:
        Seconds, inclusive: two actions on the same object at most this far apart co-act; or
        ``"auto"`` to estimate it from the data (:mod:`inconcert.window`).
        60 s is the usual choice for "at the same time" on social media; campaigns that
        schedule posts may need less (10 s), slower manual ones more (several minutes).
    windows:
        Per-kind windows in seconds overriding ``window``, e.g. ``{"text": 300}``.
    min_participation:
        An account needs at least this many actions to be considered, and at least this many
        distinct posts in co-actions to stay in the network (both accounts of a co-action must
        qualify). CooRTweet's value is 2.
    min_weight:
        An edge is kept when its events are at least this (default 3). Events are co-posting
        events: distinct pairs of posts, one by each account, that acted on a same object within
        the window (a post sharing the same link *and* hashtag as another counts once).
    min_occasions:
        An edge is kept when its co-actions fall on at least this many separate *occasions*
        (default 2): bursts more than ``occasion_gap`` apart. One viral afternoon or one pushed
        batch of links is one occasion; coordination is acting together again and again.
    occasion_gap:
        Seconds without a co-action of the pair that start a new occasion (default 3,600).
    edge_quantile:
        Also keep only edges whose weight is strictly above this quantile (R type 7) of all edge
        weights, as CooRTweet's ``edge_weight``; ``None`` (default) applies no quantile.
    max_burst:
        An action with more than this many other actions on the same object within ±window is
        left out of pairing (viral moments make innocent pairs and quadratic work); counted and
        reported. Must exceed the largest group you want to catch. ``None`` disables the cap.
    weight_by:
        What an edge's ``weight`` (the network weight: Leiden, strength, GEXF) measures:
        ``"events"`` (default: co-posting events, distinct post pairs), ``"coactions"``
        (CooRTweet's count: one event sharing a link and a hashtag counts twice),
        ``"objects"`` (distinct objects co-acted on), or ``"tfidf"`` (cosine similarity of the
        two accounts' TF-IDF vectors over all their objects, which discounts popular objects;
        Pacheco et al. 2021, "Uncovering Coordinated Networks on Social Media"). Every measure
        is also a column of ``edges.csv``; ``min_weight`` always counts events.
    max_q:
        Keep only edges whose Benjamini–Hochberg q-value under the null model is at most this
        (default ``1e-6``: on four simulated worlds with viral moments, breaking links, trending
        hashtags and heavy-tailed fans it kept no more than 0.02% of the organic accounts and
        at least 94% of every fast planted behaviour; ``benchmarks/quality.py``). ``1`` keeps
        every edge whatever its q-value; ``None`` does not filter. The default is dropped when
        ``significance`` is off or with ``compat``. See :mod:`inconcert.significance`.
    significance:
        Compute the null model's ``expected_coactions``, ``p_value`` and ``q_value`` per edge
        (default). ``False`` saves that time on very large inputs; ``max_q`` then cannot be
        used and groups are scored without edge significance.
    speeds:
        Fast subnetworks: each edge also counts its co-actions at most this many seconds apart,
        for every speed (``coactions_10s``...). Speeds above the window count nothing new.
    permutations:
        Also run this many shuffles of the permutation test (``p_permutation`` per edge); 0
        (default) skips it.
    community:
        Leiden objective: ``"modularity"`` or ``"cpm"``; ``resolution`` is its γ.
    seed:
        Seed of every random step (Leiden).
    min_text_chars / strip_hashtags:
        Options of the ``text`` and ``neartext`` kinds (see
        :func:`inconcert.normalize.text_key`).
    similarity:
        ``neartext``: the least estimated Jaccard similarity of two texts' character shingles,
        in (0, 1]. 0.7 links a tweet to a copy with a word or two changed (see
        :mod:`inconcert.neartext`).
    paraphrase_similarity:
        ``paraphrase`` (optional extra ``inconcert[embed]``): the least cosine similarity of two
        texts' sentence embeddings, in (0, 1] (see :mod:`inconcert.paraphrase`).
    compat:
        ``"coortweet"`` reproduces CooRTweet's ``detect_groups`` + ``generate_coordinated_network``
        exactly (per kind, then combined); ``window`` is its ``time_window`` and
        ``edge_quantile`` its ``edge_weight`` (default 0.5 there, edges kept only when given).
    memory_limit / threads:
        The run's memory limit (e.g. "8GB", "512MiB" or "60%" of RAM): DuckDB gets it less
        what the input already holds in memory as Arrow tables and a margin for Python
        (:func:`inconcert.engine.duckdb_budget`), lowered before each statement while the
        process holds more outside DuckDB (:func:`inconcert.engine.fitted_share`), and spills
        to disk past that; worker threads
        (1 to 1024; default: the cores this process may use), which also bound the processes
        that share the ``text`` kind's keys and the links' canonical forms (``threads - 1``
        helpers: :func:`inconcert.normalize.text_keys`,
        :func:`inconcert.normalize.canonical_urls`). Both are checked strictly
        (:func:`inconcert.engine.check_memory_limit`).
    max_temp_size:
        The most temporary disk DuckDB may fill when it spills past ``memory_limit`` (e.g.
        "20GB"); default: half the free space of the disk it spills to. A run that needs more
        stops with a :class:`~inconcert.errors.ResourceError` saying what to change, instead
        of filling the disk.
    engine / spark_master:
        Where the plan runs: ``"duckdb"`` (embedded, the default) or ``"spark"`` (Apache Spark,
        extra ``inconcert[spark]``; :mod:`inconcert.engine_spark`) on ``spark_master``
        (``local[2]``, ``spark://host:7077``...; default: the master ``spark-submit`` gives,
        else ``local[*]``). Same results on both; ``memory_limit`` and ``threads`` are DuckDB's.
    """

    kinds: tuple[str, ...] = DEFAULT_KINDS
    window: float | str = 60.0
    windows: Mapping[str, float] = field(default_factory=dict)
    min_participation: int = 2
    min_weight: int = 3
    min_occasions: int = 2
    occasion_gap: float = 3600.0
    edge_quantile: float | None = None
    max_burst: int | None = 1000
    weight_by: str = "events"
    max_q: float | None = DEFAULT_MAX_Q
    significance: bool = True
    speeds: tuple[float, ...] = (10.0,)
    permutations: int = 0
    community: str = "modularity"
    resolution: float = 1.0
    seed: int = 0
    min_text_chars: int = MIN_TEXT_CHARS
    strip_hashtags: bool = False
    similarity: float = 0.7
    paraphrase_similarity: float = 0.85
    compat: str | None = None
    memory_limit: str | None = None
    threads: int | None = None
    max_temp_size: str | None = None
    engine: str = "duckdb"
    spark_master: str | None = None

    def __post_init__(self) -> None:
        kinds = tuple(self.kinds)
        unknown = [k for k in kinds if k not in ALL_KINDS]
        if not kinds or unknown:
            raise ParameterError("kinds", f"a non-empty list of {', '.join(ALL_KINDS)}", kinds)
        object.__setattr__(self, "kinds", tuple(k for k in ALL_KINDS if k in set(kinds)))
        if self.window != "auto":
            _number("window", self.window, minimum=0)
            _bounded_window("window", self.window)
            object.__setattr__(self, "window", float(self.window))
        elif self.compat is not None:
            raise ParameterError(
                "window", "a number of seconds with compat (not 'auto')", self.window
            )
        for kind, w in self.windows.items():
            if kind not in ALL_KINDS:
                raise ParameterError("windows", f"keyed by kinds ({', '.join(ALL_KINDS)})", kind)
            _number(f"windows[{kind}]", w, minimum=0)
            _bounded_window(f"windows[{kind}]", w)
        object.__setattr__(self, "windows", dict(sorted(self.windows.items())))
        _whole("min_participation", self.min_participation, minimum=0)
        _whole("min_weight", self.min_weight, minimum=1)
        _whole("min_occasions", self.min_occasions, minimum=1)
        _number("occasion_gap", self.occasion_gap, minimum=0, maximum=366 * 86_400)
        object.__setattr__(self, "occasion_gap", float(self.occasion_gap))
        if self.edge_quantile is not None:
            _number("edge_quantile", self.edge_quantile, minimum=0, maximum=1)
        if self.max_burst is not None:
            _whole("max_burst", self.max_burst, minimum=1)
        if self.weight_by not in WEIGHTS:
            raise ParameterError("weight_by", f"one of {', '.join(WEIGHTS)}", self.weight_by)
        if self.max_q is not None:
            _number("max_q", self.max_q, minimum=0, maximum=1)
            if not self.significance or self.compat is not None:
                if self.max_q != DEFAULT_MAX_Q:
                    raise ParameterError(
                        "max_q",
                        "unset when significance is off or with compat (no q-values)",
                        self.max_q,
                    )
                object.__setattr__(self, "max_q", None)  # the default does not apply
        speeds = tuple(sorted(set(self.speeds)))
        for sp in speeds:
            _number("speeds", sp, minimum=0)
            _bounded_window("speeds", sp)
        object.__setattr__(self, "speeds", speeds)
        _whole("permutations", self.permutations, minimum=0)
        if self.community not in COMMUNITY_METHODS:
            raise ParameterError(
                "community", f"one of {', '.join(COMMUNITY_METHODS)}", self.community
            )
        _number("resolution", self.resolution, minimum=0, strict=True)
        _whole("seed", self.seed, minimum=0)
        _whole("min_text_chars", self.min_text_chars, minimum=1)
        for name in ("similarity", "paraphrase_similarity"):
            value = getattr(self, name)
            if not (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
            ):
                raise ParameterError(name, "a number in (0, 1]", value)
        if self.compat is not None and self.compat not in COMPAT_MODES:
            raise ParameterError("compat", f"one of {', '.join(COMPAT_MODES)} or None", self.compat)
        if self.threads is not None:
            check_threads(self.threads)
        if self.memory_limit is not None:
            object.__setattr__(self, "memory_limit", check_memory_limit(self.memory_limit))
        if self.max_temp_size is not None:
            object.__setattr__(
                self, "max_temp_size", check_size("max_temp_size", self.max_temp_size)
            )
        if self.engine not in ENGINES:
            raise ParameterError("engine", f"one of {', '.join(ENGINES)}", self.engine)
        if self.spark_master is not None and (
            self.engine != "spark"
            or not isinstance(self.spark_master, str)
            or not self.spark_master.strip()
        ):
            raise ParameterError(
                "spark_master",
                "a Spark master URL such as 'local[2]' or 'spark://host:7077', with engine 'spark'",
                self.spark_master,
            )
        if self.engine == "spark" and self.compat is not None:
            raise ParameterError(
                "compat",
                "unset with engine 'spark' (CooRTweet's semantics run on DuckDB only)",
                self.compat,
            )
        duckdb_only = {
            k: v
            for k, v in (
                ("memory_limit", self.memory_limit),
                ("threads", self.threads),
                ("max_temp_size", self.max_temp_size),
            )
            if v is not None
        }
        if self.engine == "spark" and duckdb_only:
            raise ParameterError(
                "/".join(duckdb_only),
                "unset with engine 'spark' (DuckDB's; "
                "give Spark's own settings, e.g. spark-submit "
                "--driver-memory)",
                next(iter(duckdb_only.values())),
            )

    def engine_options(self) -> dict[str, object]:
        """The settings :func:`inconcert.engine.open_engine` takes for ``engine``."""
        if self.engine == "spark":
            return {"master": self.spark_master}
        return {
            "memory_limit": self.memory_limit,
            "threads": self.threads,
            "max_temp_size": self.max_temp_size,
        }

    def window_for(self, kind: str) -> float:
        """The window of one kind, in seconds (once ``"auto"`` has been estimated)."""
        if self.window == "auto" and kind not in self.windows:
            raise ParameterError("window", "estimated before use", "auto")
        return float(self.windows.get(kind, self.window))

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["kinds"] = list(self.kinds)
        d["windows"] = dict(self.windows)
        d["speeds"] = list(self.speeds)
        return d


def _number(
    name: str,
    value: object,
    *,
    minimum: float,
    maximum: float | None = None,
    strict: bool = False,
) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = (v > minimum if strict else v >= minimum) and (maximum is None or v <= maximum)
        ok = ok and v == v  # not NaN
    if not ok:
        low = f"> {minimum:g}" if strict else f">= {minimum:g}"
        rng = f"in [{minimum:g}, {maximum:g}]" if maximum is not None else low
        raise ParameterError(name, f"a number {rng}", value)


#: Longest window accepted, in seconds (about 31.7 years): windows become whole microseconds
#: in SQL, added to timestamps, so they must stay finite and far from the 64-bit range.
MAX_WINDOW_S = 1e9


def _bounded_window(name: str, value: object) -> None:
    if float(value) > MAX_WINDOW_S:  # type: ignore[arg-type]  # a number, checked before
        raise ParameterError(name, f"a finite number of seconds <= {MAX_WINDOW_S:g}", value)


def _whole(name: str, value: object, *, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ParameterError(name, f"a whole number >= {minimum}", value)
