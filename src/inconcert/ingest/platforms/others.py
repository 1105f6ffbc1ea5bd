"""YouTube comment threads, TikTok Research API videos and comments, and news articles (Media
Cloud and similar exports, scraped articles as JSON or CSV)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    as_map,
    epoch,
    first,
    get,
    html_to_text,
    post,
    split_list,
    text_or_none,
    unique,
)
from inconcert.normalize import extract_urls

__all__ = ["FORMATS"]


# ---------------------------------------------------------------------------------------------
# YouTube
# ---------------------------------------------------------------------------------------------


def _match_youtube(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    kind = str(record.get("kind") or "")
    return kind in (
        "youtube#commentThread",
        "youtube#comment",
        "youtube#commentThreadListResponse",
        "youtube#commentListResponse",
    ) or (isinstance(get(record, "snippet.topLevelComment"), Mapping))


def _youtube_own_link(link: str, video_id: str | None) -> bool:
    """A link YouTube makes itself in ``textDisplay``, not one the commenter shared: a
    timestamp (``23:56`` becomes ``watch?v={the video}&t=23m56s``) or a hashtag page."""
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    if not (host == "youtu.be" or host == "youtube.com" or host.endswith(".youtube.com")):
        return False
    if parts.path.startswith("/hashtag/"):
        return True
    query = dict(parse_qsl(parts.query))
    target = query.get("v") if parts.path == "/watch" else parts.path.lstrip("/")
    return "t" in query and (video_id is None or target == video_id)


def _youtube_comment(comment: Mapping[str, Any], video: Any, parent: Any) -> Post:
    snippet = as_map(comment.get("snippet"))
    video_id = text_or_none(snippet.get("videoId")) or text_or_none(video)
    display, links = html_to_text(text_or_none(snippet.get("textDisplay")))
    links = [link for link in links if not _youtube_own_link(link, video_id)]
    original = text_or_none(snippet.get("textOriginal"))
    text = original or display
    if not links and text:
        links = extract_urls(text)
    comment_id = text_or_none(comment.get("id"))
    values = post(
        post_id=comment_id,
        account_id=first(snippet, "authorChannelId.value", "authorChannelId", "authorDisplayName"),
        account_name=snippet.get("authorDisplayName"),
        timestamp=snippet.get("publishedAt"),
        platform="youtube",
        text=text,
        urls=unique(links),
        reply_to=first(snippet, "parentId") or parent or video_id,
        permalink=(
            f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}"
            if video_id and comment_id
            else None
        ),
    )
    values["hashtags"] = None
    values["mentions"] = None
    values["_item"] = comment
    return values


def _convert_youtube(record: Mapping[str, Any]) -> Iterator[Post]:
    items = record.get("items") if "ListResponse" in str(record.get("kind") or "") else [record]
    found = False
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        found = True
        if item.get("kind") == "youtube#comment":
            yield _youtube_comment(item, None, None)
            continue
        top = get(item, "snippet.topLevelComment")
        video = get(item, "snippet.videoId")
        if isinstance(top, Mapping):
            yield _youtube_comment(top, video, None)
        for reply in get(item, "replies.comments") or []:
            if isinstance(reply, Mapping):
                yield _youtube_comment(reply, video, get(top, "id"))
    if not found:
        yield {NOT_A_POST: "a page without comments"}


# ---------------------------------------------------------------------------------------------
# TikTok Research API
# ---------------------------------------------------------------------------------------------


def _match_tiktok(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if isinstance(get(record, "data.videos"), list):
        return True
    return (
        "create_time" in record
        and ("id" in record or "video_id" in record)
        and (
            "video_description" in record
            or "hashtag_names" in record
            or (("username" in record or "author_name" in record) and "region_code" in record)
        )
    )


def _tiktok_names(value: Any) -> list[str] | None:
    """A list of names: a JSON list, or a table cell joined by commas, or by ``|`` (R's
    data.table writes list columns so)."""
    if value is None:
        return None
    sep = "|" if isinstance(value, str) and "|" in value and "," not in value else ","
    return [name.lstrip("#@") for name in split_list(value, sep)]


def _tiktok_video(video: Mapping[str, Any]) -> Post:
    # traktok (R) names the Research API's id video_id and its username author_name
    user = text_or_none(first(video, "username", "author_name"))
    ident = text_or_none(first(video, "id", "video_id"))
    created = video.get("create_time")
    values = post(
        post_id=ident,
        account_id=user,
        timestamp=epoch(created) or created,
        platform="tiktok",
        text=video.get("video_description"),
        permalink=f"https://www.tiktok.com/@{user}/video/{ident}" if user and ident else None,
    )
    values["urls"] = None
    values["hashtags"] = _tiktok_names(video.get("hashtag_names"))
    values["mentions"] = _tiktok_names(video.get("video_mention_list"))
    return values


def _convert_tiktok(record: Mapping[str, Any]) -> Iterator[Post]:
    videos = get(record, "data.videos")
    if isinstance(videos, list):
        if not videos:
            yield {NOT_A_POST: "a page without videos"}
        for video in videos:
            if isinstance(video, Mapping):
                yield {**_tiktok_video(video), "_item": video}
        return
    yield _tiktok_video(record)


def _match_tiktok_csv(names: list[str]) -> bool:
    return (
        ("id" in names or "video_id" in names)
        and "create_time" in names
        and ("video_description" in names or "hashtag_names" in names)
    )


# ---------------------------------------------------------------------------------------------
# TikTok Research API comments
# ---------------------------------------------------------------------------------------------

#: The fields of the Research API's comment object, the complete list in TikTok's
#: documentation of /v2/research/video/comment/list/: none names the comment's author.
TIKTOK_COMMENT_FIELDS = (
    "id",
    "video_id",
    "text",
    "like_count",
    "reply_count",
    "parent_comment_id",
    "create_time",
)
#: Where a collection that adds the author to each comment (joined from elsewhere, or written
#: by a tool other than the Research API) may keep it; the first found is the account.
_TIKTOK_COMMENT_AUTHOR = (
    "username",
    "user_name",
    "unique_id",
    "user.username",
    "user.unique_id",
    "user.unique_name",
    "author.username",
    "author.unique_id",
    "author",
    "user_id",
    "user.id",
    "author_id",
    "author.id",
)


def _is_tiktok_comment(record: Mapping[str, Any] | list[str]) -> bool:
    return (
        "id" in record
        and "video_id" in record
        and "create_time" in record
        and ("text" in record or "parent_comment_id" in record)
        and "video_description" not in record
    )


def _match_tiktok_comments(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    comments = get(record, "data.comments")
    if isinstance(comments, list):
        return True
    return _is_tiktok_comment(record)


def _tiktok_comment(comment: Mapping[str, Any]) -> Post:
    ident = text_or_none(comment.get("id"))
    video = text_or_none(comment.get("video_id"))
    parent = text_or_none(comment.get("parent_comment_id"))
    if parent in (None, "0", "-1"):
        parent = None
    author = first(comment, *_TIKTOK_COMMENT_AUTHOR)
    if isinstance(author, Mapping):
        author = first(author, "username", "unique_id", "id")
    values = post(
        post_id=ident,
        account_id=author if not isinstance(author, (list, Mapping)) else None,
        timestamp=epoch(comment.get("create_time")) or comment.get("create_time"),
        platform="tiktok",
        text=comment.get("text"),
        # a top-level comment answers the video (its parent_comment_id is the video's id or
        # empty); a reply answers its parent comment
        reply_to=parent or video,
        permalink=f"https://www.tiktok.com/@/video/{video}" if video else None,
    )
    values["urls"] = None  # links, hashtags and mentions: from the plain text
    values["hashtags"] = None
    values["mentions"] = None
    return values


def _convert_tiktok_comments(record: Mapping[str, Any]) -> Iterator[Post]:
    comments = get(record, "data.comments")
    if isinstance(comments, list):
        if not comments:
            yield {NOT_A_POST: "a page without comments"}
        for comment in comments:
            if isinstance(comment, Mapping):
                yield {**_tiktok_comment(comment), "_item": comment}
        return
    yield _tiktok_comment(record)


def _match_tiktok_comments_csv(names: list[str]) -> bool:
    return _is_tiktok_comment(names)


_TIKTOK_NO_AUTHOR = (
    "the TikTok Research API does not return a comment's author (its comment fields are "
    + ", ".join(TIKTOK_COMMENT_FIELDS)
    + "), so no comment can be attributed to an account; give each comment its author as a "
    "'username' field, or name the field that holds it with --map account_id=FIELD"
)


# ---------------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------------

_ARTICLE_TIME = (
    "publish_date",
    "published",
    "published_at",
    "publishedAt",
    "date_published",
    "datePublished",
    "pubdate",
    "pub_date",
    "publication_date",
    "published_date",
    "publish_time",
    "date",
)
_ARTICLE_SITE = (
    "media_name",
    "site",
    "site_name",
    "source",
    "source_name",
    "publisher",
    "outlet",
    "domain",
    "media_url",
    "author",
    "byline",
)
_ARTICLE_BODY = ("text", "body", "content", "article_text", "maintext", "description", "title")
_ARTICLE_URL = ("url", "link", "canonical_url", "guid")


def _match_article_names(names: Any) -> bool:
    present = set(names)
    if "post_id" in present or "account_id" in present:
        return False
    return (
        any(n in present for n in _ARTICLE_URL)
        and any(n in present for n in _ARTICLE_TIME)
        and any(n in present for n in _ARTICLE_BODY)
    )


def _match_article(record: Any) -> bool:
    return isinstance(record, Mapping) and _match_article_names(record.keys())


def _site(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return host[4:] if host.startswith("www.") else host or None


def _convert_article(record: Mapping[str, Any]) -> Iterator[Post]:
    url = text_or_none(first(record, *_ARTICLE_URL))
    body_raw = first(record, "text", "body", "content", "article_text", "maintext", "description")
    body, links = html_to_text(text_or_none(body_raw))
    title = text_or_none(record.get("title"))
    text = body or title
    if not links and body:
        links = extract_urls(body)
    site = first(record, *_ARTICLE_SITE)
    if isinstance(site, Mapping):  # NewsAPI's source: {"id": ..., "name": ...}
        site = first(site, "name", "id")
    values = post(
        post_id=url or first(record, "id", "stories_id"),
        account_id=text_or_none(site if not isinstance(site, list) else ", ".join(map(str, site)))
        or _site(url),
        timestamp=first(record, *_ARTICLE_TIME),
        platform="web",
        text=text,
        urls=unique(link for link in links if link != url),
        permalink=url,
    )
    values["hashtags"] = []
    values["mentions"] = []
    yield values


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="youtube-comments",
        platform="youtube",
        title="YouTube Data API comment threads (commentThreads.list items or responses)",
        container="json",
        detection="a JSON object of kind youtube#commentThread(ListResponse)/youtube#comment, "
        "or with snippet.topLevelComment",
        fields=(
            ("post_id", "the comment's id"),
            ("account_id", "snippet.authorChannelId.value"),
            ("timestamp", "snippet.publishedAt"),
            ("text", "snippet.textOriginal, else textDisplay without HTML"),
            (
                "urls",
                "href of textDisplay's links, else links in the text; not the timestamp links "
                "YouTube makes to the comment's own video (watch?v=...&t=), nor hashtag pages",
            ),
            ("hashtags", "from the text"),
            ("mentions", "from the text"),
            ("reply_to", "a reply: its parentId (the top comment); a top comment: the video id"),
            ("permalink", "https://www.youtube.com/watch?v={videoId}&lc={comment id}"),
            ("account_name", "snippet.authorDisplayName (the channel's @handle)"),
        ),
        match=_match_youtube,
        convert=_convert_youtube,
        priority=10,
    ),
    PlatformFormat(
        name="tiktok",
        platform="tiktok",
        title="TikTok Research API videos (query responses, or one video per line)",
        container="json",
        detection="a JSON object with data.videos, or id (or video_id), create_time and "
        "video_description/hashtag_names",
        fields=(
            ("post_id", "id (traktok: video_id)"),
            ("account_id", "username (traktok: author_name)"),
            ("timestamp", "create_time (epoch seconds; traktok: a UTC time)"),
            ("text", "video_description (not voice_to_text, the spoken words)"),
            ("urls", "from the text"),
            ("hashtags", "hashtag_names, else from the text"),
            ("mentions", "video_mention_list, else from the text"),
            ("permalink", "https://www.tiktok.com/@{username}/video/{id}"),
            ("(comments)", "read by tiktok-comments"),
        ),
        match=_match_tiktok,
        convert=_convert_tiktok,
        priority=20,
    ),
    PlatformFormat(
        name="tiktok-csv",
        platform="tiktok",
        title="TikTok Research API videos as CSV (also traktok's tt_search_api tables)",
        container="csv",
        detection="columns id or video_id, create_time and video_description or hashtag_names",
        fields=(
            (
                "(fields)",
                "as tiktok; hashtag_names a JSON array, comma-joined or |-joined (R data.table)",
            ),
        ),
        match=_match_tiktok_csv,
        convert=_convert_tiktok,
        priority=40,
    ),
    PlatformFormat(
        name="tiktok-comments",
        platform="tiktok",
        title="TikTok Research API video comments (comment/list responses, or one comment "
        "per line)",
        container="json",
        detection="a JSON object with data.comments, or id, video_id, create_time and "
        "text/parent_comment_id",
        fields=(
            ("(item)", "each comment of data.comments[]"),
            ("post_id", "id"),
            (
                "account_id",
                "username (else unique_id, user.username, author, user_id, author_id): not a "
                "field of the Research API, which does not name a comment's author; a file "
                "where no comment has one stops with an error, unless --map account_id names it",
            ),
            ("timestamp", "create_time (epoch seconds)"),
            ("text", "text"),
            ("urls", "from the text"),
            ("hashtags", "from the text"),
            ("mentions", "from the text"),
            (
                "reply_to",
                "parent_comment_id (a reply); a top-level comment (parent_comment_id empty or "
                "the video's id): video_id, a reply to the video",
            ),
            ("permalink", "https://www.tiktok.com/@/video/{video_id} (the video's page)"),
        ),
        match=_match_tiktok_comments,
        convert=_convert_tiktok_comments,
        priority=15,
        missing_account=_TIKTOK_NO_AUTHOR,
    ),
    PlatformFormat(
        name="tiktok-comments-csv",
        platform="tiktok",
        title="TikTok Research API video comments as CSV (traktok, ResearchTikPy tables)",
        container="csv",
        detection="columns id, video_id, create_time and text or parent_comment_id",
        fields=(("(fields)", "as tiktok-comments"),),
        match=_match_tiktok_comments_csv,
        convert=_convert_tiktok_comments,
        priority=35,
        missing_account=_TIKTOK_NO_AUTHOR,
    ),
    PlatformFormat(
        name="articles",
        platform="web",
        title="News articles (Media Cloud and similar exports, scraped articles)",
        container="json",
        detection="no post_id/account_id; a url/link, a publication time (publish_date, "
        "published, ...) and text/body/content/title",
        fields=(
            ("post_id", "url (else link, canonical_url, guid, id)"),
            (
                "account_id",
                "media_name, site, source, publisher, outlet, domain, author; else the URL's host",
            ),
            ("timestamp", "publish_date, published, published_at, date_published, ..."),
            ("text", "text/body/content without HTML, else title"),
            ("urls", "links in the body (not the article's own URL)"),
            ("permalink", "url"),
        ),
        match=_match_article,
        convert=_convert_article,
        priority=90,
    ),
    PlatformFormat(
        name="articles-csv",
        platform="web",
        title="News articles as CSV (Media Cloud exports and similar)",
        container="csv",
        detection="as articles, on the column names",
        fields=(("(fields)", "as articles"),),
        match=_match_article_names,
        convert=_convert_article,
        priority=90,
    ),
)
