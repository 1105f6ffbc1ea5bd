"""Normalisation: turn links, tags and texts into stable object ids.

Two accounts act on "the same object" only if their raw strings normalise to the same value, so
every choice here decides which actions can ever become co-actions. The functions are pure and
deterministic (the same input gives the same output on every machine and run), never print, and
never raise on odd input: anything that is not a usable object comes back as ``None``.

What each action kind uses
--------------------------
=========== ============================================================================
kind        object id
=========== ============================================================================
``url``     :func:`canonical_url` of each link (the ``urls`` column, else
            :func:`extract_urls` of the text)
``domain``  :func:`registrable_domain` of each canonical link
``hashtag`` :func:`normalize_tag` of each hashtag (the ``hashtags`` column, else
            :func:`extract_hashtags` of the text)
``mention`` :func:`normalize_tag` of each mention (idem with :func:`extract_mentions`)
``text``    :func:`text_key` of the text: a hash of :func:`normalize_text`, or nothing
            when the normalised text is shorter than :data:`MIN_TEXT_CHARS`
=========== ============================================================================

Decisions (and why)
-------------------
Links
    * Only ``http`` and ``https`` links are objects; ``mailto:``, ``javascript:``, ``ftp:`` and
      the like give ``None``.
    * Links that lead to the same page are one object, whichever way a post wrote them (issue
      11): what people share is the page, and a text's ``www.example.com/a.`` must match the
      ``https://example.com/a`` that the platform put in the ``urls`` column. So:
      ``http`` and ``https`` are one (sites redirect one to the other; the canonical form says
      ``https``, except with an explicit port); ``www.``, ``www2.``, ``m.``, ``mobile.`` and
      ``amp.`` labels above the registrable domain go (:data:`ALIAS_LABELS`: ``m.facebook.com``
      is ``facebook.com``, ``en.m.wikipedia.org`` is ``en.wikipedia.org``, while ``m.me`` and
      ``amp.dev`` stay); a trailing slash goes (``/a/`` is ``/a``); AMP editions are the page
      (a last segment ``/amp``, ``.amp.html``, an ``amp`` or ``outputType=amp`` parameter);
      trailing punctuation goes exactly as in texts (:func:`extract_urls`); links that say
      where they lead (``l.facebook.com/l.php?u=``, ``google.com/url?q=``, AMP caches, a
      ``url=``/``u=``/``next=`` parameter holding a link) are their target, found by médialab's
      ``ural.infer_redirection`` without any network request.
    * Shortened links (``t.co``, ``bit.ly``, ...) cannot be expanded offline: each stays its own
      object, which hides the page it leads to. :func:`is_shortened_url` tells them apart (by
      ``ural``'s maintained list of about 1,000 shortener domains) so that runs can say how
      many links were shortened.
    * A link without a scheme (``www.example.com/x``, ``example.com/x``, ``//example.com/x``)
      is read as a web link, because ``urls`` columns and texts often hold such strings. A bare
      string must look like a host (a dot, a last label with a letter, or an IPv4 address) and
      hold no ``@``, so words and e-mail addresses are not mistaken for links.
    * Hosts are lower-cased (after NFKC for non-ASCII hosts, as browsers do) and lose one
      trailing dot; internationalised hosts are written in Unicode (``xn--bcher-kva.de`` is
      ``bücher.de``), so a link typed with the name and one copied from an address bar match.
    * Paths keep their case. Percent-escapes of unreserved characters (letters, digits,
      ``-._~``) are decoded and all other escapes use upper-case hex (both are equivalences of
      RFC 3986, section 6.2.2); characters that cannot appear raw in a URL (spaces, non-ASCII)
      are percent-encoded as UTF-8, as browsers send them. So ``/caf%c3%a9``, ``/caf%C3%A9``
      and ``/café`` are one path.
    * The fragment (``#...``) is dropped: it never reaches the server.
    * Query parameters named in :data:`TRACKING_PARAMS`, starting with ``utm_``, or named in
      :data:`HOST_TRACKING_PARAMS` for the link's site (for example ``s`` and ``t`` on
      ``twitter.com``) are removed; the rest are sorted by name, then value. Names are compared
      case-insensitively for removal only.

Domains
    The registrable domain uses the whole Public Suffix List, *including* its private section,
    so ``alice.github.io`` and ``bob.blogspot.com`` are different domains: they are different
    publishers, and a journalist would not want everybody on GitHub Pages linked together. A
    host that is itself a public suffix (``co.uk``, ``github.io``) has no registrable domain
    (``None``); so have ``localhost`` and single-label hosts. An IP address is its own domain.

Hashtags and mentions
    Hashtags follow Twitter's rules: letters, digits, combining marks and underscore (plus the
    joiners some scripts need inside words, such as the Persian zero-width non-joiner), at least
    one letter (``#1`` is not a hashtag), not inside a link, not after a letter (``a#b``) or
    ``&`` (``&#123;``). Mentions are ``@`` and a name of letters, digits, marks and underscore,
    with dots allowed inside (Instagram, TikTok, Bluesky handles such as ``@alice.bsky.social``)
    and an optional fediverse server (``@alice@mastodon.social``); a name needs one letter
    (``@5`` usually means "at five") and an ``@`` right after a letter, digit, dot, ``+`` or
    ``-`` is an e-mail address, not a mention.

Texts
    :func:`normalize_text` makes copies of one message compare equal when they differ only in
    ways a reader does not see or that platforms add: Unicode compatibility forms (NFKC), case
    (case-folding, which also handles ``ß``/``ss`` and Greek final sigma), links (shortened links
    differ per post), mentions, the ``RT @user:`` prefix, whitespace and invisible characters.
    Invisible characters (zero-width space and joiner, word joiner, byte-order mark, soft hyphen,
    bidirectional marks and emoji variation selectors) are deleted, since they are inserted, on
    purpose or by keyboards, without changing what a reader sees; the zero-width *non*-joiner
    becomes a space, because Persian writers use it and a space interchangeably between the parts
    of one word. Accents and other letters are kept (``café`` is not ``cafe``).

    :data:`MIN_TEXT_CHARS` (20 characters, counted as code points after normalisation) keeps
    short, common texts ("lol", "thank you!", "good morning") from linking strangers. Twenty
    characters is about four English words or one short sentence in Chinese or Japanese.

Examples
--------
>>> canonical_url("HTTPS://Example.COM:443/Path?utm_source=x&b=2&a=1#top")
'https://example.com/Path?a=1&b=2'
>>> registrable_domain("https://www.bbc.co.uk/news")
'bbc.co.uk'
>>> extract_hashtags("Vote #NoWar and #НетВойне! #1")
['nowar', 'нетвойне']
>>> normalize_text("RT @bob: Read THIS https://t.co/xyz  now")
'read this now'
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert.errors import ParameterError

from ._arrow import fits_one_array, one_array
from ._helper import apply_each, map_batches

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "ALIAS_LABELS",
    "HOST_TRACKING_PARAMS",
    "MIN_TEXT_CHARS",
    "TRACKING_PARAMS",
    "canonical_url",
    "canonical_urls",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "is_shortened_canonical_url",
    "is_shortened_url",
    "map_unique",
    "normalize_tag",
    "normalize_text",
    "registrable_domain",
    "shortened_links",
    "text_key",
]

#: Shortest normalised text, in characters (code points), that the ``text`` kind uses.
MIN_TEXT_CHARS: int = 20

#: Query parameters removed from every link (compared in lower case), besides any ``utm_*``.
#: Each is added by an ad, analytics or e-mail platform and says nothing about the page.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # Google (ads, analytics, shopping)
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "_ga",
        "_gl",
        "srsltid",
        # Microsoft, Yandex
        "msclkid",
        "yclid",
        "ysclid",
        "_openstat",
        # Meta (Facebook, Instagram)
        "fbclid",
        "mibextid",
        "igshid",
        "igsh",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "action_object_map",
        "action_type_map",
        "action_ref_map",
        # Twitter / X, TikTok, LinkedIn, Pinterest
        "ref_src",
        "ref_url",
        "twclid",
        "__twitter_impression",
        "ttclid",
        "li_fat_id",
        "epik",
        # e-mail and marketing platforms (Mailchimp, HubSpot, Marketo, Vero, Olytics, Adobe)
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        "wickedid",
        "rb_clickid",
        "s_cid",
    }
)

#: Query parameters removed only on some sites (the host or any of its parent domains), because
#: the names are too common to remove everywhere: ``?s=20&t=...`` on a tweet link is a share
#: token, but ``s`` is a search term on many sites.
HOST_TRACKING_PARAMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "twitter.com": frozenset({"s", "t"}),
        "x.com": frozenset({"s", "t"}),
        "youtube.com": frozenset({"si", "feature", "pp"}),
        "youtu.be": frozenset({"si", "feature"}),
        "spotify.com": frozenset({"si"}),
        "tiktok.com": frozenset(
            {"_r", "_t", "is_from_webapp", "sender_device", "sender_web_id", "is_copy_url"}
        ),
    }
)

_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


# --------------------------------------------------------------------------------------------
# Character classes shared by the regular expressions
# --------------------------------------------------------------------------------------------


def _combining_mark_class() -> str:
    """Ranges of every combining mark (categories Mn, Mc, Me), for a regex character class.

    Python's ``\\w`` leaves marks out, which would cut ``#नमस्ते`` after ``नमस``. Marks live in
    planes 0 and 1 and among the variation selectors of plane 14; scanning those takes ~15 ms.
    """
    ranges: list[tuple[int, int]] = []
    for cp in (*range(0x20000), *range(0xE0100, 0xE01F0)):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


#: Joiners and punctuation that some scripts use inside hashtags (Twitter's list, abridged):
#: ZWNJ, ZWJ, middle dot, Hebrew maqaf/geresh/gershayim, Tibetan tsheg, katakana middle dot.
_TAG_EXTRA = "\u200c\u200d\u00b7\u05be\u05f3\u05f4\u0f0b\u0f0c\u30fb\u3003"

#: Every whitespace character (str.isspace), for str.strip-style calls.
_WHITESPACE = "".join(chr(cp) for cp in range(0x3001) if chr(cp).isspace())

#: Invisible characters deleted from texts and tags: soft hyphen, Arabic letter mark, Mongolian
#: vowel separator, zero-width space, LRM/RLM, bidi embeddings/overrides/isolates, word joiner
#: and invisible operators, byte-order mark, emoji/text variation selectors.
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\ufe0e\ufe0f"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
#: In texts, the zero-width joiner is deleted too (in tags it is part of some words).
_TEXT_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}\u200d]")
#: Control characters, which become spaces in texts.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Characters stripped from both ends of a link string.
_URL_EDGE = _WHITESPACE + _INVISIBLE + "\u200c\u200d"
_TAG_LEAD = _WHITESPACE + "\u200c\u200d#@"
_TAG_TRAIL = _WHITESPACE + "\u200c\u200d"

# --------------------------------------------------------------------------------------------
# Regular expressions (compiled once)
# --------------------------------------------------------------------------------------------

#: The body of a link in running text: everything up to whitespace, an angle bracket, a double
#: quote, curly quotes, an ellipsis, an invisible character, full-width or CJK punctuation, or a
#: Chinese, Japanese or Korean character (posts in those languages often put no space after a
#: link; as on Twitter, such characters end it). Trailing punctuation is trimmed by _trim_url.
_URL_BODY = (
    '[^\\s<>"\u2018-\u201f\u2026\u200b-\u200f\u2060\ufeff\uff01-\uff65'
    "\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)
# "http://" or "https://" (any case) and a body. Every token pattern starts with a character
# class of its markers, and each alternative checks which marker it got and the character
# before it with lookbehinds. A pattern that starts with a plain character class lets the regex
# engine jump to candidate positions in C (about twice as fast on long texts as testing a
# lookbehind at every position). m.lastgroup names the kind.
_HTTP_ALT = rf"(?<=[hH])(?P<url>[tT][tT][pP][sS]?://{_URL_BODY})"
#: "www." not inside a word or host, and a body.
_WWW_ALT = rf"(?<![A-Za-z0-9_.@/\-][wW])(?<=[wW])(?P<www>[wW][wW]\.{_URL_BODY})"
_URL_RE = re.compile(f"[hHwW](?:{_HTTP_ALT}|{_WWW_ALT})")


@dataclass(frozen=True)
class _Tokens:
    """The patterns that need word characters of every script, with the combining marks
    (:func:`_combining_mark_class`): made on first use, since scanning the marks and compiling
    their character class takes tens of milliseconds that a run without texts, mentions or
    hashtags need not spend."""

    token: re.Pattern[str]  # links, mentions and hashtags; links first ("#", "@" in links)
    url_or_mention: re.Pattern[str]
    rt: re.Pattern[str]  # leading retweet markers, on case-folded text: "rt @user:", repeated


@functools.cache
def _tokens() -> _Tokens:
    #: One "word" character in any script: Python's \w plus combining marks (inside a class).
    w = rf"\w{_combining_mark_class()}"
    # a mention's name (no "@"): word characters, dots inside, at least one letter, and an
    # optional fediverse server
    mention_name = (
        rf"(?=[{w}.]*[^\W\d_])[{w}](?:[{w}.]*[{w}])?"
        r"(?:@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)?"
    )
    tag_body = f"[{w}{_TAG_EXTRA}]"
    # "@name": not after a word character, "@", ".", "+", "-", "/" or "&" (e-mail addresses)
    mention = rf"(?<![{w}@.+\-/&][@＠])(?<=[@＠])(?P<mention>{mention_name})"
    # "#tag": not after a word character or "&" (HTML entities), at least one letter
    tag = rf"(?<![{w}&][#＃])(?<=[#＃])(?P<tag>(?={tag_body}*[^\W\d_]){tag_body}+)"
    return _Tokens(
        token=re.compile(f"[hHwW@＠#＃](?:{_HTTP_ALT}|{_WWW_ALT}|{mention}|{tag})"),
        url_or_mention=re.compile(f"[hHwW@＠](?:{_HTTP_ALT}|{_WWW_ALT}|{mention})"),
        rt=re.compile(rf"^\s*(?:rt\s*@{mention_name}:?\s*)+"),
    )


_TRAILING_PUNCT = ".,;:!?'\"*…‘’“”«»‹›،؛؟।"
_CLOSERS = {")": "(", "]": "[", "}": "{"}

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_AUTHORITY_END_RE = re.compile(r"[/?#]")
_BAD_HOST_RE = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`%\[\]#/?@:]")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_RE = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
#: A percent-escape of an unreserved character (ALPHA, DIGIT, "-", ".", "_", "~").
_PCT_UNRESERVED_RE = re.compile(
    r"%(?:4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])"
)
_PCT_LOWER_RE = re.compile(r"%(?:[0-9A-Fa-f][a-f]|[a-f][0-9A-F])")
_PATH_SAFE = "/:@!$&'()*+,;=%"
_QUERY_SAFE = "/?:@!$'()*+,;=%"
_PATH_NEEDS_QUOTE_RE = re.compile(r"[^A-Za-z0-9\-._~/:@!$&'()*+,;=%]")
_QUERY_NEEDS_QUOTE_RE = re.compile(r"[^A-Za-z0-9\-._~/?:@!$'()*+,;=%]")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _scrub(s: str) -> str:
    """Replace lone surrogates by U+FFFD (and join surrogate pairs), so UTF-8 encoding works."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return s


def _fold(s: str, *, casefold: bool = True) -> str:
    """NFKC and case-folding (or lower-casing), repeated until stable.

    Case-folding an NFKC string can give a string that NFKC changes again (and the other way
    round), so one round is not always idempotent; two rounds almost always are.
    """
    if s.isascii():
        return s.lower()
    s = unicodedata.normalize("NFKC", s)
    for _ in range(8):
        folded = s.casefold() if casefold else s.lower()
        if folded == s:
            break
        s = unicodedata.normalize("NFKC", folded)
    return s


def _trim_url(url: str) -> str:
    """Remove trailing punctuation and unbalanced closing brackets from a link in text."""
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last not in _TRAILING_PUNCT and not unbalanced:
            break
        url = url[:-1]
    return url


def _is_link(trimmed: str) -> bool:
    """Whether a trimmed link candidate has something after its "http://" or "www."."""
    prefix = 4 if trimmed[:1] in "wW" else trimmed.index("//") + 2
    return len(trimmed) > prefix


def _decode_unreserved(match: re.Match[str]) -> str:
    return chr(int(match.group(0)[1:], 16))


def _upper_escape(match: re.Match[str]) -> str:
    return match.group(0).upper()


def _normalize_component(s: str, needs_quote: re.Pattern[str], safe: str) -> str:
    """Percent-encoding of a path or query part: decode unreserved, upper-case, encode raw."""
    if "%" in s:
        # Decoding can make a new escape ("%4%31" -> "%41"), so repeat until none is left.
        n = 1
        while n:
            s, n = _PCT_UNRESERVED_RE.subn(_decode_unreserved, s)
        s = _PCT_LOWER_RE.sub(_upper_escape, s)
    if needs_quote.search(s):
        s = quote(s, safe=safe)
    return s


def _host_tracking_params(host: str) -> frozenset[str]:
    """Site-specific tracking parameters for a host or any of its parent domains."""
    names: frozenset[str] = frozenset()
    while True:
        found = HOST_TRACKING_PARAMS.get(host)
        if found:
            names = names | found
        dot = host.find(".")
        if dot < 0:
            return names
        host = host[dot + 1 :]


def _split_url(url: str, *, host_only: bool = False) -> tuple[str, str, str, str, str] | None:
    """Parse and normalise a link into (scheme, host, port, path, query), or None.

    With ``host_only``, the path and query are returned raw (enough for the domain).
    """
    s = url.strip(_URL_EDGE)
    if not s:
        return None
    if "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\t", "").replace("\n", "").replace("\r", "")
    s = _trim_url(_scrub(s))
    if not s:
        return None
    s = _redirect_target(s)

    bare = False
    m = _SCHEME_RE.match(s)
    if m is not None and "." not in m.group(1):
        scheme = m.group(1).lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        rest = s[m.end() :].lstrip("/")
    elif s.startswith("//"):
        scheme, rest = "http", s.lstrip("/")
    else:
        scheme, rest, bare = "http", s, True

    m = _AUTHORITY_END_RE.search(rest)
    if m is None:
        netloc, tail = rest, ""
    else:
        netloc, tail = rest[: m.start()], rest[m.start() :]

    if "@" in netloc:
        if bare:  # "alice@example.com" is an e-mail address, not a link
            return None
        netloc = netloc.rpartition("@")[2]

    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        try:
            host = f"[{ipaddress.IPv6Address(netloc[1:end]).compressed}]"
        except ValueError:
            return None
        after = netloc[end + 1 :]
        if after and after[0] != ":":
            return None
        port = after[1:]
    else:
        host, _, port = netloc.partition(":")
        host = host.lower() if host.isascii() else _fold(host, casefold=False)
        if host.endswith("."):
            host = host[:-1]
        if not host or host[0] == "." or host[-1] == "." or ".." in host:
            return None
        if _BAD_HOST_RE.search(host):
            return None
        if bare:  # must look like a host: "example.com", "bücher.de", "10.0.0.1"
            last = host.rpartition(".")[2]
            if last == host or not (_HAS_LETTER_RE.search(last) or _IPV4_RE.fullmatch(host)):
                return None
        if "xn--" in host:
            host = _decode_punycode(host)
        host = _strip_alias_labels(host)

    if port:
        if not (port.isascii() and port.isdigit()):
            return None
        number = int(port)
        if number > 65535:
            return None
        port = "" if number == _DEFAULT_PORTS[scheme] else str(number)
    if not port:
        scheme = "https"  # http and https serve the same page; a scheme-less link has neither

    if host_only:
        return scheme, host, port, tail, ""
    tail = tail.partition("#")[0]
    path, _, query = tail.partition("?")
    path = _normalize_component(path, _PATH_NEEDS_QUOTE_RE, _PATH_SAFE) if path else "/"
    path = _normalize_path_end(path)
    if query:
        query = _normalize_query(query, host)
    return scheme, host, port, path, query


#: Host labels that name the same site as the rest of the host: ``www`` (and ``www0`` to
#: ``www9``), the mobile (``m``, ``mobile``) and the AMP (``amp``) editions.
ALIAS_LABELS: frozenset[str] = frozenset(
    {"www", *(f"www{i}" for i in range(10)), "m", "mobile", "amp"}
)


def _strip_alias_labels(host: str) -> str:
    """``host`` without the :data:`ALIAS_LABELS` above its registrable domain.

    ``www.example.com``, ``m.example.com`` and ``amp.example.com`` become ``example.com``,
    ``en.m.wikipedia.org`` becomes ``en.wikipedia.org``. Labels that are part of the
    registrable domain stay: ``m.me``, ``amp.dev``, ``www.github.io`` (a GitHub user's site).
    """
    labels = host.split(".")
    if len(labels) < 3 or not any(label in ALIAS_LABELS for label in labels[:-2]):
        return host
    domain = _registrable_host(host)
    if domain is None or domain == host or not host.endswith("." + domain):
        return host
    kept = [label for label in host[: -len(domain) - 1].split(".") if label not in ALIAS_LABELS]
    return ".".join([*kept, domain])


def _decode_punycode(host: str) -> str:
    """Internationalised labels written in ASCII (``xn--bcher-kva``) in Unicode (``bücher``).

    A link to ``bücher.de`` may come as ``xn--bcher-kva.de`` in one post and as ``bücher.de``
    in another; both name one host. A label that does not decode to a valid host label stays
    as it is.
    """
    labels = host.split(".")
    for i, label in enumerate(labels):
        if not label.startswith("xn--"):
            continue
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            continue
        decoded = _fold(decoded, casefold=False)
        if (
            decoded
            and decoded.isprintable()
            and not decoded.startswith("xn--")
            and "." not in decoded
            and not _BAD_HOST_RE.search(decoded)
        ):
            labels[i] = decoded
    return ".".join(labels)


#: AMP editions of a page: a last path segment ``amp`` (``/news/story/amp``) and the
#: ``.amp.html`` suffix.
_AMP_PATH_RE = re.compile(r"(?:(?<=[^/])/amp/*$|\.amp(?=\.html?$))", re.IGNORECASE)


def _normalize_path_end(path: str) -> str:
    """No trailing slash (``/a/`` is ``/a``; the root stays ``/``), no AMP suffix."""
    if path.endswith("/"):
        path = path.rstrip("/") or "/"
    if "amp" in path.lower():
        path = _AMP_PATH_RE.sub("", path) or "/"
    return path


@functools.cache
def _ural() -> ModuleType:
    """médialab's ``ural`` (imported on first use: importing it takes ~0.15 s)."""
    import ural

    return ural


def _redirect_target(s: str) -> str:
    """Where a link that says where it leads goes (``ural.infer_redirection``), else ``s``.

    Platforms wrap outgoing links (``l.facebook.com/l.php?u=...``, ``google.com/url?q=...``,
    AMP caches): every wrapped copy differs, the target does not.
    """
    if "=" not in s and "amp" not in s.lower() and "marfeel" not in s.lower():
        return s
    try:
        target = _ural().infer_redirection(s)
    except Exception:  # ural is heuristics; any failure means no redirection inferred
        return s
    return target if isinstance(target, str) and target.strip(_URL_EDGE) else s


def _normalize_query(query: str, host: str) -> str:
    """Drop tracking and AMP parameters, normalise the rest, sort them by name then value."""
    site_params: frozenset[str] | None = None
    kept: list[tuple[str, str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        part = _normalize_component(part, _QUERY_NEEDS_QUOTE_RE, _QUERY_SAFE)
        name, _, value = part.partition("=")
        lname = name.lower()
        if lname in TRACKING_PARAMS or lname.startswith("utm_"):
            continue
        if lname == "amp" or (lname == "outputtype" and value.lower() == "amp"):
            continue
        if site_params is None:
            site_params = _host_tracking_params(host)
        if lname in site_params:
            continue
        kept.append((name, value, part))
    kept.sort()
    return "&".join(part for _, _, part in kept)


# --------------------------------------------------------------------------------------------
# Links and domains
# --------------------------------------------------------------------------------------------


def canonical_url(url: str) -> str | None:
    """The canonical form of a link, or None when it is not an http(s) link.

    Two links that lead to the same page for the same reason get the same canonical form, so
    that sharing them counts as the same action. The steps, in order:

    1. surrounding whitespace and invisible characters are stripped, and tabs and line breaks
       inside are deleted (browsers do the same);
    2. the scheme must be ``http`` or ``https`` (any case); a string without a scheme that
       looks like a host (``www.example.com/x``, ``example.com``, ``//example.com``) gets
       ``http://``;
    3. the user name and password (``user:pw@``) are dropped;
    4. the host is lower-cased and loses one trailing dot; an IPv6 address is written in its
       short form; the default port (80 for http, 443 for https) is dropped;
    5. the fragment (``#...``) is dropped;
    6. in the path and the query, percent-escapes of letters, digits and ``-._~`` are decoded,
       other escapes get upper-case hex, and characters that may not appear raw (spaces,
       non-ASCII) are percent-encoded as UTF-8; an empty path becomes ``/``; the path keeps
       its case;
    7. tracking parameters (:data:`TRACKING_PARAMS`, ``utm_*`` and :data:`HOST_TRACKING_PARAMS`)
       are removed and the others sorted by name, then value (blank values are kept).

    And, so that every way of writing one page gives one object (see the module notes):
    trailing punctuation is trimmed as in texts; a link that names its target
    (``l.facebook.com/l.php?u=...``) becomes the target; ``https`` replaces ``http`` unless a
    port is given; :data:`ALIAS_LABELS` (``www``, ``m``, ``amp``, ...) above the registrable
    domain go; punycode labels are decoded; a trailing slash (not the root's) and AMP
    suffixes go. The result is a fixed point: ``canonical_url(canonical_url(u))`` is
    ``canonical_url(u)``.

    Parameters
    ----------
    url : str
        A link as found in a ``urls`` column or by :func:`extract_urls`.

    Returns
    -------
    str or None
        ``scheme://host[:port]/path[?query]``, or None for empty strings, other schemes
        (``mailto:``, ``javascript:``, ``ftp:``), links without a valid host or with an invalid
        port, and scheme-less strings that do not look like a host.

    Examples
    --------
    >>> canonical_url("HTTP://WWW.Example.com:80/About/?utm_medium=social&fbclid=abc#team")
    'https://example.com/About'
    >>> canonical_url("https://user:secret@example.com/search?q=caf%c3%a9&lang=&a=%7e")
    'https://example.com/search?a=~&lang=&q=caf%C3%A9'
    >>> canonical_url("www.example.com/café")
    'https://example.com/caf%C3%A9'
    >>> canonical_url("https://twitter.com/i/status/1?s=20&t=Xyz")
    'https://twitter.com/i/status/1'
    >>> canonical_url("https://Bücher.DE/"), canonical_url("https://[2001:DB8:0::1]:8443/")
    ('https://bücher.de/', 'https://[2001:db8::1]:8443/')
    >>> canonical_url("http://m.example.com/news/story/amp/."), canonical_url("xn--bcher-kva.de")
    ('https://example.com/news/story', 'https://bücher.de/')
    >>> canonical_url("mailto:alice@example.com") is None, canonical_url("alice@example.com")
    (True, None)
    """
    canonical = _canonical_once(url)
    if canonical == url:  # already canonical: a second pass would give it back unchanged
        return canonical
    # Normalising can expose what one pass would have changed (a decoded escape revealing a
    # redirect parameter, sorting putting a value that ends in "." last), so repeat until
    # stable: the canonical form of a canonical form is itself.
    for _ in range(4):
        if canonical is None:
            return None
        again = _canonical_once(canonical)
        if again == canonical:
            break
        canonical = again
    return canonical


def canonical_urls(values: pa.Array | pa.ChunkedArray, *, helpers: int = 0) -> pa.Array:
    """:func:`canonical_url` of each string (null where it is None), as :func:`map_unique`
    gives it, without calling it on values that cannot be links. With ``helpers`` and at
    least :data:`HELPER_MIN_DISTINCT` distinct values, that many helper processes take batches
    of them too (as in :func:`text_keys`); the links are the same either way.

    A value of ASCII letters, digits, ``_`` and ``-`` alone (an id such as ``23678``, a word)
    has no scheme, no ``//`` and no dot, so it cannot look like a host; nor can a link that it
    names be inferred (no ``=``). Its canonical form is None, known without parsing it: the
    object columns of anonymised data hold millions of such ids. Values that name AMP or
    Marfeel pages are parsed all the same (their redirection is inferred by words, not ``=``).
    """
    array = one_array(values)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        plain = pc.and_not(
            pc.match_substring_regex(array, _NO_LINK),
            pc.match_substring_regex(array, "amp|marfeel", ignore_case=True),
        )
        if pc.any(plain).as_py():
            array = pc.if_else(plain, pa.scalar(None, array.type), array)
    distinct = _distinct(array, "canonical_urls", slices=helpers + 1)
    if isinstance(distinct, pa.Array):
        return distinct
    encoded, out_type = distinct
    return _map_distinct(encoded, out_type, canonical_url, ("canonical_url", {}, helpers))


#: What :func:`canonical_urls` knows is no link without parsing it.
_NO_LINK = r"^[0-9A-Za-z_\-]*$"


def _canonical_once(url: str) -> str | None:
    parts = _split_url(url)
    if parts is None:
        return None
    scheme, host, port, path, query = parts
    netloc = f"{host}:{port}" if port else host
    return f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"


def is_shortened_url(url: str) -> bool:
    """Whether a link is a shortened link (``t.co/...``, ``bit.ly/...``): it hides its target.

    Two posts that share one page through two shortened links (each ``t.co`` link is made
    for one post) share two different objects, and the page itself is not known; expand
    shortened links before a run where the data allows it (Twitter's ``expanded_url``). The
    shortener domains are médialab's ``ural`` list (about 1,000, maintained for social-media
    research); a shortener's home page (``https://bit.ly/``) is not a shortened link.

    Parameters
    ----------
    url : str
        A link (anything :func:`canonical_url` accepts).

    Returns
    -------
    bool
        False as well for strings that are not http(s) links.

    Examples
    --------
    >>> is_shortened_url("https://t.co/AbC123"), is_shortened_url("bit.ly/3xYz")
    (True, True)
    >>> is_shortened_url("https://example.com/a"), is_shortened_url("https://bit.ly/")
    (False, False)
    """
    canonical = canonical_url(url)
    if canonical is None:
        return False
    return _shortened(canonical)


def is_shortened_canonical_url(canonical: str) -> bool:
    """:func:`is_shortened_url` of a link that :func:`canonical_url` already returned (the
    objects of ``url`` actions made from posts), without canonicalising it again."""
    return _shortened(canonical)


#: The host of a canonical link (:func:`canonical_url`: no user, a bracketed IPv6 address or a
#: host without ``/?#:@``), then a port of digits and the path; a link not of this form does
#: not match, and is checked in full.
_CANONICAL_HOST = r"^[a-z]+://(?P<host>\[[^\]]*\]|[^/?#:@\[\]]*)(?::[0-9]*)?(?:[/?#]|$)"


def shortened_links(canonical: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """:func:`is_shortened_canonical_url` of each canonical link (False for null), asking once
    per host whether any link of it can be shortened.

    By ural's rules a link is shortened only when its host starts with ``l.`` or is a
    shortener's; the rules' other part (not a home page; a short path on ``l.`` hosts) is about
    the path, which ``https://<host>/abc`` passes. So ural's answer for that link says whether
    the host can have a shortened link, and only the links of such hosts (few, against
    millions of links) are checked one by one, as is a link whose host cannot be read off.
    """
    links = one_array(canonical)
    out = np.zeros(len(links), dtype=bool)
    if len(links) == 0:
        return out
    found = pc.extract_regex(links, _CANONICAL_HOST)
    hosts = pc.if_else(
        found.is_valid(), pc.struct_field(found, "host"), pa.scalar(None, pa.string())
    )
    encoded = pc.dictionary_encode(hosts)
    may = [_shortened(f"https://{h}/abc") for h in encoded.dictionary.to_pylist()]
    may.append(True)  # a link without a host read off: checked
    codes = encoded.indices.fill_null(len(may) - 1).to_numpy(zero_copy_only=False)
    check = np.asarray(links.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    check &= np.asarray(may, dtype=bool)[codes]
    for i in np.flatnonzero(check).tolist():
        out[i] = _shortened(links[i].as_py())
    return out


@functools.lru_cache(maxsize=1 << 16)
def _shortened(canonical: str) -> bool:
    try:
        return bool(_ural().is_shortened_url(canonical))
    except Exception:  # ural is heuristics; a link it cannot read is not known to be short
        return False


@functools.cache
def _psl() -> PublicSuffixList:
    """The Public Suffix List shipped with ``publicsuffixlist`` (loaded once, ~30 ms)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=False)


@functools.lru_cache(maxsize=1 << 16)
def _registrable_host(host: str) -> str | None:
    """Registrable domain of a lower-case host without port, brackets or trailing dot."""
    if _IPV4_RE.fullmatch(host):
        return host
    if "." not in host or host.endswith(".localhost"):
        return None
    return _psl().privatesuffix(host)


def registrable_domain(url_or_host: str) -> str | None:
    """The registrable domain ("eTLD+1") of a link or host, by the Public Suffix List.

    The registrable domain is the part of a host name that someone registered: one label more
    than the public suffix, the part under which anybody may register names. It merges
    ``www.bbc.co.uk``, ``news.bbc.co.uk`` and ``bbc.co.uk``. The list ships with the
    ``publicsuffixlist`` package, so no network is used.

    The private section of the list is used, so that blogs and pages hosted for many people are
    kept apart: ``alice.github.io`` and ``bob.github.io`` are two domains, not one
    ``github.io``.

    Parameters
    ----------
    url_or_host : str
        An http(s) link (anything :func:`canonical_url` accepts) or a bare host name, with or
        without port. IPv6 addresses may be bare or in brackets.

    Returns
    -------
    str or None
        The lower-case registrable domain (an internationalised domain in the form given,
        Unicode or ``xn--``); the address itself for an IP address; None for ``localhost``,
        single-label hosts, hosts that are themselves public suffixes (``co.uk``,
        ``github.io``), non-http(s) links and strings that are not hosts.

    Examples
    --------
    >>> registrable_domain("www.bbc.co.uk")
    'bbc.co.uk'
    >>> registrable_domain("https://news.example.com:8080/a?b=c")
    'example.com'
    >>> registrable_domain("alice.github.io"), registrable_domain("github.io")
    ('alice.github.io', None)
    >>> registrable_domain("http://192.168.0.1/x"), registrable_domain("[2001:DB8::1]")
    ('192.168.0.1', '2001:db8::1')
    >>> registrable_domain("localhost") is None
    True
    """
    s = url_or_host.strip(_URL_EDGE)
    inner = s[1:-1] if s.startswith("[") and s.endswith("]") else s
    if ":" in inner and "/" not in inner and "@" not in inner:
        try:  # a bare IPv6 address, with or without brackets
            return ipaddress.IPv6Address(inner).compressed
        except ValueError:
            pass
    canonical = canonical_url(s)
    parts = None if canonical is None else _split_url(canonical, host_only=True)
    if parts is None:
        return None
    host = parts[1]
    if host.startswith("["):
        return host[1:-1]
    return _registrable_host(host)


# --------------------------------------------------------------------------------------------
# Tags, mentions and texts
# --------------------------------------------------------------------------------------------


def normalize_tag(tag: str) -> str | None:
    """A hashtag or mention as an object id: no marker, NFKC, case-folded, trimmed.

    Leading ``#``, ``＃``, ``@`` and ``＠`` are removed (all of them, so that the function is
    idempotent: ``##tag`` becomes ``tag`` in one call, not two), as are invisible characters
    and surrounding whitespace; runs of inner whitespace become one space. Joiners inside the
    tag (the zero-width non-joiner of Persian, for example) are kept.

    Parameters
    ----------
    tag : str
        A hashtag or mention, with or without its marker, e.g. from a ``hashtags`` column.

    Returns
    -------
    str or None
        The normalised tag, or None when nothing is left.

    Examples
    --------
    >>> normalize_tag("#StopTheWar"), normalize_tag("＃ＣＯＶＩＤ１９"), normalize_tag("@Alice_B")
    ('stopthewar', 'covid19', 'alice_b')
    >>> normalize_tag("#Straße"), normalize_tag(" #ΟΔΥΣΣΕΥΣ "), normalize_tag("#")
    ('strasse', 'οδυσσευσ', None)
    """
    s = _scrub(tag)
    if not s.isascii():
        s = _INVISIBLE_RE.sub("", s)
    s = _fold(s).lstrip(_TAG_LEAD).rstrip(_TAG_TRAIL)
    s = " ".join(s.split())
    return s or None


def normalize_text(text: str, *, strip_hashtags: bool = False) -> str:
    """A text as the ``text`` kind compares it.

    Copies of one message should compare equal even when platforms or people changed what a
    reader does not notice. The steps, in order:

    1. lone surrogates become U+FFFD (so any Python string works);
    2. invisible characters (zero-width space and joiner, word joiner, byte-order mark, soft
       hyphen, bidirectional marks, emoji variation selectors) are deleted; control characters
       become spaces;
    3. Unicode NFKC (full-width and compatibility forms become plain ones, e.g. ``ｈｅｌｌｏ``,
       ``ﬁ`` and ``①``) and case-folding (``ß`` becomes ``ss``, ``Σ`` and ``ς`` become ``σ``);
    4. leading retweet markers ``RT @user:`` are deleted, then links (``http(s)://`` and
       ``www.``, with any punctuation stuck to their end), mentions and, with
       ``strip_hashtags``, hashtags (with their ``#``) anywhere; e-mail addresses are kept;
    5. zero-width non-joiners become spaces (Persian writers use both between the parts of one
       word), runs of whitespace become one space, and the ends are stripped.

    The result is idempotent: ``normalize_text(normalize_text(t)) == normalize_text(t)``.

    Parameters
    ----------
    text : str
        The post's text, in any script.
    strip_hashtags : bool, default False
        Also remove hashtags, so that "Vote now #A" and "Vote now #B" compare equal.

    Returns
    -------
    str
        The normalised text; an empty string when nothing is left.

    Examples
    --------
    >>> normalize_text("RT @NewsBot: BREAKING\u00a0news\u200b!  https://t.co/AbC #Вибори")
    'breaking news! #вибори'
    >>> normalize_text("BREAKING news! #Вибори", strip_hashtags=True)
    'breaking news!'
    >>> normalize_text("Write to press@example.org (not @press)")
    'write to press@example.org (not )'
    >>> normalize_text("می‌خواهم")  # the zero-width non-joiner becomes a space
    'می خواهم'
    """
    s = _scrub(text)
    if not s.isascii():
        s = _TEXT_INVISIBLE_RE.sub("", s)
    s = _without_controls(s)
    s = _fold(s)
    tokens = _tokens()
    pattern = tokens.token if strip_hashtags else tokens.url_or_mention
    markers = "@#" if strip_hashtags else "@"
    # Tokens are deleted, not replaced by a space, so that "请投票！https://t.co/x很重要" and
    # "请投票！很重要" agree (whitespace around them collapses anyway). Deleting a token can
    # expose another: "#a@b" has no mention until "#a" is gone, and "x.org rt@b: hi" no leading
    # retweet marker until the link is gone. Exposed tokens start with a marker, so repeat while
    # some are left; each round shortens the text.
    s, changed = _strip_tokens(s, pattern, markers)
    if changed and not s.isascii() and not unicodedata.is_normalized("NFKC", s):
        s = _fold(s)  # characters on both sides of a deleted token may compose (Hangul jamo)
    if "\u200c" in s:  # after the tokens: a hashtag may hold a ZWNJ
        s = s.replace("\u200c", " ")
        # ... and a ZWNJ may have hidden a leading retweet marker ("\u200crt@b") or glued a
        # token to the text before it: strip again, now that it is a space
        s, _ = _strip_tokens(s, pattern, markers)
    return _single_spaced(s)


def _without_controls(s: str) -> str:
    """Control characters (:data:`_CONTROL_RE`) as spaces. Printable ASCII has none, and most
    texts are printable ASCII: the check is twice as fast as the search."""
    return s if s.isascii() and s.isprintable() else _CONTROL_RE.sub(" ", s)


def _single_spaced(s: str) -> str:
    """``" ".join(s.split())``: runs of whitespace as one space, none at the ends. A printable
    ASCII text has no whitespace but the space, so it is already so when it has no two spaces
    together and none at an end (most texts): checked at half the cost of the split."""
    if s.isascii() and s.isprintable() and "  " not in s and s[:1] != " " and s[-1:] != " ":
        return s
    return " ".join(s.split())


def _strip_tokens(s: str, pattern: re.Pattern[str], markers: str) -> tuple[str, int]:
    """``s`` (folded) without leading retweet markers and the tokens ``pattern`` matches,
    repeated while a deletion exposes another token; and how many the first round deleted."""
    if "://" not in s and "www." not in s and not any(marker in s for marker in markers):
        # no token can match: a link needs "://" or "www.", a retweet marker or mention "@",
        # a hashtag "#" (once folded: lower case, and NFKC has made full-width forms plain)
        return s, 0
    return _strip_matching_tokens(s, pattern, markers)


def _strip_matching_tokens(s: str, pattern: re.Pattern[str], markers: str) -> tuple[str, int]:
    """:func:`_strip_tokens` by the patterns alone, for any text."""
    rt = _tokens().rt
    s, removed = pattern.subn("", rt.sub("", s))
    changed = removed
    while removed and any(marker in s for marker in markers):
        s, removed = pattern.subn("", rt.sub("", s))
    return s, changed


def _check_min_chars(min_chars: int) -> None:
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise ParameterError("min_chars", "a non-negative integer", min_chars)


def text_key(
    text: str, *, min_chars: int = MIN_TEXT_CHARS, strip_hashtags: bool = False
) -> str | None:
    """The object id of the ``text`` kind: a hash of the normalised text, or None if too short.

    Parameters
    ----------
    text : str
        The post's text.
    min_chars : int, default MIN_TEXT_CHARS
        Shortest normalised text, in characters (code points), that gets a key. Empty texts
        never get one, even with ``min_chars=0``.
    strip_hashtags : bool, default False
        Passed to :func:`normalize_text`.

    Returns
    -------
    str or None
        The first 32 hexadecimal digits (128 bits) of the SHA-256 of the UTF-8 of
        :func:`normalize_text`, or None when the normalised text is shorter than ``min_chars``.

    Raises
    ------
    ParameterError
        If ``min_chars`` is not a non-negative integer.

    Examples
    --------
    >>> text_key("lol") is None
    True
    >>> text_key("RT @a: Vote for the People's Party on Sunday!") == text_key(
    ...     "vote for the people's party on sunday! https://t.co/x1")
    True
    >>> len(text_key("Vote for the People's Party on Sunday!"))
    32
    """
    _check_min_chars(min_chars)
    normalized = normalize_text(text, strip_hashtags=strip_hashtags)
    if not normalized or len(normalized) < min_chars:
        return None
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]


# --------------------------------------------------------------------------------------------
# Extraction from running text
# --------------------------------------------------------------------------------------------


def extract_urls(text: str) -> list[str]:
    """Links in running text, as written, in order of first appearance, each once.

    A link starts with ``http://`` or ``https://`` (any case) or with ``www.`` (not inside a
    word or host) and runs to whitespace, ``<``, ``>``, ``"``, curly quotes, ``…``, CJK or
    full-width punctuation or an invisible character; trailing ``.,;:!?'"*`` and the like, and
    closing brackets without an opening one, are removed, so "(see https://x.org/a_(b))." gives
    ``https://x.org/a_(b)``. The links are not canonicalised; use :func:`canonical_url`.

    Parameters
    ----------
    text : str
        Running text in any script.

    Returns
    -------
    list of str
        The links, without duplicates (compared as written; lone surrogates become U+FFFD).

    Examples
    --------
    >>> extract_urls("See https://example.com/a?b=1, (www.example.org/x) or https://example.com/a?b=1!")
    ['https://example.com/a?b=1', 'www.example.org/x']
    >>> extract_urls("看这里：https://t.co/AbC。很重要")
    ['https://t.co/AbC']
    """
    found: dict[str, None] = {}
    for match in _URL_RE.finditer(_scrub(text)):
        url = _trim_url(match.group())
        if url and _is_link(url):
            found[url] = None
    return list(found)


def _extract_tokens(text: str, kind: str) -> list[str]:
    """Normalised hashtags (``kind="tag"``) or mentions (``"mention"``) of a text, unique."""
    found: dict[str, None] = {}
    for match in _tokens().token.finditer(_scrub(text)):
        if match.lastgroup == kind:
            tag = normalize_tag(match.group(kind))
            if tag is not None:
                found[tag] = None
    return list(found)


def extract_hashtags(text: str) -> list[str]:
    """Hashtags in running text, normalised with :func:`normalize_tag`, unique, in order.

    A hashtag is ``#`` (or ``＃``) and a run of letters, digits, combining marks, underscores
    and the joiners some scripts need inside words, with at least one letter: ``#1`` and
    ``#2024`` are not hashtags (as on Twitter). A ``#`` inside a link, after a letter or digit
    (``C#``, ``a#b``) or after ``&`` (``&#123;``) does not start one.

    Parameters
    ----------
    text : str
        Running text in any script.

    Returns
    -------
    list of str
        Normalised hashtags without ``#``, each once, in order of first appearance.

    Examples
    --------
    >>> extract_hashtags("#Україна #Ukraine #україна #1 https://x.org/#frag &#123; #東京")
    ['україна', 'ukraine', '東京']
    >>> extract_hashtags("#ایران #هشتگ_فارسی #नमस्ते")
    ['ایران', 'هشتگ_فارسی', 'नमस्ते']
    """
    return _extract_tokens(text, "tag")


def extract_mentions(text: str) -> list[str]:
    """Mentioned accounts in running text, normalised with :func:`normalize_tag`, unique, in order.

    A mention is ``@`` (or ``＠``) and a name of letters, digits, combining marks and
    underscores, with dots allowed inside (``@alice.bsky.social``, Instagram's ``@a.b``) and
    an optional fediverse server (``@alice@mastodon.social``); trailing dots are not part of
    it. The name needs a letter (``@5pm`` is a mention, ``@5`` is not). An ``@`` after a
    letter, digit, ``.``, ``+``, ``-``, ``/`` or ``&`` is not a mention, which leaves e-mail
    addresses alone, and ``@`` inside a link is skipped.

    Parameters
    ----------
    text : str
        Running text in any script.

    Returns
    -------
    list of str
        Normalised names without ``@``, each once, in order of first appearance.

    Examples
    --------
    >>> extract_mentions("Thanks @Alice, @bob.smith. and @carol@Mastodon.Social! Mail a@b.com")
    ['alice', 'bob.smith', 'carol@mastodon.social']
    >>> extract_mentions("@Навальный https://medium.com/@writer @5")
    ['навальный']
    """
    return _extract_tokens(text, "mention")


# --------------------------------------------------------------------------------------------
# Arrow
# --------------------------------------------------------------------------------------------


def map_unique(
    values: pa.Array | pa.ChunkedArray,
    func: Callable[[str], Any],
    out_type: pa.DataType | None = None,
) -> pa.Array:
    """Apply a per-string function to an Arrow string array, once per distinct value.

    Posts repeat their links, hashtags and texts (retweets, copy-paste campaigns), so the
    values are dictionary-encoded, ``func`` is called on each distinct value, and the results
    are gathered back with ``take``: the cost follows the number of distinct values, not rows.

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        Strings (``string``, ``large_string``, ``string_view``, or a dictionary of strings);
        may hold nulls.
    func : callable
        ``str -> str | None``; for example :func:`canonical_url` or :func:`text_key`.
    out_type : pyarrow.DataType, optional
        The type of ``func``'s results where they are not strings, e.g.
        ``pa.list_(pa.string())`` for :func:`extract_hashtags`.

    Returns
    -------
    pyarrow.Array
        ``func`` of each value, of the same length; null where the value is null or ``func``
        returned None. Its type is ``out_type`` if given, else ``large_string`` for
        ``large_string`` input, else ``string`` (whose offsets limit one array to 2 GiB of
        text: pass ``large_string``, or batches, beyond that).

    Raises
    ------
    TypeError
        If the values are not strings.

    Examples
    --------
    >>> import pyarrow as pa
    >>> map_unique(pa.array(["#A", None, "#a", "#"]), normalize_tag).to_pylist()
    ['a', None, 'a', None]
    """
    distinct = _distinct(values, "map_unique")
    if isinstance(distinct, pa.Array):  # nulls only
        return distinct if out_type is None else pa.nulls(len(distinct), out_type)
    encoded, strings = distinct
    return _map_distinct(encoded, strings if out_type is None else out_type, func)


def _map_distinct(
    encoded: Sequence[pa.DictionaryArray],
    out_type: pa.DataType,
    func: Callable[[str], Any],
    shared: tuple[str, Mapping[str, Any], int] | None = None,
) -> pa.Array:
    """``func`` of each distinct string of each slice in ``encoded`` (consecutive slices of
    the values, each dictionary-encoded: :func:`_distinct`), gathered back to every row in
    order. With ``shared`` = (the function's name in :data:`inconcert._helper.FUNCTIONS`, its
    keyword arguments, helpers) and at least :data:`HELPER_MIN_DISTINCT` distinct strings,
    helper processes take batches of them too (:func:`inconcert._helper.map_batches`); the
    result is the same either way."""
    dictionaries = [e.dictionary for e in encoded]
    helped = (
        shared is not None
        and shared[2] >= 1
        and sum(len(d) for d in dictionaries) >= HELPER_MIN_DISTINCT
    )
    # a batch of distinct values at a time: Python strings stay bounded whatever the input
    size = batch_rows(dictionaries, _HELPER_BATCH if helped else _BATCH)
    batches = [d.slice(i, size) for d in dictionaries for i in range(0, len(d), size)]
    if helped and shared is not None:
        name, kwargs, helpers = shared
        parts, _ = map_batches(batches, name, kwargs, out_type, helpers)
    else:
        parts = [apply_each(func, batch, out_type) for batch in batches]
    out, first = [], 0
    for e, d in zip(encoded, dictionaries, strict=True):
        count = -(-len(d) // size)  # this slice's batches
        mine = parts[first : first + count]
        first += count
        mapped = pa.concat_arrays(mine) if mine else pa.array([], type=out_type)
        out.append(mapped.take(e.indices))
    return out[0] if len(out) == 1 else pa.concat_arrays(out)


#: Fewest values for which :func:`_distinct` encodes slices of them in threads (one per
#: ``slices``): Arrow lets go of the interpreter lock while it encodes, so the cores share the
#: hashing; a value in more than one slice is mapped once per slice, at most ``slices`` times.
_SLICED_FROM = 200_000


def _distinct(
    values: pa.Array | pa.ChunkedArray, caller: str, slices: int = 1
) -> pa.Array | tuple[list[pa.DictionaryArray], pa.DataType]:
    """The strings dictionary-encoded, in ``slices`` consecutive slices (each encoded in its
    own thread) from :data:`_SLICED_FROM` strings, else in one; and the type of results for
    them (``large_string`` for ``large_string``, else ``string``); or, for an array of nulls
    only, the result itself."""
    if (
        isinstance(values, pa.ChunkedArray)
        and values.num_chunks > 1
        and not fits_one_array(values.nbytes)
        and (pa.types.is_string(values.type) or pa.types.is_large_string(values.type))
    ):
        # more than one array of strings holds: each chunk is a slice of its own (a value in
        # two chunks is mapped twice, to the same result)
        out_type = pa.large_string() if pa.types.is_large_string(values.type) else pa.string()
        return _encode_in_threads(list(values.chunks)), out_type
    array = one_array(values)
    if pa.types.is_dictionary(array.type) and not _is_text_type(array.type.value_type):
        array = array.dictionary_decode()
    value_type = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    out_type = pa.large_string() if pa.types.is_large_string(value_type) else pa.string()
    if pa.types.is_null(value_type):
        return pa.nulls(len(array), type=out_type)
    if not _is_text_type(value_type):
        raise TypeError(f"{caller} needs an array of strings, got {value_type}")
    if pa.types.is_dictionary(array.type):
        return [array], out_type
    if pa.types.is_string_view(array.type):
        array = array.cast(out_type)
    if slices < 2 or len(array) < _SLICED_FROM:
        return [pc.dictionary_encode(array)], out_type
    step = -(-len(array) // slices)
    return _encode_in_threads([array.slice(i, step) for i in range(0, len(array), step)]), out_type


def _encode_in_threads(parts: list[pa.Array]) -> list[pa.DictionaryArray]:
    """``pc.dictionary_encode`` of each part, the first in this thread and each other in a
    thread of its own; an error in any is raised here."""
    encoded: list[pa.DictionaryArray | None] = [None] * len(parts)
    errors: list[BaseException] = []

    def encode(i: int) -> None:
        try:
            encoded[i] = pc.dictionary_encode(parts[i])
        except Exception as exc:  # raised below, in the caller
            errors.append(exc)

    threads = [
        threading.Thread(target=encode, args=(i,), daemon=True) for i in range(1, len(parts))
    ]
    for thread in threads:
        thread.start()
    encode(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    done = [e for e in encoded if e is not None]
    if len(done) != len(parts):  # a thread that ended without a result or an error
        raise RuntimeError("a slice of the strings was not encoded")
    return done


def text_keys(
    texts: pa.Array | pa.ChunkedArray,
    *,
    min_chars: int = MIN_TEXT_CHARS,
    strip_hashtags: bool = False,
    helpers: int = 0,
) -> pa.Array:
    """:func:`text_key` of each text (null for null), once per distinct text (as
    :func:`map_unique` does). With ``helpers`` and at least :data:`HELPER_MIN_DISTINCT` distinct
    texts, that many helper processes take batches of them too
    (:func:`inconcert._helper.map_batches`); the keys are the same either way."""
    _check_min_chars(min_chars)  # before any work, and before a helper could meet it
    kwargs: dict[str, Any] = {"min_chars": min_chars, "strip_hashtags": strip_hashtags}
    distinct = _distinct(texts, "text_keys", slices=helpers + 1)
    if isinstance(distinct, pa.Array):
        return distinct
    encoded, out_type = distinct
    key = functools.partial(text_key, **kwargs)
    return _map_distinct(encoded, out_type, key, ("text_key", kwargs, helpers))


#: Fewest distinct strings for which :func:`text_keys` and :func:`canonical_urls` start helper
#: processes: below it, a helper's start (a quarter of a second) costs more than its share
#: saves (a text key takes ~3 µs, a link ~6-17 µs).
HELPER_MIN_DISTINCT = 50_000
_HELPER_BATCH = 8_192

_BATCH = 65_536
#: Most bytes of strings in one batch (:func:`batch_rows`): 65,536 tweets are ~10 MB, but
#: as many scraped articles hundreds of MB, and Python holds a batch as its own strings.
_BATCH_BYTES = 32 * 1024**2


def batch_rows(arrays: Sequence[pa.Array], most: int) -> int:
    """Rows per batch of the string ``arrays``: at most ``most``, fewer where their strings are
    long, so that a batch holds about :data:`_BATCH_BYTES` (at least one row)."""
    rows = sum(len(a) for a in arrays)
    if not rows:
        return most
    mean = sum(a.nbytes for a in arrays) / rows
    return max(1, min(most, int(_BATCH_BYTES // max(mean, 1.0))))


def _is_text_type(t: pa.DataType) -> bool:
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_null(t)
    )
