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

Everything is drawn from :func:`numpy.random.default_rng` streams derived from one seed, so the
same configuration always gives the same tables and, through :func:`write_simulation`, the same
bytes on disk.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from inconcert.errors import InputError, ParameterError
from inconcert.schema import POST_SCHEMA

__all__ = [
    "ORGANIC_ROLES",
    "PLANTED_BEHAVIOURS",
    "TRUTH_SCHEMA",
    "Simulation",
    "SimulationConfig",
    "simulate",
    "write_simulation",
]

#: The coordinated behaviours a planted group can have.
PLANTED_BEHAVIOURS: tuple[str, ...] = (
    "url_ring",
    "repost_ring",
    "hashtag_push",
    "copypasta",
    "mixed",
)

#: The behaviours of organic accounts in the truth table (their ``group_id`` is null).
#: Celebrities themselves are plain ``"organic"`` accounts that happen to be popular.
ORGANIC_ROLES: tuple[str, ...] = ("organic", "viral_fan", "news_follower", "celebrity_fan")

#: The schema of :attr:`Simulation.truth`: one row per account, sorted by ``account_id``.
TRUTH_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string()),
        pa.field("behaviour", pa.string(), nullable=False),
    ]
)

_DAY = 86_400
_HOUR = 3_600
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
        ``behaviours[k % len(behaviours)]``); each one of :data:`PLANTED_BEHAVIOURS`.
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
    """

    n_organic: int = 3000
    n_groups: int = 12
    group_size_range: tuple[int, int] = (4, 25)
    days: int = 30
    start: datetime = datetime(2024, 3, 1, tzinfo=UTC)
    seed: int = 0
    behaviours: tuple[str, ...] = PLANTED_BEHAVIOURS
    occasions_range: tuple[int, int] = (6, 12)
    participation: float = 0.8
    lag_mean_range: tuple[float, float] = (5.0, 15.0)
    posts_per_day: float = 1.0
    activity_sigma: float = 1.0
    celebrities: int = 5
    fans_per_celebrity: tuple[int, int] = (30, 80)
    news_follower_share: float = 0.10
    viral_fan_share: float = 0.15
    viral_bursts: int = 6
    burst_size_range: tuple[int, int] = (150, 400)
    breaking_news: int = 8
    breaking_size_range: tuple[int, int] = (60, 200)
    image_group_share: float = 0.3

    def __post_init__(self) -> None:
        for name in ("n_organic", "n_groups", "seed", "celebrities", "viral_bursts"):
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
        ):
            self._set(name, _check_int_range(name, getattr(self, name), 1))
        self._set("lag_mean_range", _check_float_range("lag_mean_range", self.lag_mean_range))
        _check_float("participation", self.participation, 0.0, 1.0, low_open=True)
        for name in ("news_follower_share", "viral_fan_share", "image_group_share"):
            _check_float(name, getattr(self, name), 0.0, 1.0)
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
        ``behaviour`` (one of :data:`PLANTED_BEHAVIOURS` or :data:`ORGANIC_ROLES`), one row per
        account that exists in the simulation (an account may have no post), sorted by id.
    """

    posts: pa.Table
    truth: pa.Table


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

_WORD_TEXT = """
    the to and a of is in it you that for this on be are with we they have not but so just
    what all about at was will like can people if now from more one time do how our get know
    think today out really new good there need would who why no they're don't it's when going
    make see right up day still only want even last also back much never year first after week
    never best love great world us here because news government city team game country money
    years life work thing way state says school police vote election president minister war
    climate health power energy prices food water support local market report plan public
    night morning weekend history media free children family everyone nobody something
    nothing better worse big small long short true false again already always maybe please
    thanks sorry happy sad angry tired ready sure live watch read share follow look listen
    hope wait change stop start help keep give take call tell ask feel believe remember
    forget understand explain agree happen bring win lose play pay build open close move
    meeting council court law rights budget taxes jobs economy housing rent workers strike
    border security football match season coach fans music album show film series book
    story photo video podcast interview data science research study doctors hospital
    vaccine virus weather storm rain heat summer winter spring train bus traffic road
    airport flight holiday beach coffee dinner lunch breakfast pizza cat dog garden
    phone app update online internet website ai tech startup company bank crypto stock
    deal trade europe china russia america africa asia ukraine gaza nato un eu
    important interesting amazing terrible incredible ridiculous honest simple clear
    wrong fair unfair local national global official breaking latest huge tiny whole
"""
_WORDS: tuple[str, ...] = tuple(dict.fromkeys(_WORD_TEXT.split()))

_ENDINGS = (".", "", "!", "?", "...", " !!", ".")
_ENDING_P = np.array([0.45, 0.2, 0.12, 0.1, 0.05, 0.03, 0.05])
_EMOJI = ("😂", "🔥", "👍", "🙏", "❤️", "😡", "🤔", "👀", "💯", "🎉", "😢", "🇪🇺")

_SHORT_REPLIES = (
    "so true",
    "this!",
    "lol",
    "exactly",
    "100%",
    "thank you",
    "well said",
    "no way",
    "source?",
    "agreed",
    "😂😂",
    "wow",
    "same here",
    "good point",
    "not sure about that",
)

_POPULAR_TAGS = (
    "news",
    "politics",
    "breaking",
    "football",
    "music",
    "climate",
    "tech",
    "ai",
    "health",
    "economy",
    "election2024",
    "weather",
    "sports",
    "movies",
    "travel",
    "food",
    "science",
    "crypto",
    "gaming",
    "photography",
    "art",
    "books",
    "education",
    "ukraine",
    "europe",
    "energy",
    "housing",
    "jobs",
    "mondaymotivation",
    "tbt",
)

# (domain, whether the site's canonical links use "www.")
_OUTLETS: tuple[tuple[str, bool], ...] = (
    ("morningledger.com", True),
    ("dailycourier.co.uk", True),
    ("thenationalpost.org", True),
    ("metro-dispatch.com", False),
    ("rundschau-heute.de", True),
    ("lequotidienlibre.fr", True),
    ("valleychronicle.com", True),
    ("globalwire.net", False),
    ("citybeat.news", False),
    ("capitalobserver.com", True),
    ("harbourtimes.com.au", True),
    ("northernstar.ca", True),
    ("econreview.com", True),
    ("sciencedesk.org", False),
    ("techpulse.io", False),
    ("sportsline24.com", True),
    ("weekendmagazine.co.uk", True),
    ("eveningstandard-news.com", True),
    ("publicradio.org", True),
    ("factcheckers.org", False),
    ("videotube.com", True),
    ("blogspace.net", False),
    ("regionalgazette.de", True),
    ("elpaisdiario.es", True),
    ("worldaffairs.com", True),
)
_SECTIONS = ("news", "politics", "world", "business", "sport", "culture", "science", "opinion")
_TRACKING = (
    "?utm_source=twitter",
    "?utm_source=twitter&utm_medium=social",
    "?utm_source=facebook&utm_medium=referral",
    "?utm_campaign=share&utm_source=sim",
    "?ref=share",
)
_FRINGE_A = ("patriot", "truth", "free", "real", "awake", "liberty", "people", "nation", "true")
_FRINGE_B = ("voice", "report", "wire", "daily", "insider", "herald", "watch", "pulse", "post")
_FRINGE_TLD = ("com", "net", "org", "info", "news")
_CAMPAIGN_A = ("Stop", "Save", "Vote", "Defend", "Protect", "Ban", "Free", "Back", "Reject")
_CAMPAIGN_B = ("Farmers", "OurTown", "TheTruth", "Freedom", "Borders", "Families", "Jobs", "Speech")

# Shares of organic activity: original, repost, reply, quote.
_MIX = np.array([0.55, 0.30, 0.10, 0.05])
_CELEBRITY_MIX = np.array([0.90, 0.05, 0.03, 0.02])

# Time of day (UTC hour 0..23): quiet at night, busiest in the evening.
_HOURLY = np.array(
    [
        *(0.35, 0.22, 0.15, 0.10, 0.09, 0.12, 0.25, 0.45, 0.65, 0.75, 0.80, 0.85),
        *(0.90, 0.88, 0.85, 0.85, 0.88, 0.92, 0.98, 1.00, 1.00, 0.95, 0.80, 0.55),
    ]
)
_HOURLY_P = _HOURLY / _HOURLY.sum()
_DAYTIME_P = (
    np.where(np.arange(24) >= 7, _HOURLY, 0.0) / np.where(np.arange(24) >= 7, _HOURLY, 0.0).sum()
)


def _zipf_p(n: int, exponent: float = 1.0, offset: float = 1.0) -> np.ndarray:
    """Probabilities proportional to ``1 / (rank + offset) ** exponent`` for ranks 0..n-1."""
    weights = 1.0 / (np.arange(n, dtype=float) + offset) ** exponent
    return np.asarray(weights / weights.sum())


# Sentences are built from a small grammar: [opener] subject verb object [tail], one to three
# clauses joined by connectors, every part Zipf-weighted. Millions of combinations, and they read
# like posts rather than word salad.
_OPENERS = (
    "honestly,",
    "I think",
    "so apparently",
    "can't believe",
    "reminder:",
    "wow,",
    "not gonna lie,",
    "ok so",
    "just read that",
    "in case you missed it,",
    "breaking news:",
    "funny how",
    "people forget that",
    "hot take:",
    "unpopular opinion:",
    "good morning!",
    "thread:",
    "fact:",
    "update:",
    "seriously,",
)
_SUBJECTS = (
    "the government",
    "the council",
    "my team",
    "the minister",
    "everyone I know",
    "this city",
    "the new album",
    "the president",
    "our coach",
    "the weather",
    "the bank",
    "my cat",
    "the opposition",
    "the media",
    "this podcast",
    "the mayor",
    "the league",
    "the company",
    "the school",
    "my neighbour",
    "the market",
    "the court",
    "the police",
    "the hospital",
    "the union",
    "the referee",
    "the study",
    "this show",
    "the EU",
    "the airline",
    "the landlord",
    "the startup",
    "the festival",
    "the report",
    "nobody",
    "the fan club",
    "the science desk",
    "my doctor",
    "the works council",
    "the committee",
)
_VERBS = (
    "is talking about",
    "just announced",
    "keeps ignoring",
    "wants to change",
    "finally fixed",
    "completely ruined",
    "is lying about",
    "is celebrating",
    "voted against",
    "voted for",
    "can't stop talking about",
    "quietly dropped",
    "is right about",
    "is wrong about",
    "has no plan for",
    "is paying for",
    "wants more money for",
    "doubled",
    "cut",
    "delayed",
    "cancelled",
    "postponed",
    "reviewed",
    "explained",
    "made a mess of",
    "deserves credit for",
    "should apologise for",
    "needs to rethink",
    "is investing in",
    "is blaming others for",
)
_OBJECTS = (
    "the budget",
    "rent prices",
    "the new stadium",
    "the train timetable",
    "the climate plan",
    "the tax rules",
    "school lunches",
    "the election",
    "the match on Sunday",
    "the heatwave",
    "housing",
    "the health service",
    "energy bills",
    "the bus strike",
    "the border checks",
    "the speed limits",
    "the festival",
    "interest rates",
    "the water supply",
    "the trade deal",
    "the vaccine rollout",
    "free speech",
    "the pension reform",
    "the new bike lanes",
    "the teachers' pay",
    "the final",
    "the transfer window",
    "the tour dates",
    "the coffee prices",
    "the airport expansion",
    "the parking fees",
    "the data leak",
    "the AI rules",
    "the flood defences",
    "the minimum wage",
    "the ceasefire talks",
    "the power cuts",
    "the hospital waiting lists",
    "the recycling scheme",
    "the season finale",
)
_TAILS = (
    "again",
    "today",
    "right now",
    "this week",
    "for the third time",
    "and nobody noticed",
    "without telling anyone",
    "lol",
    "as usual",
    "at last",
    "and I'm not surprised",
    "and it shows",
    "before the weekend",
    "in front of everyone",
    "while prices keep rising",
    "apparently",
    "once more",
    "of all things",
    "yesterday",
    "tonight",
)
_CONNECTORS = (", and ", " but ", ". ", ", so ", " because ", " while ", ". Meanwhile ")
_OPENER_P = _zipf_p(len(_OPENERS), 0.8, 2.0)
_SUBJECT_P = _zipf_p(len(_SUBJECTS), 0.8, 2.0)
_VERB_P = _zipf_p(len(_VERBS), 0.8, 2.0)
_OBJECT_P = _zipf_p(len(_OBJECTS), 0.8, 2.0)
_TAIL_P = _zipf_p(len(_TAILS), 0.8, 2.0)


# ---------------------------------------------------------------------------------------------
# Post buffer: columns as Python lists, references as buffer positions (ids come at the end)
# ---------------------------------------------------------------------------------------------

_EMPTY: tuple[str, ...] = ()


class _Posts:
    """Posts collected in generation order. References are positions in this buffer."""

    def __init__(self) -> None:
        self.account: list[int] = []
        self.time: list[int] = []
        self.text: list[str | None] = []
        self.urls: list[list[str]] = []
        self.hashtags: list[list[str]] = []
        self.mentions: list[list[str]] = []
        self.images: list[list[str]] = []
        self.repost_of: list[int] = []
        self.reply_to: list[int] = []
        self.quote_of: list[int] = []

    def __len__(self) -> int:
        return len(self.account)

    def add(
        self,
        account: int,
        time: int,
        text: str | None,
        *,
        urls: Sequence[str] = _EMPTY,
        hashtags: Sequence[str] = _EMPTY,
        mentions: Sequence[str] = _EMPTY,
        images: Sequence[str] = _EMPTY,
        repost_of: int = -1,
        reply_to: int = -1,
        quote_of: int = -1,
    ) -> int:
        self.account.append(int(account))
        self.time.append(int(time))
        self.text.append(text)
        self.urls.append(list(urls))
        self.hashtags.append(list(hashtags))
        self.mentions.append(list(mentions))
        self.images.append(list(images))
        self.repost_of.append(int(repost_of))
        self.reply_to.append(int(reply_to))
        self.quote_of.append(int(quote_of))
        return len(self.account) - 1

    def add_reposts(self, accounts: np.ndarray, times: np.ndarray, targets: np.ndarray) -> None:
        """Append plain reposts: no text, no entities, only ``repost_of``."""
        n = len(accounts)
        self.account.extend(accounts.tolist())
        self.time.extend(times.tolist())
        self.text.extend([None] * n)
        for column in (self.urls, self.hashtags, self.mentions, self.images):
            column.extend([] for _ in range(n))
        self.repost_of.extend(targets.tolist())
        self.reply_to.extend([-1] * n)
        self.quote_of.extend([-1] * n)


# ---------------------------------------------------------------------------------------------
# The world: accounts, roles, popularity, articles, and the pool of repostable originals
# ---------------------------------------------------------------------------------------------


@dataclass
class _Group:
    members: np.ndarray
    behaviour: str
    lag_mean: float
    occasions: int
    fringe_domain: str
    campaign_tag: str
    images: tuple[str, ...]


@dataclass
class _World:
    config: SimulationConfig
    end: int  # seconds after start; every post is in [0, end)
    ids: list[str]  # account index -> account id
    organic: np.ndarray  # indices of organic accounts
    role: list[str]  # account index -> behaviour in the truth table
    group_of: list[str | None]
    groups: list[_Group]
    popularity: np.ndarray  # weight of being reposted / mentioned, sums to 1
    mention_p: np.ndarray
    rates: np.ndarray  # posts per day
    celebrities: np.ndarray
    fans: list[np.ndarray]  # fans[k] are the fans of celebrities[k]
    article_pub: np.ndarray  # publication time, sorted
    article_url: list[str]  # canonical URL
    article_cum: np.ndarray  # cumulative popularity, length n_articles + 1
    tags: tuple[str, ...]
    tag_p: np.ndarray
    memes: tuple[str, ...]
    meme_p: np.ndarray
    # originals available as repost targets, sorted by time
    orig_pos: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    orig_time: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    orig_account: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    orig_cum: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(1))


def _hex(rng: np.random.Generator, n: int, digits: int = 16) -> list[str]:
    """``n`` random hex strings, like 64-bit perceptual image hashes."""
    values = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    return [f"{int(v):016x}"[-digits:] for v in values]


def _build_world(config: SimulationConfig, rng: np.random.Generator) -> _World:
    lo, hi = config.group_size_range
    sizes = rng.integers(lo, hi + 1, size=config.n_groups)
    n_organic = config.n_organic
    n_total = n_organic + int(sizes.sum())
    width = max(4, len(str(max(n_total - 1, 0))))
    numbers = rng.permutation(n_total)
    ids = [f"a{int(k):0{width}d}" for k in numbers]

    organic = np.arange(n_organic)
    role = ["organic"] * n_total
    group_of: list[str | None] = [None] * n_total

    # Popularity: celebrities on top, everyone else in a random Zipf order.
    n_celebrities = min(config.celebrities, n_organic)
    rest = rng.permutation(np.arange(n_celebrities, n_total))
    order = np.concatenate([organic[:n_celebrities], rest])
    popularity = np.empty(n_total)
    popularity[order] = _zipf_p(n_total, 1.0) if n_total else np.zeros(0)
    celebrities = organic[:n_celebrities]

    # Roles of organic accounts (disjoint): celebrity fans, news followers, viral fans.
    candidates = rng.permutation(organic[n_celebrities:])
    taken = 0
    fans_lo, fans_hi = config.fans_per_celebrity
    fans: list[np.ndarray] = []
    for _ in celebrities:
        k = min(int(rng.integers(fans_lo, fans_hi + 1)), len(candidates) - taken)
        fans.append(np.sort(candidates[taken : taken + k]))
        for a in fans[-1]:
            role[a] = "celebrity_fan"
        taken += k
    for name, share in (
        ("news_follower", config.news_follower_share),
        ("viral_fan", config.viral_fan_share),
    ):
        k = min(round(share * n_organic), len(candidates) - taken)
        for a in candidates[taken : taken + k]:
            role[a] = name
        taken += k

    # Activity: lognormal posts per day; celebrities post a few times a day, mostly originals.
    rates = config.posts_per_day * rng.lognormal(0.0, config.activity_sigma, size=n_total)
    rates = np.minimum(rates, 150.0)
    rates[celebrities] = rng.uniform(3.0, 6.0, size=n_celebrities)

    # Planted groups: a shuffled block of account indices after the organic ones.
    groups: list[_Group] = []
    gwidth = max(2, len(str(config.n_groups)))
    used_domains: set[str] = set()
    used_tags: set[str] = set()
    first = n_organic
    occ_lo, occ_hi = config.occasions_range
    lag_lo, lag_hi = config.lag_mean_range
    for k, size in enumerate(sizes.tolist()):
        members = np.arange(first, first + size)
        first += size
        behaviour = config.behaviours[k % len(config.behaviours)]
        gid = f"g{k + 1:0{gwidth}d}"
        for a in members:
            role[a] = behaviour
            group_of[a] = gid
        domain = _unique_name(
            rng,
            used_domains,
            lambda r: f"{r.choice(_FRINGE_A)}{r.choice(_FRINGE_B)}.{r.choice(_FRINGE_TLD)}",
        )
        tag = _unique_name(
            rng, used_tags, lambda r: f"{r.choice(_CAMPAIGN_A)}{r.choice(_CAMPAIGN_B)}"
        )
        images = tuple(_hex(rng, 3)) if rng.random() < config.image_group_share else ()
        groups.append(
            _Group(
                members=members,
                behaviour=behaviour,
                lag_mean=float(rng.uniform(lag_lo, lag_hi)),
                occasions=int(rng.integers(occ_lo, occ_hi + 1)),
                fringe_domain=domain,
                campaign_tag=tag,
                images=images,
            )
        )

    # Mentions go to popular accounts.
    mention_p = popularity.copy()
    if n_total and mention_p.sum() > 0:
        mention_p /= mention_p.sum()

    end = config.days * _DAY
    # Articles: published from two days before the start to the end, Zipf popular.
    n_articles = max(200, 150 * config.days)
    pub = np.sort(rng.integers(-2 * _DAY, end, size=n_articles))
    outlet = rng.choice(len(_OUTLETS), size=n_articles, p=_zipf_p(len(_OUTLETS), 1.0, 1.5))
    article_p = rng.permutation(_zipf_p(n_articles, 0.9, 5.0))
    cum = np.concatenate([[0.0], np.cumsum(article_p)])
    slugs = _slugs(rng, n_articles)
    sections = rng.integers(len(_SECTIONS), size=n_articles)
    article_ids = rng.integers(100_000, 999_999, size=n_articles)
    base = config.start
    urls = []
    for i in range(n_articles):
        domain, www = _OUTLETS[outlet[i]]
        day = datetime.fromtimestamp(base.timestamp() + int(pub[i]), tz=UTC)
        host = f"www.{domain}" if www else domain
        urls.append(
            f"https://{host}/{_SECTIONS[sections[i]]}/{day:%Y/%m/%d}/{slugs[i]}-{article_ids[i]}"
        )

    # Long tail of hashtags: two plain words glued together, e.g. "#housingnews".
    plain = [w for w in _WORDS if w.isalpha()]
    pairs = rng.integers(len(plain), size=(400, 2)).tolist()
    extra_tags = sorted({plain[a] + plain[b] for a, b in pairs} - set(_POPULAR_TAGS))
    tags = _POPULAR_TAGS + tuple(extra_tags)
    memes = tuple(_hex(rng, 200))

    return _World(
        config=config,
        end=end,
        ids=ids,
        organic=organic,
        role=role,
        group_of=group_of,
        groups=groups,
        popularity=popularity,
        mention_p=mention_p,
        rates=rates,
        celebrities=celebrities,
        fans=fans,
        article_pub=pub,
        article_url=urls,
        article_cum=cum,
        tags=tags,
        tag_p=_zipf_p(len(tags), 1.1, 1.0),
        memes=memes,
        meme_p=_zipf_p(len(memes), 1.0, 1.0),
    )


def _unique_name(
    rng: np.random.Generator, used: set[str], make: Callable[[np.random.Generator], str]
) -> str:
    name = make(rng)
    suffix = 2
    candidate = name
    while candidate in used:
        candidate = f"{name}{suffix}"
        suffix += 1
    used.add(candidate)
    return candidate


def _slugs(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(3, 7, size=n)
    words = [_WORDS[i].replace("'", "") for i in rng.integers(len(_WORDS), size=int(lengths.sum()))]
    out, pos = [], 0
    for length in lengths.tolist():
        out.append("-".join(words[pos : pos + length]))
        pos += length
    return out


# ---------------------------------------------------------------------------------------------
# Small generators: times, sentences, tags, links
# ---------------------------------------------------------------------------------------------


def _diurnal_times(
    rng: np.random.Generator, n: int, days: int, p: np.ndarray = _HOURLY_P
) -> np.ndarray:
    """``n`` times in seconds over ``days`` days, following the hourly profile ``p``."""
    day = rng.integers(0, days, size=n)
    hour = rng.choice(24, size=n, p=p)
    second = rng.integers(0, _HOUR, size=n)
    return np.asarray(day * _DAY + hour * _HOUR + second, dtype=np.int64)


def _sentences(rng: np.random.Generator, n: int, lo: int = 1, hi: int = 2) -> list[str]:
    """``n`` posts' worth of text: ``lo..hi`` clauses each, some ending with an emoji.

    A clause is ``[opener] subject verb object [tail]``; each part is drawn with Zipf weights,
    so a few phrases are common and most are rare, as in real text.
    """
    clauses = rng.integers(lo, hi + 1, size=n)
    total = int(clauses.sum())
    subject = rng.choice(len(_SUBJECTS), size=total, p=_SUBJECT_P)
    verb = rng.choice(len(_VERBS), size=total, p=_VERB_P)
    obj = rng.choice(len(_OBJECTS), size=total, p=_OBJECT_P)
    tail = np.where(rng.random(total) < 0.35, rng.choice(len(_TAILS), size=total, p=_TAIL_P), -1)
    connector = rng.integers(len(_CONNECTORS), size=total)
    opener = np.where(rng.random(n) < 0.3, rng.choice(len(_OPENERS), size=n, p=_OPENER_P), -1)
    endings = rng.choice(len(_ENDINGS), size=n, p=_ENDING_P / _ENDING_P.sum())
    emoji = rng.random(n) < 0.06
    emoji_idx = rng.integers(len(_EMOJI), size=n)
    out: list[str] = []
    pos = 0
    for i, count in enumerate(clauses.tolist()):
        parts: list[str] = [_OPENERS[opener[i]]] if opener[i] >= 0 else []
        for j in range(pos, pos + count):
            if j > pos:
                parts[-1] += _CONNECTORS[connector[j]].rstrip(" ")
            clause = f"{_SUBJECTS[subject[j]]} {_VERBS[verb[j]]} {_OBJECTS[obj[j]]}"
            if j > pos and _CONNECTORS[connector[j]] == ". ":
                clause = clause[:1].upper() + clause[1:]
            if tail[j] >= 0:
                clause += " " + _TAILS[tail[j]]
            parts.append(clause)
        pos += count
        text = " ".join(parts)
        text = text[:1].upper() + text[1:] + _ENDINGS[endings[i]]
        if emoji[i]:
            text += " " + _EMOJI[emoji_idx[i]]
        out.append(text)
    return out


def _pick_tags(world: _World, rng: np.random.Generator, n: int) -> list[list[str]]:
    """0-3 popular hashtags per post (most posts have none)."""
    counts = rng.choice(4, size=n, p=[0.62, 0.25, 0.09, 0.04])
    picks = rng.choice(len(world.tags), size=int(counts.sum()), p=world.tag_p)
    out: list[list[str]] = []
    pos = 0
    for c in counts.tolist():
        tags = list(dict.fromkeys(world.tags[t] for t in picks[pos : pos + c]))
        pos += c
        out.append(tags)
    return out


def _pick_articles(world: _World, rng: np.random.Generator, times: np.ndarray) -> np.ndarray:
    """An article per time: published before it (mostly within hours), by popularity."""
    window = np.minimum(rng.lognormal(np.log(12 * _HOUR), 1.0, size=len(times)), 4 * _DAY)
    lo = np.searchsorted(world.article_pub, times - window.astype(np.int64), side="left")
    hi = np.searchsorted(world.article_pub, times - 60, side="right")
    empty = hi <= lo
    lo = np.where(empty, 0, lo)
    hi = np.where(empty, np.maximum(hi, 1), hi)
    cum = world.article_cum
    u = cum[lo] + rng.random(len(times)) * (cum[hi] - cum[lo])
    idx = np.searchsorted(cum, u, side="right") - 1
    return np.clip(idx, lo, hi - 1)


def _url_variants(rng: np.random.Generator, urls: Sequence[str], p: float = 1.0) -> list[str]:
    """Vary each URL with probability ``p`` the way shared links vary in the wild.

    www. added or dropped, http instead of https, tracking parameters, a fragment; the
    canonical form is what all variants of one link have in common.
    """
    n = len(urls)
    r = rng.random((n, 5))
    track = rng.integers(len(_TRACKING), size=n)
    out = []
    for i, url in enumerate(urls):
        if r[i, 0] >= p:
            out.append(url)
            continue
        if r[i, 1] < 0.15:
            url = (
                url.replace("://www.", "://", 1)
                if "://www." in url
                else url.replace("://", "://www.", 1)
            )
        if r[i, 2] < 0.05:
            url = url.replace("https://", "http://", 1)
        if r[i, 3] < 0.3:
            url += _TRACKING[track[i]]
        elif r[i, 4] < 0.04:
            url += "#comments"
        out.append(url)
    return out


def _pick_recent_originals(
    world: _World, rng: np.random.Generator, times: np.ndarray, median_window: float
) -> np.ndarray:
    """A recent original per time, by author popularity; -1 where there is none."""
    n = len(times)
    if n == 0 or len(world.orig_time) == 0:
        return np.full(n, -1, dtype=np.int64)
    window = np.minimum(rng.lognormal(np.log(median_window), 1.0, size=n), 2 * _DAY)
    lo = np.searchsorted(world.orig_time, times - window.astype(np.int64), side="left")
    hi = np.searchsorted(world.orig_time, times - 1, side="right")
    cum = world.orig_cum
    u = cum[lo] + rng.random(n) * (cum[hi] - cum[lo])
    idx = np.clip(np.searchsorted(cum, u, side="right") - 1, lo, np.maximum(hi - 1, lo))
    return np.where(hi > lo, idx, -1)


# ---------------------------------------------------------------------------------------------
# Organic activity
# ---------------------------------------------------------------------------------------------


def _organic_background(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Everyone's everyday posting, planted members included."""
    config = world.config
    n_total = len(world.ids)
    if n_total == 0:
        return
    # One warm-up day before the start, so that the first reposts have something to repost;
    # posts before the start (and everything that references them) are dropped at assembly.
    counts = rng.poisson(world.rates * (config.days + 1))
    account = np.repeat(np.arange(n_total), counts)
    times = _diurnal_times(rng, len(account), config.days + 1) - _DAY
    kind = rng.choice(4, size=len(account), p=_MIX)
    is_celebrity = np.isin(account, world.celebrities)
    kind[is_celebrity] = rng.choice(4, size=int(is_celebrity.sum()), p=_CELEBRITY_MIX)

    # Originals first, in time order, so that they can be reposted.
    sel = np.flatnonzero(kind == 0)
    sel = sel[np.lexsort((account[sel], times[sel]))]
    positions = _add_originals(world, rng, posts, account[sel], times[sel])
    world.orig_pos = positions
    world.orig_time = times[sel]
    world.orig_account = account[sel]
    world.orig_cum = np.concatenate([[0.0], np.cumsum(world.popularity[account[sel]])])

    # Reposts, replies and quotes of recent originals.
    for k, median_window in ((1, 3 * _HOUR), (2, 2 * _HOUR), (3, 4 * _HOUR)):
        sel = np.flatnonzero(kind == k)
        target = _pick_recent_originals(world, rng, times[sel], median_window)
        ok = target >= 0
        ok[ok] &= world.orig_account[target[ok]] != account[sel[ok]]
        sel, target = sel[ok], target[ok]
        if k == 1:
            posts.add_reposts(account[sel], times[sel], world.orig_pos[target])
        elif k == 2:
            _add_replies(world, rng, posts, account[sel], times[sel], target)
        else:
            _add_quotes(world, rng, posts, account[sel], times[sel], target)


def _add_originals(
    world: _World,
    rng: np.random.Generator,
    posts: _Posts,
    accounts: np.ndarray,
    times: np.ndarray,
    *,
    url_share: float = 0.25,
) -> np.ndarray:
    """Original posts: a sentence, maybe a link, hashtags, mentions and an image."""
    n = len(accounts)
    texts = _sentences(rng, n, 1, 3)
    tags = _pick_tags(world, rng, n)
    has_url = rng.random(n) < url_share
    articles = _pick_articles(world, rng, times[has_url])
    urls = iter(_url_variants(rng, [world.article_url[a] for a in articles], p=0.5))
    has_mention = rng.random(n) < 0.10
    mentioned = rng.choice(len(world.ids), size=(n, 2), p=world.mention_p)
    two_mentions = rng.random(n) < 0.25
    has_image = rng.random(n) < 0.08
    is_meme = rng.random(n) < 0.35
    memes = rng.choice(len(world.memes), size=n, p=world.meme_p)
    own_images = iter(_hex(rng, int((has_image & ~is_meme).sum())))
    positions = np.empty(n, dtype=np.int64)
    for i in range(n):
        text = texts[i]
        mentions: list[str] = []
        if has_mention[i]:
            chosen = mentioned[i, : 2 if two_mentions[i] else 1].tolist()
            mentions = [world.ids[m] for m in dict.fromkeys(chosen) if m != accounts[i]]
            if mentions:
                text = " ".join(f"@{m}" for m in mentions) + " " + text
        if tags[i]:
            text += " " + " ".join(f"#{t}" for t in tags[i])
        urls_i: list[str] = []
        if has_url[i]:
            urls_i = [next(urls)]
            text += " " + urls_i[0]
        images: list[str] = []
        if has_image[i]:
            images = [world.memes[memes[i]] if is_meme[i] else next(own_images)]
        positions[i] = posts.add(
            accounts[i],
            times[i],
            text,
            urls=urls_i,
            hashtags=tags[i],
            mentions=mentions,
            images=images,
        )
    return positions


def _add_replies(
    world: _World,
    rng: np.random.Generator,
    posts: _Posts,
    accounts: np.ndarray,
    times: np.ndarray,
    targets: np.ndarray,
) -> None:
    n = len(accounts)
    texts = _sentences(rng, n, 1, 2)
    short = rng.random(n) < 0.35
    short_idx = rng.integers(len(_SHORT_REPLIES), size=n)
    for i in range(n):
        author = world.ids[world.orig_account[targets[i]]]
        body = _SHORT_REPLIES[short_idx[i]] if short[i] else texts[i]
        posts.add(
            accounts[i],
            times[i],
            f"@{author} {body}",
            mentions=[author],
            reply_to=world.orig_pos[targets[i]],
        )


def _add_quotes(
    world: _World,
    rng: np.random.Generator,
    posts: _Posts,
    accounts: np.ndarray,
    times: np.ndarray,
    targets: np.ndarray,
) -> None:
    n = len(accounts)
    texts = _sentences(rng, n, 1, 2)
    tags = _pick_tags(world, rng, n)
    for i in range(n):
        text = texts[i]
        if tags[i]:
            text += " " + " ".join(f"#{t}" for t in tags[i])
        posts.add(
            accounts[i], times[i], text, hashtags=tags[i], quote_of=world.orig_pos[targets[i]]
        )


def _weighted_sample(
    rng: np.random.Generator, pool: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """``k`` distinct accounts from ``pool`` (fewer if the pool is smaller)."""
    k = min(k, len(pool))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    p = None if weights is None else weights / weights.sum()
    return np.asarray(rng.choice(pool, size=k, replace=False, p=p), dtype=np.int64)


def _event_participants(
    world: _World, rng: np.random.Generator, size: int, eager_role: str, eager_share: float
) -> np.ndarray:
    """About ``eager_share`` of ``size`` from the eager role, the rest from everyone organic.

    Drawn afresh for each event, so that pairs of organic accounts rarely meet twice.
    """
    organic = world.organic
    roles = np.array([world.role[a] for a in organic], dtype=object)
    eager = organic[roles == eager_role]
    n_eager = min(int(rng.binomial(size, eager_share)), len(eager))
    first = _weighted_sample(rng, eager, n_eager)
    others = np.setdiff1d(organic, first)
    second = _weighted_sample(rng, others, size - len(first), np.sqrt(world.rates[others]))
    return np.concatenate([first, second])


def _viral_bursts(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Hundreds of organic accounts repost one popular post within minutes."""
    config = world.config
    organic_orig = np.flatnonzero(world.orig_account < config.n_organic)
    if len(organic_orig) == 0:
        return
    # The most popular authors' posts, not too close to the end.
    author_pop = world.popularity[world.orig_account[organic_orig]]
    when = world.orig_time[organic_orig]
    ok = (when >= 0) & (when < world.end - _HOUR)
    candidates = organic_orig[ok & (author_pop >= np.quantile(author_pop, 0.97))]
    if len(candidates) == 0:
        return
    lo, hi = config.burst_size_range
    for _ in range(config.viral_bursts):
        target = int(rng.choice(candidates))
        author = world.orig_account[target]
        start = world.orig_time[target] + int(rng.integers(60, 45 * 60))
        size = int(rng.integers(lo, hi + 1))
        who = _event_participants(world, rng, size, "viral_fan", 0.2)
        who = who[who != author]
        delay = 1 + rng.lognormal(np.log(240.0), 0.9, size=len(who)).astype(np.int64)
        times = start + delay
        keep = times < world.end
        posts.add_reposts(who[keep], times[keep], np.full(int(keep.sum()), world.orig_pos[target]))


def _breaking_news(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """A fresh article from a big outlet, shared by many organic accounts within minutes."""
    config = world.config
    if not len(world.organic):
        return
    lo, hi = config.breaking_size_range
    published = _diurnal_times(rng, config.breaking_news, config.days, _DAYTIME_P)
    for event, pub in enumerate(published.tolist()):
        domain, www = _OUTLETS[int(rng.integers(0, 6))]
        day = datetime.fromtimestamp(config.start.timestamp() + pub, tz=UTC)
        slug = _slugs(rng, 1)[0]
        host = f"www.{domain}" if www else domain
        url = f"https://{host}/news/{day:%Y/%m/%d}/breaking-{slug}-{900_000 + event}"
        size = int(rng.integers(lo, hi + 1))
        who = _event_participants(world, rng, size, "news_follower", 0.25)
        times = pub + 20 + rng.lognormal(np.log(240.0), 1.0, size=len(who)).astype(np.int64)
        keep = times < world.end
        who, times = who[keep], times[keep]
        texts = _sentences(rng, len(who), 1, 1)
        prefix = rng.random(len(who)) < 0.3
        tagged = rng.random(len(who)) < 0.1
        urls = _url_variants(rng, [url] * len(who), p=0.5)
        for i in range(len(who)):
            text = ("BREAKING: " if prefix[i] else "") + texts[i]
            tags = ["breaking"] if tagged[i] else []
            if tags:
                text += " #breaking"
            posts.add(who[i], times[i], f"{text} {urls[i]}", urls=[urls[i]], hashtags=tags)


def _celebrity_fans(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Fans repost their celebrity's originals, minutes to hours later, each at their pace."""
    for celebrity, fans in zip(world.celebrities.tolist(), world.fans, strict=True):
        own = np.flatnonzero(world.orig_account == celebrity)
        if not len(own) or not len(fans):
            continue
        eagerness = rng.uniform(0.08, 0.3, size=len(fans))
        does = rng.random((len(own), len(fans))) < eagerness
        post_idx, fan_idx = np.nonzero(does)
        delay = 30 + rng.lognormal(np.log(40 * 60.0), 1.2, size=len(post_idx)).astype(np.int64)
        times = world.orig_time[own[post_idx]] + delay
        keep = times < world.end
        posts.add_reposts(fans[fan_idx[keep]], times[keep], world.orig_pos[own[post_idx[keep]]])


# ---------------------------------------------------------------------------------------------
# Planted groups
# ---------------------------------------------------------------------------------------------


def _occasion_starts(world: _World, rng: np.random.Generator, n: int) -> np.ndarray:
    """Start times of ``n`` occasions, on distinct days when possible, in the daytime."""
    days = world.config.days
    if n <= days:
        day = np.sort(rng.choice(days, size=n, replace=False))
    else:
        day = np.sort(rng.integers(0, days, size=n))
    hour = rng.choice(24, size=n, p=_DAYTIME_P)
    t = day * _DAY + hour * _HOUR + rng.integers(0, _HOUR, size=n)
    return np.asarray(np.clip(t, 15 * 60, world.end - 15 * 60), dtype=np.int64)


def _participants(world: _World, rng: np.random.Generator, group: _Group) -> np.ndarray:
    """The members taking part in one occasion (at least two), in random order."""
    members = group.members
    take = rng.random(len(members)) < world.config.participation
    if take.sum() < 2:
        take[rng.choice(len(members), size=2, replace=False)] = True
    return np.asarray(rng.permutation(members[take]), dtype=np.int64)


def _lags(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Seconds behind the occasion's start: the first member at 0, the others exponential."""
    lags = np.rint(rng.exponential(mean, size=n)).astype(np.int64)
    if n:
        lags[0] = 0
    return lags


def _plant(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    behaviours = ("url_ring", "repost_ring", "hashtag_push", "copypasta")
    for g, group in enumerate(world.groups):
        starts = _occasion_starts(world, rng, group.occasions)
        for k, start in enumerate(starts.tolist()):
            behaviour = group.behaviour
            if behaviour == "mixed":
                behaviour = (
                    behaviours[(g + k) % len(behaviours)] if k < 4 else str(rng.choice(behaviours))
                )
            who = _participants(world, rng, group)
            if behaviour == "repost_ring":
                _repost_ring(world, rng, posts, who, start, group)
                continue
            times = start + _lags(rng, len(who), group.lag_mean)
            image = [group.images[int(rng.integers(len(group.images)))]] if group.images else []
            with_image = rng.random(len(who)) < 0.8
            n = len(who)
            texts = _sentences(rng, n, 1, 2)
            tags = _pick_tags(world, rng, n)
            if behaviour == "url_ring":
                url = _ring_url(world, rng, group, start, k)
                urls = _url_variants(rng, [url] * n, p=0.3)
                for i in range(n):
                    text = texts[i]
                    if tags[i]:
                        text += " " + " ".join(f"#{t}" for t in tags[i])
                    posts.add(
                        who[i],
                        times[i],
                        f"{text} {urls[i]}",
                        urls=[urls[i]],
                        hashtags=tags[i],
                        images=image if with_image[i] else (),
                    )
            elif behaviour == "hashtag_push":
                for i in range(n):
                    hashtags = [group.campaign_tag, *tags[i][:1]]
                    text = texts[i] + " " + " ".join(f"#{t}" for t in hashtags)
                    posts.add(
                        who[i],
                        times[i],
                        text,
                        hashtags=hashtags,
                        images=image if with_image[i] else (),
                    )
            else:  # copypasta
                base = _sentences(rng, 1, 2, 3)[0]
                while len(base) < 30:
                    base += " " + _sentences(rng, 1, 1, 1)[0]
                _copypasta(world, rng, posts, who, times, base, image if len(image) else None)


def _ring_url(world: _World, rng: np.random.Generator, group: _Group, start: int, k: int) -> str:
    """The link of one url_ring occasion: mostly the group's own site, sometimes mainstream."""
    if rng.random() < 0.65:
        day = datetime.fromtimestamp(world.config.start.timestamp() + start, tz=UTC)
        slug = _slugs(rng, 1)[0]
        return f"https://{group.fringe_domain}/{day:%Y/%m}/{slug}-{k + 1}"
    article = _pick_articles(world, rng, np.array([start], dtype=np.int64))[0]
    return world.article_url[article]


def _repost_ring(
    world: _World,
    rng: np.random.Generator,
    posts: _Posts,
    who: np.ndarray,
    start: int,
    group: _Group,
) -> None:
    """Members repost one post within seconds: their own seed post or a recent organic one."""
    target = -1
    if rng.random() < 0.5:
        picked = _pick_recent_originals(world, rng, np.array([start - 30]), 3 * _HOUR)[0]
        if (
            picked >= 0
            and world.orig_account[picked] < world.config.n_organic
            and world.orig_time[picked] >= 0
        ):
            target = int(world.orig_pos[picked])
            seed_time = int(world.orig_time[picked])
    if target < 0:
        author, who = int(who[0]), who[1:]
        seed_time = start - int(rng.integers(30, 900))
        tags = _pick_tags(world, rng, 1)[0]
        text = _sentences(rng, 1, 1, 2)[0]
        if tags:
            text += " " + " ".join(f"#{t}" for t in tags)
        urls: list[str] = []
        if rng.random() < 0.4:
            article = _pick_articles(world, rng, np.array([seed_time], dtype=np.int64))[0]
            urls = [world.article_url[article]]
            text += " " + urls[0]
        images = [group.images[0]] if group.images else []
        target = posts.add(author, seed_time, text, urls=urls, hashtags=tags, images=images)
        if len(who) < 2:
            extra = np.setdiff1d(group.members, [author, *who.tolist()])
            who = np.concatenate([who, rng.permutation(extra)[: 2 - len(who)]])
    times = np.maximum(start + _lags(rng, len(who), group.lag_mean), seed_time + 1)
    posts.add_reposts(who, times, np.full(len(who), target))


def _copypasta(
    world: _World,
    rng: np.random.Generator,
    posts: _Posts,
    who: np.ndarray,
    times: np.ndarray,
    base: str,
    image: list[str] | None,
) -> None:
    """The same sentence, varied only in case, whitespace, links and mentions."""
    n = len(who)
    case = rng.integers(0, 4, size=n)
    r = rng.random((n, 4))
    mentioned = rng.choice(len(world.ids), size=n, p=world.mention_p)
    articles = _pick_articles(world, rng, times)
    urls = _url_variants(rng, [world.article_url[a] for a in articles], p=0.5)
    for i in range(n):
        text = (base, base.lower(), base.upper(), base.title())[case[i]]
        if r[i, 0] < 0.4:
            words = text.split(" ")
            gap = int(rng.integers(1, len(words))) if len(words) > 1 else 0
            text = " ".join(words[:gap]) + ("  " if r[i, 0] < 0.2 else "\n") + " ".join(words[gap:])
        mentions: list[str] = []
        if r[i, 1] < 0.3 and mentioned[i] != who[i]:
            mentions = [world.ids[mentioned[i]]]
            text = f"@{mentions[0]} {text}"
        post_urls: list[str] = []
        if r[i, 2] < 0.4:
            post_urls = [urls[i]]
            text = f"{text} {urls[i]}"
        if r[i, 3] < 0.3:
            text = f" {text}  "
        posts.add(
            who[i],
            times[i],
            text,
            urls=post_urls,
            mentions=mentions,
            images=image if image and r[i, 3] < 0.8 else (),
        )


def _organic_adoption(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """A few organic accounts pick up each campaign hashtag, at their own random times."""
    organic_orig = world.orig_pos[
        (world.orig_account < world.config.n_organic) & (world.orig_time >= 0)
    ]
    if not len(organic_orig):
        return
    for group in world.groups:
        if group.behaviour not in ("hashtag_push", "mixed"):
            continue
        picks = rng.choice(organic_orig, size=min(int(rng.integers(3, 15)), len(organic_orig)))
        for pos in np.unique(picks).tolist():
            if group.campaign_tag not in posts.hashtags[pos]:
                posts.hashtags[pos].append(group.campaign_tag)
                posts.text[pos] = f"{posts.text[pos]} #{group.campaign_tag}"


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

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(7)]
    world = _build_world(config, streams[0])
    posts = _Posts()
    _organic_background(world, streams[1], posts)
    _viral_bursts(world, streams[2], posts)
    _breaking_news(world, streams[3], posts)
    _celebrity_fans(world, streams[4], posts)
    _plant(world, streams[5], posts)
    _organic_adoption(world, streams[6], posts)
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
