"""The simulated world and its organic activity.

The post buffer, the world (accounts, roles, popularity, articles, hashtags and the pool of
repostable originals), the generators that draw from it (tags, articles, recent originals),
everyone's everyday posting and the organic hard negatives: viral bursts, breaking news and
celebrity fans. Private to :mod:`inconcert.simulate`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from inconcert.simulate._vocab import (
    _CAMPAIGN_A,
    _CAMPAIGN_B,
    _CELEBRITY_MIX,
    _DAY,
    _DAYTIME_P,
    _FRINGE_A,
    _FRINGE_B,
    _FRINGE_TLD,
    _HOUR,
    _MIX,
    _OUTLETS,
    _POPULAR_TAGS,
    _SECTIONS,
    _SHORT_REPLIES,
    _WORDS,
    _diurnal_times,
    _hex,
    _sentences,
    _slugs,
    _url_variants,
    _zipf_p,
)

if TYPE_CHECKING:
    from inconcert.simulate import SimulationConfig


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
    # roles of the harder worlds, given after the everyday posting (see _crowds._assign_roles)
    heavy_fans: list[np.ndarray] = dataclasses.field(default_factory=list)
    trend_followers: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))


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


# ---------------------------------------------------------------------------------------------
# Generators that draw from the world: tags, articles, recent originals
# ---------------------------------------------------------------------------------------------


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
        cfg = world.config
        delay = 30 + rng.lognormal(
            np.log(cfg.fan_delay_median), cfg.fan_delay_sigma, size=len(post_idx)
        ).astype(np.int64)
        times = world.orig_time[own[post_idx]] + delay
        keep = times < world.end
        posts.add_reposts(fans[fan_idx[keep]], times[keep], world.orig_pos[own[post_idx[keep]]])
