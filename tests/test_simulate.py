"""Tests of the simulator: schema, integrity, determinism, planted and organic behaviour, files."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from inconcert.errors import InputError, ParameterError
from inconcert.schema import POST_SCHEMA
from inconcert.simulate import (
    ORGANIC_ROLES,
    PLANTED_BEHAVIOURS,
    TRUTH_SCHEMA,
    Simulation,
    SimulationConfig,
    simulate,
    write_simulation,
)

WINDOW = 60  # seconds: what "acting together" means in these tests

SMALL = SimulationConfig(
    n_organic=400,
    n_groups=5,
    days=10,
    viral_bursts=2,
    burst_size_range=(60, 120),
    breaking_news=2,
    breaking_size_range=(30, 60),
    celebrities=2,
    fans_per_celebrity=(10, 20),
)


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """The default simulation: what `inconcert simulate` writes."""
    return simulate()


@pytest.fixture(scope="module")
def planted_posts(sim: Simulation) -> pa.Table:
    """The posts of planted accounts: all that co-actions among members can come from."""
    planted = sim.truth.filter(pc.is_valid(sim.truth["group_id"]))["account_id"]
    return sim.posts.filter(pc.is_in(sim.posts["account_id"], planted))


@pytest.fixture(scope="module")
def small() -> Simulation:
    return simulate(SMALL)


# ---------------------------------------------------------------------------------------------
# helpers: a tiny reference co-action finder over the posts
# ---------------------------------------------------------------------------------------------


def _seconds(posts: pa.Table) -> np.ndarray:
    return np.asarray(posts["timestamp"].cast(pa.int64())) // 1_000_000


def _canonical_url(url: str) -> str:
    url = re.sub(r"^https?://(www\.)?", "", url)
    return re.split(r"[?#]", url)[0]


def _normalised_text(text: str) -> str:
    text = re.sub(r"https?://\S+|@\w+", " ", text)
    return " ".join(text.casefold().split())


Actions = list[tuple[str, str, int]]
_CACHE: dict[tuple[int, str], tuple[pa.Table, Actions, dict[str, Actions]]] = {}


def _cached(posts: pa.Table, kind: str) -> tuple[pa.Table, Actions, dict[str, Actions]]:
    # The cache keeps the table alive, so its id cannot be reused by another table.
    key = (id(posts), kind)
    if key not in _CACHE:
        actions = _find_objects(posts, kind)
        by_account: dict[str, Actions] = defaultdict(list)
        for action in actions:
            by_account[action[1]].append(action)
        _CACHE[key] = (posts, actions, by_account)
    return _CACHE[key]


def _objects(posts: pa.Table, kind: str, accounts: set[str] | None = None) -> Actions:
    """(object, account, second) for every action of one kind (of ``accounts``) in the posts."""
    _, actions, by_account = _cached(posts, kind)
    if accounts is None:
        return actions
    return [a for account in sorted(accounts) for a in by_account.get(account, [])]


def _find_objects(posts: pa.Table, kind: str) -> list[tuple[str, str, int]]:
    columns = posts.to_pydict()
    seconds = _seconds(posts).tolist()
    out = []
    for i, account in enumerate(columns["account_id"]):
        if kind == "repost":
            objects = [columns["repost_of"][i]] if columns["repost_of"][i] else []
        elif kind == "url":
            objects = sorted({_canonical_url(u) for u in columns["urls"][i]})
        elif kind == "hashtag":
            objects = sorted({h.lower() for h in columns["hashtags"][i]})
        elif kind == "text":
            text = columns["text"][i]
            norm = _normalised_text(text) if text and not columns["repost_of"][i] else ""
            objects = [norm] if len(norm) >= 30 else []
        else:
            raise AssertionError(kind)
        out.extend((o, account, seconds[i]) for o in objects)
    return out


def _co_action_days(
    posts: pa.Table, members: set[str], kind: str, start: datetime, only: str | None = None
) -> set[int]:
    """Days on which >= 2 members acted on one object of ``kind`` within WINDOW seconds."""
    by_object: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for obj, account, second in _objects(posts, kind, members):
        if only is None or obj == only:
            by_object[obj].append((second, account))
    days = set()
    offset = int(start.timestamp())
    for actions in by_object.values():
        actions.sort()
        for (t0, a0), (t1, a1) in itertools.pairwise(actions):
            if a0 != a1 and t1 - t0 <= WINDOW:
                days.add((t1 - offset) // 86_400)
    return days


def _groups(truth: pa.Table) -> dict[str, tuple[str, set[str]]]:
    """group_id -> (behaviour, member ids)."""
    out: dict[str, tuple[str, set[str]]] = {}
    for row in truth.to_pylist():
        if row["group_id"] is not None:
            out.setdefault(row["group_id"], (row["behaviour"], set()))[1].add(row["account_id"])
    return out


# ---------------------------------------------------------------------------------------------
# schema and integrity
# ---------------------------------------------------------------------------------------------


def test_default_size_and_schema(sim: Simulation) -> None:
    assert sim.posts.schema == POST_SCHEMA
    assert sim.truth.schema == TRUTH_SCHEMA
    assert 100_000 <= sim.posts.num_rows <= 200_000
    assert set(pc.unique(sim.posts["platform"]).to_pylist()) == {"sim"}
    for column in ("urls", "hashtags", "mentions", "image_hashes"):
        assert sim.posts[column].null_count == 0  # empty lists, never null


def test_sorted_by_time_then_id_and_ids_unique(sim: Simulation) -> None:
    ids = sim.posts["post_id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"p\d{7,}", i) for i in ids[:1000])
    keys = list(zip(_seconds(sim.posts).tolist(), ids, strict=True))
    assert keys == sorted(keys)
    seconds = _seconds(sim.posts)
    assert seconds.min() >= int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    assert seconds.max() < int(datetime(2024, 3, 31, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("column", ["repost_of", "reply_to", "quote_of"])
def test_references_point_to_earlier_existing_posts(sim: Simulation, column: str) -> None:
    posts = sim.posts
    refs = posts[column]
    assert refs.null_count < posts.num_rows  # the reference kind is used at all
    has = pc.is_valid(refs)
    position = pc.index_in(pc.filter(refs, has), value_set=posts["post_id"])
    assert position.null_count == 0  # every reference exists
    ts = _seconds(posts)
    own = np.flatnonzero(np.asarray(has))
    assert np.all(ts[np.asarray(position)] < ts[own])  # and is strictly earlier


def test_reposts_are_plain_and_not_repeated(sim: Simulation) -> None:
    reposts = sim.posts.filter(pc.is_valid(sim.posts["repost_of"]))
    assert reposts["text"].null_count == reposts.num_rows
    pairs = list(
        zip(reposts["account_id"].to_pylist(), reposts["repost_of"].to_pylist(), strict=True)
    )
    assert len(set(pairs)) == len(pairs)
    # nobody reposts themselves
    author = dict(
        zip(sim.posts["post_id"].to_pylist(), sim.posts["account_id"].to_pylist(), strict=True)
    )
    assert all(author[target] != account for account, target in pairs)


def test_truth_covers_every_account_once(sim: Simulation) -> None:
    truth = sim.truth
    ids = truth["account_id"].to_pylist()
    assert ids == sorted(set(ids))
    assert set(sim.posts["account_id"].to_pylist()) <= set(ids)
    assert len(ids) == 3000 + sum(len(m) for _, m in _groups(truth).values())
    for row in truth.to_pylist():
        if row["group_id"] is None:
            assert row["behaviour"] in ORGANIC_ROLES
        else:
            assert row["behaviour"] in PLANTED_BEHAVIOURS
    roles = set(truth["behaviour"].to_pylist())
    assert set(ORGANIC_ROLES) <= roles and set(PLANTED_BEHAVIOURS) <= roles


def test_planted_ids_are_shuffled_among_organic(sim: Simulation) -> None:
    number = {
        r["account_id"]: (int(r["account_id"][1:]), r["group_id"]) for r in sim.truth.to_pylist()
    }
    planted = sorted(n for n, g in number.values() if g is not None)
    organic = sorted(n for n, g in number.values() if g is None)
    assert planted[0] < organic[-1] and organic[0] < planted[-1]
    assert planted != list(range(planted[0], planted[0] + len(planted)))


def test_group_sizes_follow_the_configuration(sim: Simulation) -> None:
    groups = _groups(sim.truth)
    assert len(groups) == 12
    assert all(4 <= len(members) <= 25 for _, members in groups.values())
    exact = simulate(SMALL, group_size_range=(6, 6), n_groups=3)
    assert sorted(len(m) for _, m in _groups(exact.truth).values()) == [6, 6, 6]
    assert simulate(SMALL, n_groups=0).truth["group_id"].null_count == SMALL.n_organic


# ---------------------------------------------------------------------------------------------
# planted groups act within seconds, on many days
# ---------------------------------------------------------------------------------------------

_KIND = {"url_ring": "url", "repost_ring": "repost", "copypasta": "text"}


def test_planted_groups_act_together_on_at_least_five_days(
    sim: Simulation, planted_posts: pa.Table
) -> None:
    start = SimulationConfig().start
    for gid, (behaviour, members) in _groups(sim.truth).items():
        if behaviour == "hashtag_push":
            # the campaign hashtag: the one the members share on most days
            days = max(
                (
                    _co_action_days(planted_posts, members, "hashtag", start, only=tag.lower())
                    for tag in _member_tags(planted_posts, members)
                ),
                key=len,
            )
        elif behaviour == "mixed":
            days = set().union(
                *(
                    _co_action_days(planted_posts, members, k, start)
                    for k in ("url", "repost", "text")
                )
            )
            days |= _co_action_days(planted_posts, members, "hashtag", start)
        else:
            days = _co_action_days(planted_posts, members, _KIND[behaviour], start)
        assert len(days) >= 5, (gid, behaviour, sorted(days))


def _member_tags(posts: pa.Table, members: set[str]) -> list[str]:
    mine = posts.filter(pc.is_in(posts["account_id"], pa.array(sorted(members))))
    counts = pc.value_counts(pc.list_flatten(mine["hashtags"])).to_pylist()
    return [c["values"] for c in sorted(counts, key=lambda c: -c["counts"])[:3]]


def test_planted_lags_are_seconds(sim: Simulation, planted_posts: pa.Table) -> None:
    """Within one url_ring occasion the members follow the first one within seconds."""
    for behaviour, members in _groups(sim.truth).values():
        if behaviour != "url_ring":
            continue
        by_url: dict[str, list[int]] = defaultdict(list)
        for obj, _, second in _objects(planted_posts, "url", members):
            by_url[obj].append(second)
        lags: list[int] = []
        for times in by_url.values():
            # occasions: runs of shares of one link without a 10-minute gap
            times.sort()
            cuts = np.flatnonzero(np.diff(times) > 600) + 1
            for run in np.split(np.array(times), cuts):
                if len(run) >= 3:
                    lags.extend((run - run[0]).tolist())
        assert np.median(lags) <= 15
        assert np.quantile(lags, 0.9) <= WINDOW


def test_copypasta_varies_only_in_case_whitespace_links_and_mentions(sim: Simulation) -> None:
    groups = [m for b, m in _groups(sim.truth).values() if b == "copypasta"]
    posts = sim.posts.filter(pc.is_in(sim.posts["account_id"], pa.array(sorted(groups[0]))))
    by_norm: dict[str, set[str]] = defaultdict(set)
    for text in posts["text"].to_pylist():
        if text:
            by_norm[_normalised_text(text)].add(text)
    shared = [raw for norm, raw in by_norm.items() if len(raw) >= 3 and len(norm) >= 30]
    assert len(shared) >= 5  # one message per occasion, posted in several raw forms


# ---------------------------------------------------------------------------------------------
# organic hard negatives
# ---------------------------------------------------------------------------------------------


def _organic(truth: pa.Table) -> set[str]:
    return set(truth.filter(pc.is_null(truth["group_id"]))["account_id"].to_pylist())


def _max_accounts_in(posts: pa.Table, kind: str, accounts: set[str], seconds: int) -> int:
    """The most distinct ``accounts`` acting on one object within ``seconds``."""
    by_object: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for obj, account, second in _objects(posts, kind):
        if account in accounts:
            by_object[obj].append((second, account))
    best = 0
    for actions in by_object.values():
        if len(actions) <= best:
            continue
        actions.sort()
        times = np.array([t for t, _ in actions])
        ends = np.searchsorted(times, times + seconds, side="right")
        for i, j in enumerate(ends.tolist()):
            if j - i > best:
                best = max(best, len({a for _, a in actions[i:j]}))
    return best


def test_viral_bursts_exist(sim: Simulation) -> None:
    assert _max_accounts_in(sim.posts, "repost", _organic(sim.truth), 600) >= 100


def test_breaking_news_is_shared_by_many_within_minutes(sim: Simulation) -> None:
    assert _max_accounts_in(sim.posts, "url", _organic(sim.truth), 600) >= 40


def test_organic_pairs_rarely_act_together_repeatedly(small: Simulation) -> None:
    """Bursts, breaking news and fans put organic accounts close in time, but rarely twice.

    Planted pairs, by contrast, mostly act together (same object, within 60 s) again and again.
    """
    group = dict(
        zip(small.truth["account_id"].to_pylist(), small.truth["group_id"].to_pylist(), strict=True)
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for kind in ("repost", "url", "hashtag", "text"):
        by_object: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for obj, account, second in _objects(small.posts, kind):
            by_object[obj].append((second, account))
        for actions in by_object.values():
            actions.sort()
            pairs = set()
            lo = 0
            for hi, (t, a) in enumerate(actions):
                while t - actions[lo][0] > WINDOW:
                    lo += 1
                pairs.update((min(a, b), max(a, b)) for _, b in actions[lo:hi] if b != a)
            for pair in pairs:
                counts[pair] += 1
    organic = [c for (a, b), c in counts.items() if group[a] is None and group[b] is None]
    planted = [c for (a, b), c in counts.items() if group[a] is not None and group[a] == group[b]]
    assert sum(c >= 4 for c in organic) <= 2
    assert np.mean([c >= 4 for c in planted]) >= 0.7


def test_organic_activity_is_heavy_tailed_with_a_daily_rhythm(sim: Simulation) -> None:
    per_account = np.array(pc.value_counts(sim.posts["account_id"]).field("counts"))
    assert np.quantile(per_account, 0.99) >= 5 * np.median(per_account)
    hours = np.bincount(np.asarray(pc.hour(sim.posts["timestamp"])), minlength=24)
    assert hours[3] * 4 < hours[19]


def test_urls_come_in_variants(sim: Simulation) -> None:
    urls = pc.list_flatten(sim.posts["urls"]).to_pylist()
    assert any("utm_source=" in u for u in urls)
    assert any(u.startswith("https://www.") for u in urls)
    assert any(u.startswith("https://") and "://www." not in u for u in urls)


# ---------------------------------------------------------------------------------------------
# determinism and configuration
# ---------------------------------------------------------------------------------------------


def test_same_seed_same_tables_other_seed_other_tables(small: Simulation) -> None:
    again = simulate(SMALL)
    assert again.posts.equals(small.posts)
    assert again.truth.equals(small.truth)
    other = simulate(SMALL, seed=1)
    assert not other.posts.equals(small.posts)


def test_overrides_and_config_agree() -> None:
    config = SimulationConfig(n_organic=50, n_groups=1, days=2, seed=3)
    a = simulate(config)
    b = simulate(n_organic=50, n_groups=1, days=2, seed=3)
    assert a.posts.equals(b.posts)


def test_naive_start_is_utc() -> None:
    config = SimulationConfig(start=datetime(2024, 1, 1))
    assert config.start == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"n_groups": -1}, "n_groups"),
        ({"n_organic": 1.5}, "n_organic"),
        ({"days": 0}, "days"),
        ({"group_size_range": (1, 3)}, "group_size_range"),
        ({"group_size_range": (5, 4)}, "group_size_range"),
        ({"group_size_range": 5}, "group_size_range"),
        ({"occasions_range": (0, 3)}, "occasions_range"),
        ({"lag_mean_range": (0.0, 3.0)}, "lag_mean_range"),
        ({"participation": 0.0}, "participation"),
        ({"behaviours": ("url_ring", "astroturf")}, "behaviours"),
        ({"seed": -1}, "seed"),
        ({"news_follower_share": 0.9, "viral_fan_share": 0.2}, "news_follower_share"),
        ({"n_grups": 3}, "n_grups"),
    ],
)
def test_invalid_configuration_is_refused(overrides: dict[str, object], name: str) -> None:
    with pytest.raises(ParameterError) as info:
        simulate(**overrides)
    assert info.value.name == name


@pytest.mark.parametrize(
    "overrides",
    [
        {"n_organic": 0, "n_groups": 2},
        {"n_organic": 0, "n_groups": 0},
        {"n_organic": 5, "n_groups": 0, "days": 1},
        {"n_organic": 30, "n_groups": 3, "days": 2, "participation": 0.01},
    ],
)
def test_tiny_configurations_work(overrides: dict[str, object]) -> None:
    result = simulate(**overrides)
    assert result.posts.schema == POST_SCHEMA
    assert set(result.posts["account_id"].to_pylist()) <= set(
        result.truth["account_id"].to_pylist()
    )


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def test_write_round_trip(small: Simulation, tmp_path: Path) -> None:
    paths = write_simulation(small, tmp_path / "data")
    assert {p.name for p in paths.values()} == {"posts.csv.gz", "posts.parquet", "truth.csv"}
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(
        p.name for p in paths.values()
    )  # no temporary files left behind

    assert pq.read_table(paths["posts_parquet"]).equals(small.posts)

    read = pacsv.read_csv(
        paths["posts_csv"],
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in POST_SCHEMA.names},
            strings_can_be_null=True,
        ),
    )
    assert read.column_names == POST_SCHEMA.names
    assert read["post_id"].equals(small.posts["post_id"])
    stamps = read["timestamp"].to_pylist()
    assert all(s.endswith("Z") for s in stamps)
    parsed = pc.strptime(read["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", unit="us")
    assert parsed.cast(pa.int64()).equals(small.posts["timestamp"].cast(pa.int64()))
    for column in ("urls", "hashtags", "mentions", "image_hashes"):
        assert [json.loads(v) for v in read[column].to_pylist()] == small.posts[column].to_pylist()
    assert read["text"].to_pylist() == small.posts["text"].to_pylist()  # UTF-8, newlines
    for column in ("repost_of", "reply_to", "quote_of"):
        assert read[column].to_pylist() == small.posts[column].to_pylist()

    truth = pacsv.read_csv(
        paths["truth_csv"],
        convert_options=pacsv.ConvertOptions(
            column_types={"account_id": pa.string(), "group_id": pa.string()},
            strings_can_be_null=True,
        ),
    )
    assert truth.to_pylist() == small.truth.to_pylist()


def test_files_are_byte_identical_across_runs(tmp_path: Path) -> None:
    config = SimulationConfig(n_organic=80, n_groups=2, days=3, viral_bursts=1)
    first = write_simulation(simulate(config), tmp_path / "one")
    second = write_simulation(simulate(config), tmp_path / "two")
    for key, path in first.items():
        assert path.read_bytes() == second[key].read_bytes(), key
    with gzip.open(first["posts_csv"], "rt", encoding="utf-8") as handle:
        assert handle.readline().startswith("post_id,account_id,timestamp")


def test_write_refuses_to_overwrite(tmp_path: Path) -> None:
    small = simulate(n_organic=20, n_groups=1, days=1)
    write_simulation(small, tmp_path)
    before = (tmp_path / "truth.csv").read_bytes()
    with pytest.raises(InputError, match=r"posts\.csv\.gz"):
        write_simulation(small, tmp_path)
    (tmp_path / "posts.csv.gz").unlink()
    with pytest.raises(InputError, match=r"posts\.parquet"):
        write_simulation(small, tmp_path)
    assert not (tmp_path / "posts.csv.gz").exists()  # refused before writing anything
    other = simulate(n_organic=20, n_groups=1, days=1, seed=5)
    write_simulation(other, tmp_path, overwrite=True)
    assert (tmp_path / "truth.csv").read_bytes() != before


def test_write_refuses_a_file_as_directory(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_simulation(simulate(n_organic=5, n_groups=0, days=1), target)
