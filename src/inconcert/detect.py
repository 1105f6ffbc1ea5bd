"""The detection run: actions → co-actions → edges → null model → groups → evidence.

:func:`detect_actions` is the orchestrator on an actions table, a list of stage calls
(:mod:`inconcert.stages`); :func:`detect` reads inputs and makes the actions first. Every
relational step is SQL from :mod:`inconcert.plan` run by an engine; the graph step runs in
igraph; the results are Arrow tables ready for :mod:`inconcert.outputs`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from . import plan, store
from ._arrow import release_unused
from ._checks import action_table
from ._timer import Timer, memory_warning
from .engine import Engine, duckdb_budget, memory_bytes, open_engine
from .errors import InputError, ParameterError
from .options import DetectOptions
from .progress import Progress, null_progress
from .schema import Similar
from .stages import PIPELINES, coactions, null_model
from .stages import edges as edges_stage
from .stages import groups as groups_stage
from .stages.coactions import CodedFile, NearCheck
from .stages.posts import attach_posts_file, load_posts
from .summaries import accounts_table, evidence_table, groups_table
from .window import WindowEstimate, estimate_window

if TYPE_CHECKING:
    from .ingest import Ingested, InputOptions

__all__ = ["DetectResult", "detect", "detect_actions"]


@dataclass
class DetectResult:
    """Everything a run produced (see the README for every column).

    ``edges``: kept edges; ``accounts``: one row per account in the network; ``groups``: one
    row per group, ranked; ``evidence``: every co-action behind every kept edge; ``summary``:
    counts for the manifest; ``warnings``: plain-language notes (burst cap applied, ...);
    ``timings``: seconds per stage; ``peak_memory``: the process's peak resident bytes as
    each stage ended (empty where the system does not say); ``store``: the prepared store the
    run started from (path, SHA-256 of its ``store.json``, when and by which version it was
    made), None when it read its inputs; ``ingested``: what
    :func:`detect` read (files, rows used and rejected, the rejects, referenced posts),
    without the rows themselves (:meth:`inconcert.ingest.Ingested.without_table`: the run let
    go of them once its engine held them).
    """

    options: DetectOptions
    edges: pa.Table
    accounts: pa.Table
    groups: pa.Table
    evidence: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    peak_memory: dict[str, int] = field(default_factory=dict)
    store: dict[str, Any] | None = None
    ingested: Ingested | None = None
    window_estimate: WindowEstimate | None = None

    #: The result tables, in the order :meth:`to_pandas` and :meth:`to_polars` return them.
    TABLES: ClassVar[tuple[str, ...]] = ("groups", "accounts", "edges", "evidence")

    def _tables(self, table: str | None) -> dict[str, pa.Table]:
        if table is None:
            return {name: getattr(self, name) for name in self.TABLES}
        if table not in self.TABLES:
            raise ParameterError("table", f"one of {', '.join(self.TABLES)} or None", table)
        return {table: getattr(self, table)}

    def to_pandas(self, table: str | None = None) -> Any:
        """The result as pandas DataFrames.

        ``result.to_pandas("groups")`` is one DataFrame; ``result.to_pandas()`` a dict of all
        four (``groups``, ``accounts``, ``edges``, ``evidence``). pandas is a dependency of
        inconcert, so ``result.groups.to_pandas()`` works as well.
        """
        from ._tables import missing_extra

        missing_extra("pandas", None)()
        frames = {name: t.to_pandas() for name, t in self._tables(table).items()}
        return frames if table is None else frames[table]

    def to_polars(self, table: str | None = None) -> Any:
        """The result as polars DataFrames (needs ``pip install 'inconcert[polars]'``).

        ``result.to_polars("groups")`` is one DataFrame; ``result.to_polars()`` a dict of all
        four (``groups``, ``accounts``, ``edges``, ``evidence``).
        """
        from ._tables import missing_extra

        pl = missing_extra("polars", "polars")()
        frames = {name: pl.from_arrow(t) for name, t in self._tables(table).items()}
        return frames if table is None else frames[table]


#: What :func:`detect` reads: paths, tables, or a list of them (see :mod:`inconcert._tables`).
Inputs = str | os.PathLike[str] | Any | Sequence[str | os.PathLike[str] | Any]


def detect(
    inputs: Inputs,
    *,
    options: DetectOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    objects: Mapping[str, str] | None = None,
    shape: str = "auto",
    progress: Progress = null_progress,
    engine: Engine | None = None,
    read_options: InputOptions | None = None,
    given: Collection[str] | None = None,
) -> DetectResult:
    """Read posts or actions from files or tables and find accounts acting in concert.

    Parameters
    ----------
    inputs:
        CSV (plain or .gz), JSON Lines (plain or .gz) or Parquet files, or folders of them; or
        in-memory tables: a pandas or polars DataFrame (or LazyFrame), a pyarrow Table or
        RecordBatch, or anything exporting an Arrow stream; or a list mixing these. A table
        is read exactly as a Parquet file with the same columns would be (same mapping,
        checks and rejects); messages and reports name it ``<pandas.DataFrame>`` and the
        like. Posts need ``post_id``, ``account_id``, ``timestamp``; actions need
        ``account_id``, ``object_id``, ``timestamp``, ``post_id``. Or the folder of a
        prepared store (:mod:`inconcert.store`): the run starts after the actions stage,
        with the store's kinds (or fewer) and action parameters; ``mapping``, ``objects``,
        ``shape`` and ``read_options`` do not apply to it.
    options:
        :class:`inconcert.DetectOptions`; the defaults suit a first look.
    mapping, objects, shape:
        Passed to :func:`inconcert.ingest.read_inputs` (rename columns; wide object columns).
    read_options:
        :class:`inconcert.ingest.InputOptions`, passed to read_inputs: the input format
        (platform exports are recognised by default), list separator, time format and zone,
        permalink template, rules per file pattern.
    given:
        With a store: the names of the options the caller set (the command line knows them),
        so that an option set to its default value is checked against the store's value
        rather than replaced by it (:func:`inconcert.store.for_run`). Without it, an option
        at its default value counts as not set.
    progress:
        Called as ``progress(stage, done, total)``.

    Raises
    ------
    ParameterError
        ``inputs`` is neither paths nor tables (``detect(123)``), or another parameter is
        malformed.
    InputError
        A file or table cannot be read as a whole (missing columns: the message names the
        columns found and the columns expected).
    """
    options = options or DetectOptions()
    timer = Timer(progress)
    folder = _store_folder(inputs)
    if folder is not None:
        if mapping or objects or shape != "auto" or read_options is not None:
            raise ParameterError(
                "reading options (mapping, objects, shape, read_options)",
                f"none for a store ({folder} was read when it was prepared)",
                "given",
            )
        with timer.stage("read"):
            prepared, options = store.for_run(store.open_store(folder), options, given)
    else:
        prepared = store.prepare(
            inputs,
            options=options,
            mapping=mapping,
            objects=objects,
            shape=shape,
            read_options=read_options,
            progress=progress,
            timer=timer,
        )
        options = replace(options, kinds=prepared.options.kinds)
    return _detect_prepared(prepared, options, progress=progress, engine=engine, timer=timer)


def _store_folder(inputs: Inputs) -> str | os.PathLike[str] | None:
    """The store's folder when ``inputs`` is one (a path, alone or in a list of one); a store
    among other inputs is an error."""
    many = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    stores = [x for x in many if isinstance(x, str | os.PathLike) and store.is_store(x)]
    if not stores:
        return None
    if len(many) > 1:
        raise InputError(
            os.fspath(stores[0]),
            "is a prepared store, which is read alone",
            hint="detect on the store by itself, or prepare one store from all the files",
        )
    return stores[0]


def _detect_prepared(
    prepared: store.Prepared,
    options: DetectOptions,
    *,
    progress: Progress,
    engine: Engine | None,
    timer: Timer,
) -> DetectResult:
    """The run after the actions stage: on the prepared inputs' tables, each taken once."""
    # the run loads the input into its engine and lets go of the Arrow tables there, so
    # nothing here may keep them: the memory limit then bounds the whole run
    # a store's actions come coded as the run codes them, unless the CooRTweet pipeline
    # (which codes its own) runs
    coded = prepared.take_coded() if options.compat is None else None
    source = _Input(
        prepared.take_actions() if coded is None else None,
        prepared.take_posts(),
        posts_unique=True,
        posts_file=prepared.posts_file,
        coded=coded,
    )
    result = _run(
        source,
        options=options,
        progress=progress,
        engine=engine,
        similar=prepared.stats.clusters,
        references=prepared.ingested.references,
        timer=timer,
    )
    prepared.check_unchanged()  # the engine has read all it reads of a store's files
    result.ingested = prepared.ingested
    result.store = prepared.store
    result.summary["actions"] = prepared.stats.as_dict()
    _note_shortened_links(result, prepared.shortened)
    return result


class _Input:
    """The input tables, handed to :func:`_run`, which takes each once: after it has loaded
    them into its engine, no reference to them is left (when the caller kept none)."""

    def __init__(
        self,
        actions: pa.Table | None,
        posts: pa.Table | None,
        *,
        posts_unique: bool = False,
        posts_file: Path | None = None,
        coded: CodedFile | None = None,
    ) -> None:
        self.actions: pa.Table | None = actions
        self.posts: pa.Table | None = posts
        self.posts_unique = posts_unique
        #: a prepared store's posts relation, which the engine reads itself (no ``posts``)
        self.posts_file = posts_file
        #: a store's actions file, coded as the run codes them (no ``actions``)
        self.coded = coded

    def nbytes(self) -> int:
        return sum(t.nbytes for t in (self.actions, self.posts) if isinstance(t, pa.Table))

    def take_coded(self) -> CodedFile | None:
        coded, self.coded = self.coded, None
        return coded

    def take_actions(self) -> pa.Table:
        actions, self.actions = self.actions, None
        assert actions is not None
        return actions

    def take_posts(self) -> pa.Table | None:
        posts, self.posts = self.posts, None
        return posts


def _note_shortened_links(result: DetectResult, counts: dict[str, Any] | None) -> None:
    """The shortened links' counts (:func:`inconcert.store.shortened_links`) in the summary,
    and a warning: each shortened link is its own object, so it hides which page was
    shared."""
    if counts is None:
        return
    result.summary["shortened_links"] = counts
    shortened, total = counts["shortened_url_actions"], counts["url_actions"]
    if shortened:
        top = ", ".join(list(counts["by_domain"])[:5])
        result.warnings.append(
            f"{shortened:,} of {total:,} link actions ({shortened / total:.0%}) use "
            f"shortened links ({top}): each shortened link counts as its own object and hides "
            "the page it leads to, so accounts sharing one page through different short links "
            "are not linked; give the expanded links (e.g. Twitter's expanded_url) in the urls "
            "column where the data has them"
        )


def detect_actions(
    actions: pa.Table,
    *,
    options: DetectOptions | None = None,
    posts: pa.Table | None = None,
    progress: Progress = null_progress,
    engine: Engine | None = None,
    similar: Mapping[str, Similar] | None = None,
    references: pa.Table | None = None,
) -> DetectResult:
    """Find accounts acting in concert from an actions table (:data:`ACTION_SCHEMA`).

    ``posts``, when given, adds each post's text to the evidence and lets the null model know
    the authors and times of reposted posts. ``similar`` (for the kinds ``neartext`` and
    ``paraphrase``, the clusters of those posts' texts, by post row) lets their co-actions be
    checked pair by pair: two posts of one cluster co-act only when their own texts are at least
    ``options.similarity`` (``options.paraphrase_similarity``) alike, since clusters can chain;
    the evidence gives that similarity. ``references``: posts it refers to but does not hold.

    The stages (:mod:`inconcert.stages`), in order: loading the posts and actions into the
    engine, the window (``--window auto``), co-actions, candidate edges, the null model, the
    thresholds, groups, evidence and scores.
    """
    return _run(
        _Input(actions, posts),
        options=options,
        progress=progress,
        engine=engine,
        similar=similar,
        references=references,
        timer=None,
    )


def _run(
    source: _Input,
    *,
    options: DetectOptions | None,
    progress: Progress,
    engine: Engine | None,
    similar: Mapping[str, Similar] | None,
    references: pa.Table | None,
    timer: Timer | None,
) -> DetectResult:
    """:func:`detect_actions` on the tables of ``source``, each taken once and loaded into the
    engine (the stage ``load``), after which the run holds no reference to them."""
    options = options or DetectOptions()
    timer = timer or Timer(progress)
    own = engine is None
    warnings: list[str] = []
    eng = engine or _open_engine(options, source.nbytes(), warnings)
    summary: dict[str, Any] = {}
    try:
        compat = PIPELINES[options.compat] if options.compat is not None else None
        with timer.stage("load"):
            raw = source.take_posts()
            posts = load_posts(eng, raw, unique=source.posts_unique) if raw is not None else None
            near = (
                NearCheck(similar, raw.column("post_id")) if similar and raw is not None else None
            )
            del raw
            if source.posts_file is not None:  # its rows are the posts' rows, one per id
                posts = attach_posts_file(eng, source.posts_file)
                if similar:
                    ids = pq.read_table(source.posts_file, columns=["post_id"]).column("post_id")
                    near = NearCheck(similar, ids)
            if own and posts is not None:  # room for the actions
                _hold(eng)
            coded = source.take_coded()
            if coded is not None:  # a store's, coded as load_actions codes them
                loaded = coactions.load_coded_actions(eng, coded)
            elif compat is None:  # misuse of the actions table: inconcert's own errors
                loaded = coactions.load_actions(eng, action_table(source.take_actions()))
                if own:  # the Arrow input is gone: DuckDB's share of the memory limit grows
                    _hold(eng)
            else:  # the compatibility pipeline (never with --window auto) loads its own
                compat_actions = action_table(source.take_actions())
        estimate = None
        if options.window == "auto":
            with timer.stage("window"):
                estimate, options = _estimate_window(eng, loaded, options, summary, warnings)
        with timer.stage("co-actions"):
            if compat is None:
                rel = coactions.build(eng, loaded, options, warnings, summary, near)
                near = None  # the similarity check was its last reader
        with timer.stage("edges"):
            if compat is not None:
                rel, candidates = compat.build(eng, compat_actions, options)
            else:
                rel, candidates = edges_stage.build(eng, rel, options, summary)
                with timer.stage("significance"):
                    if options.significance:
                        candidates = null_model.add_pvalues(
                            null_model.expected(eng, rel, candidates, posts, options)
                        )
                    candidates = edges_stage.finish(candidates)
                candidates = edges_stage.weigh(eng, rel, candidates, options)
            summary["edges_before_threshold"] = candidates.num_rows
            if options.permutations and compat is None and candidates.num_rows:
                candidates = null_model.permutation(eng, rel, candidates, options, progress)
            kept = (
                compat.keep(candidates, options)
                if compat is not None
                else edges_stage.keep(candidates, options)
            )
            summary["edges"] = kept.num_rows
            if compat is None:  # what only these stages read makes room for the evidence
                coactions.drop_working(eng, rel)
                edges_stage.drop_working(eng, rel)
                _warn_if_nothing_significant(candidates, kept, options, warnings)
        with timer.stage("groups"):
            kept, assignments = groups_stage.assign(kept, options)
        with timer.stage("evidence"):
            evidence = evidence_table(
                eng, rel.coactions, rel.similarity, kept, posts, options, references
            )
            accounts = accounts_table(eng, rel.actions, assignments, evidence, posts)
            groups = groups_table(eng, rel.actions, kept, accounts, evidence, similar or {})
            kept, accounts, groups, evidence = groups_stage.rank(kept, accounts, groups, evidence)
        summary["accounts"] = accounts.num_rows
        summary["groups"] = groups.num_rows
        summary["coactions_in_evidence"] = evidence.num_rows
        if options.engine == "duckdb" and options.memory_limit is not None:
            note = memory_warning(
                timer.marks,
                timer.start_peak,
                memory_bytes(options.memory_limit),
                options.memory_limit,
            )
            if note is not None:
                warnings.append(note)
        return DetectResult(
            options=options,
            edges=kept,
            accounts=accounts,
            groups=groups,
            evidence=evidence,
            summary=summary,
            warnings=warnings,
            timings=timer.timings,
            peak_memory=dict(timer.peaks),
            window_estimate=estimate,
        )
    finally:
        if own:
            eng.close()


def _hold(eng: Engine) -> None:
    """Tell the engine what the process still holds as Arrow data, the unused pages of Arrow's
    memory pool released first."""
    release_unused()
    eng.hold(pa.total_allocated_bytes())


def _open_engine(options: DetectOptions, input_bytes: int, warnings: list[str]) -> Engine:
    """The run's engine. DuckDB's memory limit is the run's less what the input holds in
    memory (the posts and actions as Arrow tables, ``input_bytes``) until it is loaded, so the
    process stays near the limit."""
    settings = options.engine_options()
    if options.engine == "duckdb" and options.memory_limit is not None:
        held = max(input_bytes, pa.total_allocated_bytes())
        settings["held_bytes"] = held
        limit = memory_bytes(options.memory_limit)
        if held > limit // 2:
            warnings.append(
                f"The input takes {held / 1024**3:.2f} GiB in memory (posts and actions as "
                f"Arrow tables), {held / limit:.0%} of --memory-limit {options.memory_limit}: "
                f"DuckDB gets {duckdb_budget(limit, held) / 1024**3:.2f} GiB and spills the "
                "rest to disk, which is slower. Give more memory, or fewer or narrower inputs "
                "(e.g. --kinds)."
            )
    return open_engine(options.engine, **settings)


def _estimate_window(
    eng: Engine,
    actions: coactions.LoadedActions,
    options: DetectOptions,
    summary: dict[str, Any],
    warnings: list[str],
) -> tuple[WindowEstimate, DetectOptions]:
    """``--window auto``: the window estimated from the data (:mod:`inconcert.window`)."""
    eng.create("ic_auto", plan.prefilter_sql(actions.name, options.min_participation))
    estimate = estimate_window(eng, "ic_auto")
    eng.drop("ic_auto")
    summary["window_estimate"] = estimate.as_dict()
    if estimate.fallback:
        warnings.append(
            "--window auto found no excess of fast co-actions over independent "
            f"activity; the window falls back to {estimate.window:g} s."
        )
    return estimate, replace(options, window=estimate.window)


def _warn_if_nothing_significant(
    candidates: pa.Table, kept: pa.Table, options: DetectOptions, warnings: list[str]
) -> None:
    """Say so when pairs pass the weight and occasion thresholds but none the q-value."""
    if not candidates.num_rows or kept.num_rows or options.max_q is None:
        return
    passing = edges_stage.keep(candidates, replace(options, max_q=None)).num_rows
    if passing:
        warnings.append(
            f"{passing:,} pairs met the weight and occasion thresholds, but none "
            f"is beyond chance at q <= {options.max_q:g}: the null model has "
            "little power on small inputs. --max-q 0.05 (or 1, no filter) shows "
            "them."
        )
