"""Prepared inputs: read the posts and make their actions once, then detect many times.

:func:`prepare` is the first half of :func:`inconcert.detect`: it reads the inputs (every check,
every reject counted) and turns the posts into actions. :func:`save_store` writes what it made
into a folder, the *store*; :func:`open_store` reads it back, and ``inconcert detect STORE``
starts from there, skipping the read and the actions stage: a run with another window, other
thresholds or fewer kinds costs only the detection. The tables are byte-identical to those of a
run from the inputs with the same parameters.

A store holds (Parquet unless said otherwise):

===========================  ==================================================================
file                         what
===========================  ==================================================================
``store.json``               what the store was made from and with: the inputs (path, SHA-256,
                             rows read, used and rejected by reason), the kinds and the
                             parameters of the actions, the actions stage's counts, the
                             inconcert version, and each file's size
``actions.parquet``          the actions (:data:`~inconcert.schema.ACTION_SCHEMA`) and their
                             ids, times and codes as a run loads them
                             (:func:`inconcert.stages.coactions.code_actions`; the kinds' codes
                             in ``store.json``): a run on all the store's kinds loads them as
                             they are
``posts.parquet``            the posts, as the run's posts relation
                             (:mod:`inconcert.stages.posts`: ``post_row``, ``post_id``,
                             ``account_id``, ``t`` and, where the input has them, ``text``,
                             ``permalink``, ``account_name``), which the engine reads itself;
                             texts and links only of the posts a run can cite (no file for an
                             actions table)
``rejects.parquet``          the rejected input rows, with their reasons
``references.parquet``       posts a platform export embeds but does not hold (when any)
``<kind>-rows.parquet``,     ``neartext`` / ``paraphrase``: each post's cluster and the row of
``<kind>-clusters.parquet``, its text's signature (embedding), the clusters, and the
``<kind>-vectors.npy``       signatures (embeddings), for the pair-by-pair similarity check
                             (``neartext``: the texts of clusters of several posts only)
===========================  ==================================================================

The store answers for the kinds and action parameters it was prepared with: a detect run on it
may compare fewer kinds; asking for a kind it lacks, or a different ``similarity``,
``paraphrase_similarity``, ``min_text_chars``, ``strip_hashtags`` or (for the text-similarity
kinds) ``seed``, is an error that says to prepare again. Left at their defaults, those options
take the store's values.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._arrow import release_unused
from ._manifest import sha256_file
from ._objects import SOURCE_KINDS
from ._paths import exchange, refuse_inside, same_file, split_inputs
from ._timer import Timer
from ._version import VERSION
from .actions import ActionStats, posts_to_actions
from .errors import InputError, OutputError, ParameterError
from .options import DetectOptions
from .progress import Progress, null_progress
from .schema import ACTION_SCHEMA, ALL_KINDS, POST_SCHEMA
from .stages.coactions import CODE_COLUMNS, CodedFile, code_actions
from .stages.posts import posts_relation

if TYPE_CHECKING:
    from .ingest import Ingested, InputOptions
    from .neartext import TextClusters
    from .paraphrase import ParaphraseClusters

__all__ = [
    "ACTION_PARAMETERS",
    "STORE_FILE",
    "Prepared",
    "check_store_path",
    "for_run",
    "helpers",
    "is_store",
    "kinds_chosen",
    "open_store",
    "prepare",
    "save_store",
    "shortened_links",
]

#: The file that makes a folder a store.
STORE_FILE = "store.json"
_FORMAT = "inconcert-store"
_VERSION = 2  # 2: the actions' codes
#: The options the actions depend on, and the kinds each matters for.
ACTION_PARAMETERS: dict[str, frozenset[str]] = {
    "min_text_chars": frozenset({"text", "neartext", "paraphrase"}),
    "strip_hashtags": frozenset({"text", "neartext", "paraphrase"}),
    "similarity": frozenset({"neartext", "paraphrase"}),
    "paraphrase_similarity": frozenset({"paraphrase"}),
    "seed": frozenset({"neartext", "paraphrase"}),
}
#: The posts' columns a run reads after the actions stage (the evidence, the null model).
_POST_COLUMNS = ("post_id", "account_id", "timestamp", "text", "permalink", "account_name")
_SIMILAR_KINDS = ("neartext", "paraphrase")
#: The store's actions file: the actions, then their ids, times and codes as a run loads them.
_ACTIONS_FILE_SCHEMA = pa.schema(
    [*ACTION_SCHEMA, *(pa.field(name, pa.int64(), False) for name in CODE_COLUMNS)]
)
#: The first columns of the store's posts (:func:`inconcert.stages.posts.posts_relation`).
_POSTS_FIRST_COLUMNS = ["post_row", "post_id", "account_id", "t"]
#: Rows per row group of the store's posts: the engine reads the file in parallel, a row group
#: per thread (1M posts in one group took 0.35 s to scan on 2 cores, in 122,880-row groups
#: 0.21 s; DuckDB's own tables use that size).
ROW_GROUP_ROWS = 122_880


@dataclass
class Prepared:
    """The read inputs and their actions, ready for detection (:func:`prepare`,
    :func:`open_store`).

    ``options``: the options the actions were made with, their ``kinds`` those of the actions
    (an actions table brings its own); ``ingested``: the read's report without its rows
    (files, rejects, referenced posts); ``actions`` and ``posts``: the tables (``posts`` None
    for an actions table), taken once each by the run (:meth:`take_actions`,
    :meth:`take_posts`); ``stats``: the actions stage's counts; ``shortened``: the counts of
    shortened links among the url actions; ``store``: where and what the store was, when it
    was opened from one.
    """

    options: DetectOptions
    ingested: Ingested
    actions: pa.Table | None
    posts: pa.Table | None
    stats: ActionStats
    shortened: dict[str, Any] | None = None
    store: dict[str, Any] | None = None
    #: A store's posts relation (:func:`inconcert.stages.posts.posts_relation`) as a Parquet
    #: file, which the engine reads itself, in place of ``posts``.
    posts_file: Path | None = None
    #: A store's actions file: the actions as a run loads them
    #: (:func:`inconcert.stages.coactions.code_actions`) and the kinds' codes, while they are
    #: those of the run (all the store's kinds). ``actions`` is read from it when first asked
    #: for (:meth:`actions_table`).
    coded: CodedFile | None = None
    #: A store's files as they were opened (:func:`_identity`), for :meth:`check_unchanged`.
    opened: Mapping[Path, tuple[int, ...]] | None = None

    def check_unchanged(self) -> None:
        """Raise :class:`~inconcert.errors.InputError` when a file of the store this was
        opened from is no longer the file that was opened (the store was prepared again into
        the same folder, or a file was rewritten): a run that read it meanwhile may have read
        parts of two stores. A run checks once the engine has read what it needs."""
        for file, identity in (self.opened or {}).items():
            _check_identity(file, identity)

    def actions_table(self) -> pa.Table:
        """The actions (read from a store's file the first time)."""
        if self.actions is None and self.coded is not None:
            self.actions = _read_actions(self.coded.path)
        assert self.actions is not None, "the actions were taken already"
        return self.actions

    def take_actions(self) -> pa.Table:
        actions = self.actions_table()
        self.actions = self.coded = None
        return actions

    def take_coded(self) -> CodedFile | None:
        """The store's coded actions file, when its actions are those of the run (else None);
        taking it takes the actions too."""
        coded, self.coded = self.coded, None
        if coded is not None:
            self.actions = None
        return coded

    def take_posts(self) -> pa.Table | None:
        posts, self.posts = self.posts, None
        return posts


def prepare(
    inputs: Any,
    *,
    options: DetectOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    objects: Mapping[str, str] | None = None,
    shape: str = "auto",
    read_options: InputOptions | None = None,
    progress: Progress = null_progress,
    timer: Timer | None = None,
) -> Prepared:
    """Read ``inputs`` and make their actions: the stages ``read`` and ``actions`` of
    :func:`inconcert.detect`, with the same parameters (``options``: the kinds and the
    actions' parameters; the rest are :func:`inconcert.ingest.read_inputs`'). Save the result
    with :func:`save_store`."""
    from ._tables import prepared_inputs
    from .ingest import read_inputs

    options = options or DetectOptions()
    timer = timer or Timer(progress)
    for given in inputs if isinstance(inputs, list | tuple) else [inputs]:
        if isinstance(given, str | os.PathLike) and is_store(given):
            raise InputError(
                os.fspath(given),
                "is a prepared store, not an input",
                hint="detect on it alone, or prepare from the files it was made from",
            )
    with timer.stage("read"), prepared_inputs(inputs) as staged:
        try:
            ingested = read_inputs(
                staged.paths,
                mapping=mapping,
                objects=objects,
                shape=shape,
                progress=progress,
                options=read_options,
            )
        except InputError as exc:
            raise staged.translate(exc) from None
        ingested = staged.ingested(ingested)
    del staged  # it holds an in-memory input's Arrow copy
    release_unused()  # the read's freed buffers (the raw files) back to the system
    posts = ingested.table if ingested.shape == "posts" else None
    stats = ActionStats()
    with timer.stage("actions"):
        if posts is not None:
            actions, stats = posts_to_actions(
                posts,
                options.kinds,
                min_text_chars=options.min_text_chars,
                strip_hashtags=options.strip_hashtags,
                similarity=options.similarity,
                paraphrase_similarity=options.paraphrase_similarity,
                seed=options.seed,
                helpers=helpers(options),
            )
        else:
            actions = ingested.table
            present = set(pc.unique(actions.column("kind")).to_pylist())
            unknown = sorted(present - set(ALL_KINDS))
            if unknown:
                raise InputError(
                    ingested.files[0].path if len(ingested.files) == 1 else None,
                    f"unknown kind(s) in the actions table: {', '.join(map(repr, unknown))}",
                    hint=f"kinds are {', '.join(ALL_KINDS)}",
                )
            if not kinds_chosen(options):
                # A ready-made actions table brings its own kinds: compare all of them.
                options = replace(options, kinds=tuple(sorted(present)) or options.kinds)
            actions, stats = _table_actions(actions, options.kinds)
        release_unused()  # and the normalisation's intermediates
    for beside in (ingested.permalinks, ingested.account_names):
        if posts is not None and beside is not None:
            posts = _with_column(posts, beside)
    if posts is not None:
        posts = posts.select([c for c in _POST_COLUMNS if c in posts.column_names])
    shortened = shortened_links(actions, canonical=posts is not None)
    return Prepared(
        options=options,
        ingested=ingested.without_table(),
        actions=actions,
        posts=posts,
        stats=stats,
        shortened=shortened,
    )


def _table_actions(actions: pa.Table, kinds: Sequence[str]) -> tuple[pa.Table, ActionStats]:
    """The rows of a ready-made actions table of ``kinds``, and their counts."""
    actions = actions.filter(pc.is_in(actions.column("kind"), pa.array(sorted(set(kinds)))))
    stats = ActionStats()
    stats.posts = len(pc.unique(actions.column("post_id")))
    stats.posts_with_actions = stats.posts
    counts = actions.group_by("kind").aggregate([("post_id", "count")]).to_pylist()
    stats.actions_by_kind = {r["kind"]: r["post_id_count"] for r in counts}
    return actions, stats


def helpers(options: DetectOptions) -> int:
    """Helper processes for the actions stage's Python work: one per core beyond this one
    (``threads`` of them in all, when given)."""
    if options.threads is not None:
        return options.threads - 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every system
        cores = os.cpu_count() or 1
    return cores - 1


def kinds_chosen(options: DetectOptions) -> bool:
    """Whether ``options`` name kinds other than the default ones."""
    return options.kinds != DetectOptions().kinds


def _with_column(posts: pa.Table, beside: pa.Table) -> pa.Table:
    """The posts with the column a ``post_id, <column>`` table gives them: ``permalink`` (the
    evidence's links back to the source), ``account_name`` (the accounts' names)."""
    name = beside.column_names[1]
    index = pc.index_in(posts.column("post_id"), value_set=beside.column("post_id"))
    return posts.append_column(name, beside.column(name).take(index))


def shortened_links(actions: pa.Table, *, canonical: bool) -> dict[str, Any] | None:
    """Count the url actions whose link is shortened (t.co, bit.ly, ...), for the manifest.
    Links made from posts are already canonical (``canonical``), so they are not
    canonicalised again."""
    from .normalize import canonical_urls
    from .normalize import shortened_links as shortened

    urls = actions.filter(pc.equal(actions.column("kind"), "url")).column("object_id")
    if len(urls) == 0:
        return None
    counts = pc.value_counts(urls)
    links = counts.field("values")
    short = shortened(links if canonical else canonical_urls(links))
    domains: dict[str, int] = {}
    distinct = total = 0
    for i in short.nonzero()[0].tolist():
        link, n = links[i].as_py(), counts.field("counts")[i].as_py()
        host = link.split("://", 1)[-1].split("/", 1)[0]
        domains[host] = domains.get(host, 0) + n
        distinct += 1
        total += n
    return {
        "url_actions": len(urls),
        "shortened_url_actions": total,
        "shortened_links": distinct,
        "by_domain": dict(sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


# --------------------------------------------------------------------------------------------
# A run on a store
# --------------------------------------------------------------------------------------------


def for_run(
    prepared: Prepared, options: DetectOptions, given: Collection[str] | None = None
) -> tuple[Prepared, DetectOptions]:
    """The store's actions for a run with ``options``: its kinds (all of the store's when
    none are given, else a subset of them) and, for the kinds they matter to, the action
    parameters the store was made with: an option not given takes the store's value, another
    value than the store's is an error. ``given`` names the options the caller set (the
    command line knows); without it, an option at its default counts as not given."""
    made = prepared.options
    where = (prepared.store or {}).get("path", "the store")
    defaults = DetectOptions()

    def set_(name: str) -> bool:
        if given is not None:
            return name in given
        return getattr(options, name) != getattr(defaults, name)

    kinds = options.kinds if set_("kinds") else made.kinds
    missing = [k for k in kinds if k not in made.kinds]
    if missing:
        raise ParameterError(
            "kinds",
            f"kinds the store {where} holds ({', '.join(made.kinds)}): prepare it again with "
            "--kinds naming every kind to compare",
            ",".join(missing),
        )
    chosen: dict[str, object] = {"kinds": tuple(kinds)}
    for name, matters in ACTION_PARAMETERS.items():
        if not matters.intersection(kinds):
            continue  # the run's own value (the seed also seeds the communities)
        asked, stored = getattr(options, name), getattr(made, name)
        if not set_(name):
            chosen[name] = stored
        elif asked != stored:
            raise ParameterError(
                name.replace("_", "-"),
                f"the store's value, {stored!r} ({where} made its {', '.join(sorted(matters))} "
                "actions with it): prepare it again to change it",
                asked,
            )
    options = replace(options, **chosen)  # type: ignore[arg-type]
    if set(kinds) == set(made.kinds):
        return prepared, options
    actions = prepared.take_actions()
    actions = actions.filter(pc.is_in(actions.column("kind"), pa.array(sorted(set(kinds)))))
    if prepared.ingested.shape == "actions":
        stats = _table_actions(actions, kinds)[1]
    else:
        stats = _stats_of(prepared.stats, actions, kinds)
    return replace(
        prepared,
        actions=actions,
        coded=None,  # the codes of all the store's actions are not those of a subset
        stats=stats,
        shortened=prepared.shortened if "url" in kinds else None,
    ), options


def _stats_of(stats: ActionStats, actions: pa.Table, kinds: Sequence[str]) -> ActionStats:
    """The actions stage's counts for ``kinds`` only, as a run making only those would give."""
    out = ActionStats(posts=stats.posts, reposts=stats.reposts)
    out.actions_by_kind = {k: stats.actions_by_kind.get(k, 0) for k in kinds}
    out.posts_with_actions = len(pc.unique(actions.column("post_id"))) if actions.num_rows else 0
    if "text" in kinds:
        out.texts_too_short = stats.texts_too_short
    if "url" in kinds or "domain" in kinds:
        out.values_not_usable = dict(stats.values_not_usable)
    out.clusters = {k: v for k, v in stats.clusters.items() if k in kinds}
    return out


# --------------------------------------------------------------------------------------------
# Saving and opening
# --------------------------------------------------------------------------------------------


def is_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a store's folder (it holds :data:`STORE_FILE`)."""
    p = Path(path)
    return p.is_dir() and (p / STORE_FILE).is_file()


def check_store_path(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """``path`` as a store's folder to write (resolved), or an
    :class:`~inconcert.errors.OutputError`: it is a file or a symbolic link, an input file,
    an input folder or inside one (the next read of that folder would take the store's files
    for input), it holds a store and ``overwrite`` is not given, it holds a store and files
    that are not the store's, or it is a folder that is not empty and holds no store (never
    replaced)."""
    given = Path(path)
    if given.is_symlink():
        raise OutputError(given, "is a symbolic link", hint="name the folder itself")
    real = given.resolve()
    files, folders = split_inputs(inputs)
    if any(same_file(real, f) for f in files):
        raise OutputError(given, "is one of the input files", hint="choose a new folder")
    refuse_inside(
        given,
        real,
        folders,
        "the next read of that folder would take the store's files for input; choose a folder "
        "outside it",
    )
    if real.exists():
        if not real.is_dir():
            raise OutputError(given, "exists and is not a folder")
        if is_store(real):
            if not overwrite:
                raise OutputError(
                    given, "already holds a store", hint="pass --overwrite to replace it"
                )
            own = set(_listed_files(real)) | {STORE_FILE}
            foreign = sorted(p.name for p in real.iterdir() if p.name not in own)
            if foreign:
                raise OutputError(
                    given,
                    f"holds a store and files that are not the store's ({', '.join(foreign[:5])})",
                    hint="move them away, or choose another folder",
                )
        elif any(real.iterdir()):
            raise OutputError(
                given,
                "is a folder that is not empty and holds no store",
                hint="choose a new or empty folder",
            )
    return real


def _listed_files(folder: Path) -> list[str]:
    """The files a store's description lists (none when it cannot be read)."""
    try:
        meta = json.loads((folder / STORE_FILE).read_text(encoding="utf-8"))
        return [str(name) for name in meta["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_store(
    prepared: Prepared,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    argv: Sequence[str] | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``prepared`` into the folder ``path`` (see the module's table): into a fresh
    folder beside it, then put in its place (:func:`_swap`), so that an interruption leaves
    the old store or the new one. An existing store is replaced only with ``overwrite``;
    another non-empty folder, or one inside an input folder of ``inputs``, never
    (:func:`check_store_path`). Returns the folder, resolved."""
    real = check_store_path(path, overwrite=overwrite, inputs=inputs)
    if prepared.actions is None and prepared.coded is None:
        raise ParameterError("prepared", "prepared inputs whose actions are not yet taken", None)
    real.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.inconcert-tmp-", dir=real.parent))
    try:
        coded, kind_codes = code_actions(prepared.actions_table())
        files = _write_files(prepared, coded, staging)
        meta = _description(prepared, files, argv, kind_codes)
        (staging / STORE_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _swap(staging, real)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(real, f"cannot be written: {err.strerror or err}") from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return real


def _swap(staging: Path, real: Path) -> None:
    """Put the folder ``staging`` at ``real``: in one step where the system can swap two
    folders (Linux), else the old folder is moved aside first and removed once the new one is
    in place (an interruption between the two leaves it at ``.NAME.inconcert-old-PID``)."""
    if not real.exists():
        staging.rename(real)
        return
    if exchange(staging, real):  # staging now holds the old store
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = real.with_name(f".{real.name}.inconcert-old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    real.rename(old)
    try:
        staging.rename(real)
    except BaseException:
        old.rename(real)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_files(prepared: Prepared, coded: pa.Table, folder: Path) -> dict[str, dict[str, Any]]:
    """The store's tables and arrays in ``folder``; each file's name, size and SHA-256."""
    actions = prepared.actions_table().select(ACTION_SCHEMA.names)
    for name in CODE_COLUMNS:
        actions = actions.append_column(pa.field(name, pa.int64(), False), coded.column(name))
    pq.write_table(actions, folder / "actions.parquet", row_group_size=ROW_GROUP_ROWS)
    if prepared.posts is not None:
        posts = _citable(posts_relation(prepared.posts, unique=True), actions)
        # row groups: DuckDB reads a file a row group per thread
        pq.write_table(posts, folder / "posts.parquet", row_group_size=ROW_GROUP_ROWS)
    elif prepared.posts_file is not None:  # a store's, written again
        shutil.copyfile(prepared.posts_file, folder / "posts.parquet")
    pq.write_table(prepared.ingested.rejects, folder / "rejects.parquet")
    if prepared.ingested.references is not None:
        pq.write_table(prepared.ingested.references, folder / "references.parquet")
    for kind, clusters in prepared.stats.clusters.items():
        _write_similar(kind, clusters, folder)
    return {
        p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(folder.iterdir())
    }


def _citable(posts: pa.Table, actions: pa.Table) -> pa.Table:
    """The posts relation with the texts and links of only the posts a run can cite: those
    with an action, and those an action refers to (a repost's, quote's or reply's original);
    the others' are null. A run reads every other column of every post (the null model, the
    accounts' names), but only those texts and links (the evidence), and loading the texts of
    the posts without an action of the store's kinds was most of a run from a store."""
    cited = [actions.column("post_id")]
    refers = pc.is_in(actions.column("kind"), pa.array(sorted(SOURCE_KINDS), pa.string()))
    cited.append(actions.column("object_id").filter(refers))
    keep = pc.is_in(posts.column("post_id"), pa.chunked_array(cited, pa.string()).unique())
    for name in ("text", "permalink"):
        if name in posts.column_names:
            i = posts.column_names.index(name)
            column = posts.column(name)
            posts = posts.set_column(
                i, name, pc.if_else(keep, column, pa.scalar(None, column.type))
            )
    return posts


def _write_similar(kind: str, clusters: TextClusters | ParaphraseClusters, folder: Path) -> None:
    if kind == "paraphrase":
        vectors, rows = clusters._embeddings, clusters._row_of_text  # type: ignore[union-attr]
    else:
        vectors, rows = _pairable(clusters)
    pq.write_table(
        pa.table({"label": clusters.labels, "row": pa.array(rows, pa.int64())}),
        folder / f"{kind}-rows.parquet",
    )
    pq.write_table(clusters.clusters, folder / f"{kind}-clusters.parquet")
    np.save(folder / f"{kind}-vectors.npy", np.ascontiguousarray(vectors), allow_pickle=False)


def _pairable(clusters: TextClusters | ParaphraseClusters) -> tuple[np.ndarray, np.ndarray]:
    """The signatures of only the texts a run can compare, and each post's row among them
    (-1: none). A run compares two posts' texts only when they co-act on one cluster, so
    only the texts of clusters with more than one post (the ``clusters`` table) are ever
    asked for: at 1M posts, 51k of 475k distinct texts (26 MB of signatures, not 243 MB)."""
    signatures = clusters._signatures  # type: ignore[union-attr]
    rows = np.asarray(clusters._row_of_text, dtype=np.int64)
    member = pc.is_in(clusters.labels, value_set=clusters.clusters.column("object_id"))
    asked = np.asarray(pc.fill_null(member, False).to_numpy(zero_copy_only=False), dtype=bool)
    asked &= rows >= 0
    needed = np.unique(rows[asked])
    index = np.full(len(signatures), -1, dtype=np.int64)
    index[needed] = np.arange(len(needed), dtype=np.int64)
    row_of_text = np.full(len(rows), -1, dtype=np.int64)
    row_of_text[asked] = index[rows[asked]]
    return signatures[needed], row_of_text


def _read_actions(file: Path) -> pa.Table:
    """The actions of a store's actions file (:func:`open_store` checked its columns)."""
    try:
        return pq.read_table(file, columns=ACTION_SCHEMA.names)
    except (OSError, pa.ArrowException) as err:
        raise InputError(str(file), f"cannot be read: {err}") from None


def _similar_counts(kind: str, clusters: TextClusters | ParaphraseClusters) -> dict[str, int]:
    if kind == "paraphrase":
        return {
            "embedded": clusters.embedded,  # type: ignore[union-attr]
            "similar_pairs": clusters.similar_pairs,  # type: ignore[union-attr]
        }
    return {
        "skipped": clusters.skipped,  # type: ignore[union-attr]
        "candidate_pairs": clusters.candidate_pairs,  # type: ignore[union-attr]
        "verified_pairs": clusters.verified_pairs,  # type: ignore[union-attr]
    }


def _description(
    prepared: Prepared,
    files: Mapping[str, Any],
    argv: Sequence[str] | None,
    kind_codes: Mapping[str, int],
) -> dict[str, Any]:
    ing, stats = prepared.ingested, prepared.stats
    options = prepared.options
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "inconcert_version": VERSION,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": list(argv) if argv is not None else None,
        "shape": ing.shape,
        "kinds": list(options.kinds),
        "parameters": {name: getattr(options, name) for name in ACTION_PARAMETERS},
        "inputs": [f.as_dict() for f in ing.files],
        "actions": {
            "posts": stats.posts,
            "posts_with_actions": stats.posts_with_actions,
            "actions_by_kind": dict(stats.actions_by_kind),
            "texts_too_short": stats.texts_too_short,
            "reposts": stats.reposts,
            "values_not_usable": dict(stats.values_not_usable),
            "clusters": {k: _similar_counts(k, v) for k, v in stats.clusters.items()},
        },
        "shortened_links": prepared.shortened,
        "kind_codes": dict(kind_codes),
        "files": dict(files),
    }


def open_store(path: str | os.PathLike[str]) -> Prepared:
    """The prepared inputs a store's folder holds (:func:`save_store`).

    A folder that is not a store, a store of another format version, a description with a
    field missing or of the wrong type, or a file of the store that is missing, of another
    size than the store wrote, of the wrong columns or of other row counts than the
    description gives, is an :class:`~inconcert.errors.InputError` naming the file. (Each
    file's SHA-256 is in ``store.json``, whose own SHA-256 a run's manifest gives; they are
    not recomputed on every run.)"""
    from ._ingested import REJECTS_SCHEMA, Ingested

    folder = Path(path).resolve()
    marker = folder / STORE_FILE
    try:
        text = marker.read_bytes()
        meta = json.loads(text.decode("utf-8"))
    except FileNotFoundError:
        raise InputError(str(folder), f"is not a store: it has no {STORE_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(str(marker), f"cannot be read as a store's description: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise InputError(str(marker), "is not an inconcert store's description")
    version = meta.get("version")
    if type(version) is not int or version != _VERSION:
        raise InputError(
            str(marker),
            f"is a store of format version {version!r}; this inconcert reads version {_VERSION}",
            hint="prepare it again with this version",
        )
    try:
        described = _Description.read(meta)
    except (KeyError, TypeError, ValueError, AttributeError, ParameterError) as err:
        raise InputError(str(marker), f"is not a complete store description ({err})") from None
    opened = {marker: _identity(marker)}  # each file as opened, for Prepared.check_unchanged
    for name, size in described.sizes.items():
        file = folder / name
        if not file.is_file():
            raise InputError(str(file), "is missing from the store")
        opened[file] = _identity(file)
        if opened[file][_SIZE] != size:
            raise InputError(
                str(file),
                f"has {opened[file][_SIZE]:,} bytes, the store wrote {size:,}: it was changed",
                hint="prepare the store again",
            )

    def listed(name: str) -> Path:
        file = folder / name
        if name not in described.sizes:
            raise InputError(str(file), "is missing from the store's description")
        return file

    def table(name: str, schema: pa.Schema | None = None, rows: int | None = None) -> pa.Table:
        file = listed(name)
        _check_identity(file, opened[file])  # read later (rejects): still the store opened
        try:
            got = pq.read_table(file)
        except (OSError, pa.ArrowException) as err:
            raise InputError(str(file), f"cannot be read: {err}") from None
        if schema is not None and not got.schema.equals(schema):
            raise InputError(str(file), f"does not hold the store's columns ({got.schema.names})")
        if rows is not None and got.num_rows != rows:
            raise InputError(
                str(file), f"has {got.num_rows:,} rows, the store's description {rows:,}"
            )
        return got

    def columns(name: str, rows: int) -> pa.Schema:
        """The columns of a file the engine reads itself, and that it has ``rows`` rows,
        from its metadata (its rows are read when a run needs them)."""
        file = listed(name)
        try:
            meta_file = pq.read_metadata(file)
            schema = meta_file.schema.to_arrow_schema()
        except (OSError, pa.ArrowException) as err:
            raise InputError(str(file), f"cannot be read: {err}") from None
        if meta_file.num_rows != rows:
            raise InputError(
                str(file), f"has {meta_file.num_rows:,} rows, the store's description {rows:,}"
            )
        return schema

    stats = described.stats
    actions_file = folder / "actions.parquet"
    got = columns(actions_file.name, sum(stats.actions_by_kind.values()))
    if not got.equals(_ACTIONS_FILE_SCHEMA):
        raise InputError(str(actions_file), f"does not hold the store's columns ({got.names})")
    posts_file = None
    if described.shape == "posts":
        posts_file = folder / "posts.parquet"
        if columns(posts_file.name, stats.posts).names[:4] != _POSTS_FIRST_COLUMNS:
            raise InputError(str(posts_file), "does not hold a store's posts")
    references = table("references.parquet") if "references.parquet" in described.sizes else None
    similar: dict[str, Any] = {}
    for kind in _SIMILAR_KINDS:
        if kind in described.clusters:
            similar[kind] = _open_similar(
                kind, folder, table, described.clusters[kind], stats.posts, similar
            )
    stats.clusters = similar
    ingested = Ingested(
        shape=described.shape,
        table=(POST_SCHEMA if described.shape == "posts" else ACTION_SCHEMA).empty_table(),
        files=described.inputs,
        rejects=lambda: table("rejects.parquet", REJECTS_SCHEMA),
        references=references,
    )
    return Prepared(
        options=described.options,
        ingested=ingested,
        actions=None,  # read from the file when asked for (Prepared.actions_table)
        posts=None,
        posts_file=posts_file,
        coded=CodedFile(actions_file, described.kind_codes),
        stats=stats,
        shortened=described.shortened,
        opened=opened,
        store={
            "path": str(folder),
            "created_at": meta.get("created_at"),
            "inconcert_version": meta.get("inconcert_version"),
            "sha256": hashlib.sha256(text).hexdigest(),
        },
    )


#: Where :func:`_identity` puts the file's size.
_SIZE = 2


def _identity(file: Path) -> tuple[int, ...]:
    """What tells one file at a path from another: device, inode, size, modification time."""
    st = file.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _check_identity(file: Path, opened: tuple[int, ...]) -> None:
    try:
        now: tuple[int, ...] | None = _identity(file)
    except OSError:
        now = None
    if now != opened:
        raise InputError(
            str(file.parent),
            f"was replaced or changed while this run read it ({file.name} is no longer the "
            "file it opened): the run may have read parts of two stores",
            hint="run again once the store is no longer being prepared (prepare --overwrite "
            "replaces a store in place)",
        )


def _count(value: object) -> int:
    """A count of the description: a whole number >= 0 (not a boolean)."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        raise TypeError(f"{value!r} is not a mapping of counts")
    return {str(k): _count(v) for k, v in value.items()}


def _file_name(name: object) -> str:
    """A file of the store: a plain name in its folder."""
    if not isinstance(name, str) or not name or name != Path(name).name or name.startswith("."):
        raise ValueError(f"{name!r} is not a file name of the store")
    return name


@dataclass
class _Description:
    """What ``store.json`` says, checked field by field."""

    shape: str
    options: DetectOptions
    inputs: tuple[Any, ...]
    stats: ActionStats
    clusters: dict[str, dict[str, int]]
    shortened: dict[str, Any] | None
    sizes: dict[str, int]
    kind_codes: dict[str, int]

    @classmethod
    def read(cls, meta: Mapping[str, Any]) -> _Description:
        from ._ingested import FileReport

        shape = meta["shape"]
        if shape not in ("posts", "actions"):
            raise ValueError(f"shape {shape!r} is neither 'posts' nor 'actions'")
        kinds = meta["kinds"]
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise TypeError(f"kinds {kinds!r} is not a list of kinds")
        parameters = meta["parameters"]
        if not isinstance(parameters["strip_hashtags"], bool):
            raise TypeError(f"strip_hashtags {parameters['strip_hashtags']!r} is not true/false")
        options = DetectOptions(
            kinds=tuple(kinds), **{k: parameters[k] for k in ACTION_PARAMETERS}
        )  # checks the values
        inputs = tuple(
            FileReport(
                path=str(f["path"]),
                sha256=str(f["sha256"]),
                format=str(f["format"]),
                rows_read=_count(f["rows_read"]),
                rows_used=_count(f["rows_used"]),
                rejected=_counts(f["rejected"]),
            )
            for f in meta["inputs"]
        )
        counts = meta["actions"]
        stats = ActionStats(
            posts=_count(counts["posts"]),
            posts_with_actions=_count(counts["posts_with_actions"]),
            actions_by_kind=_counts(counts["actions_by_kind"]),
            texts_too_short=_count(counts["texts_too_short"]),
            reposts=_count(counts["reposts"]),
            values_not_usable=_counts(counts["values_not_usable"]),
        )
        clusters = {
            str(kind): _counts(c)
            for kind, c in dict(counts["clusters"]).items()
            if kind in _SIMILAR_KINDS
        }
        shortened = meta["shortened_links"]
        if shortened is not None:
            shortened = {
                "url_actions": _count(shortened["url_actions"]),
                "shortened_url_actions": _count(shortened["shortened_url_actions"]),
                "shortened_links": _count(shortened["shortened_links"]),
                "by_domain": _counts(shortened["by_domain"]),
            }
        sizes = {_file_name(k): _count(v["bytes"]) for k, v in dict(meta["files"]).items()}
        kind_codes = _counts(meta["kind_codes"])
        if not set(kind_codes) <= set(kinds) or sorted(kind_codes.values()) != list(
            range(len(kind_codes))
        ):
            raise ValueError(f"kind_codes {kind_codes!r} are not codes 0, 1, ... of its kinds")
        return cls(shape, options, inputs, stats, clusters, shortened, sizes, kind_codes)


def _open_similar(
    kind: str,
    folder: Path,
    table: Any,
    counts: Mapping[str, int],
    posts: int,
    opened: Mapping[str, Any],
) -> TextClusters | ParaphraseClusters:
    from .neartext import TextClusters

    rows_schema = pa.schema([("label", pa.string()), ("row", pa.int64())])
    rows = table(f"{kind}-rows.parquet", rows_schema, posts)
    clusters = table(f"{kind}-clusters.parquet")
    file = folder / f"{kind}-vectors.npy"
    try:
        vectors = np.load(file, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(str(file), f"cannot be read: {err}") from None
    labels = rows.column("label").combine_chunks()
    row_of_text = rows.column("row").to_numpy()
    if vectors.ndim != 2 or (len(row_of_text) and row_of_text.max() >= len(vectors)):
        raise InputError(str(file), f"does not hold the vectors of {kind}-rows.parquet")
    if kind == "paraphrase":
        from .paraphrase import ParaphraseClusters

        return ParaphraseClusters(
            labels=labels,
            clusters=clusters,
            near=opened.get("neartext"),  # type: ignore[arg-type]
            embedded=counts["embedded"],
            similar_pairs=counts["similar_pairs"],
            _embeddings=vectors,
            _row_of_text=row_of_text,
        )
    return TextClusters(
        labels=labels,
        clusters=clusters,
        skipped=counts["skipped"],
        candidate_pairs=counts["candidate_pairs"],
        verified_pairs=counts["verified_pairs"],
        _signatures=vectors,
        _row_of_text=row_of_text,
    )
