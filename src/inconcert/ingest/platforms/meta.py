"""Facebook and Instagram: CrowdTangle CSV exports and Meta Content Library (MCL) posts (CSV
with dotted column names, or the API's JSON).

CrowdTangle writes times with a zone abbreviation of the exporter's zone
(``2021-03-01 14:33:12 EDT``); they are resolved to UTC. It has no post id column: the post's
``URL`` is its id. Hashtags and mentions are taken from the text, which is plain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    PlatformFormat,
    Post,
    first,
    get,
    has_columns,
    post,
    text_or_none,
    unique,
)
from inconcert.normalize import extract_urls

__all__ = ["FORMATS"]


def _match_crowdtangle(names: list[str]) -> bool:
    return has_columns(names, "Post Created", "URL") and any(
        n in names for n in ("Facebook Id", "Page Name", "Account", "User Name", "Group Name")
    )


def _convert_crowdtangle(row: Mapping[str, Any]) -> Iterator[Post]:
    facebook = "Message" in row
    text = (
        text_or_none(row.get("Message"))
        if facebook
        else text_or_none(first(row, "Description", "Title"))
    )
    links: list[Any] = []
    if facebook:
        links.append(first(row, "Final Link", "Link"))
    links.extend(extract_urls(text) if text else [])
    post_url = text_or_none(row.get("URL"))
    values = post(
        post_id=post_url,
        account_id=first(row, "Facebook Id", "User Name", "Page Name", "Account"),
        timestamp=row.get("Post Created")
        or " ".join(
            str(v) for v in (row.get("Post Created Date"), row.get("Post Created Time")) if v
        ),
        platform="facebook" if facebook else "instagram",
        text=text,
        urls=unique(link for link in links if link and str(link) != post_url),
        permalink=post_url,
    )
    values["hashtags"] = None  # taken from the plain text by the actions stage
    values["mentions"] = None
    yield values


def _match_mcl_columns(names: list[str]) -> bool:
    return (
        "creation_time" in names
        and "id" in names
        and any(n.startswith("post_owner") for n in names)
    )


def _match_mcl(record: Any) -> bool:
    return (
        isinstance(record, Mapping)
        and "creation_time" in record
        and "id" in record
        and (isinstance(record.get("post_owner"), Mapping) or "post_owner.id" in record)
    )


def _convert_mcl(record: Mapping[str, Any]) -> Iterator[Post]:
    text = text_or_none(record.get("text"))
    links = [get(record, "link_attachment.link"), *(extract_urls(text) if text else [])]
    owner_type = str(get(record, "post_owner.type") or "").lower()
    platform = (
        "instagram"
        if "instagram" in owner_type
        or (get(record, "post_owner.username") and not get(record, "post_owner.name"))
        else "facebook"
    )
    values = post(
        post_id=record.get("id"),
        account_id=first(record, "post_owner.id", "post_owner.username", "post_owner.name"),
        timestamp=record.get("creation_time"),
        platform=platform,
        text=text,
        urls=unique(links),
        repost_of=first(record, "shared_post_id", "shared_post.id"),
        permalink=first(record, "url", "link", "permalink"),
    )
    values["hashtags"] = None
    values["mentions"] = None
    yield values


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="crowdtangle",
        platform="facebook",
        title="CrowdTangle CSV export (Facebook pages/groups, Instagram accounts)",
        container="csv",
        detection="columns 'Post Created' and 'URL', and 'Facebook Id', 'Page Name', "
        "'Account', 'User Name' or 'Group Name'",
        fields=(
            ("post_id", "URL (the post's link)"),
            ("account_id", "Facebook Id, else User Name, Page Name, Account"),
            ("timestamp", "Post Created (zone abbreviations such as EDT resolved)"),
            ("text", "Message (Facebook); Description, else Title (Instagram)"),
            ("urls", "Final Link, else Link (Facebook), and links in the text"),
            ("hashtags", "from the text"),
            ("mentions", "from the text"),
            ("permalink", "URL"),
        ),
        match=_match_crowdtangle,
        convert=_convert_crowdtangle,
        permalink="{URL}",
        priority=10,
    ),
    PlatformFormat(
        name="meta-content-library",
        platform="facebook",
        title="Meta Content Library posts (CSV with post_owner.* columns, or API JSON)",
        container="csv",
        detection="columns id, creation_time and post_owner.*",
        fields=(
            ("post_id", "id"),
            ("account_id", "post_owner.id (else username, name)"),
            ("timestamp", "creation_time"),
            ("text", "text"),
            ("urls", "link_attachment.link and links in the text"),
            ("hashtags", "from the text"),
            ("mentions", "from the text"),
            ("repost_of", "shared_post_id when given"),
            ("permalink", "url when given"),
        ),
        match=_match_mcl_columns,
        convert=_convert_mcl,
        priority=15,
    ),
    PlatformFormat(
        name="meta-content-library-json",
        platform="facebook",
        title="Meta Content Library API posts as JSON",
        container="json",
        detection="a JSON object with id, creation_time and a post_owner object",
        fields=(("(fields)", "as meta-content-library"),),
        match=_match_mcl,
        convert=_convert_mcl,
        priority=40,
    ),
)
