"""Synthetic posts with planted coordinated groups and realistic organic hard negatives.

Why simulate
------------
Real data never says who is coordinated. A simulation does: :func:`simulate` returns posts in
the canonical :data:`~inconcert.schema.POST_SCHEMA` *and* a truth table naming, for every
account, the planted group it belongs to (or ``null`` for an organic account). Detection
results can then be scored with :mod:`inconcert.evaluate`.

What is in the data
-------------------
Organic background
    Every account posts at its own heavy-tailed rate (lognormal posts per day) following a
    daily rhythm (few posts at night, most in the evening). A post is an original (free text
    from a Zipf-weighted word list, sometimes with a news link, popular hashtags, mentions of
    popular accounts, an image), a repost, a reply or a quote of a recent post, targets chosen
    in proportion to the author's (Zipf) popularity.
Organic hard negatives (a good detector must *not* flag them)
    *Viral bursts*: hundreds of accounts repost one popular post within minutes.
    *Breaking news*: many accounts share a fresh article within minutes.
    *Celebrity fans*: fans repost each post of their celebrity, minutes to hours later.
    Participants are drawn afresh for every event from a large pool, so two organic accounts
    rarely act within 60 s of each other more than once or twice in the whole run.
Planted groups (what a detector should find)
    ``url_ring`` (same link within seconds), ``repost_ring`` (same repost within seconds),
    ``hashtag_push`` (same campaign hashtag within seconds), ``copypasta`` (the same sentence,
    varied only in case, whitespace, links and mentions) and ``mixed`` (a different one of these
    on each occasion). Each group acts on several occasions on different days; on one occasion
    the members' lags behind the first one are exponential with a mean of a few seconds. Members
    also post organic-looking content, and their ids are shuffled among the organic ones.

Harder worlds
-------------
Off by default (today's world is unchanged, byte for byte); switched on by the fields below or
by a named world, ``SimulationConfig.preset("hard")`` (see :data:`WORLDS`).

*Viral moments* (``viral_moments``)
    A crowd of ``viral_crowd_range`` (50-400) organic accounts reposts one organic post within a
    few minutes (1 s plus a lognormal delay, median 90 s, sigma 0.8, after a start up to 3 hours
    after the post). Crowd sizes are Zipf-like (``P(size >= x) ~ 1/x``: most are near 50);
    ``viral_giants`` posts of the most popular authors are reposted ``viral_giant_range``
    (thousands of) times over an hour or two (median delay 20 minutes). Crowd members are drawn
    in proportion to the square root of activity (viral fans twice as likely), so active
    accounts meet in crowds again and again.
*Breaking links* (``breaking_links``)
    A fresh link of a big outlet shared by ``breaking_link_range`` (30-200, Zipf-like) organic
    accounts within a minute (truncated exponential delays, mean 15 s), each with their own text
    and hashtags and a variant of the link; news followers twice as likely.
*Trending hashtags* (``trending_tags``)
    That many hashtags with Zipf popularity (``#worldcup`` the most popular); a share
    ``trend_share`` of all everyday originals carries one, and trend followers (role
    ``trend_follower``, a share ``trend_follower_share`` of the organic accounts) post
    ``trend_posts_per_day`` (median, lognormal) extra posts with one, chosen with a steeper
    Zipf law (exponent 2.5: 75% on the top tag), so two of them meet on the top tag within
    seconds to minutes, by chance, several times a week.
*Activity over three orders of magnitude*
    The existing ``posts_per_day`` (median) and ``activity_sigma``: 1.4 spans three orders of
    magnitude between the 0.5th and the 99.5th percentile.
*Heavy-tailed fans* (``heavy_fans`` per celebrity, role ``heavy_tailed_fan``)
    Each reposts 10-40% of its celebrity's originals, with its own probability around
    ``heavy_fan_fast_share`` within ~15 s (2 s plus a lognormal delay of median 8 s), otherwise
    hours later (60 s plus a lognormal delay of median 2 hours, sigma 1.5): fast once in a while
    by habit, not by coordination.

Two more planted behaviours:

``amplifier_ring``
    One-account amplification ring: the group's first account is the *seed* (an account of the
    ring's operator, truth behaviour ``amplifier_seed`` with the ring's ``group_id``): on each of
    ``amplifier_occasions_range`` (6-20) occasions it posts an ordinary-looking original, and
    the other members (truth behaviour ``amplifier_ring``) repost it within 20 s (1 s plus a
    truncated exponential delay), each with probability ``participation``. Between occasions
    they post organic content; 0-3 organic accounts also repost each seed post, about an hour
    later. The seed never co-acts with its ring (it posts, they repost), so it carries the
    group id (flagging it is no false alarm) but a behaviour of its own (recall of
    ``amplifier_ring`` is about the members).
``slow_copypasta``
    Copypasta (the same text varied in case, whitespace, links and mentions) at a human pace:
    the members' lags behind the first are exponential with a mean drawn from
    ``slow_lag_mean_range`` (300-1800 s), so one message spreads over about an hour.

Everything is drawn from :func:`numpy.random.default_rng` streams derived from one seed, so the
same configuration always gives the same tables and, through :func:`write_simulation`, the same
bytes on disk. The harder worlds' generators each have a stream of their own, spawned after the
original seven, and draw nothing when their feature is off.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from inconcert.errors import InputError, ParameterError
from inconcert.schema import POST_SCHEMA
from inconcert.simulate._crowds import (
    _assign_roles,
    _breaking_links,
    _heavy_tailed_fans,
    _trending,
    _viral_moments,
)
from inconcert.simulate._planted import _organic_adoption, _plant, _plant_later
from inconcert.simulate._world import (
    _breaking_news,
    _build_world,
    _celebrity_fans,
    _organic_background,
    _Posts,
    _viral_bursts,
    _World,
)

__all__ = [
    "CLASSIC_BEHAVIOURS",
    "ORGANIC_ROLES",
    "PLANTED_BEHAVIOURS",
    "PLANTED_ROLES",
    "TRUTH_SCHEMA",
    "WORLDS",
    "Simulation",
    "SimulationConfig",
    "simulate",
    "write_simulation",
]

#: The behaviours of today's default world (:attr:`SimulationConfig.behaviours`).
CLASSIC_BEHAVIOURS: tuple[str, ...] = (
    "url_ring",
    "repost_ring",
    "hashtag_push",
    "copypasta",
    "mixed",
)

#: The coordinated behaviours a planted group can have.
PLANTED_BEHAVIOURS: tuple[str, ...] = (*CLASSIC_BEHAVIOURS, "amplifier_ring", "slow_copypasta")

#: The behaviours of planted accounts in the truth table: their group's behaviour, or
#: ``"amplifier_seed"`` for the account whose posts an ``amplifier_ring`` reposts.
PLANTED_ROLES: tuple[str, ...] = (*PLANTED_BEHAVIOURS, "amplifier_seed")

#: The behaviours of organic accounts in the truth table (their ``group_id`` is null).
#: Celebrities themselves are plain ``"organic"`` accounts that happen to be popular. The last
#: two appear only in the harder worlds.
ORGANIC_ROLES: tuple[str, ...] = (
    "organic",
    "viral_fan",
    "news_follower",
    "celebrity_fan",
    "heavy_tailed_fan",
    "trend_follower",
)

#: The schema of :attr:`Simulation.truth`: one row per account, sorted by ``account_id``.
TRUTH_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string()),
        pa.field("behaviour", pa.string(), nullable=False),
    ]
)


_PLATFORM = "sim"


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SimulationConfig:
    """What to simulate. Every field has a default; the defaults give ~150k posts in seconds.

    Parameters
    ----------
    n_organic
        Number of organic (not coordinated) accounts, ``>= 0``.
    n_groups
        Number of planted coordinated groups, ``>= 0``.
    group_size_range
        ``(lo, hi)``: each group's size is drawn uniformly from ``lo..hi`` inclusive;
        ``2 <= lo <= hi``.
    days
        Length of the simulated period in days, ``>= 1``.
    start
        Start of the period. A naive datetime is taken as UTC.
    seed
        Seed of every random draw, ``>= 0``. Same config and seed, same output.
    behaviours
        Behaviours given to the planted groups in turn (group ``k`` gets
        ``behaviours[k % len(behaviours)]``); each one of :data:`PLANTED_BEHAVIOURS`. The
        default is the five :data:`CLASSIC_BEHAVIOURS`.
    occasions_range
        ``(lo, hi)``: number of occasions on which each group acts, drawn uniformly;
        ``1 <= lo <= hi``. Occasions fall on different days while there are enough days.
    participation
        Probability that a member takes part in one occasion, in ``(0, 1]``. At least two
        members always take part.
    lag_mean_range
        ``(lo, hi)`` in seconds: each group's members lag behind the occasion's start by an
        exponential delay whose mean is drawn uniformly from this range; ``0 < lo <= hi``.
    posts_per_day
        Median organic activity in posts per account and day, ``> 0``; the rates are lognormal.
    activity_sigma
        Spread (sigma of the log) of the lognormal activity rates, ``>= 0``. 1.0 already means
        that the most active 1% post ~10 times more than the median account.
    celebrities
        Number of celebrity accounts, ``>= 0``: the most popular organic accounts, each
        with a fan base that reposts them.
    fans_per_celebrity
        ``(lo, hi)``: size of each celebrity's fan base, ``1 <= lo <= hi``.
    fan_delay_median, fan_delay_sigma
        A fan reposts 30 s plus a lognormal delay with this median (seconds, ``> 0``) and
        sigma (``>= 0``) after the celebrity posts. The default (40 minutes) spreads fans out;
        a median of 15 s makes the hard negative of fans who always repost within a minute.
    news_follower_share
        Share of organic accounts that are news followers (eager sharers of breaking news),
        in ``[0, 1]``.
    viral_fan_share
        Share of organic accounts that are viral fans (eager joiners of viral bursts),
        in ``[0, 1]``.
    viral_bursts
        Number of viral bursts, ``>= 0``: one popular post reposted by hundreds of accounts
        within minutes.
    burst_size_range
        ``(lo, hi)``: number of reposts in one burst, ``1 <= lo <= hi``.
    breaking_news
        Number of breaking-news events, ``>= 0``: a fresh article shared by many accounts
        within minutes.
    breaking_size_range
        ``(lo, hi)``: number of shares of one breaking article, ``1 <= lo <= hi``.
    image_group_share
        Probability that a planted group attaches its own images (shared perceptual hashes)
        to its coordinated posts, in ``[0, 1]``.
    viral_moments
        Harder worlds (see the module docstring; the defaults of this and every field below add
        nothing, so the world above is unchanged). Number of viral moments, ``>= 0``: a crowd
        of organic accounts reposts one post within a few minutes.
    viral_crowd_range
        ``(lo, hi)``: size of a viral moment's crowd, Zipf-like between them.
    viral_giants
        Number of posts reposted ``viral_giant_range`` times over an hour or two, ``>= 0``.
    viral_giant_range
        ``(lo, hi)``: reposts of one giant, uniform.
    breaking_links
        Number of fresh links each shared by a crowd within a minute, ``>= 0``.
    breaking_link_range
        ``(lo, hi)``: sharers of one breaking link, Zipf-like between them.
    trending_tags
        Number of trending hashtags with Zipf popularity, ``>= 0`` (0: none).
    trend_share
        Share of everyday originals carrying a trending hashtag, in ``[0, 1]``.
    trend_follower_share
        Share of organic accounts that are trend followers, in ``[0, 1]``.
    trend_posts_per_day
        Median extra posts per trend follower and day, each with a trending hashtag, ``>= 0``.
    heavy_fans
        Heavy-tailed fans per celebrity, ``>= 0``.
    heavy_fan_fast_share
        Average probability that a heavy-tailed fan's repost comes within ~15 s, in ``[0, 1]``.
    amplifier_occasions_range
        ``(lo, hi)``: occasions of an ``amplifier_ring`` (seed posts it amplifies), uniform.
    slow_lag_mean_range
        ``(lo, hi)`` in seconds: range of a ``slow_copypasta`` group's mean lag.
    """

    n_organic: int = 3000
    n_groups: int = 12
    group_size_range: tuple[int, int] = (4, 25)
    days: int = 30
    start: datetime = datetime(2024, 3, 1, tzinfo=UTC)
    seed: int = 0
    behaviours: tuple[str, ...] = CLASSIC_BEHAVIOURS
    occasions_range: tuple[int, int] = (6, 12)
    participation: float = 0.8
    lag_mean_range: tuple[float, float] = (5.0, 15.0)
    posts_per_day: float = 1.0
    activity_sigma: float = 1.0
    celebrities: int = 5
    fans_per_celebrity: tuple[int, int] = (30, 80)
    fan_delay_median: float = 2400.0
    fan_delay_sigma: float = 1.2
    news_follower_share: float = 0.10
    viral_fan_share: float = 0.15
    viral_bursts: int = 6
    burst_size_range: tuple[int, int] = (150, 400)
    breaking_news: int = 8
    breaking_size_range: tuple[int, int] = (60, 200)
    image_group_share: float = 0.3
    # the harder worlds
    viral_moments: int = 0
    viral_crowd_range: tuple[int, int] = (50, 400)
    viral_giants: int = 0
    viral_giant_range: tuple[int, int] = (1000, 4000)
    breaking_links: int = 0
    breaking_link_range: tuple[int, int] = (30, 200)
    trending_tags: int = 0
    trend_share: float = 0.2
    trend_follower_share: float = 0.0
    trend_posts_per_day: float = 30.0
    heavy_fans: int = 0
    heavy_fan_fast_share: float = 0.15
    amplifier_occasions_range: tuple[int, int] = (6, 20)
    slow_lag_mean_range: tuple[float, float] = (300.0, 1800.0)

    @classmethod
    def preset(cls, world: str, **overrides: Any) -> SimulationConfig:
        """The configuration of a named world (:data:`WORLDS`), with ``overrides`` applied.

        >>> SimulationConfig.preset("default") == SimulationConfig()
        True
        >>> SimulationConfig.preset("hard", seed=3).viral_moments
        300
        """
        if world not in WORLDS:
            raise ParameterError("world", f"one of {', '.join(WORLDS)}", world)
        names = {f.name for f in dataclasses.fields(cls)}
        for name in sorted(overrides):
            if name not in names:
                raise ParameterError(
                    name, f"one of the SimulationConfig fields ({', '.join(sorted(names))})", name
                )
        return cls(**{**WORLDS[world], **overrides})

    def __post_init__(self) -> None:
        for name in (
            "n_organic",
            "n_groups",
            "seed",
            "celebrities",
            "viral_bursts",
            "viral_moments",
            "viral_giants",
            "breaking_links",
            "trending_tags",
            "heavy_fans",
        ):
            _check_int(name, getattr(self, name), 0)
        _check_int("breaking_news", self.breaking_news, 0)
        _check_int("days", self.days, 1)
        sizes = _check_int_range("group_size_range", self.group_size_range, 2)
        self._set("group_size_range", sizes)
        for name in (
            "occasions_range",
            "fans_per_celebrity",
            "burst_size_range",
            "breaking_size_range",
            "viral_crowd_range",
            "viral_giant_range",
            "breaking_link_range",
            "amplifier_occasions_range",
        ):
            self._set(name, _check_int_range(name, getattr(self, name), 1))
        for name in ("lag_mean_range", "slow_lag_mean_range"):
            self._set(name, _check_float_range(name, getattr(self, name)))
        _check_float("participation", self.participation, 0.0, 1.0, low_open=True)
        if not isinstance(self.fan_delay_median, int | float) or not self.fan_delay_median > 0:
            raise ParameterError(
                "fan_delay_median", "a number of seconds > 0", self.fan_delay_median
            )
        if not isinstance(self.fan_delay_sigma, int | float) or self.fan_delay_sigma < 0:
            raise ParameterError("fan_delay_sigma", "a number >= 0", self.fan_delay_sigma)
        for name in (
            "news_follower_share",
            "viral_fan_share",
            "image_group_share",
            "trend_share",
            "trend_follower_share",
            "heavy_fan_fast_share",
        ):
            _check_float(name, getattr(self, name), 0.0, 1.0)
        _check_float("trend_posts_per_day", self.trend_posts_per_day, 0.0, 1e4)
        if self.news_follower_share + self.viral_fan_share > 1.0:
            raise ParameterError(
                "news_follower_share",
                "at most 1 - viral_fan_share (the two roles do not overlap)",
                self.news_follower_share,
            )
        _check_float("posts_per_day", self.posts_per_day, 0.0, 1e4, low_open=True)
        _check_float("activity_sigma", self.activity_sigma, 0.0, 5.0)
        if not isinstance(self.start, datetime):
            raise ParameterError("start", "a datetime", self.start)
        if self.start.tzinfo is None:
            self._set("start", self.start.replace(tzinfo=UTC))
        behaviours = self.behaviours
        if isinstance(behaviours, str):
            behaviours = (behaviours,)
        behaviours = tuple(behaviours)
        if not behaviours or any(b not in PLANTED_BEHAVIOURS for b in behaviours):
            raise ParameterError(
                "behaviours", f"a non-empty sequence of {', '.join(PLANTED_BEHAVIOURS)}", behaviours
            )
        self._set("behaviours", behaviours)

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)


# The harder worlds' organic background: 20,000 accounts whose activity spans three orders of
# magnitude (median 0.2 posts a day), ~450k posts a month, viral moments, giants, breaking
# links and trending hashtags.
_CROWDED: dict[str, Any] = {
    "n_organic": 20_000,
    "posts_per_day": 0.2,
    "activity_sigma": 1.4,
    "celebrities": 10,
    "viral_moments": 300,
    "viral_giants": 3,
    "breaking_links": 100,
    "trending_tags": 20,
    "trend_follower_share": 0.003,
}

#: The named worlds of :meth:`SimulationConfig.preset` and ``inconcert simulate --world``: the
#: fields each one sets (every other field keeps its default).
#:
#: ``default``
#:     Today's world: 3,000 organic accounts, 12 groups of the classic behaviours.
#: ``viral``
#:     Popularity-heavy: 20,000 organic accounts with activity over three orders of magnitude,
#:     300 viral moments, 3 giants, 100 breaking links, 20 trending hashtags and their
#:     followers; 30 groups of the classic behaviours.
#: ``fans``
#:     Celebrities with heavy-tailed fans (10 celebrities, 60 each) among 10,000 organic
#:     accounts (median 0.5 posts a day); 16 groups of 4-40: one-account amplification rings
#:     and repost rings.
#: ``hard``
#:     Everything: the ``viral`` background, 40 heavy-tailed fans per celebrity, and 36 groups
#:     of 4-40 accounts in all seven behaviours.
WORLDS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "default": MappingProxyType({}),
        "viral": MappingProxyType({**_CROWDED, "n_groups": 30}),
        "fans": MappingProxyType(
            {
                "n_organic": 10_000,
                "posts_per_day": 0.5,
                "celebrities": 10,
                "heavy_fans": 60,
                "n_groups": 16,
                "group_size_range": (4, 40),
                "behaviours": ("amplifier_ring", "repost_ring"),
            }
        ),
        "hard": MappingProxyType(
            {
                **_CROWDED,
                "heavy_fans": 40,
                "n_groups": 36,
                "group_size_range": (4, 40),
                "behaviours": PLANTED_BEHAVIOURS,
            }
        ),
    }
)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(name, f"an integer >= {minimum}", value)


def _check_float(
    name: str, value: object, low: float, high: float, *, low_open: bool = False
) -> None:
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    if ok:
        number = float(value)  # type: ignore[arg-type]
        ok = (number > low if low_open else number >= low) and number <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ParameterError(name, f"a number in {bracket}{low:g}, {high:g}]", value)


def _check_int_range(name: str, value: object, minimum: int) -> tuple[int, int]:
    constraint = f"a pair (lo, hi) of integers with {minimum} <= lo <= hi"
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ParameterError(name, constraint, value)
    if any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in value):
        raise ParameterError(name, constraint, value)
    lo, hi = int(value[0]), int(value[1])
    if not minimum <= lo <= hi:
        raise ParameterError(name, constraint, value)
    return (lo, hi)


def _check_float_range(name: str, value: object) -> tuple[float, float]:
    constraint = "a pair (lo, hi) of numbers with 0 < lo <= hi"
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ParameterError(name, constraint, value)
    if any(isinstance(v, bool) or not isinstance(v, int | float | np.number) for v in value):
        raise ParameterError(name, constraint, value)
    lo, hi = float(value[0]), float(value[1])
    if not 0.0 < lo <= hi < float("inf"):
        raise ParameterError(name, constraint, value)
    return (lo, hi)


@dataclass(frozen=True)
class Simulation:
    """The output of :func:`simulate`.

    Attributes
    ----------
    posts
        The posts, exactly :data:`~inconcert.schema.POST_SCHEMA`, sorted by
        ``(timestamp, post_id)``. Post ids increase with time, so every ``repost_of``,
        ``reply_to`` and ``quote_of`` names an earlier row.
    truth
        :data:`TRUTH_SCHEMA`: ``account_id``, ``group_id`` (null for organic accounts) and
        ``behaviour`` (one of :data:`PLANTED_ROLES` or :data:`ORGANIC_ROLES`), one row per
        account that exists in the simulation (an account may have no post), sorted by id.
    """

    posts: pa.Table
    truth: pa.Table


# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------


def _assemble(world: _World, posts: _Posts) -> pa.Table:
    """Drop repeated reposts, sort by time, give ids in time order, build the Arrow table."""
    account = np.asarray(posts.account, dtype=np.int64)
    time = np.asarray(posts.time, dtype=np.int64)
    repost = np.asarray(posts.repost_of, dtype=np.int64)
    reply = np.asarray(posts.reply_to, dtype=np.int64)
    quote = np.asarray(posts.quote_of, dtype=np.int64)
    n = len(account)
    position = np.arange(n, dtype=np.int64)

    # Posts of the warm-up day go, and so does everything that references one of them
    # (references only ever point to originals, which reference nothing themselves).
    keep = time >= 0
    for refs in (repost, reply, quote):
        has = refs >= 0
        keep[has] &= keep[refs[has]]

    # An account reposts a post at most once: keep its earliest repost.
    is_repost = np.flatnonzero(repost >= 0)
    if len(is_repost):
        is_repost = is_repost[keep[is_repost]]
        order = is_repost[np.lexsort((position[is_repost], time[is_repost]))]
        key = account[order] * max(n, 1) + repost[order]
        _, first = np.unique(key, return_index=True)
        dropped = np.ones(len(order), dtype=bool)
        dropped[first] = False
        keep[order[dropped]] = False

    kept = np.flatnonzero(keep)
    kept = kept[np.lexsort((position[kept], time[kept]))]
    new_position = np.full(n, -1, dtype=np.int64)
    new_position[kept] = np.arange(len(kept))
    width = max(7, len(str(max(len(kept) - 1, 0))))
    post_ids = [f"p{i:0{width}d}" for i in range(len(kept))]

    def references(refs: np.ndarray) -> pa.Array:
        values = refs[kept]
        mapped = np.where(values >= 0, new_position[np.maximum(values, 0)], -1)
        if np.any((values >= 0) & (mapped < 0)):  # pragma: no cover - a bug if it happens
            raise AssertionError("a reference points to a dropped post")
        return pa.array([post_ids[m] if m >= 0 else None for m in mapped.tolist()], pa.string())

    start_us = int(world.config.start.timestamp()) * 1_000_000 + world.config.start.microsecond
    kept_list = kept.tolist()
    columns = {
        "post_id": pa.array(post_ids, pa.string()),
        "account_id": pa.array([world.ids[a] for a in account[kept].tolist()], pa.string()),
        "timestamp": pa.array(start_us + time[kept] * 1_000_000, pa.int64()).cast(
            POST_SCHEMA.field("timestamp").type
        ),
        "platform": pa.array([_PLATFORM] * len(kept), pa.string()),
        "text": pa.array([posts.text[i] for i in kept_list], pa.string()),
        "urls": _list_array([posts.urls[i] for i in kept_list]),
        "hashtags": _list_array([posts.hashtags[i] for i in kept_list]),
        "mentions": _list_array([posts.mentions[i] for i in kept_list]),
        "image_hashes": _list_array([posts.images[i] for i in kept_list]),
        "repost_of": references(repost),
        "reply_to": references(reply),
        "quote_of": references(quote),
    }
    return pa.Table.from_arrays(list(columns.values()), schema=POST_SCHEMA)


def _list_array(values: list[list[str]]) -> pa.Array:
    return pa.array(values, pa.list_(pa.string()))


def _truth(world: _World) -> pa.Table:
    order = sorted(range(len(world.ids)), key=world.ids.__getitem__)
    return pa.Table.from_arrays(
        [
            pa.array([world.ids[i] for i in order], pa.string()),
            pa.array([world.group_of[i] for i in order], pa.string()),
            pa.array([world.role[i] for i in order], pa.string()),
        ],
        schema=TRUTH_SCHEMA,
    )


def simulate(config: SimulationConfig | None = None, **overrides: Any) -> Simulation:
    """Simulate posts with planted coordinated groups, and the truth about who is in them.

    Parameters
    ----------
    config
        What to simulate; :class:`SimulationConfig` defaults when ``None``.
    **overrides
        Fields of :class:`SimulationConfig` to change, e.g. ``simulate(seed=7, days=10)``.

    Returns
    -------
    Simulation
        ``posts`` in :data:`~inconcert.schema.POST_SCHEMA` and ``truth`` in
        :data:`TRUTH_SCHEMA`.

    Raises
    ------
    ParameterError
        If a field is out of range or an override is not a field.

    Examples
    --------
    >>> sim = simulate(n_organic=200, n_groups=2, days=7, viral_bursts=1, seed=1)
    >>> sim.posts.schema == POST_SCHEMA
    True
    """
    if config is None:
        config = SimulationConfig()
    elif not isinstance(config, SimulationConfig):
        raise ParameterError("config", "a SimulationConfig or None", config)
    if overrides:
        names = {f.name for f in dataclasses.fields(SimulationConfig)}
        for name in sorted(overrides):
            if name not in names:
                raise ParameterError(
                    name, f"one of the SimulationConfig fields ({', '.join(sorted(names))})", name
                )
        config = dataclasses.replace(config, **overrides)

    # Child k of the seed sequence is the same whatever the number spawned: the streams of the
    # harder worlds (7 on) leave the first seven, and so today's world, as they were.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(13)]
    world = _build_world(config, streams[0])
    posts = _Posts()
    _organic_background(world, streams[1], posts)
    _viral_bursts(world, streams[2], posts)
    _breaking_news(world, streams[3], posts)
    _celebrity_fans(world, streams[4], posts)
    _plant(world, streams[5], posts)
    _organic_adoption(world, streams[6], posts)
    _assign_roles(world, streams[7])
    _heavy_tailed_fans(world, streams[8], posts)
    _viral_moments(world, streams[9], posts)
    _breaking_links(world, streams[10], posts)
    _trending(world, streams[11], posts)
    _plant_later(world, streams[12], posts)
    return Simulation(posts=_assemble(world, posts), truth=_truth(world))


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_FILES = {
    "posts_csv": "posts.csv.gz",
    "posts_parquet": "posts.parquet",
    "truth_csv": "truth.csv",
}


def write_simulation(
    sim: Simulation, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write a simulation as ``posts.csv.gz``, ``posts.parquet`` and ``truth.csv``.

    The CSV is UTF-8 with a header; list columns are JSON arrays (``[]`` when empty),
    timestamps ISO 8601 in UTC with a ``Z`` (``2024-03-01T08:15:02Z``), nulls empty fields. Each
    file is written under a temporary name in ``out_dir`` and then renamed into place, so a
    reader never sees half a file. The gzip header carries no time stamp and no file name, so
    the same simulation always gives the same bytes.

    Parameters
    ----------
    sim
        What :func:`simulate` returned.
    out_dir
        Directory to write into; created (with parents) if missing.
    overwrite
        Replace existing files. Without it, nothing is written if any of the three exists.

    Returns
    -------
    dict[str, pathlib.Path]
        ``{"posts_csv": ..., "posts_parquet": ..., "truth_csv": ...}``.

    Raises
    ------
    InputError
        If a file exists and ``overwrite`` is false, or ``out_dir`` is not a directory.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(out, "exists and is not a directory", hint="choose another --out")
    paths = {key: out / name for key, name in _FILES.items()}
    if not overwrite:
        for path in paths.values():
            if path.exists():
                raise InputError(
                    path, "already exists", hint="pass overwrite=True (--overwrite) to replace it"
                )
    out.mkdir(parents=True, exist_ok=True)

    def posts_csv(handle: BinaryIO) -> None:
        with gzip.GzipFile(filename="", fileobj=handle, mode="wb", compresslevel=6, mtime=0) as gz:
            _write_csv(_csv_ready(sim.posts), gz)

    _atomic_write(paths["posts_csv"], posts_csv)
    _atomic_write(
        paths["posts_parquet"],
        lambda handle: pq.write_table(sim.posts, handle, compression="zstd"),
    )
    _atomic_write(paths["truth_csv"], lambda handle: _write_csv(sim.truth, handle))
    return paths


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def _write_csv(table: pa.Table, handle: _Writable) -> None:
    """CSV with a plain header line and fields quoted only where needed."""
    handle.write((",".join(table.column_names) + "\n").encode("utf-8"))
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(table, handle, options)


def _csv_ready(posts: pa.Table) -> pa.Table:
    """Posts with lists as JSON arrays and timestamps as ISO 8601 strings ending in Z."""
    columns = []
    for field in posts.schema:
        column = posts.column(field.name)
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            values = [
                None
                if v is None
                else "[]"
                if not v
                else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                for v in column.to_pylist()
            ]
            column = pa.chunked_array([pa.array(values, pa.string())])
        elif pa.types.is_timestamp(field.type):
            column = pa.chunked_array([_iso(column)])
        columns.append(column)
    names = posts.schema.names
    return pa.Table.from_arrays(columns, names=names)


def _iso(column: pa.ChunkedArray) -> pa.Array:
    micros = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    valid = np.asarray(micros.is_valid())
    values = micros.fill_null(0).to_numpy().astype("datetime64[us]")
    whole = bool(np.all(values.astype(np.int64) % 1_000_000 == 0))
    text = np.char.add(np.datetime_as_string(values, unit="s" if whole else "us"), "Z")
    return pa.array(text.tolist(), pa.string(), mask=~valid)


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
