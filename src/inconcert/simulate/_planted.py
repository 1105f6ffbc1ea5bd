"""The planted coordinated groups: what a detector should find.

Occasions on distinct days, the members taking part and their lags, and the behaviours
``url_ring``, ``repost_ring``, ``hashtag_push``, ``copypasta`` and ``mixed``; also the few
organic accounts that pick up a group's campaign hashtag. The behaviours of the harder worlds,
``amplifier_ring`` and ``slow_copypasta``, are planted afterwards from a stream of their own
(:func:`_plant_later`), so that worlds without them are unchanged. Private to
:mod:`inconcert.simulate`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from inconcert.simulate._vocab import (
    _DAY,
    _DAYTIME_P,
    _HOUR,
    _sentences,
    _slugs,
    _url_variants,
)
from inconcert.simulate._world import (
    _add_originals,
    _Group,
    _pick_articles,
    _pick_recent_originals,
    _pick_tags,
    _Posts,
    _World,
)

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


#: Behaviours planted by :func:`_plant_later`, not by :func:`_plant`.
_LATER = ("amplifier_ring", "slow_copypasta")


def _plant(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    behaviours = ("url_ring", "repost_ring", "hashtag_push", "copypasta")
    for g, group in enumerate(world.groups):
        if group.behaviour in _LATER:
            continue
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
                base = _base_text(rng)
                _copypasta(world, rng, posts, who, times, base, image if len(image) else None)


def _base_text(rng: np.random.Generator) -> str:
    """The sentence of one copypasta occasion: two or three clauses, at least 30 characters."""
    base = _sentences(rng, 1, 2, 3)[0]
    while len(base) < 30:
        base += " " + _sentences(rng, 1, 1, 1)[0]
    return base


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
# Behaviours of the harder worlds
# ---------------------------------------------------------------------------------------------


def _plant_later(world: _World, rng: np.random.Generator, posts: _Posts) -> None:
    """Plant the ``amplifier_ring`` and ``slow_copypasta`` groups (nothing else is drawn)."""
    for group in world.groups:
        if group.behaviour == "amplifier_ring":
            _amplifier_ring(world, rng, posts, group)
        elif group.behaviour == "slow_copypasta":
            _slow_copypasta(world, rng, posts, group)


def _amplifier_ring(world: _World, rng: np.random.Generator, posts: _Posts, group: _Group) -> None:
    """The ring's members repost their seed account's originals within 20 s.

    The seed (the group's first account, role ``amplifier_seed``) posts an ordinary-looking
    original on each occasion; each other member takes part with probability ``participation``
    (at least two, or all if fewer) and reposts it 1 s plus a truncated exponential delay
    (the ring's mean 3-8 s, at most 19 s) later. A few organic accounts (0-3) repost it too,
    about an hour later.
    """
    config = world.config
    seed, members = int(group.members[0]), group.members[1:]
    world.role[seed] = "amplifier_seed"
    lo, hi = config.amplifier_occasions_range
    starts = _occasion_starts(world, rng, int(rng.integers(lo, hi + 1)))
    lag_mean = float(rng.uniform(3.0, 8.0))
    seed_posts = _add_originals(world, rng, posts, np.full(len(starts), seed), starts)
    for start, target in zip(starts.tolist(), seed_posts.tolist(), strict=True):
        take = rng.random(len(members)) < config.participation
        need = min(2, len(members))
        if take.sum() < need:
            take[rng.choice(len(members), size=need, replace=False)] = True
        who = members[take]
        u = rng.random(len(who))
        lags = 1 + np.floor(-lag_mean * np.log1p(-u * (1.0 - np.exp(-19.0 / lag_mean))))
        posts.add_reposts(who, start + lags.astype(np.int64), np.full(len(who), target))
        fans = rng.choice(
            world.organic, size=min(int(rng.integers(0, 4)), len(world.organic)), replace=False
        )
        times = start + 60 + rng.lognormal(np.log(_HOUR), 1.0, size=len(fans)).astype(np.int64)
        keep = times < world.end
        posts.add_reposts(fans[keep], times[keep], np.full(int(keep.sum()), target))


def _slow_copypasta(world: _World, rng: np.random.Generator, posts: _Posts, group: _Group) -> None:
    """Copypasta at a human pace: the members' lags are exponential with a mean drawn from
    ``slow_lag_mean_range`` (minutes to half an hour), so a message spreads over about an hour."""
    lo, hi = world.config.slow_lag_mean_range
    lag_mean = float(rng.uniform(lo, hi))
    for start in _occasion_starts(world, rng, group.occasions).tolist():
        who = _participants(world, rng, group)
        times = start + _lags(rng, len(who), lag_mean)
        keep = times < world.end
        image = [group.images[int(rng.integers(len(group.images)))]] if group.images else None
        _copypasta(world, rng, posts, who[keep], times[keep], _base_text(rng), image)
