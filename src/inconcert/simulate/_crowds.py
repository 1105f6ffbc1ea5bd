"""The organic hard negatives of the harder worlds: crowds, trends and heavy-tailed fans.

Viral moments (crowds of ordinary accounts reposting one post within minutes, a few posts
reposted thousands of times), breaking links (one fresh link shared by a crowd within a minute,
each sharer with their own words), trending hashtags (Zipf popular, pushed by very active trend
followers) and heavy-tailed celebrity fans (within seconds once in a while, hours otherwise).
Every function here draws only from its own stream and draws nothing when its feature is off,
so the worlds without them are unchanged. Private to :mod:`inconcert.simulate`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from inconcert.simulate._vocab import (
    _DAY,
    _DAYTIME_P,
    _HOUR,
    _OUTLETS,
    _TRENDING_TAGS,
    _diurnal_times,
    _sentences,
    _slugs,
    _url_variants,
    _zipf_p,
)
from inconcert.simulate._world import _pick_tags, _Posts, _World

# Crowd members are drawn in proportion to activity ** _CROWD_ACTIVITY, eager ones (viral fans,
# news followers) _EAGER times as likely: active accounts join more crowds (and so meet each
# other more often) than quiet ones.
_CROWD_ACTIVITY = 0.5
_EAGER = 2.0
# Trend followers pick their trending hashtag with this Zipf exponent (everyone else with 1):
# they pile onto the top trends, so two of them meet on the top tag again and again.
_FOLLOWER_ZIPF = 2.5


def _weighted_pick(
    rng: np.random.Generator, pool: np.ndarray, weights: np.ndarray, k: int
) -> np.ndarray:
    """``k`` distinct members of ``pool`` drawn with probability proportional to ``weights``
    (Efraimidis–Spirakis: the ``k`` smallest exponential keys divided by the weights)."""
    k = min(k, len(pool))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = rng.exponential(size=len(pool)) / weights
    if k < len(pool):
        return np.asarray(pool[np.argpartition(keys, k)[:k]], dtype=np.int64)
    return np.asarray(pool, dtype=np.int64)


def _zipf_sizes(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """``n`` sizes in ``lo..hi`` with ``P(size >= x)`` falling as ``1 / x`` (Zipf-like): most
    crowds are small, a few are large."""
    u = rng.random(n)
    sizes = lo / (1.0 - u * (1.0 - lo / hi))
    return np.clip(np.floor(sizes), lo, hi).astype(np.int64)


def _truncated_exponential(rng: np.random.Generator, n: int, mean: float, top: float) -> np.ndarray:
    """Exponential delays with this mean, conditioned to be at most ``top``."""
    u = rng.random(n)
    return -mean * np.log1p(-u * (1.0 - np.exp(-top / mean)))


def _plain_organic(world: _World) -> np.ndarray:
    """Organic accounts without a special role and not celebrities."""
    plain = np.array([world.role[a] == "organic" for a in world.organic.tolist()], dtype=bool)
    return np.setdiff1d(world.organic[plain], world.celebrities)


def _crowd_weights(world: _World, pool: np.ndarray, eager_role: str) -> np.ndarray:
    weights = world.rates[pool] ** _CROWD_ACTIVITY
    eager = np.array([world.role[a] == eager_role for a in pool.tolist()], dtype=bool)
    return np.asarray(np.where(eager, _EAGER * weights, weights))


# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------


def _assign_roles(world: _World, rng: np.random.Generator) -> None:
    """Heavy-tailed fans of each celebrity and trend followers, from the plain organic accounts."""
    config = world.config
    if config.heavy_fans == 0 and config.trend_follower_share == 0:
        return
    pool = rng.permutation(_plain_organic(world))
    taken = 0
    for _ in world.celebrities.tolist():
        k = min(config.heavy_fans, len(pool) - taken)
        fans = np.sort(pool[taken : taken + k])
        taken += k
        world.heavy_fans.append(fans)
        for a in fans.tolist():
            world.role[a] = "heavy_tailed_fan"
    k = min(round(config.trend_follower_share * config.n_organic), len(pool) - taken)
    world.trend_followers = np.sort(pool[taken : taken + k])
    for a in world.trend_followers.tolist():
        world.role[a] = "trend_follower"


# ---------------------------------------------------------------------------------------------
# Viral moments and breaking links
# ---------------------------------------------------------------------------------------------


def _viral_moments(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Crowds of organic accounts repost one post within minutes; a few posts go giant."""
    config = world.config
    if not (config.viral_moments or config.viral_giants) or not len(world.organic):
        return
    organic_orig = np.flatnonzero(
        (world.orig_account < config.n_organic)
        & (world.orig_time >= 0)
        & (world.orig_time < world.end - _HOUR)
    )
    if not len(organic_orig):
        return
    pool = world.organic
    weights = _crowd_weights(world, pool, "viral_fan")
    # An ordinary post can go viral; a popular author's more likely so.
    target_w = np.sqrt(world.popularity[world.orig_account[organic_orig]])
    targets = rng.choice(organic_orig, size=config.viral_moments, p=target_w / target_w.sum())
    sizes = _zipf_sizes(rng, config.viral_moments, *config.viral_crowd_range)
    # Giants: the most popular authors' posts, reposted thousands of times over an hour or two.
    top = organic_orig[target_w >= np.quantile(target_w, 0.99)]
    giants = rng.choice(top, size=config.viral_giants)
    g_lo, g_hi = config.viral_giant_range
    giant_sizes = rng.integers(g_lo, g_hi + 1, size=config.viral_giants)
    events = [(int(t), int(s), 90.0, 0.8) for t, s in zip(targets, sizes, strict=True)]
    events += [(int(t), int(s), 1200.0, 1.0) for t, s in zip(giants, giant_sizes, strict=True)]
    for target, size, median, sigma in events:
        author = world.orig_account[target]
        start = world.orig_time[target] + int(rng.integers(60, 3 * _HOUR))
        who = _weighted_pick(rng, pool, weights, size + 1)
        who = who[who != author][:size]
        delay = 1 + rng.lognormal(np.log(median), sigma, size=len(who)).astype(np.int64)
        times = start + delay
        keep = times < world.end
        posts.add_reposts(who[keep], times[keep], np.full(int(keep.sum()), world.orig_pos[target]))


def _breaking_links(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """A fresh link shared by a crowd of organic accounts within a minute, each in own words."""
    config = world.config
    if not config.breaking_links or not len(world.organic):
        return
    pool = world.organic
    weights = _crowd_weights(world, pool, "news_follower")
    published = _diurnal_times(rng, config.breaking_links, config.days, _DAYTIME_P)
    sizes = _zipf_sizes(rng, config.breaking_links, *config.breaking_link_range)
    for event, (pub, size) in enumerate(zip(published.tolist(), sizes.tolist(), strict=True)):
        domain, www = _OUTLETS[int(rng.integers(0, 10))]
        day = datetime.fromtimestamp(config.start.timestamp() + pub, tz=UTC)
        slug = _slugs(rng, 1)[0]
        host = f"www.{domain}" if www else domain
        url = f"https://{host}/live/{day:%Y/%m/%d}/{slug}-{700_000 + event}"
        who = _weighted_pick(rng, pool, weights, size)
        times = pub + 1 + _truncated_exponential(rng, len(who), 15.0, 58.0).astype(np.int64)
        keep = times < world.end
        who, times = who[keep], times[keep]
        texts = _sentences(rng, len(who), 1, 2)
        tags = _pick_tags(world, rng, len(who))
        urls = _url_variants(rng, [url] * len(who), p=0.5)
        for i in range(len(who)):
            text = texts[i]
            if tags[i]:
                text += " " + " ".join(f"#{t}" for t in tags[i])
            posts.add(who[i], times[i], f"{text} {urls[i]}", urls=[urls[i]], hashtags=tags[i])


# ---------------------------------------------------------------------------------------------
# Trending hashtags
# ---------------------------------------------------------------------------------------------


def _trending_names(n: int) -> list[str]:
    base = len(_TRENDING_TAGS)
    return [_TRENDING_TAGS[k % base] + (str(k // base + 1) if k >= base else "") for k in range(n)]


def _trending(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Zipf-popular trending hashtags on organic originals, and the trend followers' stream."""
    config = world.config
    if not config.trending_tags:
        return
    names = _trending_names(config.trending_tags)
    p = _zipf_p(len(names), 1.0, 1.0)

    # A share of everyone's originals (planted members' everyday posts too) carries one.
    ok = world.orig_time >= 0
    positions = world.orig_pos[ok]
    chosen = positions[rng.random(len(positions)) < config.trend_share]
    picks = rng.choice(len(names), size=len(chosen), p=p)
    for pos, k in zip(chosen.tolist(), picks.tolist(), strict=True):
        tag = names[k]
        if tag not in posts.hashtags[pos]:
            posts.hashtags[pos].append(tag)
            posts.text[pos] = f"{posts.text[pos]} #{tag}"

    # Trend followers post about the trends all day long.
    followers = world.trend_followers
    if not len(followers):
        return
    per_day = config.trend_posts_per_day * rng.lognormal(0.0, 0.5, size=len(followers))
    counts = rng.poisson(per_day * config.days)
    account = np.repeat(followers, counts)
    times = _diurnal_times(rng, len(account), config.days)
    order = np.lexsort((account, times))
    account, times = account[order], times[order]
    picks = rng.choice(len(names), size=len(account), p=_zipf_p(len(names), _FOLLOWER_ZIPF, 1.0))
    texts = _sentences(rng, len(account), 1, 2)
    for i in range(len(account)):
        tag = names[picks[i]]
        posts.add(account[i], times[i], f"{texts[i]} #{tag}", hashtags=[tag])


# ---------------------------------------------------------------------------------------------
# Heavy-tailed fans
# ---------------------------------------------------------------------------------------------


def _heavy_tailed_fans(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Fans who repost their celebrity within ~15 s once in a while and hours later otherwise.

    Each fan reposts a share (uniform 0.1-0.4) of the celebrity's originals; each repost is fast
    with the fan's own probability (``heavy_fan_fast_share`` times uniform 0.5-1.5): 2 s plus a
    lognormal delay of median 8 s; otherwise 60 s plus a lognormal delay of median 2 hours and
    sigma 1.5.
    """
    config = world.config
    for celebrity, fans in zip(world.celebrities.tolist(), world.heavy_fans, strict=False):
        own = np.flatnonzero((world.orig_account == celebrity) & (world.orig_time >= 0))
        if not len(own) or not len(fans):
            continue
        eagerness = rng.uniform(0.1, 0.4, size=len(fans))
        fast_share = np.minimum(config.heavy_fan_fast_share * rng.uniform(0.5, 1.5, len(fans)), 1)
        post_idx, fan_idx = np.nonzero(rng.random((len(own), len(fans))) < eagerness)
        fast = rng.random(len(post_idx)) < fast_share[fan_idx]
        quick = 2 + rng.lognormal(np.log(8.0), 0.5, size=len(post_idx))
        slow = 60 + rng.lognormal(np.log(2 * _HOUR), 1.5, size=len(post_idx))
        delay = np.minimum(np.where(fast, quick, slow), 3 * _DAY).astype(np.int64)
        times = world.orig_time[own[post_idx]] + delay
        keep = times < world.end
        posts.add_reposts(fans[fan_idx[keep]], times[keep], world.orig_pos[own[post_idx[keep]]])
