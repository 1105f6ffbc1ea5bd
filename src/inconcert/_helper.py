"""A helper process for pure per-string functions over many distinct strings.

Normalising and hashing texts (the ``text`` kind's :func:`inconcert.normalize.text_key`) and
putting links in canonical form (:func:`inconcert.normalize.canonical_url`) are Python code,
one string at a time: most of the actions stage on a large collection. The strings are
independent, so a second process can take half of them. :func:`map_batches` lets
the calling thread and helper processes take batches from one queue, the helpers through an
Arrow IPC stream on their standard input and output (``python -m inconcert._helper``), and
puts the results back in batch order: the output is the same, whoever computed each batch.

A helper is started as a fresh interpreter, not forked: forking a process whose DuckDB and
Arrow threads may hold locks is unsafe, and ``multiprocessing``'s other start methods import
the caller's main script again. Should a helper fail to start, die or answer wrongly, its
batches are computed in the calling thread: a helper can make a run faster, never different
or broken. Only functions named in :data:`FUNCTIONS` run in a helper.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

__all__ = ["FUNCTIONS", "apply_each", "map_batches"]

#: What a helper may run, by name: ``module:function``, a ``str -> str | None`` function
#: with keyword arguments that JSON can carry.
FUNCTIONS: Mapping[str, str] = {
    "text_key": "inconcert.normalize:text_key",
    "canonical_url": "inconcert.normalize:canonical_url",
}

_FIELD = "v"


def apply_each(func: Callable[[str], Any], values: pa.Array, out_type: pa.DataType) -> pa.Array:
    """``func`` of each string of ``values`` (null stays null), as an array of ``out_type``:
    the one loop every per-string function runs in, here, in a helper or in
    :func:`inconcert.normalize.map_unique` (through its ``_map_distinct``)."""
    return pa.array([None if v is None else func(v) for v in values.to_pylist()], out_type)


def map_batches(
    batches: Sequence[pa.Array],
    name: str,
    kwargs: Mapping[str, Any],
    out_type: pa.DataType,
    helpers: int,
) -> tuple[list[pa.Array], int]:
    """``FUNCTIONS[name](value, **kwargs)`` of every string of every batch (null stays null),
    one result array per batch of type ``out_type``, in batch order; and how many batches
    helper processes computed. With ``helpers`` 0 everything runs here."""
    func = functools.partial(_function(name), **kwargs)
    # each helper is an interpreter of its own (~100 MB) and takes two batches at a time
    helpers = max(min(helpers, (len(batches) - 1) // _IN_HAND, _MOST_HELPERS), 0)
    results: list[pa.Array | None] = [None] * len(batches)
    lock = threading.Lock()
    cursor = iter(range(len(batches)))

    def take() -> int | None:
        with lock:
            return next(cursor, None)

    def apply(i: int) -> pa.Array:
        return apply_each(func, batches[i], out_type)

    workers = [_Helper(name, kwargs, out_type, batches, results, take) for _ in range(helpers)]
    try:
        for worker in workers:
            worker.start()
        start, mine = time.monotonic(), 0
        while (i := take()) is not None:
            results[i] = apply(i)
            mine += 1
        # a helper has at most _IN_HAND batches left: wait as long as they should take, and
        # much more, but not for one that hangs
        per_batch = (time.monotonic() - start) / max(mine, 1)
        deadline = time.monotonic() + _PATIENCE_S + 10 * _IN_HAND * per_batch
        for worker in workers:
            worker.join(max(deadline - time.monotonic(), 0.0))
    finally:
        for worker in workers:
            worker.stop()
    for worker in workers:  # a stopped helper's threads end at once
        worker.join(None)
        worker.stop()  # (one started late, as this process finished)
    done = sum(worker.done for worker in workers)
    for i, result in enumerate(results):
        if result is None:  # a helper failed with this batch in hand
            results[i] = apply(i)
    return [r for r in results if r is not None], done


def _function(name: str) -> Callable[..., str | None]:
    module, _, attr = FUNCTIONS[name].partition(":")
    func: Callable[..., str | None] = getattr(importlib.import_module(module), attr)
    return func


def _source(name: str) -> str:
    """The file that defines the function ``name``: a helper runs only the same one."""
    module = importlib.import_module(FUNCTIONS[name].partition(":")[0])
    return os.path.realpath(module.__file__ or "")


class _Helper:
    """One helper process, and the two threads here that feed it batches and collect its
    results. Two batches are in its hands at a time, so it never waits for the next; more
    would leave this process idle at the end while the helper still works."""

    def __init__(
        self,
        name: str,
        kwargs: Mapping[str, Any],
        out_type: pa.DataType,
        batches: Sequence[pa.Array],
        results: list[pa.Array | None],
        take: Callable[[], int | None],
    ) -> None:
        self.name, self.kwargs, self.out_type = name, kwargs, out_type
        self.batches, self.results, self.take = batches, results, take
        self.done = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.started = threading.Event()
        self.in_hand: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.room = threading.Semaphore(_IN_HAND)
        self.closed = False  # no further batch goes to this helper
        self.threads = [
            threading.Thread(target=self._feed, daemon=True),
            threading.Thread(target=self._collect, daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float | None) -> None:
        """Wait for both threads (at most ``timeout`` seconds in all)."""
        end = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads:
            thread.join(None if end is None else max(end - time.monotonic(), 0.0))

    def _feed(self) -> None:
        try:
            self.process = subprocess.Popen(
                _command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                # the helper finds inconcert where this process found it
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        except Exception:  # no helper: the caller computes everything
            self.started.set()
            self.in_hand.put(None)
            return
        self.started.set()
        for pipe in (self.process.stdin, self.process.stdout):
            _widen(pipe)
        try:
            assert self.process.stdin is not None
            meta = {
                "name": self.name,
                "kwargs": json.dumps(dict(self.kwargs)),
                "out": _TYPE_NAMES[self.out_type],
                "file": _source(self.name),
            }
            schema = pa.schema([pa.field(_FIELD, self.batches[0].type)], metadata=meta)
            with pa.ipc.new_stream(self.process.stdin, schema) as writer:
                while self.room.acquire() and not self.closed and (i := self.take()) is not None:
                    self.in_hand.put(i)
                    writer.write_batch(pa.record_batch([self.batches[i]], schema=schema))
                    self.process.stdin.flush()
            self.process.stdin.close()
        except Exception:  # the helper died: what it holds is computed by the caller
            pass
        finally:
            self.in_hand.put(None)

    def _collect(self) -> None:
        self.started.wait()
        if self.process is None or self.process.stdout is None:
            return
        try:
            reader = pa.ipc.open_stream(self.process.stdout)
            while (i := self.in_hand.get()) is not None:
                got = reader.read_next_batch().column(0)
                if len(got) != len(self.batches[i]) or got.type != self.out_type:
                    break  # a wrong answer: this batch and the rest are computed here
                self.results[i] = got
                self.done += 1
                self.room.release()
        except Exception:  # the helper died: what it holds is computed by the caller
            pass
        self._close()
        self.process.kill()  # done, or of no further use

    def _close(self) -> None:
        """Give this helper no further batch, and wake its feeder should it wait for room."""
        self.closed = True
        self.room.release(_IN_HAND + 1)

    def stop(self) -> None:
        """End the helper process, if it is still running, and close its pipes."""
        self._close()
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _widen(pipe: Any) -> None:
    """Make a pipe hold a whole batch (Linux; elsewhere it stays as it is): a batch written in
    pieces waits for this process's lock on Python between the pieces, which the caller,
    busy with its own batches, holds for milliseconds at a time."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


_PIPE_BYTES = 1 << 20

#: Seconds a helper may take for its last batches beyond ten times the caller's pace.
_PATIENCE_S = 5.0

#: Batches a helper holds at a time.
_IN_HAND = 2

#: The most helpers one call starts, whatever the cores.
_MOST_HELPERS = 8


#: The result types a helper can make, by name.
_TYPES = {"string": pa.string(), "large_string": pa.large_string()}
_TYPE_NAMES = {t: n for n, t in _TYPES.items()}


def _command() -> list[str]:
    """How a helper is started: this interpreter, running this module (``-P``: not from the
    current folder, which may hold another ``inconcert``)."""
    return [sys.executable, "-P", "-m", "inconcert._helper"]


def _serve() -> None:
    """The helper's side: results of the named function for each batch of its input."""
    reader = pa.ipc.open_stream(sys.stdin.buffer)
    meta = reader.schema.metadata or {}
    name = meta[b"name"].decode()
    func = functools.partial(_function(name), **json.loads(meta[b"kwargs"]))
    if _source(name) != meta[b"file"].decode():
        sys.exit(2)  # another inconcert than the caller's: the caller computes everything
    out_type = _TYPES[meta[b"out"].decode()]
    schema = pa.schema([pa.field(_FIELD, out_type)])
    with pa.ipc.new_stream(sys.stdout.buffer, schema) as writer:
        for batch in reader:
            out = apply_each(func, batch.column(0), out_type)
            writer.write_batch(pa.record_batch([out], schema=schema))
            sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve()
