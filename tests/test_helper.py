"""Helper processes for the text keys and canonical links: the same results, whoever
computes them, and the caller computes what a failed helper could not."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from inconcert import _helper, normalize
from inconcert.normalize import text_key, text_keys

TEXTS = [
    "RT @NewsBot: BREAKING\u00a0news\u200b!  https://t.co/AbC #Вибори",
    "Vote for the People's Party on Sunday!",
    "vote for the people's party on sunday! https://t.co/x1",
    None,
    "",
    "short",
    "می\u200cخواهم رای بدهم در انتخابات",
    "ｈｅｌｌｏ ｗｏｒｌｄ， ｔｈｉｓ ｉｓ ｆｕｌｌ ｗｉｄｔｈ",
    "Σίσυφος ΣΊΣΥΦΟΣ #Tag @someone a long enough text",
]
KWARGS: dict[str, Any] = {"min_chars": 10, "strip_hashtags": True}


def _batches(n: int) -> list[pa.Array]:
    texts = [t if t is None else f"{t} {i}" for i in range(n) for t in TEXTS]
    return [pa.array(texts[i : i + 7], pa.string()) for i in range(0, len(texts), 7)]


def _want(batches: list[pa.Array]) -> list[pa.Array]:
    return [
        pa.array([None if v is None else text_key(v, **KWARGS) for v in b.to_pylist()])
        for b in batches
    ]


def _helper_alone(
    name: str, kwargs: dict[str, Any], batches: list[pa.Array]
) -> list[pa.Array | None]:
    """What one helper process answers when it is given every batch (the caller takes none)."""
    results: list[pa.Array | None] = [None] * len(batches)
    order = iter(range(len(batches)))
    lock = threading.Lock()

    def take() -> int | None:
        with lock:
            return next(order, None)

    helper = _helper._Helper(name, kwargs, pa.string(), batches, results, take)
    helper.start()
    try:
        helper.join(60)  # a helper that cannot answer fails the test instead of hanging it
    finally:
        helper.stop()
    assert not any(thread.is_alive() for thread in helper.threads)
    assert helper.done == len(batches)
    return results


def test_a_helper_process_computes_the_same_keys() -> None:
    """A helper given every batch answers each as text_key does."""
    batches = _batches(6)
    assert _helper_alone("text_key", KWARGS, batches) == _want(batches)


def _slow_caller(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.004) -> None:
    """This process's text_key sleeps (letting go of Python's lock, as a caller's Arrow and
    DuckDB work does) so that helpers surely take batches; the helpers' own is not slowed."""

    def slow(name: str) -> Callable[..., str | None]:
        def key(value: str, **kwargs: object) -> str | None:
            time.sleep(seconds)
            return text_key(value, **kwargs)  # type: ignore[arg-type]

        return key

    monkeypatch.setattr(_helper, "_function", slow)


@pytest.mark.parametrize("helpers", [0, 1, 2])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_map_batches_gives_the_keys_in_batch_order(
    helpers: int, kind: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Helpers do part of the work, and the keys come back in batch order, of the type asked
    for, the same as this process alone gives."""
    _slow_caller(monkeypatch)
    batches = [b.cast(kind) for b in _batches(30)]
    parts, done = _helper.map_batches(batches, "text_key", KWARGS, kind, helpers)
    assert parts == [w.cast(kind) for w in _want(batches)]
    assert (done > 0) == (helpers > 0) and done < len(batches)


def test_no_more_helpers_than_the_batches_can_use(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    real = _helper._Helper.start

    def start(self: _helper._Helper) -> None:
        started.append(self)
        real(self)

    monkeypatch.setattr(_helper._Helper, "start", start)
    batches = _batches(2)  # 3 batches: one helper can hold 2
    parts, _ = _helper.map_batches(batches, "text_key", KWARGS, pa.string(), 1024)
    assert parts == _want(batches) and len(started) == 1
    started.clear()
    _helper.map_batches(_batches(1), "text_key", KWARGS, pa.string(), 4)
    assert started == []


_ANSWERS_WRONG = """
import sys, pyarrow as pa
reader = pa.ipc.open_stream(sys.stdin.buffer)
schema = pa.schema([pa.field("v", pa.string())])
with pa.ipc.new_stream(sys.stdout.buffer, schema) as writer:
    for batch in reader:
        writer.write_batch(pa.record_batch([pa.array(["x"])], schema=schema))
        sys.stdout.buffer.flush()
"""


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-c", "pass"],  # exits at once
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read(100); sys.exit(3)"],
        [sys.executable, "-c", "import sys, time; sys.stdin.buffer.read(1); time.sleep(60)"],
        [sys.executable, "-c", _ANSWERS_WRONG],  # one key per batch
        ["/nonexistent/python"],  # cannot start
    ],
    ids=["exits", "dies", "hangs", "wrong", "absent"],
)
def test_a_failed_helper_leaves_its_batches_to_the_caller(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with a helper, the caller computes the batches it held (the many
    batches keep the caller busy while the helper starts and takes some) and does not wait
    long for one that hangs."""
    monkeypatch.setattr(_helper, "_command", lambda: command)
    monkeypatch.setattr(_helper, "_PATIENCE_S", 0.5)
    taken: list[int] = []
    real = _helper._Helper._feed

    def feed(self: _helper._Helper) -> None:
        take = self.take

        def counted() -> int | None:
            i = take()
            if i is not None:
                taken.append(i)
            return i

        self.take = counted
        real(self)

    monkeypatch.setattr(_helper._Helper, "_feed", feed)
    takes = command[0] == sys.executable and command[-1] != "pass"
    if takes:
        # the caller starts on its own batches once the helper holds some (on a loaded
        # machine the caller could otherwise finish them all before the helper's thread ran)
        real_apply = _helper.apply_each
        waited: list[bool] = []

        def apply_each(*args: Any, **kwargs: Any) -> pa.Array:
            deadline = time.monotonic() + 20
            while not waited and not taken and time.monotonic() < deadline:
                time.sleep(0.005)
            waited.append(True)
            return real_apply(*args, **kwargs)

        monkeypatch.setattr(_helper, "apply_each", apply_each)
    batches = _batches(3000)
    started = time.monotonic()
    parts, done = _helper.map_batches(batches, "text_key", KWARGS, pa.string(), 1)
    assert parts == _want(batches) and done == 0
    assert time.monotonic() - started < 30
    if takes:
        assert taken  # the helper had batches in hand when it failed


def test_a_wrong_helper_does_not_stall_a_caller_that_lets_go_of_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong answer ends the helper while its feeder may still hold room for a batch: the
    call must end all the same (it once waited forever when the caller slept between keys)."""
    monkeypatch.setattr(_helper, "_command", lambda: [sys.executable, "-c", _ANSWERS_WRONG])
    _slow_caller(monkeypatch, 0.0005)
    batches = _batches(300)  # over a second of this process's work: the helper starts first
    out: list[tuple[list[pa.Array], int]] = []
    call = threading.Thread(
        target=lambda: out.append(_helper.map_batches(batches, "text_key", KWARGS, pa.string(), 1)),
        daemon=True,
    )
    call.start()
    call.join(60)
    assert not call.is_alive(), "map_batches did not return"
    assert out[0][0] == _want(batches) and out[0][1] == 0


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_text_keys_with_helpers_equal_text_key(
    kind: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(normalize, "HELPER_MIN_DISTINCT", 1)
    monkeypatch.setattr(normalize, "_HELPER_BATCH", 5)
    texts = pa.chunked_array(
        [pa.array(TEXTS * 3, kind), pa.array([f"text number {i} here" for i in range(40)], kind)]
    )
    want = [None if t is None else text_key(t, **KWARGS) for t in texts.to_pylist()]
    got = text_keys(texts, helpers=1, **KWARGS)
    assert got.type == (pa.large_string() if kind == pa.large_string() else pa.string())
    assert got.to_pylist() == want
    assert text_keys(texts, helpers=0, **KWARGS).to_pylist() == want
    assert text_keys(pa.nulls(3), helpers=1).to_pylist() == [None] * 3


LINKS = [
    "https://www.Example.com/a/?utm_source=x&b=2&a=1",
    "http://t.co/AbC",
    "https://amp.example.org/amp/story-1",
    "23678",  # an id: no link, known without parsing
    None,
    "not a link at all",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fnews.example.net%2Fstory%3Fid%3D7",
    "HTTPS://EXAMPLE.COM:443/Path#frag",
]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_canonical_urls_with_helpers_equal_canonical_url(
    kind: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links are shared with helpers too (from HELPER_MIN_DISTINCT distinct ones), with the
    same result, null and non-link values included."""
    from inconcert.normalize import canonical_url, canonical_urls

    monkeypatch.setattr(normalize, "HELPER_MIN_DISTINCT", 1)
    monkeypatch.setattr(normalize, "_HELPER_BATCH", 3)
    links = pa.chunked_array(
        [
            pa.array(LINKS * 2, kind),
            pa.array(
                [f"https://news{i}.example.com/story/{i}?utm_medium=x" for i in range(30)], kind
            ),
        ]
    )
    want = [None if v is None else canonical_url(v) for v in links.to_pylist()]
    assert canonical_urls(links, helpers=1).to_pylist() == want
    assert canonical_urls(links, helpers=0).to_pylist() == want
    calls: list[int] = []
    real = _helper.map_batches

    def counted(batches: Any, name: str, *args: Any) -> Any:
        out = real(batches, name, *args)
        calls.append(out[1])
        assert name == "canonical_url"
        return out

    monkeypatch.setattr(normalize, "map_batches", counted)
    assert canonical_urls(links, helpers=1).to_pylist() == want
    assert len(calls) == 1  # the helper path was taken
    monkeypatch.setattr(normalize, "HELPER_MIN_DISTINCT", 10**6)
    assert canonical_urls(links, helpers=1).to_pylist() == want
    assert len(calls) == 1  # below the threshold no helper starts


def test_a_helper_process_computes_the_same_links() -> None:
    """A helper given every batch of links answers each as canonical_url does."""
    from inconcert.normalize import canonical_url

    batches = [pa.array(LINKS[i : i + 3], pa.string()) for i in range(0, len(LINKS), 3)]
    assert _helper_alone("canonical_url", {}, batches) == [
        pa.array([None if v is None else canonical_url(v) for v in b.to_pylist()], pa.string())
        for b in batches
    ]


def test_posts_to_actions_shares_links_and_texts_with_its_helpers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """posts_to_actions hands its helpers to both per-string jobs (links and text keys), and
    the actions are the same with and without them."""
    from inconcert.actions import posts_to_actions
    from inconcert.schema import POST_SCHEMA

    monkeypatch.setattr(normalize, "HELPER_MIN_DISTINCT", 1)
    monkeypatch.setattr(normalize, "_HELPER_BATCH", 4)
    n = 24
    posts = pa.table(
        {
            "post_id": [str(i) for i in range(n)],
            "account_id": [f"acc{i % 5}" for i in range(n)],
            "timestamp": pa.array([1_600_000_000_000_000 + i for i in range(n)], pa.int64()).cast(
                POST_SCHEMA.field("timestamp").type
            ),
            "text": [f"a long enough text number {i % 9} for a key" for i in range(n)],
            "urls": [[f"https://news{i % 7}.example.com/a?utm_source=x"] for i in range(n)],
        }
    )
    posts = pa.table(
        {
            name: posts.column(name)
            if name in posts.column_names
            else pa.nulls(n, POST_SCHEMA.field(name).type)
            for name in POST_SCHEMA.names
        },
        schema=POST_SCHEMA,
    )
    names: list[str] = []
    real = _helper.map_batches

    def counted(batches: Any, name: str, *args: Any) -> Any:
        names.append(name)
        return real(batches, name, *args)

    monkeypatch.setattr(normalize, "map_batches", counted)
    shared, _ = posts_to_actions(posts, ["url", "text"], helpers=1)
    assert sorted(names) == ["canonical_url", "text_key"]
    alone, _ = posts_to_actions(posts, ["url", "text"], helpers=0)
    assert shared.equals(alone) and shared.num_rows == 2 * n


@pytest.mark.parametrize("helpers", [1, 2])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_strings_encoded_in_slices_give_the_same_results(
    helpers: int, shared: bool, kind: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From _SLICED_FROM strings the distinct values are found in helpers + 1 slices, each in
    its own thread: values in several slices (and nulls) give the same keys and links, in
    row order, with helper processes (shared) or without."""
    from inconcert.normalize import canonical_url, canonical_urls

    monkeypatch.setattr(normalize, "_SLICED_FROM", 10)
    monkeypatch.setattr(normalize, "_HELPER_BATCH", 4)
    monkeypatch.setattr(normalize, "HELPER_MIN_DISTINCT", 1 if shared else 10**6)
    encoded: list[int] = []
    real = normalize._encode_in_threads

    def counted(parts: list[pa.Array]) -> Any:
        encoded.append(len(parts))
        return real(parts)

    monkeypatch.setattr(normalize, "_encode_in_threads", counted)
    texts = pa.array((TEXTS * 5)[:43], kind)  # repeats fall in different slices
    links = pa.array((LINKS * 6)[:45], kind)
    want_keys = [None if t is None else text_key(t, **KWARGS) for t in texts.to_pylist()]
    want_links = [None if v is None else canonical_url(v) for v in links.to_pylist()]
    keys = text_keys(texts, helpers=helpers, **KWARGS)
    got_links = canonical_urls(links, helpers=helpers)
    assert keys.to_pylist() == want_keys and got_links.to_pylist() == want_links
    assert (
        keys.type
        == got_links.type
        == (pa.large_string() if kind == pa.large_string() else pa.string())
    )
    assert encoded == [helpers + 1, helpers + 1]  # both were encoded in slices
    assert text_keys(texts, helpers=0, **KWARGS).to_pylist() == want_keys


def test_an_error_while_encoding_a_slice_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(normalize, "_SLICED_FROM", 4)
    real = normalize.pc.dictionary_encode
    seen: list[int] = []

    def second_fails(array: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(array))
        if threading.current_thread() is not threading.main_thread():
            raise MemoryError("no room")
        return real(array, *args, **kwargs)

    monkeypatch.setattr(normalize.pc, "dictionary_encode", second_fails)
    with pytest.raises(MemoryError, match="no room"):
        text_keys(pa.array([f"some text number {i}" for i in range(10)]), helpers=1)
    assert len(seen) == 2
