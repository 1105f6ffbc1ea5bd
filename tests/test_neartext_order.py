"""neartext does not depend on the order of the input rows (issue 12, item 7): the same posts
shuffled give the same clusters, representatives, edges, p- and q-values, groups and top_texts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inconcert.detect import detect
from inconcert.neartext import NearTextOptions, cluster_texts
from inconcert.options import DetectOptions
from inconcert.simulate import SimulationConfig, simulate

KEYS = {
    "edges": ["account_a", "account_b"],
    "groups": ["group_id"],
    "accounts": ["account_id"],
    "evidence": ["account_a", "account_b", "kind", "object_id", "post_a", "post_b"],
}


def _variants(rng: np.random.Generator, n_texts: int) -> list[str]:
    words = [f"w{i}" for i in range(400)]
    base = [" ".join(rng.choice(words, 25)) for _ in range(n_texts)]
    out = []
    for text in base:
        for _ in range(int(rng.integers(1, 12))):
            tokens = text.split()
            tokens[int(rng.integers(0, len(tokens)))] = str(rng.choice(words))
            out.append(" ".join(tokens))
    return out


def test_clusters_do_not_depend_on_input_order() -> None:
    rng = np.random.default_rng(5)
    # many copies of few texts overflow LSH buckets, where order used to decide the pairs
    texts = _variants(rng, 40) * 3 + ["same text for everyone, again and again"] * 50
    opts = NearTextOptions(max_bucket_neighbours=2)
    first = cluster_texts(texts, opts)
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(len(texts))
        other = cluster_texts([texts[i] for i in perm], opts)
        assert other.labels.to_pylist() == [first.labels[int(i)].as_py() for i in perm]
        assert other.clusters.equals(first.clusters)
        assert other.candidate_pairs == first.candidate_pairs


def test_detect_neartext_on_shuffled_rows_is_identical(tmp_path: Path) -> None:
    sim = simulate(
        SimulationConfig.preset(
            "default",
            seed=3,
            n_organic=400,
            days=6,
            behaviours=("copypasta", "slow_copypasta", "mixed"),
        )
    )
    posts = sim.posts
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    pq.write_table(posts, paths[0])
    perm = np.random.default_rng(1).permutation(posts.num_rows)
    pq.write_table(posts.take(pa.array(perm)), paths[1])
    opts = DetectOptions(kinds=("neartext", "text", "url"), max_q=None, min_occasions=1)
    a, b = (detect([p], options=opts) for p in paths)
    assert a.edges.num_rows > 20 and a.groups.num_rows > 1
    for name, keys in KEYS.items():
        ta, tb = (getattr(r, name).sort_by([(k, "ascending") for k in keys]) for r in (a, b))
        assert ta.column_names == tb.column_names
        for column in ta.column_names:
            assert ta.column(column).equals(tb.column(column)), (name, column)
