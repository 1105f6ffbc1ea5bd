"""Tests of inconcert.normalize: links, domains, tags, texts and the Arrow helper."""

from __future__ import annotations

import doctest
import hashlib
import re
import socket
import time

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inconcert import normalize
from inconcert.errors import ParameterError
from inconcert.normalize import (
    HOST_TRACKING_PARAMS,
    MIN_TEXT_CHARS,
    TRACKING_PARAMS,
    _fold,
    _strip_matching_tokens,
    _strip_tokens,
    _tokens,
    canonical_url,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    is_shortened_url,
    map_unique,
    normalize_tag,
    normalize_text,
    registrable_domain,
    text_key,
)

# ---------------------------------------------------------------------------------------------
# canonical_url
# ---------------------------------------------------------------------------------------------

# Since issue 11 (item 5), links that lead to the same page are one object: http and https
# (sites redirect one to the other, and a "www." link in a text has no scheme at all while the
# same link in a `urls` column has one), "www."/"m."/"amp." hosts, a trailing slash, punycode
# and Unicode hosts, trailing punctuation. Cases below that changed then say so.
CANONICAL_CASES = [
    # scheme and host case; empty path; http becomes https (changed: http was kept)
    ("HTTP://EXAMPLE.COM", "https://example.com/"),
    ("HtTpS://Www.Example.Com/", "https://example.com/"),
    # default ports go, others stay (with their scheme); leading zeros and empty ports
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("http://example.com:0080/a", "https://example.com/a"),
    ("http://example.com:/a", "https://example.com/a"),
    # fragments
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?b=1#frag?x=y", "https://example.com/a?b=1"),
    ("https://example.com#", "https://example.com/"),
    # tracking parameters
    (
        "https://example.com/a?utm_source=tw&utm_medium=social&utm_campaign=x",
        "https://example.com/a",
    ),
    ("https://example.com/a?id=7&fbclid=IwAR0abc", "https://example.com/a?id=7"),
    (
        "https://example.com/a?gclid=1&dclid=2&msclkid=3&igshid=4&yclid=5&mc_cid=6&mc_eid=7&_ga=8",
        "https://example.com/a",
    ),
    ("https://example.com/a?ref_src=twsrc%5Etfw&p=1", "https://example.com/a?p=1"),
    ("https://example.com/a?UTM_Source=x&Fbclid=y&q=1", "https://example.com/a?q=1"),
    ("https://example.com/a?utm%5Fsource=x&q=1", "https://example.com/a?q=1"),
    ("https://example.com/?utm_content", "https://example.com/"),
    # site-specific tracking parameters, on the site and its subdomains only
    ("https://twitter.com/bob/status/1?s=20&t=AbC", "https://twitter.com/bob/status/1"),
    ("https://mobile.twitter.com/bob/status/1?s=46", "https://twitter.com/bob/status/1"),
    ("https://x.com/bob/status/1?s=20&lang=de", "https://x.com/bob/status/1?lang=de"),
    (
        "https://www.youtube.com/watch?v=dQw&si=Ab1&feature=share&t=42",
        "https://youtube.com/watch?t=42&v=dQw",
    ),
    ("https://youtu.be/dQw?si=Ab1", "https://youtu.be/dQw"),
    ("https://example.com/search?s=20&t=AbC", "https://example.com/search?s=20&t=AbC"),
    # query sorting: by name, then value; blank values and bare names kept; empty parts dropped
    ("https://example.com/?b=2&a=1&c=", "https://example.com/?a=1&b=2&c="),
    ("https://example.com/?a=2&a=1&a=10", "https://example.com/?a=1&a=10&a=2"),
    ("https://example.com/?flag&a=1", "https://example.com/?a=1&flag"),
    ("https://example.com/?&&a=1&&", "https://example.com/?a=1"),
    ("https://example.com/?", "https://example.com/"),
    ("https://example.com/?q=a+b&r=x=y", "https://example.com/?q=a+b&r=x=y"),
    # percent-encoding: upper-case hex, unreserved decoded, raw non-ASCII and spaces encoded
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com/%7Euser/%41%2d%5f%2E/b", "https://example.com/~user/A-_./b"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/?q=caf%c3%a9&x=é", "https://example.com/?q=caf%C3%A9&x=%C3%A9"),
    ("https://example.com/100%", "https://example.com/100%"),
    ("https://example.com/%4%31", "https://example.com/A"),
    # the path keeps its case
    ("https://Example.com/CamelCase/Path", "https://example.com/CamelCase/Path"),
    # internationalised hosts: in Unicode, lower-cased (NFKC for full-width forms); punycode
    # is decoded (changed: it was kept, so "bücher.de" and "xn--bcher-kva.de" were two hosts)
    ("https://Bücher.DE/Über", "https://bücher.de/%C3%9Cber"),
    ("https://XN--BCHER-KVA.de/", "https://bücher.de/"),
    ("https://www.xn--bcher-kva.de/a/", "https://bücher.de/a"),
    ("http://ПРИМЕР.РФ/", "https://пример.рф/"),
    ("https://xn--zz.example/", "https://xn--zz.example/"),  # not valid punycode: kept
    ("https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://example.com/"),
    ("https://例子.测试/路径", "https://例子.测试/%E8%B7%AF%E5%BE%84"),
    # user info is dropped (the last "@" ends it, as in browsers)
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("https://good.example@evil.example/", "https://evil.example/"),
    # trailing dot of a fully qualified host
    ("https://example.com./a", "https://example.com/a"),
    # IP addresses
    ("http://192.168.0.1:80/x", "https://192.168.0.1/x"),
    ("http://[2001:DB8:0:0::1]:8080/", "http://[2001:db8::1]:8080/"),
    ("http://[::1]", "https://[::1]/"),
    # scheme-less strings: www., bare hosts, protocol-relative, host with port
    ("www.example.com/x", "https://example.com/x"),
    ("WWW.Example.com", "https://example.com/"),
    ("example.com/path?utm_source=x", "https://example.com/path"),
    ("//cdn.example.com/lib.js", "https://cdn.example.com/lib.js"),
    ("example.com:8443/a", "http://example.com:8443/a"),
    ("10.0.0.1/admin", "https://10.0.0.1/admin"),
    # www., mobile and AMP hosts above the registrable domain go (new); labels that are part
    # of the registrable domain stay (m.me, amp.dev, a GitHub user named "www")
    ("https://m.facebook.com/story.php?id=1", "https://facebook.com/story.php?id=1"),
    ("https://www2.example.co.uk/a", "https://example.co.uk/a"),
    ("https://amp.theguardian.com/world/x", "https://theguardian.com/world/x"),
    ("https://en.m.wikipedia.org/wiki/Berlin", "https://en.wikipedia.org/wiki/Berlin"),
    ("https://m.me/page", "https://m.me/page"),
    ("https://amp.dev/about", "https://amp.dev/about"),
    ("https://www.github.io/x", "https://www.github.io/x"),
    ("https://forum-m.example.com/a", "https://forum-m.example.com/a"),
    # a trailing slash goes, except the root's (new); AMP editions are the page (new)
    ("https://example.com/news/story/", "https://example.com/news/story"),
    ("https://example.com/news//", "https://example.com/news"),
    ("https://example.com/a/?b=1", "https://example.com/a?b=1"),
    ("https://example.com/news/story/amp/", "https://example.com/news/story"),
    ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
    ("https://example.com/news/story?amp=1&id=2", "https://example.com/news/story?id=2"),
    ("https://example.com/news/story?outputType=amp", "https://example.com/news/story"),
    ("https://example.com/amp", "https://example.com/amp"),
    # trailing punctuation goes, as in texts (new): a `urls` column scraped from text has it
    ("https://example.com/a.", "https://example.com/a"),
    ("https://example.com/a?b=1),", "https://example.com/a?b=1"),
    ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ("https://example.com/a…", "https://example.com/a"),
    # links that say where they lead are that target (new; ural.infer_redirection)
    (
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2Fa%2F&h=AT0x",
        "https://example.com/a",
    ),
    ("https://www.google.com/url?q=https://example.com/a&sa=D", "https://example.com/a"),
    (
        "https://example-com.cdn.ampproject.org/c/s/example.com/news/story/amp",
        "https://example.com/news/story",
    ),
    # surrounding whitespace and invisible characters; tabs and line breaks inside
    ("  https://example.com/a \n", "https://example.com/a"),
    ("\u200fhttps://example.com/a\u200b", "https://example.com/a"),
    ("https://exam\nple.com/a\tb", "https://example.com/ab"),
    # lenient slashes, as in browsers
    ("https:/example.com/a", "https://example.com/a"),
    ("https:///example.com/a", "https://example.com/a"),
    # lone surrogates do not raise
    ("https://example.com/\ud800", "https://example.com/%EF%BF%BD"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "mailto:alice@example.com",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/plain,hello",
        "tel:+441234567890",
        "file:///etc/passwd",
        "http://",
        "https://",
        "https://user@",
        "http:///",
        "http://./",
        "http://a..b/",
        "http://.example.com/",
        "http://example.com../",
        "http://exa mple.com/",
        "http://exa<mple.com/",
        "http://ex%41mple.com/",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://[zz::1]/",
        "http://[::1/",
        "http://[::1]x/",
        "alice@example.com",
        "hello",
        "localhost:8080",
        "3.14",
        "/relative/path",
        "?q=1",
    ],
)
def test_canonical_url_rejects(url: str) -> None:
    assert canonical_url(url) is None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Read this: www.example.com/news/story/.", "https://example.com/news/story"),
        ("(via http://m.example.com/a?id=1)", "https://www.example.com/a?id=1&utm_source=tw"),
        ("«https://xn--bcher-kva.de/buch»!", "https://www.bücher.de/buch/"),
        ("see https://example.com/a/amp…", "https://example.com/a"),
    ],
)
def test_text_and_urls_column_give_one_object(text: str, column: str) -> None:
    """A link found in a text and the same link in a `urls` column are one object (issue 11)."""
    (found,) = extract_urls(text)
    assert canonical_url(found) == canonical_url(column) is not None
    assert canonical_url(column + ".") == canonical_url(column)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://t.co/AbC123", True),
        ("http://bit.ly/3xYz", True),
        ("bit.ly/3xYz", True),
        ("https://www.bit.ly/3xYz", True),
        ("https://buff.ly/abc", True),
        ("https://tinyurl.com/y3abc", True),
        ("https://bit.ly/", False),  # a shortener's home page hides nothing
        ("https://t.co", False),
        ("https://example.com/a", False),
        ("https://twitter.com/bob/status/1", False),
        ("mailto:x@bit.ly", False),
        ("", False),
        ("not a link", False),
    ],
)
def test_is_shortened_url(url: str, expected: bool) -> None:
    assert is_shortened_url(url) is expected
    canonical = canonical_url(url)
    if canonical is not None:  # the url actions' objects are canonical links already
        assert normalize.is_shortened_canonical_url(canonical) is expected


@given(
    host=st.sampled_from(["t.co", "bit.ly", "www.bit.ly", "buff.ly", "example.com", "lnkd.in"]),
    scheme=st.sampled_from(["http://", "https://", "HTTPS://", ""]),
    path=st.text(alphabet="abcXYZ019/-_?=&#.%", max_size=12),
)
def test_shortened_canonical_link_agrees(host: str, scheme: str, path: str) -> None:
    """Whether a link is shortened does not change when it is canonicalised first (the run
    checks url objects, which are canonical, without canonicalising them again)."""
    url = f"{scheme}{host}/{path}"
    canonical = canonical_url(url)
    if canonical is not None:
        assert normalize.is_shortened_canonical_url(canonical) is is_shortened_url(url)


def test_tracking_params_are_lower_case_and_documented() -> None:
    assert all(name == name.lower() for name in TRACKING_PARAMS)
    for name in ("fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"):
        assert name in TRACKING_PARAMS
    assert {"_ga", "ref_src"} <= TRACKING_PARAMS
    assert all(
        host == host.lower() and all(p == p.lower() for p in params)
        for host, params in HOST_TRACKING_PARAMS.items()
    )


# ---------------------------------------------------------------------------------------------
# registrable_domain
# ---------------------------------------------------------------------------------------------

DOMAIN_CASES = [
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("https://www.bbc.co.uk/news/world", "bbc.co.uk"),
    ("news.example.com", "example.com"),
    ("example.com", "example.com"),
    ("EXAMPLE.COM.", "example.com"),
    ("a.b.c.example.org", "example.org"),
    ("https://user:pw@Sub.Example.COM:8080/x?y#z", "example.com"),
    ("example.com:8080", "example.com"),
    ("//cdn.example.net/x.js", "example.net"),
    # the private section of the list: each hosted site is its own domain
    ("foo.github.io", "foo.github.io"),
    ("https://bar.foo.github.io/page", "foo.github.io"),
    ("someblog.blogspot.com", "someblog.blogspot.com"),
    # hosts that are public suffixes themselves
    ("co.uk", None),
    ("github.io", None),
    ("https://github.io/", None),
    # internationalised domains, in the form given
    ("www.bücher.de", "bücher.de"),
    ("WWW.BÜCHER.DE", "bücher.de"),
    ("www.xn--bcher-kva.de", "bücher.de"),  # punycode decoded, as in canonical_url (issue 11)
    ("сайт.пример.рф", "пример.рф"),
    # IP addresses are their own domain
    ("192.168.0.1", "192.168.0.1"),
    ("http://10.1.2.3:8080/a", "10.1.2.3"),
    ("2001:DB8::1", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("http://[2001:db8:0::1]:80/", "2001:db8::1"),
    ("::1", "::1"),
    # no registrable domain
    ("localhost", None),
    ("LOCALHOST", None),
    ("http://localhost:8000/", None),
    ("app.localhost", None),
    ("intranet", None),
    ("", None),
    ("mailto:alice@example.com", None),
    ("alice@example.com", None),
    ("ftp://example.com/", None),
    ("not a host", None),
]


@pytest.mark.parametrize(("value", "expected"), DOMAIN_CASES)
def test_registrable_domain(value: str, expected: str | None) -> None:
    assert registrable_domain(value) == expected


def test_registrable_domain_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("registrable_domain must not use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    normalize._psl.cache_clear()
    normalize._registrable_host.cache_clear()
    assert registrable_domain("https://www.theguardian.co.uk/x") == "theguardian.co.uk"


def test_registrable_domain_of_canonical_url_matches_raw() -> None:
    raw = "HTTPS://News.BBC.co.uk:443/a?utm_source=x#y"
    assert registrable_domain(canonical_url(raw) or "") == registrable_domain(raw) == "bbc.co.uk"


# ---------------------------------------------------------------------------------------------
# normalize_tag
# ---------------------------------------------------------------------------------------------

TAG_CASES = [
    ("#StopTheWar", "stopthewar"),
    ("StopTheWar", "stopthewar"),
    ("＃ＣＯＶＩＤ１９", "covid19"),
    ("@Alice_B", "alice_b"),
    ("＠Bob", "bob"),
    ("  #Tag  ", "tag"),
    ("##tag", "tag"),
    ("#@tag", "tag"),
    ("# tag", "tag"),
    ("#НетВойне", "нетвойне"),
    ("#Straße", "strasse"),
    ("#ΟΔΥΣΣΕΥΣ", "οδυσσευσ"),
    ("#ایران", "ایران"),
    ("#می‌خواهم", "می\u200cخواهم"),  # the Persian ZWNJ inside a tag is part of the spelling
    ("#東京オリンピック", "東京オリンピック"),
    ("#ﾃｽﾄ", "テスト"),  # half-width katakana
    ("#Shqipëria", "shqipëria"),
    ("#Shqipe\u0308ria", "shqipëria"),  # decomposed ë
    ("\u200f#tag\u200b", "tag"),
    ("#new  york", "new york"),
    ("c#", "c#"),
    ("alice@mastodon.social", "alice@mastodon.social"),
    ("#", None),
    ("@", None),
    ("", None),
    ("   ", None),
    ("#\u200b", None),
    ("#a\ud800", "a\ufffd"),
]


@pytest.mark.parametrize(("tag", "expected"), TAG_CASES)
def test_normalize_tag(tag: str, expected: str | None) -> None:
    assert normalize_tag(tag) == expected


# ---------------------------------------------------------------------------------------------
# normalize_text and text_key
# ---------------------------------------------------------------------------------------------

TEXT_CASES = [
    # English: case, links, mentions, whitespace
    ("Vote for the People's Party!", "vote for the people's party!"),
    ("Vote  for\tthe\nParty https://t.co/AbC", "vote for the party"),
    ("Read this: https://t.co/AbC. Then vote.", "read this: then vote."),
    ("See www.example.com/x and vote", "see and vote"),
    ("@alice @bob.smith vote now", "vote now"),
    ("Thanks @carol@mastodon.social!", "thanks !"),
    ("mail press@example.org now", "mail press@example.org now"),
    ("#Vote now", "#vote now"),
    # retweet markers
    ("RT @NewsBot: Vote now", "vote now"),
    ("RT @a: RT @b: Vote now", "vote now"),
    ("rt@a: Vote now", "vote now"),
    ("RT @a Vote now", "vote now"),
    ("I said RT @a: vote", "i said rt : vote"),
    ("https://t.co/x RT@a: Vote now", "vote now"),
    # invisible characters and unusual spaces
    ("vo\u200bte\u200d no\u2060w\ufeff", "vote now"),
    ("vote\u00a0now\u3000please", "vote now please"),
    ("vote\u2028now\u202fplease\x00ok", "vote now please ok"),
    ("\u200fvote now\u200e", "vote now"),
    ("I ❤️ Berlin", "i ❤ berlin"),
    ("soft\u00adhyphen", "softhyphen"),
    # compatibility forms and case-folding
    ("Ｖｏｔｅ　ＮＯＷ", "vote now"),
    ("ﬁnal ①", "final 1"),
    ("STRASSE Straße", "strasse strasse"),
    ("ΟΔΥΣΣΕΥΣ Οδυσσεύς", "οδυσσευσ οδυσσεύσ"),
    ("Cafe\u0301 café", "café café"),
    # scripts
    ("Голосуйте за ПАРТИЮ! @kremlin https://t.co/x", "голосуйте за партию!"),
    ("رأی بدهید @user می‌خواهم", "رأی بدهید می خواهم"),
    ("صوّتوا الآن\u200f #انتخابات", "صوّتوا الآن #انتخابات"),
    ("请投票！https://t.co/abc很重要", "请投票!很重要"),
    ("選挙に行こう　＃選挙", "選挙に行こう #選挙"),
    ("Votoni për PARTINË tonë!", "votoni për partinë tonë!"),
    ("הצביעו עכשיו @user", "הצביעו עכשיו"),
    ("मतदान करें #चुनाव", "मतदान करें #चुनाव"),
    # lone surrogates are replaced, not raised on
    ("vote\ud800now", "vote\ufffdnow"),
    ("\udc00", "\ufffd"),
    # nothing left
    ("", ""),
    ("   \u200b ", ""),
    ("https://t.co/x @a", ""),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vote now #Wahl2025 #AfD", "vote now"),
        ("#Вибори2024 голосуйте", "голосуйте"),
        ("#a@b vote", "vote"),  # "@b" is a mention once "#a" is gone
        ("#می‌خواهم سلام", "سلام"),  # the ZWNJ is part of the hashtag
        ("#1 vote", "#1 vote"),  # not a hashtag
        ("C# rocks", "c# rocks"),
        ("see https://x.org/#frag ok", "see ok"),
    ],
)
def test_normalize_text_strip_hashtags(text: str, expected: str) -> None:
    assert normalize_text(text, strip_hashtags=True) == expected


def test_text_key() -> None:
    text = "Vote for the People's Party on Sunday!"
    key = text_key(text)
    assert key is not None
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    normalized = normalize_text(text)
    assert key == hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]
    # copies that differ only in what normalisation removes share the key
    assert text_key("RT @x: VOTE for the People's Party on Sunday! https://t.co/a") == key
    assert text_key("Vote for the People\u2019s Party on Sunday!") != key  # a different quote
    # a fixed value, so that keys stay stable across versions and machines
    assert (
        text_key("hello world, this is a test")
        == (hashlib.sha256(b"hello world, this is a test").hexdigest()[:32])
    )


def test_text_key_min_chars() -> None:
    assert MIN_TEXT_CHARS == 20
    assert text_key("lol") is None
    assert text_key("Good morning all!!") is None  # 18 characters
    assert text_key("a" * MIN_TEXT_CHARS) is not None
    assert text_key("a" * (MIN_TEXT_CHARS - 1)) is None
    assert text_key("a" * 19 + " https://t.co/long-link") is None  # the link does not count
    assert text_key("lol", min_chars=3) is not None
    assert text_key("", min_chars=0) is None
    assert text_key("https://t.co/x", min_chars=0) is None
    assert text_key("投票投票投票投票投票投票投票投票投票投票") is not None  # 20 CJK characters


def test_text_key_strip_hashtags() -> None:
    a = "Everybody go and vote on Sunday #Wahl2025"
    b = "Everybody go and vote on Sunday #AfD"
    assert text_key(a) != text_key(b)
    assert text_key(a, strip_hashtags=True) == text_key(b, strip_hashtags=True)


@pytest.mark.parametrize("bad", [-1, 2.5, "20", True, None])
def test_text_key_rejects_bad_min_chars(bad: object) -> None:
    with pytest.raises(ParameterError, match="'min_chars' parameter must be"):
        text_key("some text that is long enough", min_chars=bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# extract_urls, extract_hashtags, extract_mentions
# ---------------------------------------------------------------------------------------------

URL_EXTRACT_CASES = [
    ("Read https://example.com/a now", ["https://example.com/a"]),
    ("Read https://example.com/a.", ["https://example.com/a"]),
    ("Really?! https://example.com/a?!", ["https://example.com/a"]),
    ('He said "https://example.com/a"', ["https://example.com/a"]),
    ("'https://example.com/a',", ["https://example.com/a"]),
    ("(see https://example.com/a)", ["https://example.com/a"]),
    ("(see https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("[link](https://example.com/a)", ["https://example.com/a"]),
    ("<https://example.com/a>", ["https://example.com/a"]),
    ("«https://example.com/a»", ["https://example.com/a"]),
    ("“https://example.com/a”", ["https://example.com/a"]),
    ("https://example.com/a…", ["https://example.com/a"]),
    ("HTTPS://EXAMPLE.COM/A", ["HTTPS://EXAMPLE.COM/A"]),
    ("go to www.example.com/x; now", ["www.example.com/x"]),
    ("a https://a.org b https://b.org a https://a.org", ["https://a.org", "https://b.org"]),
    ("https://example.com/a?b=1&c=2#frag", ["https://example.com/a?b=1&c=2#frag"]),
    ("看这里：https://t.co/AbC。很重要", ["https://t.co/AbC"]),
    ("请看https://t.co/AbC很重要", ["https://t.co/AbC"]),
    ("ببینید https://fa.wikipedia.org/wiki/ایران،", ["https://fa.wikipedia.org/wiki/ایران"]),
    ("https://example.com/a\u200bnext", ["https://example.com/a"]),
    ("awww.example.com and foo.www.example.com", []),
    ("http:// nothing", []),
    ("mailto:alice@example.com ftp://example.com", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), URL_EXTRACT_CASES)
def test_extract_urls(text: str, expected: list[str]) -> None:
    assert extract_urls(text) == expected


HASHTAG_CASES = [
    ("#Vote #vote #VOTE", ["vote"]),
    ("#one, #two. #three!", ["one", "two", "three"]),
    ("#НетВойне и #Україна", ["нетвойне", "україна"]),
    ("#ایران #هشتگ_فارسی", ["ایران", "هشتگ_فارسی"]),
    ("#انتخابات_2024", ["انتخابات_2024"]),
    ("#東京 #서울 #北京2022", ["東京", "서울", "北京2022"]),
    ("#नमस्ते #ภาษาไทย", ["नमस्ते", "ภาษาไทย"]),
    ("#Shqipëria", ["shqipëria"]),
    ("＃全角", ["全角"]),
    ("#1 #2024 #_ #1a", ["1a"]),  # pure numbers are not hashtags, as on Twitter
    ("https://example.com/#section #real", ["real"]),
    ("www.example.com/#frag", []),
    ("&#123; &#x41; a#b", []),
    ("C# and F#", []),
    ("#tag-with-dash", ["tag"]),
    ("#emoji❤️", ["emoji"]),
    ("#️⃣ keycap", []),
    ("##double", ["double"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), HASHTAG_CASES)
def test_extract_hashtags(text: str, expected: list[str]) -> None:
    assert extract_hashtags(text) == expected


MENTION_CASES = [
    ("@Alice and @alice and @ALICE", ["alice"]),
    ("Thanks @bob_smith, @carol!", ["bob_smith", "carol"]),
    ("@bob.smith. is here", ["bob.smith"]),
    ("@alice.bsky.social posted", ["alice.bsky.social"]),
    ("@carol@Mastodon.Social wrote", ["carol@mastodon.social"]),
    ("@Навальный @محمد @李明", ["навальный", "محمد", "李明"]),
    ("＠全角", ["全角"]),
    ("mail alice@example.com or a.b+c@example.org", []),
    ("see https://medium.com/@writer and www.tiktok.com/@dancer", []),
    ("meet @5 or @5pm", ["5pm"]),
    ("@@double", []),
    ("RT @source: text", ["source"]),
    ("@", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), MENTION_CASES)
def test_extract_mentions(text: str, expected: list[str]) -> None:
    assert extract_mentions(text) == expected


def test_extract_tags_agree_with_normalize_tag() -> None:
    text = "#Vote @Alice ＃ＣＯＶＩＤ１９ @Bob.Smith"
    assert extract_hashtags(text) == [normalize_tag("#Vote"), normalize_tag("＃ＣＯＶＩＤ１９")]
    assert extract_mentions(text) == [normalize_tag("@Alice"), normalize_tag("@Bob.Smith")]


# ---------------------------------------------------------------------------------------------
# Long texts
# ---------------------------------------------------------------------------------------------


def test_one_megabyte_text_is_fast() -> None:
    unit = (
        "RT @user: Голосуйте! رأی بدهید #Wahl2025 https://t.co/AbC?x=1 "
        "选举很重要 a@b.com (www.example.com/x) \u200b\u00a0 "
    )
    text = unit * (1_000_000 // len(unit))
    start = time.perf_counter()
    normalized = normalize_text(text)
    key = text_key(text, strip_hashtags=True)
    urls = extract_urls(text)
    tags = extract_hashtags(text)
    mentions = extract_mentions(text)
    elapsed = time.perf_counter() - start
    assert key is not None
    assert "https" not in normalized and "@user" not in normalized
    assert urls == ["https://t.co/AbC?x=1", "www.example.com/x"]
    assert tags == ["wahl2025"]
    assert mentions == ["user"]
    assert elapsed < 3.0, f"1 MB took {elapsed:.2f} s"


# ---------------------------------------------------------------------------------------------
# map_unique
# ---------------------------------------------------------------------------------------------


def test_map_unique_calls_once_per_distinct_value() -> None:
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    values = pa.array(["a", "b", None, "a", "a", "b"])
    result = map_unique(values, upper)
    assert result.type == pa.string()
    assert result.to_pylist() == ["A", "B", None, "A", "A", "B"]
    assert sorted(calls) == ["a", "b"]


def test_map_unique_none_results_become_null() -> None:
    values = pa.array(["#A", "#", "x", None])
    assert map_unique(values, normalize_tag).to_pylist() == ["a", None, "x", None]


def test_map_unique_chunked_and_types() -> None:
    chunked = pa.chunked_array([["http://A.com", None], [], ["http://a.com/", "mailto:x"]])
    result = map_unique(chunked, canonical_url)
    assert isinstance(result, pa.Array)
    assert result.to_pylist() == ["https://a.com/", None, "https://a.com/", None]

    large = pa.array(["x", "y", "x"], type=pa.large_string())
    assert map_unique(large, str.upper).type == pa.large_string()

    view = pa.array(["x", None, "x"], type=pa.string_view())
    assert map_unique(view, str.upper).to_pylist() == ["X", None, "X"]

    dictionary = pa.array(["x", "y", None, "x"]).dictionary_encode()
    assert map_unique(dictionary, str.upper).to_pylist() == ["X", "Y", None, "X"]

    two_dictionaries = pa.chunked_array(
        [pa.array(["a", "b"]).dictionary_encode(), pa.array(["c", "a", None]).dictionary_encode()]
    )
    assert map_unique(two_dictionaries, str.upper).to_pylist() == ["A", "B", "C", "A", None]


def test_map_unique_empty_and_all_null() -> None:
    assert map_unique(pa.array([], type=pa.string()), str.upper).to_pylist() == []
    assert map_unique(pa.chunked_array([], type=pa.string()), str.upper).to_pylist() == []
    assert map_unique(pa.array([None, None]), str.upper).to_pylist() == [None, None]
    assert map_unique(pa.array([None, None], type=pa.string()), str.upper).type == pa.string()


def test_map_unique_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="strings"):
        map_unique(pa.array([1, 2]), str)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Properties (Hypothesis)
# ---------------------------------------------------------------------------------------------

_ANY_CHAR = st.one_of(st.characters(), st.characters(categories=["Cs"]))
#: Pieces that tend to break normalisation: markers, link starts, joiners, combining marks,
#: characters whose case-folding or NFKC form is unusual, lone surrogates.
_TRICKY = [
    "@",
    "#",
    "＃",
    "＠",
    "http://",
    "https://",
    "HTTP://",
    "www.",
    "rt",
    "RT @a:",
    "rt@b ",
    ":",
    "/",
    ".",
    "&",
    "_",
    "1",
    "a",
    "x.org",
    "(",
    ")",
    " ",
    "\u00a0",
    "\n",
    "\x00",
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufe0f",
    "\u0301",
    "\u0345",
    "\u3099",
    "ß",
    "ẞ",
    "Σ",
    "ς",
    "İ",
    "ﬁ",
    "ǅ",
    "ᾈ",
    "ﾞ",
    "ｶ",
    "é",
    "很",
    "…",
    "'",
    "\ud800",
    "\udfff",
    "@b.social",
]
_TEXTS = st.lists(
    st.one_of(st.sampled_from(_TRICKY), st.text(_ANY_CHAR, max_size=4)), max_size=25
).map("".join)
_PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_LABEL = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_HOSTS = st.one_of(
    st.builds(
        lambda labels, tld: ".".join([*labels, tld]),
        st.lists(_LABEL, min_size=1, max_size=3),
        st.sampled_from(
            ["com", "COM", "co.uk", "org", "de", "рф", "中国", "github.io", "xn--p1ai"]
        ),
    ),
    st.sampled_from(
        ["Bücher.de", "ПРИМЕР.рф", "例子.测试", "192.168.0.1", "[2001:DB8::1]", "[::1]"]
    ),
)
_PIECE = st.one_of(
    st.text("abcXYZ019-._~!$&'()*+,;=:@", max_size=6),
    st.sampled_from(
        ["%7e", "%7E", "%2f", "%2F", "%c3%a9", "%", "%4", "%%41", "é", " ", "中", "%2"]
    ),
)
_SEGMENT = st.lists(_PIECE, max_size=3).map("".join)
_PARAM_NAME = st.one_of(
    st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "gclid", "s", "t", "si", "a", "B", "q"]),
    _SEGMENT.map(lambda s: s.replace("&", "").replace("=", "")),
)
_PARAM = st.builds(
    lambda name, eq, value: f"{name}{eq}{value}",
    _PARAM_NAME,
    st.sampled_from(["=", ""]),
    _SEGMENT.map(lambda s: s.replace("&", "")),
)
_URL_PARTS = st.tuples(
    st.sampled_from(["http://", "https://", "HTTP://", "Https://", "//", "", "https:"]),
    st.sampled_from(["", "user@", "user:pw@", "a@b@"]),
    _HOSTS,
    st.one_of(st.just(""), st.integers(0, 65535).map(lambda p: f":{p}")),
    st.lists(_SEGMENT, max_size=4),
    st.lists(_PARAM, max_size=5),
    st.sampled_from(["", "#", "#frag", "#a?b=c", "#!/path"]),
)


@_PROPERTY
@given(_URL_PARTS)
def test_canonical_url_is_idempotent(
    parts: tuple[str, str, str, str, list[str], list[str], str],
) -> None:
    scheme, userinfo, host, port, segments, params, fragment = parts
    url = f"{scheme}{userinfo}{host}{port}/{'/'.join(segments)}"
    url += (f"?{'&'.join(params)}" if params else "") + fragment
    canonical = canonical_url(url)
    if not scheme and userinfo:
        assert canonical is None  # a scheme-less string with "@" is an e-mail address
        return
    assert canonical is not None, url
    assert canonical_url(canonical) == canonical
    assert canonical.startswith(("http://", "https://"))
    assert "#" not in canonical
    assert "utm_" not in canonical.lower().partition("?")[2]
    assert registrable_domain(canonical) == registrable_domain(url)


@_PROPERTY
@given(_TEXTS)
def test_canonical_url_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    canonical = canonical_url(text)
    if canonical is not None:
        assert canonical_url(canonical) == canonical
    registrable_domain(text)


@_PROPERTY
@given(_TEXTS, st.booleans())
def test_normalize_text_is_idempotent(text: str, strip_hashtags: bool) -> None:
    once = normalize_text(text, strip_hashtags=strip_hashtags)
    assert normalize_text(once, strip_hashtags=strip_hashtags) == once
    assert once == once.strip()
    assert "  " not in once
    once.encode("utf-8")  # no lone surrogates left


@_PROPERTY
@given(_TEXTS)
def test_normalize_tag_is_idempotent(text: str) -> None:
    tag = normalize_tag(text)
    if tag is not None:
        assert normalize_tag(tag) == tag
        assert tag[0] not in "#@"
        tag.encode("utf-8")


@_PROPERTY
@given(_TEXTS)
def test_extractors_never_raise(text: str) -> None:
    urls = extract_urls(text)
    tags = extract_hashtags(text)
    mentions = extract_mentions(text)
    for found in (urls, tags, mentions):
        assert len(found) == len(set(found))
    scrubbed = normalize._scrub(text)  # lone surrogates become U+FFFD
    assert all(url in scrubbed for url in urls)
    assert all(normalize_tag(tag) == tag for tag in [*tags, *mentions])


@_PROPERTY
@given(st.lists(st.one_of(st.none(), st.sampled_from(["#A", "#a", "b", "#", ""]), _TEXTS)))
def test_map_unique_equals_per_element_map(values: list[str | None]) -> None:
    array = pa.array([None if v is None else v.encode("utf-8", "replace").decode() for v in values])
    expected = [None if v is None else normalize_tag(v) for v in array.to_pylist()]
    assert map_unique(array, normalize_tag).to_pylist() == expected


# ---------------------------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------------------------


def test_docstring_examples() -> None:
    result = doctest.testmod(normalize, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 20


def test_public_api() -> None:
    assert sorted(normalize.__all__) == normalize.__all__
    for name in normalize.__all__:
        assert getattr(normalize, name) is not None


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "http",
                "HTTPS",
                "://",
                ":",
                "/",
                "x.org",
                "www.",
                "WWW.",
                "w",
                "h",
                "ww",
                "@",
                "＠",
                "#",
                "＃",
                "rt",
                "RT ",
                " ",
                "a",
                "ё",
                "-",
                "_",
                "0",
            ]
        ),
        max_size=12,
    ).map("".join),
    strip_hashtags=st.booleans(),
)
def test_token_shortcut_changes_nothing(text: str, strip_hashtags: bool) -> None:
    """The shortcut (no "://", no "www.", no marker: nothing to delete) gives what the
    patterns give, on folded text made of the characters tokens are made of."""
    folded = _fold(text)
    tokens = _tokens()
    pattern = tokens.token if strip_hashtags else tokens.url_or_mention
    markers = "@#" if strip_hashtags else "@"
    assert _strip_tokens(folded, pattern, markers) == _strip_matching_tokens(
        folded, pattern, markers
    )


_SHORT_HOSTS = st.sampled_from(
    [
        "t.co",
        "bit.ly",
        "BIT.LY",
        "sub.bit.ly",
        "l.example.com",
        "L.example.com",
        "example.com",
        "news.example.co.uk",
        "goo.gl",
        "youtu.be",
        "[::1]",
        "10.0.0.1",
        "bücher.de",
        "a:b@bit.ly",
        "a@t.co",
    ]
)
_SHORT_PATHS = st.sampled_from(
    ["", "/", "/index", "/home/", "/index.html", "/abc", "/AbC123", "/a_b", "/x/y", "?q=1", "#f"]
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(["https://", "http://", "", "HTTPS://"]),
                _SHORT_HOSTS,
                st.sampled_from(["", ":8080", ":443", ":x"]),
                _SHORT_PATHS,
            ).map("".join),
            st.text(max_size=12),
        ),
        max_size=30,
    ),
    st.booleans(),
)
@example(["https://a:b@bit.ly/abc", "https://a@t.co/xyz1", "https://[::1]:8080/abc"], False)
@example(["https://l.example.com/abc", "https://bit.ly/", "https://sub.bit.ly/x9"], True)
def test_shortened_links_match_the_per_link_check(raw: list[str | None], canonical: bool) -> None:
    """One ural question per host, then the links of hosts that can have shortened links:
    the same answers as asking for every link, for canonical links (what the run passes)
    and for raw strings (whose host may not be read off)."""
    links = [None if r is None else (canonical_url(r) if canonical else r) for r in raw]
    want = [link is not None and normalize.is_shortened_canonical_url(link) for link in links]
    assert normalize.shortened_links(pa.array(links, pa.string())).tolist() == want


_ID_CHARS = "0123456789abcXYZ_-"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet=_ID_CHARS, max_size=10),  # ids and words: known to be no link
            st.text(alphabet=_ID_CHARS + ".:/=%?#@。．ampAMPrfel", max_size=14),
            st.tuples(
                st.sampled_from(["", "https://", "//"]),
                st.text(alphabet=_ID_CHARS, min_size=1, max_size=6),
                st.sampled_from(["", ".", ".com", "。ly", "%2Ecom", "=x.de", "amp", "Marfeel"]),
            ).map("".join),
            st.text(max_size=12),
        ),
        max_size=30,
    )
)
@example(
    [
        "23678",
        "bit.ly/x",
        "a_b-c",
        "",
        "amp-1",
        "www_google",
        "https://www.google.com/url?q=https://bit.ly/abc",
    ]
)
@example(["bit。ly", "abc%2Ecom", "AMP", "t.co", "x=bit.ly/y"])
def test_canonical_urls_match_canonical_url(raw: list[str | None]) -> None:
    """Values known to be no link without parsing (ids, words) get the canonical form
    canonical_url gives them, and so does everything else: the same as asking each value."""
    want = [None if r is None else canonical_url(r) for r in raw]
    for kind in (pa.string(), pa.large_string()):
        assert normalize.canonical_urls(pa.array(raw, kind)).to_pylist() == want
    ids = [r for r in raw if r is not None and re.fullmatch(r"[0-9A-Za-z_\-]*", r)]
    ids = [r for r in ids if "amp" not in r.lower() and "marfeel" not in r.lower()]
    assert [canonical_url(r) for r in ids] == [None] * len(ids)


_SPACES = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000\x00\x07\x7f\x9f"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab.#@") + list(_SPACES)), max_size=12) | st.text())
@example(" a")
@example("a ")
@example("a  b")
@example("a\tb")
@example("a\x1cb")
@example("a\x7fb")
def test_the_fast_paths_of_spacing_equal_their_definitions(s: str) -> None:
    """Printable ASCII skips the control-character search and the split: the same results."""
    assert normalize._without_controls(s) == normalize._CONTROL_RE.sub(" ", s)
    assert normalize._single_spaced(s) == " ".join(s.split())
