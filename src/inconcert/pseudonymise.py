"""Pseudonymised results for sharing: account ids (and, on request, post ids and texts)
replaced by keyed pseudonyms in every output file.

A pseudonym is ``HMAC-SHA256(key, namespace NUL value)``, its first 80 bits in hex, after a
prefix saying what it stands for: ``acct_`` (accounts, also the accounts a ``mention`` names),
``post_`` (posts, also the posts a ``repost``/``reply``/``quote`` refers to) and ``text_``
(texts). An account's name or handle (``account_name``, ``object_author_name``) gets the
pseudonym of the mention of that name (``@acct_...``), so a handle and the mentions of it still
match, and no handle is left. The same key gives the same pseudonym in every file and every
run, so a team sharing one key can match findings; without the key a pseudonym cannot be
turned back, nor a guessed id checked. The key never enters the outputs; ``manifest.json``
records that pseudonymisation was applied, to what, and a key id (an HMAC of a fixed text, to
tell keys apart).

Not pseudonymised: URLs, domains, hashtags, image hashes, times and counts; texts unless
``texts`` is set (a text may name people). Values are taken as they are: an account id and the
same account mentioned in a text match only when the mention is written the same way (mentions
are case-folded).

>>> from inconcert.pseudonymise import Pseudonymiser
>>> p = Pseudonymiser(b"a key of at least sixteen bytes")
>>> p.account("alice") == p.account("alice") != p.account("bob")
True
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import one_array
from ._objects import object_label, top_objects
from .errors import InputError
from .kinds import KINDS
from .normalize import normalize_tag

if TYPE_CHECKING:
    from .detect import DetectResult

__all__ = ["MIN_KEY_BYTES", "Pseudonymiser"]

#: The shortest key accepted (after surrounding whitespace is removed).
MIN_KEY_BYTES = 16
_KEY_HINT = "make one with e.g. `head -c 32 /dev/urandom | base64 > KEYFILE` and keep it private"
_DIGEST_CHARS = 20  # 80 bits
_POST_KINDS = ("repost", "reply", "quote")
_TOP_OBJECTS = 5  # as inconcert.summaries.TOP_OBJECTS
_TOP_TEXTS = 3
_TEXT_KINDS = tuple(k.name for k in KINDS if k.text)
_LINK_COLUMNS = ("link_a", "link_b", "object_link")
_QUOTED_OBJECT = re.compile(r"""\b([a-z_]+) ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


@dataclass(frozen=True)
class Pseudonymiser:
    """Keyed pseudonyms for one run.

    Attributes
    ----------
    key
        The secret (bytes, at least :data:`MIN_KEY_BYTES`).
    posts
        Also replace post ids (``post_a``/``post_b`` and the objects of repost, reply and
        quote).
    texts
        Replace texts (``text_a``/``text_b``, ``top_texts``) by ``text_`` pseudonyms.
    """

    key: bytes
    posts: bool = False
    texts: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) < MIN_KEY_BYTES:
            raise InputError(
                None,
                f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes",
                hint=_KEY_HINT,
            )

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(key=<{self.key_id}>, posts={self.posts}, texts={self.texts})"

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, posts: bool = False, texts: bool = False
    ) -> Pseudonymiser:
        """Read the key from a file (surrounding whitespace removed).

        Raises
        ------
        InputError
            The file is missing, unreadable, empty or too short.
        """
        where = Path(path)
        try:
            key = where.read_bytes().strip()
        except FileNotFoundError as err:
            raise InputError(where, "the key file does not exist", hint=_KEY_HINT) from err
        except IsADirectoryError as err:
            raise InputError(where, "is a folder, not a key file", hint=_KEY_HINT) from err
        except OSError as err:
            raise InputError(where, f"the key file cannot be read ({err.strerror or err})") from err
        if not key:
            raise InputError(where, "the key file is empty", hint=_KEY_HINT)
        if len(key) < MIN_KEY_BYTES:
            raise InputError(
                where,
                f"the key is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed",
                hint=_KEY_HINT,
            )
        return cls(key, posts=posts, texts=texts)

    # -- single values ------------------------------------------------------------------------

    def _digest(self, namespace: str, value: str) -> str:
        data = namespace.encode() + b"\0" + value.encode("utf-8", "surrogatepass")
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()[:_DIGEST_CHARS]

    def account(self, value: str) -> str:
        """The pseudonym of an account id."""
        return "acct_" + self._digest("account", value)

    def author(self, value: str) -> str:
        """The pseudonym of a referenced post's author: an account id, or ``@name`` taken from
        a retweet's text, whose pseudonym is that of the mention ``name`` (``@acct_...``)."""
        name = normalize_tag(value) if value.startswith("@") else None
        return "@" + self.account(name) if name else self.account(value)

    def name(self, value: str) -> str:
        """The pseudonym of an account's name or handle: that of the mention ``@name``
        (``@acct_...``, as :meth:`author` gives it), so a handle and its mentions match."""
        tag = normalize_tag(value)
        return "@" + self.account(tag or value)

    def post(self, value: str) -> str:
        """The pseudonym of a post id."""
        return "post_" + self._digest("post", value)

    def text(self, value: str) -> str:
        """The pseudonym of a text."""
        return "text_" + self._digest("text", value)

    @property
    def key_id(self) -> str:
        """A short id of the key (not the key, nor enough to find it)."""
        return self._digest("key-id", "inconcert")[:12]

    def describe(self) -> dict[str, Any]:
        """What the manifest records: what was replaced, how, and the key id."""
        return {
            "method": "HMAC-SHA256, first 80 bits in hex",
            "accounts": True,
            "posts": self.posts,
            "texts": self.texts,
            "key_id": self.key_id,
        }

    # -- columns and tables -------------------------------------------------------------------

    def _map(self, column: pa.Array | pa.ChunkedArray, one: Callable[[str], str]) -> pa.Array:
        """Every value of a string column through ``one`` (once per distinct value). A
        dictionary column (the evidence's texts) keeps its indices: its dictionary is mapped."""
        array = one_array(column)
        if pa.types.is_dictionary(array.type):
            mapped = self._map(array.dictionary, one).cast(array.type.value_type)
            return pa.DictionaryArray.from_arrays(array.indices, mapped)
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            array = array.cast(pa.string())
        distinct = pc.unique(array).drop_null()
        mapped = pa.array([one(v) for v in distinct.to_pylist()], pa.string())
        index = pc.index_in(array, value_set=distinct)
        return mapped.take(index).cast(array.type)

    def _objects(
        self, kinds: pa.Array | pa.ChunkedArray, objects: pa.Array | pa.ChunkedArray
    ) -> pa.Array:
        """Object ids that name an account (mention) or a post (repost, reply, quote)."""
        out = one_array(objects)
        rules: list[tuple[tuple[str, ...], Callable[[str], str]]] = [(("mention",), self.account)]
        if self.posts:
            rules.append((_POST_KINDS, self.post))
        if self.texts:
            rules.append((_TEXT_KINDS, self.text))
        for names, one in rules:
            mask = pc.is_in(kinds, value_set=pa.array(names, pa.string())).fill_null(False)
            if pc.any(mask).as_py():
                mapped = self._map(out, one)
                out = pc.if_else(mask, mapped, out)
        return out

    def _table(self, table: pa.Table, columns: dict[str, Callable[[str], str]]) -> pa.Table:
        for name, one in columns.items():
            if name in table.column_names:
                i = table.column_names.index(name)
                table = table.set_column(i, name, self._map(table.column(name), one))
        return table

    def _members(self, accounts: pa.Table) -> dict[Any, str]:
        order = accounts.sort_by(
            [("group_id", "ascending"), ("strength", "descending"), ("account_id", "ascending")]
        )
        members: dict[Any, list[str]] = {}
        for acc, gid in zip(
            order.column("account_id").to_pylist(),
            order.column("group_id").to_pylist(),
            strict=True,
        ):
            members.setdefault(gid, []).append(self.account(acc))
        return {g: " ".join(v[:20]) for g, v in members.items()}

    def apply(self, result: DetectResult) -> DetectResult:
        """The result with every account id (and, as configured, post id and text) replaced.

        ``groups.members`` and ``groups.top_objects`` are rebuilt with the pseudonyms (same
        order as before: ties by the original ids); ``groups.top_texts`` too when texts are
        replaced (each text's pseudonym and its co-actions). The evidence's ``object_author``
        (the author of a referenced post) is an account; its ``object_text`` a text. Accounts'
        names (``account_name``, ``object_author_name``) are pseudonymised by :meth:`name`. Links
        back to the source (``link_a``, ``link_b``, ``object_link``) are left out: a permalink
        names the account and the post. Warnings quoting an id are rewritten.
        """
        ids: dict[str, Callable[[str], str]] = {
            "account_id": self.account,
            "account_a": self.account,
            "account_b": self.account,
            "object_author": self.author,
            "account_name": self.name,
            "object_author_name": self.name,
        }
        if self.posts:
            ids |= {"post_a": self.post, "post_b": self.post}
        if self.texts:
            ids |= {"text_a": self.text, "text_b": self.text, "object_text": self.text}
        evidence = result.evidence.drop_columns(
            [c for c in _LINK_COLUMNS if c in result.evidence.column_names]
        )
        if {"kind", "object_id"} <= set(evidence.column_names):
            i = evidence.column_names.index("object_id")
            evidence = evidence.set_column(
                i, "object_id", self._objects(evidence.column("kind"), evidence.column("object_id"))
            )
        new_evidence = self._table(evidence, ids)
        groups = result.groups
        original = result.evidence

        def object_name(
            kind: str, oid: str, text: str | None, author: str | None, name: str | None
        ) -> str:
            return object_label(
                kind,
                self._object_name(kind, oid),
                None if self.texts else text,
                None if author is None else self.author(author),
                None if name is None else self.name(name),
            )

        replaced: dict[str, pa.Array] = {}
        gids = groups.column("group_id").to_pylist() if "group_id" in groups.column_names else []
        if "members" in groups.column_names and "account_id" in result.accounts.column_names:
            members = self._members(result.accounts)
            replaced["members"] = pa.array([members.get(g, "") for g in gids], pa.string())
        if "top_objects" in groups.column_names and {"kind", "object_id"} <= set(
            original.column_names
        ):
            tops = top_objects(original, limit=_TOP_OBJECTS, label=object_name)
            replaced["top_objects"] = pa.array([tops.get(g, "") for g in gids], pa.string())
        if "top_texts" in groups.column_names and self.texts:
            texts = top_objects(
                original,
                limit=_TOP_TEXTS,
                kinds=_TEXT_KINDS,
                label=lambda kind, oid, text, author, name: self.text(oid),
                with_kind=False,
            )
            replaced["top_texts"] = pa.array([texts.get(g, "") for g in gids], pa.string())
        for name, column in replaced.items():
            groups = groups.set_column(groups.column_names.index(name), name, column)
        edges = self._table(result.edges, ids)
        if "object_ids" in edges.column_names:  # CooRTweet compat: comma-joined object ids
            edges = edges.drop_columns(["object_ids"])
        warnings = [self._warning(w) for w in result.warnings]
        return dataclasses.replace(
            result,
            edges=edges,
            accounts=self._table(result.accounts, ids),
            groups=groups,
            evidence=new_evidence,
            warnings=warnings,
        )

    def _object_name(self, kind: str, oid: str) -> str:
        if kind == "mention":
            return self.account(oid)
        if self.posts and kind in _POST_KINDS:
            return self.post(oid)
        if self.texts and kind in _TEXT_KINDS:
            return self.text(oid)
        return oid

    def _warning(self, text: str) -> str:
        """A warning with the objects it quotes (``kind 'object' (n)``) pseudonymised."""

        def one(match: re.Match[str]) -> str:
            try:
                value = ast.literal_eval(match.group(2))
            except (ValueError, SyntaxError):
                return match.group(0)
            if not isinstance(value, str):
                return match.group(0)
            return f"{match.group(1)} {self._object_name(match.group(1), value)!r}"

        return _QUOTED_OBJECT.sub(one, text)
