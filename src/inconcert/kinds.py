"""The kinds of action: one record per kind, read by the schema, the options, the CLI, the
null model, the summaries and the tests.

A new kind is one :class:`Kind` here plus its extractor in :mod:`inconcert.actions`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Kind", "by_name", "describe"]


@dataclass(frozen=True)
class Kind:
    """One kind of action.

    Attributes
    ----------
    name:
        The kind as it appears in every table (``kind`` column, ``<kind>_coactions``).
    object:
        What its object is.
    default:
        Compared when the user does not choose kinds.
    source:
        Its object is a post with an author (reposts, replies, quotes): the null model's
        source term and latency apply.
    text:
        Its object stands for a text (exact or similar): the evidence shows the texts and their
        similarity, groups show their most shared texts, ``--hash-texts`` hashes them.
    """

    name: str
    object: str
    default: bool = False
    source: bool = False
    text: bool = False


#: Every kind, in the order outputs list them.
KINDS: tuple[Kind, ...] = (
    Kind("repost", "the reposted post", default=True, source=True),
    Kind("reply", "the post replied to", source=True),
    Kind("quote", "the quoted post", default=True, source=True),
    Kind("url", "the canonical URL", default=True),
    Kind("domain", "the registrable domain of a URL"),
    Kind("hashtag", "the normalised hashtag", default=True),
    Kind("mention", "the mentioned account"),
    Kind("text", "the normalised text", default=True, text=True),
    Kind("neartext", "the near-duplicate cluster of the text", text=True),
    Kind("paraphrase", "the paraphrase cluster of the text (extra inconcert[embed])", text=True),
    Kind("image", "the image hash", default=True),
    Kind("object", "a ready-made object id (actions tables)", default=True),
)

_BY_NAME = {k.name: k for k in KINDS}


def by_name(name: str) -> Kind:
    """The record of kind ``name`` (``KeyError`` if there is none)."""
    return _BY_NAME[name]


def describe() -> str:
    """Every kind with its object, for help texts."""
    return "; ".join(f"{k.name} ({k.object})" for k in KINDS)
