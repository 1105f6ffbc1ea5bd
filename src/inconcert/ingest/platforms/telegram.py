"""Telegram: the Desktop app's JSON export (``result.json``) and Telethon messages one per
line (``Message.to_dict()``, 4CAT's Telegram NDJSON).

Message ids are numbered per chat, so a post id is ``{chat id}/{message id}`` (ids without
Telegram's ``-100`` prefix), and the account is ``channel{id}`` or ``user{id}`` as the Desktop
export writes ``from_id``. A forward is a repost: of ``{source chat}/{source message}`` when
the message says which (Telethon's ``fwd_from.channel_post``), else of a derived id made of the
source's name and the forwarded text (the Desktop export does not give the source message).

The sender's name is the ``account_name`` (the Desktop export's ``from``; Telethon's
``_sender.username``, or for a channel's own post the channel's ``_chat.username`` or title,
where the collection adds them). A forward names its source: the referenced post's author
(``forwarded_from``, ``fwd_from.from_id`` or ``from_name``); its text is the forward's own copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    derived_id,
    embedded,
    epoch,
    first,
    get,
    post,
    text_or_none,
    unique,
    with_embedded,
)

__all__ = ["FORMATS"]


def _strip_marks(value: str, mark: str) -> str:
    return value[1:] if value.startswith(mark) else value


# ---------------------------------------------------------------------------------------------
# Desktop export
# ---------------------------------------------------------------------------------------------


def _chats(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """One chat's export, or a whole account's: its ``chats`` and the channels and groups it
    has left (``left_chats``), each a list of chats with their messages."""
    if isinstance(record.get("messages"), list):
        return [record]
    found: list[Mapping[str, Any]] = []
    for key in ("chats.list", "left_chats.list"):
        chats = get(record, key)
        if isinstance(chats, list):
            found.extend(c for c in chats if isinstance(c, Mapping))
    return found


def _match_desktop(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    chats = _chats(record)
    if not chats:
        return False
    messages = [m for c in chats for m in c.get("messages") or [] if isinstance(m, Mapping)]
    if not messages:
        return "type" in chats[0] and "id" in chats[0]
    return "date" in messages[0] and "type" in messages[0]


def _desktop_text(message: Mapping[str, Any]) -> tuple[str | None, list[Mapping[str, Any]]]:
    entities = message.get("text_entities")
    text = message.get("text")
    if isinstance(text, list):
        parts: list[Mapping[str, Any]] = [
            {"type": "plain", "text": p} if isinstance(p, str) else p
            for p in text
            if isinstance(p, str | Mapping)
        ]
        joined = "".join(str(p.get("text") or "") for p in parts)
        return joined or None, entities if isinstance(entities, list) else parts
    return text_or_none(text) and str(text), entities if isinstance(entities, list) else []


def _desktop_message(chat: Mapping[str, Any], message: Mapping[str, Any]) -> Post:
    if message.get("type") != "message":
        return {NOT_A_POST: f"a service message ({message.get('action') or message.get('type')})"}
    chat_id = text_or_none(chat.get("id"))
    text, entities = _desktop_text(message)
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        kind, value = entity.get("type"), str(entity.get("text") or "")
        if kind == "link" and value:
            urls.append(value)
        elif kind == "text_link" and entity.get("href"):
            urls.append(str(entity["href"]))
        elif kind == "hashtag" and value:
            hashtags.append(_strip_marks(value, "#"))
        elif kind == "mention" and value:
            mentions.append(_strip_marks(value, "@"))
        elif kind == "mention_name" and entity.get("user_id") is not None:
            mentions.append(f"user{entity['user_id']}")
    # a forward from a source the exporter cannot name (a deleted account, a hidden sender)
    # has forwarded_from null: still a forward
    forwarded = first(message, "forwarded_from_id", "forwarded_from") or (
        "(unnamed source)" if "forwarded_from" in message else None
    )
    reply = text_or_none(message.get("reply_to_message_id"))
    reply_chat = text_or_none(message.get("reply_to_peer_id")) or chat_id
    repost_of = derived_id("telegram-forward", forwarded, text) if forwarded else None
    sender = first(message, "from_id", "actor_id")
    values = post(
        post_id=f"{chat_id}/{message.get('id')}",
        account_id=sender or f"chat{chat_id}",
        timestamp=epoch(message.get("date_unixtime")) or message.get("date"),
        platform="telegram",
        text=text,
        repost_of=repost_of,
        reply_to=f"{reply_chat}/{reply}" if reply else None,
        permalink=f"https://t.me/c/{chat_id}/{message.get('id')}",
        account_name=first(message, "from", "actor") if sender else chat.get("name"),
    )
    if not forwarded:
        values.update(urls=unique(urls), hashtags=unique(hashtags), mentions=unique(mentions))
    values["_item"] = message
    source = embedded(repost_of, message.get("forwarded_from_id"), message.get("forwarded_from"))
    return with_embedded(values, source if forwarded else None)


def _convert_desktop(record: Mapping[str, Any]) -> Iterator[Post]:
    found = False
    for chat in _chats(record):
        for message in chat.get("messages") or []:
            if isinstance(message, Mapping):
                found = True
                yield _desktop_message(chat, message)
    if not found:
        yield {NOT_A_POST: "an export without messages"}


# ---------------------------------------------------------------------------------------------
# Telethon
# ---------------------------------------------------------------------------------------------


def _type(value: Any) -> str:
    return str(first(value, "_", "_type") or "") if isinstance(value, Mapping) else ""


def _peer(value: Any) -> tuple[str, str] | None:
    """('channel', '123') for a PeerChannel dict, or None."""
    if not isinstance(value, Mapping):
        return ("channel", str(value)) if isinstance(value, int) else None
    for key, kind in (("channel_id", "channel"), ("chat_id", "chat"), ("user_id", "user")):
        if value.get(key) is not None:
            return kind, text_or_none(value[key]) or ""
    return None


def _match_telethon(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    kind = _type(record)
    if kind in ("Message", "MessageService"):
        return True
    return "peer_id" in record and "date" in record and ("message" in record or "action" in record)


def _utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="ignore")


def _convert_telethon(record: Mapping[str, Any]) -> Iterator[Post]:
    if _type(record) == "MessageService" or ("action" in record and "message" not in record):
        yield {NOT_A_POST: "a service message"}
        return
    chat = _peer(record.get("peer_id"))
    chat_id = chat[1] if chat else text_or_none(get(record, "_chat.id"))
    sender = _peer(record.get("from_id"))
    account = f"{sender[0]}{sender[1]}" if sender else (f"{chat[0]}{chat[1]}" if chat else None)
    text = record.get("message")
    text = str(text) if text is not None else None
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    for entity in record.get("entities") or []:
        kind = _type(entity)
        try:
            piece = _utf16_slice(
                text or "", int(entity.get("offset", 0)), int(entity.get("length", 0))
            )
        except (TypeError, ValueError):
            piece = ""
        if kind == "MessageEntityTextUrl" and entity.get("url"):
            urls.append(str(entity["url"]))
        elif kind == "MessageEntityUrl" and piece:
            urls.append(piece)
        elif kind == "MessageEntityHashtag" and piece:
            hashtags.append(_strip_marks(piece, "#"))
        elif kind == "MessageEntityMention" and piece:
            mentions.append(_strip_marks(piece, "@"))
        elif kind in ("MessageEntityMentionName", "InputMessageEntityMentionName") and (
            entity.get("user_id") is not None
        ):
            mentions.append(f"user{entity['user_id']}")
    webpage = get(record, "media.webpage.url")
    if webpage:
        urls.append(str(webpage))
    forward = record.get("fwd_from")
    repost_of = source_account = None
    if isinstance(forward, Mapping):
        source = _peer(forward.get("from_id"))
        source_account = f"{source[0]}{source[1]}" if source else None
        original = text_or_none(forward.get("channel_post"))
        if source and original:
            repost_of = f"{source[1]}/{original}"
        else:
            repost_of = derived_id(
                "telegram-forward",
                source[1] if source else forward.get("from_name"),
                forward.get("date"),
                text,
            )
    reply = record.get("reply_to")
    reply_to = None
    if isinstance(reply, Mapping) and reply.get("reply_to_msg_id") is not None:
        reply_peer = _peer(reply.get("reply_to_peer_id"))
        reply_to = f"{reply_peer[1] if reply_peer else chat_id}/{reply['reply_to_msg_id']}"
    elif isinstance(reply, int):
        reply_to = f"{chat_id}/{reply}"
    username = get(record, "_chat.username")
    stamp = record.get("date")
    name = (
        get(record, "_sender.username")
        if sender
        else first(record, "_chat.username", "_chat.title")
    )
    values = post(
        post_id=f"{chat_id}/{record.get('id')}",
        account_id=account,
        timestamp=epoch(stamp) if isinstance(stamp, int | float) else stamp,
        platform="telegram",
        text=text,
        repost_of=repost_of,
        reply_to=reply_to,
        permalink=(
            f"https://t.me/{username}/{record.get('id')}"
            if username
            else f"https://t.me/c/{chat_id}/{record.get('id')}"
        ),
        account_name=name,
    )
    if repost_of is None:
        values.update(urls=unique(urls), hashtags=unique(hashtags), mentions=unique(mentions))
    forwarded = (
        embedded(repost_of, source_account, get(forward, "from_name")) if repost_of else None
    )
    yield with_embedded(values, forwarded)


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="telegram-desktop",
        platform="telegram",
        title="Telegram Desktop JSON export (result.json: one chat, or chats.list and "
        "left_chats.list)",
        container="json",
        detection="a JSON object with 'messages' (items with date and type) or 'chats.list'",
        fields=(
            ("post_id", "{chat id}/{message id}"),
            ("account_id", "from_id (channel123, user456), else the chat"),
            ("timestamp", "date_unixtime (UTC), else date"),
            ("text", "text (plain, or the texts of its list of parts)"),
            ("urls", "text_entities: link text, text_link href; none for a forward"),
            ("hashtags", "text_entities of type hashtag; none for a forward"),
            ("mentions", "text_entities of type mention, mention_name (user id)"),
            (
                "repost_of",
                "a forward: derived from forwarded_from(_id) and the text (also when "
                "forwarded_from is null, an unnamed source)",
            ),
            ("reply_to", "{chat id}/{reply_to_message_id}"),
            ("permalink", "https://t.me/c/{chat id}/{message id}"),
            ("account_name", "from (the sender's name), else the chat's name"),
            (
                "(referenced posts)",
                "a forward's source: forwarded_from_id and forwarded_from (its name); the text "
                "is the forward's copy",
            ),
            ("(not posts)", "service messages (type service)"),
        ),
        match=_match_desktop,
        convert=_convert_desktop,
        permalink="https://t.me/c/{chat id}/{message id}",
        priority=10,
    ),
    PlatformFormat(
        name="telethon",
        platform="telegram",
        title="Telegram messages from Telethon (Message.to_dict() per line, 4CAT NDJSON)",
        container="json",
        detection="a JSON object with _/_type 'Message' or 'MessageService', or peer_id, date "
        "and message",
        fields=(
            ("post_id", "{peer_id channel/chat/user id}/{id}"),
            ("account_id", "from_id (user123, channel456), else the peer (a channel's own post)"),
            ("timestamp", "date (ISO text or epoch seconds)"),
            ("text", "message"),
            (
                "urls",
                "entities: MessageEntityUrl (its text), MessageEntityTextUrl url; "
                "media.webpage.url; none for a forward",
            ),
            ("hashtags", "entities MessageEntityHashtag (UTF-16 offsets); none for a forward"),
            ("mentions", "entities MessageEntityMention, MessageEntityMentionName"),
            (
                "repost_of",
                "fwd_from: {from_id channel}/{channel_post}, else derived from the source and date",
            ),
            ("reply_to", "{reply_to.reply_to_peer_id or chat}/{reply_to.reply_to_msg_id}"),
            ("permalink", "https://t.me/{_chat.username}/{id}, else https://t.me/c/{chat}/{id}"),
            (
                "account_name",
                "_sender.username; a channel's own post: _chat.username, else _chat.title "
                "(fields a collection such as 4CAT adds)",
            ),
            (
                "(referenced posts)",
                "a forward's source: fwd_from.from_id (channel456), fwd_from.from_name",
            ),
        ),
        match=_match_telethon,
        convert=_convert_telethon,
        permalink="https://t.me/{username}/{id}",
        priority=15,
    ),
)
