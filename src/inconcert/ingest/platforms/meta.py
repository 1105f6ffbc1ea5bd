"""Facebook and Instagram: CrowdTangle CSV exports and Meta Content Library (MCL) posts (CSV
with dotted column names, or the API's JSON).

CrowdTangle writes times with a zone abbreviation of the exporter's zone
(``2021-03-01 14:33:12 EDT``); they are resolved to UTC. It has no post id column: the post's
``URL`` is its id. Hashtags and mentions are taken from the text, which is plain. The page's
or account's handle (``User Name``, MCL's ``post_owner.username``), else its name, is the
``account_name`` when the account is named by its id.

A CrowdTangle post's shared link follows CooRnet's rules for CrowdTangle historical data
(``get_urls_from_ct_histdata``): a ``Link`` post shares its ``Final Link`` (expanded), else its
``Link``; a re-share of a post (``Link Text`` "This is a re-share of a post") shares the post
its ``Link`` names; the ``Link`` of a Photo, Video, Live Video or Album post is the post's own
media page, not a shared link, unless it is off Facebook (a YouTube post) or another page's
media (a share of it). Links in the message count too, less the post's own ``Link`` written
in it (the short form of the ``Final Link``). Instagram exports (``Account``, ``User Name``,
no ``Message``) take the caption from ``Description``; their ``Link`` is the post itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    first,
    get,
    has_columns,
    post,
    split_list,
    text_or_none,
    unique,
)
from inconcert.normalize import extract_urls

__all__ = ["FORMATS"]


def _match_crowdtangle(names: list[str]) -> bool:
    return has_columns(names, "Post Created", "URL") and any(
        n in names for n in ("Facebook Id", "Page Name", "Account", "User Name", "Group Name")
    )


#: ``Link Text`` of a post that re-shares another post (CooRnet: its ``Link`` is the share).
_RESHARE = "this is a re-share of a post"
_FACEBOOK_HOSTS = ("facebook.com", "fb.com", "fb.watch", "instagram.com")
#: First path segments of Facebook media links that name no owner (``photo.php?fbid=``).
_OWNERLESS = {"photo.php", "photo", "video.php", "watch", "reel", "story.php", "media", "p", ""}


def _owner_segment(link: str) -> tuple[str, str] | None:
    """(host, first path segment lowercased) of a Facebook/Instagram link, else None."""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in _FACEBOOK_HOSTS):
        return None
    return host, parts.path.strip("/").split("/")[0].lower()


def _own_media(link: str, row: Mapping[str, Any]) -> bool:
    """Whether a Photo/Video post's ``Link`` is its own media page (its page's photo or
    video, or a Facebook media link naming no owner), not another page's media or an
    off-Facebook link (YouTube)."""
    found = _owner_segment(link)
    if found is None:
        return False
    host, segment = found
    if host.endswith("fb.watch") or segment in _OWNERLESS:
        return True
    own = {str(v).strip().lower() for v in (row.get("User Name"), row.get("Facebook Id")) if v}
    post_url = _owner_segment(str(row.get("URL") or ""))
    if post_url is not None:
        own.add(post_url[1])
    return segment in own


def _crowdtangle_shared(row: Mapping[str, Any]) -> str | None:
    """The link a Facebook post shares (CooRnet's rules, see the module's text)."""
    link = text_or_none(row.get("Link"))
    final = text_or_none(row.get("Final Link"))
    kind = (text_or_none(row.get("Type")) or "link").lower()
    if (text_or_none(row.get("Link Text")) or "").lower() == _RESHARE:
        return link or final
    if kind == "link" or (link and not _own_media(link, row)):
        return final or link
    return None


def _same_link(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def _convert_crowdtangle(row: Mapping[str, Any]) -> Iterator[Post]:
    facebook = "Message" in row
    text = (
        text_or_none(row.get("Message"))
        if facebook
        else text_or_none(first(row, "Description", "Title"))
    )
    links: list[Any] = []
    own = [str(v) for v in (row.get("Link"), row.get("Final Link")) if text_or_none(v)]
    if facebook:
        links.append(_crowdtangle_shared(row))
    in_text = extract_urls(text) if text else []
    links.extend(u for u in in_text if not any(_same_link(u, o) for o in own))
    post_url = text_or_none(row.get("URL"))
    account = first(row, "Facebook Id", "User Name", "Page Name", "Account")
    name = first(row, "User Name", "Page Name", "Account")
    values = post(
        post_id=post_url,
        account_id=account,
        account_name=name if text_or_none(name) != text_or_none(account) else None,
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


#: The documented fields, Meta's data dictionary
#: (https://developers.facebook.com/docs/content-library-and-api/appendix/data-dictionary,
#: checked 2026-11): a Facebook post's owner is ``post_owner.data.{id,type,name,username}``,
#: an Instagram post's ``post_owner.{id,type,name,username}``; a Facebook post's link
#: ``link_attachment_fields.link`` (a comment's ``link_attachment.url``); an Instagram post's
#: ``hashtags``. Content Library downloads and the API clients' flattened tables write
#: ``post_owner.id`` and add ``mcl_url`` (the post's link; not in the dictionary). Every
#: spelling is read, and ``link_attachment.link``, the name this reader took before.
_OWNER = "post_owner"
_OWNER_PATHS = ("post_owner", "post_owner.data", "post_owner.data.0")
_MCL_LINKS = ("link_attachment_fields.link", "link_attachment.link", "link_attachment.url")
_INSTAGRAM_OWNERS = ("business", "creator", "personal")


def _match_mcl_columns(names: list[str]) -> bool:
    return "creation_time" in names and "id" in names and any(n.startswith(_OWNER) for n in names)


def _is_mcl_post(record: Any) -> bool:
    return (
        isinstance(record, Mapping)
        and "creation_time" in record
        and "id" in record
        and (
            isinstance(record.get(_OWNER), Mapping)
            or any(str(k).startswith(_OWNER) for k in record)
        )
    )


def _match_mcl(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    data = record.get("data")
    if isinstance(data, list) and data:  # an API response page
        return _is_mcl_post(data[0])
    return _is_mcl_post(record)


def _owner(record: Mapping[str, Any], field: str) -> Any:
    return first(record, *(f"{path}.{field}" for path in _OWNER_PATHS))


def _mcl_platform(record: Mapping[str, Any]) -> str:
    kind = str(_owner(record, "type") or "").lower()
    if "instagram" in kind or kind in _INSTAGRAM_OWNERS:
        return "instagram"
    if kind:  # page, profile, group, event
        return "facebook"
    facebook_only = ("surface", "surface.id", "shared_post_id", "statistics.share_count")
    if any(get(record, name) is not None for name in facebook_only):
        return "facebook"
    return "instagram" if record.get("hashtags") is not None else "facebook"


def _convert_mcl_post(record: Mapping[str, Any]) -> Post:
    text = text_or_none(first(record, "text", "caption"))
    links = [first(record, *_MCL_LINKS), *(extract_urls(text) if text else [])]
    tags = record.get("hashtags")  # Instagram posts: the list of hashtags
    account = _owner(record, "id") or _owner(record, "username") or _owner(record, "name")
    name = _owner(record, "username") or _owner(record, "name")
    values = post(
        post_id=record.get("id"),
        account_id=account,
        account_name=name if text_or_none(name) != text_or_none(account) else None,
        timestamp=record.get("creation_time"),
        platform=_mcl_platform(record),
        text=text,
        urls=unique(links),
        repost_of=first(record, "shared_post_id", "shared_post.id"),
        permalink=first(record, "url", "mcl_url", "link", "permalink"),
    )
    values["hashtags"] = (
        [t.lstrip("#") for t in split_list(tags)] if tags not in (None, "", []) else None
    )
    values["mentions"] = None
    return values


def _convert_mcl(record: Mapping[str, Any]) -> Iterator[Post]:
    data = record.get("data")
    if isinstance(data, list):
        if not data:
            yield {NOT_A_POST: "a page without posts"}
        for item in data:
            if isinstance(item, Mapping):
                yield {**_convert_mcl_post(item), "_item": item}
        return
    yield _convert_mcl_post(record)


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
            (
                "urls",
                "Facebook, as CooRnet: a Link post's Final Link, else Link; a re-share's Link "
                "(Link Text 'This is a re-share of a post'); a Photo/Video/Album post's Link "
                "only when off Facebook (YouTube) or another page's media, never its own; "
                "and links in the text other than the post's Link/Final Link. Instagram: "
                "links in the text (Link is the post itself)",
            ),
            ("hashtags", "from the text"),
            ("mentions", "from the text"),
            ("permalink", "URL"),
            ("account_name", "User Name, else Page Name, Account (when not the account_id)"),
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
            (
                "account_id",
                "post_owner.id (Facebook, as documented: post_owner.data.id), else its "
                "username, name",
            ),
            ("timestamp", "creation_time"),
            ("text", "text"),
            (
                "urls",
                "link_attachment_fields.link (as documented), else link_attachment.link, and "
                "links in the text",
            ),
            ("hashtags", "hashtags (Instagram posts), else from the text"),
            ("mentions", "from the text"),
            ("repost_of", "shared_post_id (a reshare)"),
            ("platform", "instagram for post_owner.type business/creator/personal, else facebook"),
            ("permalink", "url, else mcl_url, when given"),
            ("account_name", "post_owner username, else name (when not the account_id)"),
            (
                "(source)",
                "fields as in Meta's data dictionary, "
                "developers.facebook.com/docs/content-library-and-api/appendix/data-dictionary, "
                "checked 2026-11; column names as Content Library exports write them",
            ),
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
        detection="a JSON object with id, creation_time and a post_owner object, or an API "
        "response page of them (data[])",
        fields=(("(fields)", "as meta-content-library"),),
        match=_match_mcl,
        convert=_convert_mcl,
        priority=40,
    ),
)
