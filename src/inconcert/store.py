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
``actions.parquet``          the actions (:data:`~inconcert.schema.ACTION_SCHEMA`)
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._objects import SOURCE_KINDS
from ._timer import Timer
from ._version import VERSION
from .actions import ActionStats, posts_to_actions
from .errors import InputError, OutputError, ParameterError
from .options import DetectOptions
from .progress import Progress, null_progress
from .schema import ACTION_SCHEMA, ALL_KINDS, POST_SCHEMA
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
    "is_store",
    "open_store",
    "prepare",
    "save_store",
]

#: The file that makes a folder a store.
STORE_FILE = "store.json"
_FORMAT = "inconcert-store"
_VERSION = 1
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

    def take_actions(self) -> pa.Table:
        actions, self.actions = self.actions, None
        assert actions is not None, "the actions were taken already"
        return actions

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


def release_unused() -> None:
    """Give the pages Arrow's memory pool keeps after frees back to the system. The pool
    (mimalloc or jemalloc) keeps them for reuse: at 3.3M posts, 0.8 GB after the read on top of
    the 0.5 GB the posts take, which the stages after it, DuckDB included, could not use."""
    pa.default_memory_pool().release_unused()


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


def for_run(prepared: Prepared, options: DetectOptions) -> tuple[Prepared, DetectOptions]:
    """The store's actions for a run with ``options``: its kinds (all of the store's when
    none are chosen, else a subset of them) and the action parameters the store was made with
    (an option left at its default takes the store's value; another value is an error)."""
    made = prepared.options
    where = (prepared.store or {}).get("path", "the store")
    kinds = options.kinds if kinds_chosen(options) else made.kinds
    missing = [k for k in kinds if k not in made.kinds]
    if missing:
        raise ParameterError(
            "kinds",
            f"kinds the store {where} holds ({', '.join(made.kinds)}): prepare it again with "
            "--kinds naming every kind to compare",
            ",".join(missing),
        )
    defaults = DetectOptions()
    chosen: dict[str, object] = {"kinds": tuple(kinds)}
    for name, matters in ACTION_PARAMETERS.items():
        asked, stored = getattr(options, name), getattr(made, name)
        if asked == getattr(defaults, name):
            chosen[name] = stored
            continue
        if not matters.intersection(kinds):
            continue
        if asked != stored:
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


def check_store_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """``path`` as a store's folder to write, or an :class:`~inconcert.errors.OutputError`: it
    is a file, it holds a store and ``overwrite`` is not given, or it is a folder that is not
    empty and holds no store (never replaced)."""
    real = Path(path)
    if real.exists():
        if not real.is_dir():
            raise OutputError(real, "exists and is not a folder")
        if is_store(real):
            if not overwrite:
                raise OutputError(
                    real, "already holds a store", hint="pass --overwrite to replace it"
                )
        elif any(real.iterdir()):
            raise OutputError(
                real,
                "is a folder that is not empty and holds no store",
                hint="choose a new or empty folder",
            )
    return real


def save_store(
    prepared: Prepared,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    argv: Sequence[str] | None = None,
) -> Path:
    """Write ``prepared`` into the folder ``path`` (see the module's table), whole or not at
    all: into a fresh folder beside it, then put in its place. An existing store is replaced
    only with ``overwrite``; another non-empty folder never. Returns the folder."""
    real = check_store_path(path, overwrite=overwrite)
    if prepared.actions is None:
        raise ParameterError("prepared", "prepared inputs whose actions are not yet taken", None)
    real.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.inconcert-tmp-", dir=real.parent))
    try:
        files = _write_files(prepared, staging)
        meta = _description(prepared, files, argv)
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
    """Put the folder ``staging`` at ``real``; the old folder, if any, goes once the new one
    is in place."""
    old = None
    if real.exists():
        old = real.with_name(f".{real.name}.inconcert-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        real.rename(old)
    try:
        staging.rename(real)
    except BaseException:
        if old is not None:
            old.rename(real)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_files(prepared: Prepared, folder: Path) -> dict[str, int]:
    """The store's tables and arrays in ``folder``; each file's name and size."""
    assert prepared.actions is not None
    pq.write_table(prepared.actions, folder / "actions.parquet")
    if prepared.posts is not None:
        posts = _citable(posts_relation(prepared.posts, unique=True), prepared.actions)
        pq.write_table(posts, folder / "posts.parquet")
    elif prepared.posts_file is not None:  # a store's, written again
        shutil.copyfile(prepared.posts_file, folder / "posts.parquet")
    pq.write_table(prepared.ingested.rejects, folder / "rejects.parquet")
    if prepared.ingested.references is not None:
        pq.write_table(prepared.ingested.references, folder / "references.parquet")
    for kind, clusters in prepared.stats.clusters.items():
        _write_similar(kind, clusters, folder)
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir())}


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
        vectors, rows = clusters._signatures, clusters._row_of_text  # type: ignore[union-attr]
    pq.write_table(
        pa.table({"label": clusters.labels, "row": pa.array(rows, pa.int64())}),
        folder / f"{kind}-rows.parquet",
    )
    pq.write_table(clusters.clusters, folder / f"{kind}-clusters.parquet")
    np.save(folder / f"{kind}-vectors.npy", np.ascontiguousarray(vectors), allow_pickle=False)


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
    prepared: Prepared, files: Mapping[str, int], argv: Sequence[str] | None
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
        "inputs": [
            {
                "path": f.path,
                "sha256": f.sha256,
                "format": f.format,
                "rows_read": f.rows_read,
                "rows_used": f.rows_used,
                "rejected": dict(f.rejected),
            }
            for f in ing.files
        ],
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
        "files": dict(files),
    }


def open_store(path: str | os.PathLike[str]) -> Prepared:
    """The prepared inputs a store's folder holds (:func:`save_store`). A folder that is not a
    store, a store of another format version, or a file of it that is missing, changed in
    size or unreadable, is an :class:`~inconcert.errors.InputError` naming the file."""
    from .ingest import FileReport, Ingested

    folder = Path(path)
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
    if meta.get("version") != _VERSION:
        raise InputError(
            str(marker),
            f"is a store of format version {meta.get('version')!r}; this inconcert reads "
            f"version {_VERSION}",
            hint="prepare it again with this version",
        )
    try:
        files: dict[str, int] = dict(meta["files"])
        for name, size in files.items():
            file = folder / name
            if not file.is_file():
                raise InputError(str(file), "is missing from the store")
            if file.stat().st_size != size:
                raise InputError(
                    str(file),
                    f"has {file.stat().st_size:,} bytes, the store wrote {size:,}: it was changed",
                    hint="prepare the store again",
                )
        parameters = meta["parameters"]
        options = DetectOptions(
            kinds=tuple(meta["kinds"]), **{k: parameters[k] for k in ACTION_PARAMETERS}
        )
        shape = meta["shape"]
        reports = tuple(
            FileReport(
                path=f["path"],
                sha256=f["sha256"],
                format=f["format"],
                rows_read=int(f["rows_read"]),
                rows_used=int(f["rows_used"]),
                rejected={str(k): int(v) for k, v in f["rejected"].items()},
            )
            for f in meta["inputs"]
        )
        counts = meta["actions"]
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(str(marker), f"is not a complete store description ({err!r})") from None

    def table(name: str) -> pa.Table:
        try:
            return pq.read_table(folder / name)
        except (OSError, pa.ArrowException) as err:
            raise InputError(str(folder / name), f"cannot be read: {err}") from None

    actions = table("actions.parquet")
    if actions.schema != ACTION_SCHEMA:
        raise InputError(str(folder / "actions.parquet"), "does not hold a store's actions")
    posts_file = folder / "posts.parquet" if "posts.parquet" in files else None
    if posts_file is not None:
        try:
            names = pq.read_schema(posts_file).names
        except (OSError, pa.ArrowException) as err:
            raise InputError(str(posts_file), f"cannot be read: {err}") from None
        if names[:4] != ["post_row", "post_id", "account_id", "t"]:
            raise InputError(str(posts_file), "does not hold a store's posts")
    references = table("references.parquet") if "references.parquet" in files else None
    stats = ActionStats(
        posts=int(counts["posts"]),
        posts_with_actions=int(counts["posts_with_actions"]),
        actions_by_kind={str(k): int(v) for k, v in counts["actions_by_kind"].items()},
        texts_too_short=int(counts["texts_too_short"]),
        reposts=int(counts["reposts"]),
        values_not_usable={str(k): int(v) for k, v in counts["values_not_usable"].items()},
    )
    similar: dict[str, Any] = {}
    for kind in _SIMILAR_KINDS:
        if f"{kind}-rows.parquet" in files:
            similar[kind] = _open_similar(kind, folder, table, counts["clusters"][kind], similar)
    stats.clusters = similar
    ingested = Ingested(
        shape=shape,
        table=(POST_SCHEMA if shape == "posts" else ACTION_SCHEMA).empty_table(),
        files=reports,
        rejects=lambda: table("rejects.parquet"),
        references=references,
    )
    return Prepared(
        options=options,
        ingested=ingested,
        actions=actions,
        posts=None,
        posts_file=posts_file,
        stats=stats,
        shortened=meta.get("shortened_links"),
        store={
            "path": str(folder),
            "created_at": meta.get("created_at"),
            "inconcert_version": meta.get("inconcert_version"),
            "sha256": hashlib.sha256(text).hexdigest(),
        },
    )


def _open_similar(
    kind: str,
    folder: Path,
    table: Any,
    counts: Mapping[str, int],
    opened: Mapping[str, Any],
) -> TextClusters | ParaphraseClusters:
    from .neartext import TextClusters

    rows = table(f"{kind}-rows.parquet")
    clusters = table(f"{kind}-clusters.parquet")
    try:
        vectors = np.load(folder / f"{kind}-vectors.npy", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(str(folder / f"{kind}-vectors.npy"), f"cannot be read: {err}") from None
    labels = rows.column("label").combine_chunks()
    row_of_text = rows.column("row").to_numpy()
    if kind == "paraphrase":
        from .paraphrase import ParaphraseClusters

        return ParaphraseClusters(
            labels=labels,
            clusters=clusters,
            near=opened.get("neartext"),  # type: ignore[arg-type]
            embedded=int(counts["embedded"]),
            similar_pairs=int(counts["similar_pairs"]),
            _embeddings=vectors,
            _row_of_text=row_of_text,
        )
    return TextClusters(
        labels=labels,
        clusters=clusters,
        skipped=int(counts["skipped"]),
        candidate_pairs=int(counts["candidate_pairs"]),
        verified_pairs=int(counts["verified_pairs"]),
        _signatures=vectors,
        _row_of_text=row_of_text,
    )
