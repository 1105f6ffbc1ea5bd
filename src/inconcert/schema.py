"""The canonical schemas every stage speaks, and the glossary.

Glossary (one word for one idea, used in code, columns, CLI flags and the report):

account
    Who posts: a user, page, channel, site or author (``account_id``).
post
    One message, article, repost or reply published by an account (``post_id``).
action
    One thing an account did in a post, of one *kind*, on one *object*, at one time: "account A
    shared URL u at 12:00:03 in post p". A post yields zero or more actions.
kind
    The type of an action: ``repost``, ``reply``, ``quote``, ``url``, ``domain``, ``hashtag``,
    ``mention``, ``text``, ``image`` (and ``object`` for ready-made actions with no kind).
object
    What an action is about: the reposted post, the canonical URL, the domain, the hashtag,
    the normalised text's hash, the near-duplicate text cluster, the image hash (``object_id``).
window
    The largest time difference, in seconds and inclusive, between two actions that still
    counts as acting together.
co-action
    Two actions of the same kind on the same object by two different accounts with
    ``|Δt| <= window``.
edge
    An unordered pair of accounts with at least one co-action, carrying counts, weight and times.
group
    A Leiden community of the kept network (``group_id``): the tightly knit accounts inside a
    connected component (``component_id``), which it often is entirely.

Post schema (what readers produce)
----------------------------------
=============== ======================= ==========================================================
column          type                    meaning
=============== ======================= ==========================================================
post_id         string, required        unique id of the post within the input
account_id      string, required        who published it
timestamp       timestamp[us, UTC],     when; ISO 8601 with or without zone (naive means UTC),
                required                epoch seconds, epoch milliseconds or a timestamp type
platform        string                  free text: "twitter", "telegram", "web", ...
text            string                  the body text
urls            list<string>            links in the post (CSV: JSON array or whitespace-separated)
hashtags        list<string>            hashtags, with or without "#" (taken from text if absent)
mentions        list<string>            mentioned accounts, with or without "@" (idem)
image_hashes    list<string>            perceptual hashes (or ids) of attached images
repost_of       string                  id of the post this one reposts (retweet, forward, share)
reply_to        string                  id of the post this one replies to
quote_of        string                  id of the post this one quotes
=============== ======================= ==========================================================

Beside the posts (what readers also give, when the input has it)
-----------------------------------------------------------------
``account_name``: the account's name as the platform shows it (a Twitter/X ``username``, a
Mastodon ``acct``, a Bluesky handle, a Telegram sender's name), read from a column of that name
or mapped (``--map account_name=...``); it labels accounts in the outputs. Platform readers
also give the **referenced posts** an export embeds (:data:`EMBEDDED_SCHEMA`: a retweet's or
quote's original, a boost's status), which describe a repost, quote or reply of a post that is
not itself in the input.

Action schema (what the actions stage produces, and what a ready-made actions table maps to)
---------------------------------------------------------------------------------------------
``account_id, kind, object_id, timestamp, post_id``: one row per (post, kind, object), never
repeated. CooRTweet's ``object_id, account_id, content_id, timestamp_share`` is accepted as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from .kinds import KINDS

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ACCOUNT_NAME",
    "ACTION_SCHEMA",
    "ALL_KINDS",
    "DEFAULT_KINDS",
    "EMBEDDED_SCHEMA",
    "LIST_COLUMNS",
    "OPTIONAL_POST_COLUMNS",
    "POST_SCHEMA",
    "REFERENCE_COLUMNS",
    "REQUIRED_POST_COLUMNS",
    "TIMESTAMP_TYPE",
    "Similar",
]

TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

POST_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("timestamp", TIMESTAMP_TYPE, nullable=False),
        pa.field("platform", pa.string()),
        pa.field("text", pa.string()),
        pa.field("urls", pa.list_(pa.string())),
        pa.field("hashtags", pa.list_(pa.string())),
        pa.field("mentions", pa.list_(pa.string())),
        pa.field("image_hashes", pa.list_(pa.string())),
        pa.field("repost_of", pa.string()),
        pa.field("reply_to", pa.string()),
        pa.field("quote_of", pa.string()),
    ]
)

REQUIRED_POST_COLUMNS: tuple[str, ...] = ("post_id", "account_id", "timestamp")
OPTIONAL_POST_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in POST_SCHEMA if f.name not in REQUIRED_POST_COLUMNS
)
LIST_COLUMNS: tuple[str, ...] = ("urls", "hashtags", "mentions", "image_hashes")
REFERENCE_COLUMNS: tuple[str, ...] = ("repost_of", "reply_to", "quote_of")

#: Read beside the posts, not a column of :data:`POST_SCHEMA`: the account's name or handle.
ACCOUNT_NAME = "account_name"

#: Referenced posts an export embeds (not posts of the input): who wrote them, their text and
#: link. ``account_id`` or ``account_name`` may be missing (a Telegram forward names only its
#: source).
EMBEDDED_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string()),
        pa.field("account_id", pa.string()),
        pa.field("account_name", pa.string()),
        pa.field("text", pa.string()),
        pa.field("permalink", pa.string()),
    ]
)

ACTION_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("timestamp", TIMESTAMP_TYPE, nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
    ]
)

#: Every kind of action, in the order outputs list them (:data:`inconcert.kinds.KINDS`).
ALL_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS)

#: Kinds used when the user does not choose. ``domain`` and ``mention`` are left out because
#: popular domains and mentions of public figures link ordinary accounts; ask for them explicitly.
DEFAULT_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.default)


class Similar(Protocol):
    """Clusters of a text-similarity kind (``neartext``, ``paraphrase``), as the actions stage
    makes them and the co-actions and evidence read them: each post's cluster label by row,
    the clusters, and a similarity for any two posts by row."""

    labels: pa.Array
    clusters: pa.Table

    def similarity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray: ...
