"""Vocabulary and world-free generators of the simulator.

Word lists, the phrase grammar of posts, news outlets and URL parts, fringe-site and campaign
name parts, the shares of organic activity and the daily rhythm, and the small generators that
need nothing but a random stream: times over the day, sentences, URL slugs, URL variants and
image hashes. Private to :mod:`inconcert.simulate`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_DAY = 86_400
_HOUR = 3_600


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

# Trending hashtags of the harder worlds (``trending_tags``), most popular first; more are
# made by numbering these when asked for.
_TRENDING_TAGS = (
    "worldcup",
    "breakingnews",
    "oscars",
    "eurovision",
    "blackfriday",
    "budgetday",
    "heatwave",
    "transferdeadline",
    "debatenight",
    "electionnight",
    "strikeday",
    "earthquake",
    "finalsweek",
    "royalwedding",
    "marchmadness",
    "fashionweek",
    "nationalday",
    "techweek",
    "summitlive",
    "stormwatch",
    "championsleague",
    "climatestrike",
    "pridemonth",
    "grandprix",
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
# Small generators: times, sentences, slugs, links, image hashes
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


def _slugs(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(3, 7, size=n)
    words = [_WORDS[i].replace("'", "") for i in rng.integers(len(_WORDS), size=int(lengths.sum()))]
    out, pos = [], 0
    for length in lengths.tolist():
        out.append("-".join(words[pos : pos + length]))
        pos += length
    return out


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


def _hex(rng: np.random.Generator, n: int, digits: int = 16) -> list[str]:
    """``n`` random hex strings, like 64-bit perceptual image hashes."""
    values = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    return [f"{int(v):016x}"[-digits:] for v in values]
