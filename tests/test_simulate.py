"""Tests of the simulator: schema, integrity, determinism, planted and organic behaviour, files."""

from __future__ import annotations

import gzip
import hashlib
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
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.errors import InputError, ParameterError
from inconcert.schema import POST_SCHEMA
from inconcert.simulate import (
    CLASSIC_BEHAVIOURS,
    ORGANIC_ROLES,
    PLANTED_BEHAVIOURS,
    PLANTED_ROLES,
    TRUTH_SCHEMA,
    WORLDS,
    Simulation,
    SimulationConfig,
    simulate,
    write_simulation,
)
from inconcert.simulate._crowds import _zipf_sizes

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
            assert row["behaviour"] in CLASSIC_BEHAVIOURS
    roles = set(truth["behaviour"].to_pylist())
    # today's world: the classic behaviours and organic roles, nothing of the harder worlds
    assert roles == {*CLASSIC_BEHAVIOURS, "organic", "viral_fan", "news_follower", "celebrity_fan"}


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
        ({"viral_moments": -1}, "viral_moments"),
        ({"viral_crowd_range": (0, 3)}, "viral_crowd_range"),
        ({"breaking_link_range": (30, 20)}, "breaking_link_range"),
        ({"trend_share": 1.5}, "trend_share"),
        ({"trend_follower_share": -0.1}, "trend_follower_share"),
        ({"heavy_fans": 2.5}, "heavy_fans"),
        ({"heavy_fan_fast_share": 2.0}, "heavy_fan_fast_share"),
        ({"amplifier_occasions_range": (0, 4)}, "amplifier_occasions_range"),
        ({"slow_lag_mean_range": (0.0, 10.0)}, "slow_lag_mean_range"),
        ({"behaviours": ("amplifier_seed",)}, "behaviours"),
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


# ---------------------------------------------------------------------------------------------
# today's world is unchanged; named worlds
# ---------------------------------------------------------------------------------------------


def _digest(sim: Simulation) -> str:
    """A digest of every value of the posts and the truth (timestamps as integers)."""
    h = hashlib.sha256()
    for table in (sim.posts, sim.truth):
        for name in table.column_names:
            column = table[name]
            if pa.types.is_timestamp(column.type):
                column = column.cast(pa.int64())
            h.update(json.dumps(column.to_pylist(), ensure_ascii=False).encode())
    return h.hexdigest()


def test_todays_world_is_unchanged_by_the_harder_worlds() -> None:
    """Digests of the simulator before the harder worlds were added (commit 8cff413): their
    streams and fields must leave the classic worlds exactly as they were. (Should a NumPy
    release ever change a distribution's stream, regenerate these from that commit.)"""
    assert _digest(simulate(SMALL)) == (
        "756ddba2260b2901246ca67138b83bf33a8efed0c9a3196fcab48e27f707c9c5"
    )
    assert _digest(simulate(SMALL, seed=9, behaviours=("mixed", "repost_ring"))) == (
        "5ce95cbb021bdb5789a170d13b52bc6cf667b664e2cba39793e01f39654d7a97"
    )


def test_named_worlds() -> None:
    assert {"default", "viral", "fans", "hard"} <= set(WORLDS)
    assert SimulationConfig.preset("default") == SimulationConfig()
    configs = {name: SimulationConfig.preset(name, seed=4) for name in WORLDS}
    assert len(set(configs.values())) == len(WORLDS)  # distinct worlds
    for name, config in configs.items():
        assert config.seed == 4
        for field, value in WORLDS[name].items():
            assert getattr(config, field) == value, (name, field)
    assert SimulationConfig.preset("hard").behaviours == PLANTED_BEHAVIOURS
    assert SimulationConfig.preset("hard", n_groups=3).n_groups == 3
    with pytest.raises(ParameterError) as info:
        SimulationConfig.preset("harder")
    assert info.value.name == "world"
    with pytest.raises(ParameterError) as info:
        SimulationConfig.preset("hard", n_grups=3)
    assert info.value.name == "n_grups"


def test_zipf_crowd_sizes() -> None:
    sizes = _zipf_sizes(np.random.default_rng(0), 20_000, 50, 400)
    assert sizes.min() >= 50 and sizes.max() <= 400
    assert np.median(sizes) < 100  # most crowds are small...
    assert np.quantile(sizes, 0.99) > 300  # ...a few are large
    # P(size >= x) = (50/x - 50/400) / (1 - 50/400): a 1/x tail truncated at 400
    for x in (60, 100, 200, 300):
        assert abs(np.mean(sizes >= x) - (50 / x - 0.125) / 0.875) < 0.01


# ---------------------------------------------------------------------------------------------
# the hard world (small): new organic hard negatives and planted behaviours
# ---------------------------------------------------------------------------------------------

HARD = SimulationConfig.preset(
    "hard",
    n_organic=4000,
    days=14,
    viral_moments=80,
    viral_giants=1,
    viral_giant_range=(1000, 1500),
    breaking_links=30,
    n_groups=14,
    seed=3,
)


@pytest.fixture(scope="module")
def hard() -> Simulation:
    return simulate(HARD)


def _roles(truth: pa.Table, role: str) -> set[str]:
    return set(truth.filter(pc.equal(truth["behaviour"], role))["account_id"].to_pylist())


def test_hard_world_integrity(hard: Simulation) -> None:
    posts, truth = hard.posts, hard.truth
    assert posts.schema == POST_SCHEMA and truth.schema == TRUTH_SCHEMA
    ids = posts["post_id"].to_pylist()
    seconds = _seconds(posts)
    assert len(set(ids)) == len(ids) and np.all(np.diff(seconds) >= 0)
    start = int(HARD.start.timestamp())
    assert seconds.min() >= start and seconds.max() < start + HARD.days * 86_400
    for column in ("repost_of", "reply_to", "quote_of"):
        has = pc.is_valid(posts[column])
        position = pc.index_in(pc.filter(posts[column], has), value_set=posts["post_id"])
        assert position.null_count == 0
        assert np.all(seconds[np.asarray(position)] < seconds[np.flatnonzero(np.asarray(has))])
    reposts = posts.filter(pc.is_valid(posts["repost_of"]))
    pairs = list(
        zip(reposts["account_id"].to_pylist(), reposts["repost_of"].to_pylist(), strict=True)
    )
    assert len(set(pairs)) == len(pairs)
    author = dict(zip(ids, posts["account_id"].to_pylist(), strict=True))
    assert all(author[target] != account for account, target in pairs)

    assert set(posts["account_id"].to_pylist()) <= set(truth["account_id"].to_pylist())
    for row in truth.to_pylist():
        allowed = ORGANIC_ROLES if row["group_id"] is None else PLANTED_ROLES
        assert row["behaviour"] in allowed
    assert set(truth["behaviour"].to_pylist()) == {*ORGANIC_ROLES, *PLANTED_ROLES}


def test_hard_world_is_deterministic(hard: Simulation) -> None:
    again = simulate(HARD)
    assert again.posts.equals(hard.posts) and again.truth.equals(hard.truth)
    assert not simulate(HARD, seed=4).posts.equals(hard.posts)


def _rings(truth: pa.Table) -> dict[str, tuple[str, set[str]]]:
    """group_id -> (seed, members) of the amplifier rings."""
    rings: dict[str, tuple[str, set[str]]] = {}
    for row in truth.filter(pc.is_valid(truth["group_id"])).to_pylist():
        if row["behaviour"] == "amplifier_seed":
            seed, members = rings.get(row["group_id"], ("", set()))
            assert not seed, "one seed per ring"
            rings[row["group_id"]] = (row["account_id"], members)
        elif row["behaviour"] == "amplifier_ring":
            rings.setdefault(row["group_id"], ("", set()))[1].add(row["account_id"])
    return rings


def test_amplifier_ring_reposts_its_seed_within_20_seconds(hard: Simulation) -> None:
    posts = hard.posts
    rows = posts.select(["post_id", "account_id", "repost_of", "text"]).to_pylist()
    seconds = _seconds(posts).tolist()
    time_of = {r["post_id"]: t for r, t in zip(rows, seconds, strict=True)}
    rings = _rings(hard.truth)
    assert len(rings) == 2 and all(seed and len(m) >= 3 for seed, m in rings.values())
    for seed, members in rings.values():
        seed_posts = {r["post_id"] for r in rows if r["account_id"] == seed and r["text"]}
        by_target: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r, t in zip(rows, seconds, strict=True):
            if r["repost_of"] in seed_posts:
                by_target[r["repost_of"]].append((r["account_id"], t - time_of[r["repost_of"]]))
        occasions = {p: v for p, v in by_target.items() if sum(a in members for a, _ in v) >= 2}
        assert 6 <= len(occasions) <= 20
        ring_lags = [lag for v in occasions.values() for a, lag in v if a in members]
        assert min(ring_lags) >= 1 and max(ring_lags) <= 20  # every member within 20 s
        # most members on every occasion
        shares = [sum(a in members for a, _ in v) / len(members) for v in occasions.values()]
        assert np.mean(shares) >= 0.65 and min(shares) >= 0.3
        # the seed's few organic reposters come at organic latencies, never within a minute
        others = [lag for v in occasions.values() for a, lag in v if a not in members]
        assert len(others) <= 3 * len(occasions) and all(lag > 60 for lag in others)
        # between occasions, members post like everyone else: originals, replies, reposts
        own = [r for r in rows if r["account_id"] in members and r["repost_of"] not in seed_posts]
        assert len(own) >= len(members)


def test_slow_copypasta_spreads_over_minutes(hard: Simulation) -> None:
    groups = _groups(hard.truth)
    spans: dict[str, list[float]] = {"slow_copypasta": [], "copypasta": []}
    lags: dict[str, list[float]] = {"slow_copypasta": [], "copypasta": []}
    for behaviour, members in groups.values():
        if behaviour not in spans:
            continue
        by_text: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for obj, account, second in _objects(hard.posts, "text", members):
            by_text[obj].append((second, account))
        occasions = [sorted(v) for v in by_text.values() if len({a for _, a in v}) >= 3]
        assert len(occasions) >= 3, behaviour
        for times in occasions:
            t = np.array([s for s, _ in times])
            spans[behaviour].append(float(t[-1] - t[0]))
            lags[behaviour].extend((t[1:] - t[0]).tolist())
    # behind the first: copypasta within seconds; slow copypasta minutes (exponential lags
    # with means of 300-1800 s: medians of 208-1248 s), an occasion over about an hour
    assert np.median(lags["copypasta"]) <= 15
    assert np.median(lags["slow_copypasta"]) >= 150
    assert 10 * 60 <= np.median(spans["slow_copypasta"]) <= 4 * 3600


def _reposters(posts: pa.Table, organic: set[str]) -> dict[str, np.ndarray]:
    """target -> sorted seconds of its reposts by organic accounts."""
    by_target: dict[str, list[int]] = defaultdict(list)
    for target, account, second in _objects(posts, "repost"):
        if account in organic:
            by_target[target].append(second)
    return {k: np.sort(np.array(v)) for k, v in by_target.items()}


def test_viral_moments_are_crowds_within_minutes(hard: Simulation) -> None:
    crowds = []
    for times in _reposters(hard.posts, _organic(hard.truth)).values():
        if len(times) >= 40:
            ends = np.searchsorted(times, times + 600, side="right")
            crowds.append((int((ends - np.arange(len(times))).max()), len(times)))
    in_ten_minutes = np.array([c for c, _ in crowds])
    # (nearly) every viral moment: >= 40 reposts within ten minutes, the crowd mostly 50-400
    assert np.sum(in_ten_minutes >= 40) >= 0.8 * HARD.viral_moments
    assert np.median(in_ten_minutes[in_ten_minutes >= 40]) < 200  # Zipf-like: most are small
    # one giant, reposted more than a thousand times
    totals = sorted((n for _, n in crowds), reverse=True)
    assert totals[0] >= 900 and totals[1] < 900


def test_breaking_links_are_shared_by_crowds_within_a_minute(hard: Simulation) -> None:
    organic = _organic(hard.truth)
    by_url: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for url, account, second in _objects(hard.posts, "url"):
        if "/live/" in url:
            by_url[url].append((second, account))
    assert len(by_url) >= 0.9 * HARD.breaking_links
    texts = {
        (r["account_id"], r["text"]) for r in hard.posts.select(["account_id", "text"]).to_pylist()
    }
    for shares in by_url.values():
        seconds = [s for s, _ in shares]
        accounts = {a for _, a in shares}
        assert max(seconds) - min(seconds) <= 60  # within a minute
        assert accounts <= organic and len(accounts) == len(shares)
        if min(seconds) < int(HARD.start.timestamp()) + HARD.days * 86_400 - 120:
            assert len(accounts) >= 30
    # each sharer in their own words
    live = [t for _, t in texts if t and "/live/" in t]
    words = [_normalised_text(t) for t in live]
    assert len(set(words)) >= 0.9 * len(words)


def test_trending_tags_bring_active_accounts_together(hard: Simulation) -> None:
    counts = pc.value_counts(pc.list_flatten(hard.posts["hashtags"])).to_pylist()
    ranked = [c["values"] for c in sorted(counts, key=lambda c: -c["counts"])]
    assert ranked[0] == "worldcup"  # the top trend is the most used hashtag of all
    followers = _roles(hard.truth, "trend_follower")
    assert len(followers) == round(HARD.trend_follower_share * HARD.n_organic)
    by_account: dict[str, np.ndarray] = {}
    for tag, account, second in _objects(hard.posts, "hashtag", followers):
        if tag == "worldcup":
            by_account.setdefault(account, np.zeros(0, np.int64))
            by_account[account] = np.append(by_account[account], second)
    meetings = []
    for a, b in itertools.combinations(sorted(by_account), 2):
        x, y = np.sort(by_account[a]), np.sort(by_account[b])
        lo = np.searchsorted(y, x - WINDOW, side="left")
        hi = np.searchsorted(y, x + WINDOW, side="right")
        meetings.append(int((hi - lo).sum()))
    weeks = HARD.days / 7
    # two trend followers meet on the top tag within a minute several times a week
    assert np.median(meetings) / weeks >= 3


def test_activity_spans_three_orders_of_magnitude(hard: Simulation) -> None:
    organic = _organic(hard.truth)
    counts = {
        c["values"]: c["counts"] for c in pc.value_counts(hard.posts["account_id"]).to_pylist()
    }
    per_account = np.array([counts.get(a, 0) for a in organic])
    # posts per account over two weeks: from none to hundreds, the median a handful
    assert np.median(per_account) <= 10
    assert np.quantile(per_account, 0.999) >= 100 * max(np.quantile(per_account, 0.1), 1)


def test_heavy_tailed_fans_are_fast_once_in_a_while(hard: Simulation) -> None:
    fans = _roles(hard.truth, "heavy_tailed_fan")
    assert len(fans) == HARD.heavy_fans * HARD.celebrities
    posts = hard.posts.select(["post_id", "account_id", "repost_of"]).to_pylist()
    seconds = _seconds(hard.posts).tolist()
    info = {r["post_id"]: (r["account_id"], t) for r, t in zip(posts, seconds, strict=True)}
    per_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r, t in zip(posts, seconds, strict=True):
        if r["account_id"] in fans and r["repost_of"]:
            author, posted = info[r["repost_of"]]
            per_pair[(r["account_id"], author)].append(t - posted)
    # each fan's celebrity: the author it reposts most
    delays: dict[str, list[int]] = {}
    for (fan, _), lags in sorted(per_pair.items(), key=lambda kv: len(kv[1])):
        delays[fan] = lags
    everything = np.concatenate([np.array(v) for v in delays.values()])
    fast = np.mean(everything <= 30)
    assert 0.05 <= fast <= 0.3  # within ~15 s once in a while...
    assert np.median(everything) >= 1800  # ...and much later otherwise
    shares = np.array([np.mean(np.array(v) <= 30) for v in delays.values() if len(v) >= 20])
    assert np.mean(shares > 0) >= 0.5 and np.all(shares < 0.6)  # no fan is a fast habitual


def test_cli_simulates_named_worlds(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "simulate",
        "--out",
        str(tmp_path / "hard"),
        "--world",
        "hard",
        "--organic",
        "300",
        "--groups",
        "7",
        "--days",
        "4",
        "--viral-moments",
        "5",
        "--seed",
        "2",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = simulate(
        SimulationConfig.preset("hard", n_organic=300, n_groups=7, days=4, viral_moments=5, seed=2)
    )
    written = pq.read_table(tmp_path / "hard" / "posts.parquet")
    assert written.equals(expected.posts)
    truth = pacsv.read_csv(tmp_path / "hard" / "truth.csv")
    assert set(PLANTED_BEHAVIOURS) <= set(truth["behaviour"].to_pylist())

    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--world", "nope"])
    assert result.exit_code == 2 and "world" in result.output
    result = runner.invoke(
        app, ["simulate", "--out", str(tmp_path / "y"), "--behaviours", "url_ring,astroturf"]
    )
    assert result.exit_code == 2 and "behaviours" in result.output
    # today's world through the command line: same bytes as before the worlds were named
    result = runner.invoke(
        app, ["simulate", "--out", str(tmp_path / "d"), "--organic", "80", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    direct = write_simulation(simulate(n_organic=80, days=3), tmp_path / "direct")
    for key, path in direct.items():
        assert (tmp_path / "d" / path.name).read_bytes() == path.read_bytes(), key
