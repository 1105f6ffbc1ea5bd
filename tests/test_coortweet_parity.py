"""Parity with CooRTweet 2.1.3 on the German 2021 election data (../shared/reference/coortweet)."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inconcert.compat.coortweet import (
    detect_groups,
    flag_speed_share,
    generate_coordinated_network,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = SHARED / "data" / "german_elections.parquet"
REF = SHARED / "reference" / "coortweet"

pytestmark = pytest.mark.skipif(
    not (DATA.exists() and REF.exists()),
    reason="../shared/data and ../shared/reference are not beside the repo",
)

PREFIXES = {"url_id": "url_", "domain_id": "url_", "hashtag_id": "hashtag_", "phash_id": "hash_"}


def _prepare(column: str) -> pa.Table:
    """The vignette's prep_data + unique + NA drop + prefix, in R's row order."""
    raw = pq.read_table(DATA)
    con = duckdb.connect()
    con.register("raw", raw)
    prefix = PREFIXES[column]
    return con.sql(
        f"""
        WITH d AS (
            SELECT CAST({column} AS VARCHAR) AS object_id, account_id,
                   CAST(post_id AS VARCHAR) AS content_id, timestamp AS timestamp_share,
                   ROW_NUMBER() OVER () AS r
            FROM raw
        ), u AS (
            SELECT *, ROW_NUMBER() OVER (
                PARTITION BY object_id, account_id, content_id, timestamp_share ORDER BY r) AS k
            FROM d
        )
        SELECT '{prefix}' || object_id AS object_id, account_id, content_id, timestamp_share
        FROM u WHERE k = 1 AND object_id IS NOT NULL ORDER BY r
        """
    ).to_arrow_table()


def _read_ref(name: str) -> list[dict[str, str]]:
    with open(REF / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _num(v: object) -> str:
    if v is None or v == "NA":
        return "NA"
    f = float(v)  # type: ignore[arg-type]
    if math.isnan(f):
        return "NA"
    return f"{f:.10g}"


def _rows(table: pa.Table, columns: list[str]) -> Counter[tuple[str, ...]]:
    out: Counter[tuple[str, ...]] = Counter()
    for row in table.to_pylist():
        out[tuple(str(row[c]) if isinstance(row[c], str) else _num(row[c]) for c in columns)] += 1
    return out


def _ref_rows(name: str, columns: list[str], strings: set[str]) -> Counter[tuple[str, ...]]:
    out: Counter[tuple[str, ...]] = Counter()
    for row in _read_ref(name):
        out[tuple(row[c] if c in strings else _num(row[c]) for c in columns)] += 1
    return out


RESULT_COLS = [
    "object_id",
    "content_id",
    "content_id_y",
    "time_delta",
    "account_id",
    "account_id_y",
]
RESULT_STR = {"object_id", "content_id", "content_id_y", "account_id", "account_id_y"}


@pytest.fixture(scope="module")
def prepared() -> dict[str, pa.Table]:
    return {c: _prepare(c) for c in PREFIXES}


def test_prepared_counts(prepared: dict[str, pa.Table]) -> None:
    counts = {r["input"]: int(r["rows"]) for r in _read_ref("german_prepared_input_counts.csv")}
    assert prepared["url_id"].num_rows == counts["urls_data"]
    assert prepared["domain_id"].num_rows == counts["domains_data"]
    assert prepared["hashtag_id"].num_rows == counts["hashtag_data"]
    assert prepared["phash_id"].num_rows == counts["img_data"]


@pytest.mark.parametrize(
    ("column", "ref"),
    [
        ("url_id", "german_result_urls_tw30_mp2.csv"),
        ("domain_id", "german_result_domains_tw30_mp2.csv"),
        ("hashtag_id", "german_result_hashtags_tw30_mp2.csv"),
        ("phash_id", "german_result_images_tw30_mp2.csv"),
    ],
)
def test_detect_groups_rows(prepared: dict[str, pa.Table], column: str, ref: str) -> None:
    result = detect_groups(prepared[column], time_window=30, min_participation=2)
    expected = _ref_rows(ref, RESULT_COLS, RESULT_STR)
    assert result.num_rows == sum(expected.values())
    assert _rows(result, RESULT_COLS) == expected


def test_detect_groups_row_order(prepared: dict[str, pa.Table]) -> None:
    """Not only the same rows: CooRTweet's own row order, which fixes `object_ids` order."""
    result = detect_groups(prepared["url_id"], time_window=30, min_participation=2)
    ours = [
        tuple(_num(v) if not isinstance(v, str) else v for v in r.values())
        for r in result.to_pylist()
    ]
    ref = [
        tuple(r[c] if c in RESULT_STR else _num(r[c]) for c in RESULT_COLS)
        for r in _read_ref("german_result_urls_tw30_mp2.csv")
    ]
    assert ours == ref


def _edge_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _ref_edges(name: str) -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    for row in _read_ref(name):
        key = _edge_key(row.pop("from"), row.pop("to"))
        assert key not in out
        out[key] = row
    return out


def _assert_same_edges(edges: pa.Table, ref_name: str) -> None:
    ref = _ref_edges(ref_name)
    ours = {}
    for row in edges.to_pylist():
        key = _edge_key(row.pop("account_id"), row.pop("account_id_y"))
        ours[key] = row
    assert set(ours) == set(ref)
    attrs = list(next(iter(ref.values())).keys())
    assert set(attrs) == set(next(iter(ours.values())).keys())
    for key, row in ref.items():
        mine = ours[key]
        for attr in attrs:
            if attr.startswith("object_ids"):
                assert (mine[attr] if mine[attr] is not None else "NA") == row[attr], (key, attr)
            else:
                assert _num(mine[attr]) == _num(row[attr]), (key, attr, mine[attr], row[attr])


def _ref_vertices(name: str) -> dict[str, dict[str, str]]:
    return {row.pop("name"): row for row in _read_ref(name)}


@pytest.fixture(scope="module")
def results(prepared: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {c: detect_groups(t, time_window=30, min_participation=2) for c, t in prepared.items()}


@pytest.fixture(scope="module")
def fb(prepared: dict[str, pa.Table]) -> tuple[pa.Table, pa.Table, pa.Table]:
    urls = prepared["url_id"]
    fb_urls = urls.filter(pa.compute.match_substring(urls.column("account_id"), "fb"))
    assert fb_urls.num_rows == 15_994
    result = detect_groups(fb_urls, time_window=60, min_participation=2)
    fast = flag_speed_share(fb_urls, result, time_window=10, min_participation=2)
    return fb_urls, result, fast


def test_fb_detect_and_flag_speed_share(fb: tuple[pa.Table, pa.Table, pa.Table]) -> None:
    _, result, fast = fb
    assert _rows(result, RESULT_COLS) == _ref_rows(
        "german_fb_urls_detect_groups_tw60_mp2.csv", RESULT_COLS, RESULT_STR
    )
    cols = [*RESULT_COLS, "time_window_10"]
    ours = [
        tuple(_num(v) if not isinstance(v, str) else v for v in r.values())
        for r in fast.to_pylist()
    ]
    ref = [
        tuple(r[c] if c in RESULT_STR else _num(r[c]) for c in cols)
        for r in _read_ref("german_fb_urls_flag_speed_share_tw10.csv")
    ]
    assert ours == ref  # same rows in the same (setkey) order
    assert sum(fast.column("time_window_10").to_pylist()) == 4_380


def test_fb_network_objects(fb: tuple[pa.Table, pa.Table, pa.Table]) -> None:
    _, result, _ = fb
    net = generate_coordinated_network(result, edge_weight=0.5, objects=True)
    _assert_same_edges(net.edges, "german_g_urls_fb_edges.csv")
    assert set(net.vertices.column("name").to_pylist()) == set(
        _ref_vertices("german_g_urls_fb_vertices.csv")
    )


@pytest.mark.parametrize(
    ("subgraph", "objects", "ref"),
    [
        ("none", False, "german_g_urls_fb_fast_subgraph0"),
        ("none", True, "german_g_urls_fb_fast_subgraph0_objects"),
        ("fast", False, "german_g_urls_fb_fast_subgraph2"),
        ("fast_context", False, "german_g_urls_fb_fast_subgraph3"),
    ],
)
def test_fb_fast_network(
    fb: tuple[pa.Table, pa.Table, pa.Table], subgraph: str, objects: bool, ref: str
) -> None:
    _, _, fast = fb
    net = generate_coordinated_network(
        fast,
        fast_net=True,
        edge_weight=0.5,
        subgraph=subgraph,
        objects=objects,  # type: ignore[arg-type]
    )
    _assert_same_edges(net.edges, f"{ref}_edges.csv")
    ref_v = _ref_vertices(f"{ref}_vertices.csv")
    ours_v = {r.pop("name"): r for r in net.vertices.to_pylist()}
    assert set(ours_v) == set(ref_v)
    if subgraph == "fast_context":
        assert all(str(ours_v[k]["color_v"]) == v["color_v"] for k, v in ref_v.items())


def test_fb_fast_threshold_full(fb: tuple[pa.Table, pa.Table, pa.Table]) -> None:
    _, _, fast = fb
    net = generate_coordinated_network(fast, fast_net=True, edge_weight=0.5)
    kept = net.edges.filter(pa.compute.equal(net.edges.column("weight_threshold_full"), 1))
    _assert_same_edges(kept, "german_g_urls_fb_fast_thresholdfull_edges.csv")


def test_combined_network(results: dict[str, pa.Table]) -> None:
    combined = pa.concat_tables([results[c] for c in PREFIXES])
    assert combined.num_rows == 17_460
    net = generate_coordinated_network(combined, edge_weight=0.5)
    _assert_same_edges(net.edges, "german_g_combined_edges.csv")
    assert sum(net.edges.column("weight").to_pylist()) == 17_460


@pytest.mark.parametrize(
    ("column", "ref"),
    [
        ("url_id", "german_g_urls_edges.csv"),
        ("domain_id", "german_g_domains_edges.csv"),
        ("hashtag_id", "german_g_hashtags_edges.csv"),
        ("phash_id", "german_g_images_edges.csv"),
    ],
)
def test_threshold_subgraph(results: dict[str, pa.Table], column: str, ref: str) -> None:
    net = generate_coordinated_network(results[column], edge_weight=0.25, subgraph="threshold")
    _assert_same_edges(net.edges, ref)


def test_intro_urls_images(results: dict[str, pa.Table]) -> None:
    both = pa.concat_tables([results["url_id"], results["phash_id"]])
    net = generate_coordinated_network(both, edge_weight=0.5, subgraph=1)
    _assert_same_edges(net.edges, "german_intro_urls_images_subgraph1_edges.csv")


def _ref_table(name: str, strings: set[str]) -> Counter[tuple[str, ...]]:
    rows = _read_ref(name)
    cols = list(rows[0].keys())
    return Counter(tuple(r[c] if c in strings else _num(r[c]) for c in cols) for r in rows)


def _our_table(table: pa.Table) -> Counter[tuple[str, ...]]:
    return _rows(table, table.column_names)


@pytest.mark.parametrize(
    ("fast", "threshold", "ref"),
    [
        (False, "none", "german_g_urls_fb_account_stats_none.csv"),
        (True, "none", "german_g_urls_fb_fast_account_stats_none.csv"),
        (True, "full", "german_g_urls_fb_fast_account_stats_full.csv"),
        (True, "fast", "german_g_urls_fb_fast_account_stats_fast.csv"),
    ],
)
def test_account_stats(
    fb: tuple[pa.Table, pa.Table, pa.Table], fast: bool, threshold: str, ref: str
) -> None:
    from inconcert.compat.coortweet import account_stats

    _, result, flagged = fb
    rows = flagged if fast else result
    net = generate_coordinated_network(rows, fast_net=fast, edge_weight=0.5)
    ours = account_stats(net, rows, weight_threshold=threshold)
    assert _our_table(ours) == _ref_table(ref, {"account_id"})
    assert ours.column("account_id").to_pylist() == sorted(ours.column("account_id").to_pylist())


@pytest.mark.parametrize(
    ("fast", "threshold", "ref"),
    [
        (False, "none", "german_g_urls_fb_group_stats_none.csv"),
        (False, "full", "german_g_urls_fb_group_stats_full.csv"),
        (True, "fast", "german_g_urls_fb_fast_group_stats_fast.csv"),
    ],
)
def test_group_stats(
    fb: tuple[pa.Table, pa.Table, pa.Table], fast: bool, threshold: str, ref: str
) -> None:
    from inconcert.compat.coortweet import group_stats

    _, result, flagged = fb
    net = generate_coordinated_network(
        flagged if fast else result, fast_net=fast, edge_weight=0.5, objects=True
    )
    ours = group_stats(net, weight_threshold=threshold)
    assert _our_table(ours) == _ref_table(ref, {"object_id"})
    counts = ours.column("num_accounts").to_pylist()
    assert counts == sorted(counts, reverse=True)
