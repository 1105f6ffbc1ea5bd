"""Near-duplicate text: MinHash signatures, LSH banding, verification, text clusters.

Operators rarely post byte-identical text: they change a word or two, add a hashtag, or
republish an article under another byline. The ``neartext`` kind turns every text into the id of
its **text cluster**, so that the co-action engine treats "a variant of the same text" like any
other object, with the same window and network features.

How it works (all vectorised with NumPy, no per-pair Python loop)
-----------------------------------------------------------------
1. **Normalisation**, shared with the exact ``text`` kind (:func:`inconcert.normalize.
   normalize_text`: NFKC, case-fold, links and mentions removed, optionally hashtags, whitespace
   collapsed). Texts shorter than ``min_chars`` characters after that are skipped. Identical
   normalised texts are hashed once.
2. **Shingles**: overlapping character *k*-grams of the normalised text, ``k = 5`` by default
   and ``k = 2`` for texts mostly in Chinese, Japanese or Korean script (no spaces, dense
   characters). Character shingles work for every language and script (Persian, Russian,
   Albanian, right-to-left text) without a tokenizer, and one changed word changes only about
   ``k + len(word)`` shingles, so a 20-word tweet with one word changed keeps a Jaccard
   similarity of about 0.85.
3. **MinHash by one-permutation hashing** (Li, Owen & Zhang 2012) with rotation densification
   (Shrivastava & Li 2014): each shingle's 64-bit hash picks one of ``num_perm`` bins by its top
   bits and competes for that bin's minimum; empty bins (short texts) borrow the next non-empty
   bin's value. The probability that two signatures agree in a bin approximates the Jaccard
   similarity of the shingle sets, at the cost of one hash per shingle instead of ``num_perm``.
4. **LSH banding**: ``bands`` bands of ``rows`` bins; texts whose signatures agree on a whole
   band become candidates. With the defaults (25 bands of 5 rows) a pair at Jaccard 0.7 becomes
   a candidate with probability 0.990, at 0.5 with 0.55, at 0.3 with 0.06 and at 0.1 (unrelated
   texts in one language share some shingles) with 0.00025, which keeps candidates few;
   texts in a very large bucket are paired with their ``max_bucket_neighbours`` next
   neighbours in the bucket (enough to connect it, with bounded work). Bins are not
   independent in real text: the most common shingles win their bins in most texts, so texts
   that share them fill large buckets (1M tweet-like texts of a Zipf vocabulary: 28M
   candidate pairs, 59 a text, 0.5% of them similar).
5. **Verification**: the Jaccard similarity estimated from the full signatures must reach
   ``threshold`` (default 0.7; standard error about 0.04 at 128 bins). A first look at the
   first 32 bins drops pairs more than 0.3 below the threshold there (over three standard
   errors); it is taken on those bins folded to 8 bits, for all candidates of a band at once
   in bucket order, and since equal bins fold equal it never makes a pair look less alike:
   no pair the full rule accepts is dropped.
6. **Clusters**: connected components of the verified pairs. A cluster's id is the exact-text
   id (:func:`inconcert.normalize.text_key`) of its smallest member, so a cluster of one text
   has the same id as the ``text`` kind would give it.

Connected components can chain (A~B, B~C, A and C less similar): for campaigns this is usually
what an analyst wants (a family of variants); the evidence reports the similarity of each
concrete pair of posts.

Articles work the same way: a republished article shares most of its shingles with the
original whatever the byline, header or footer, as long as they are short next to the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import one_array, sort_ranks
from .errors import ParameterError
from .normalize import MIN_TEXT_CHARS, batch_rows, normalize_text

__all__ = [
    "NearTextOptions",
    "TextClusters",
    "cluster_texts",
    "minhash_signatures",
]

_P = np.uint64(0x100000001B3)  # FNV prime, for the rolling combination of code points
_CHUNK_CHARS = 250_000  # code points hashed at once: small arrays are reused, not page-faulted


@dataclass(frozen=True)
class NearTextOptions:
    """Parameters of near-duplicate text detection.

    Attributes
    ----------
    threshold:
        Minimum estimated Jaccard similarity of two texts' shingle sets, in (0, 1]. 0.7 links a
        tweet to its variants with one to three words changed; raise it for stricter matching.
    num_perm:
        Signature length (bins); a power of two, 16 to 1024. More bins, less estimation error.
    bands, rows:
        LSH bands and bins per band, ``bands * rows <= num_perm``. The candidate probability of a
        pair at Jaccard ``J`` is ``1 - (1 - J**rows)**bands``: more bands or fewer rows find
        less similar pairs, at the cost of more candidates to verify.
    shingle:
        Characters per shingle for most scripts.
    cjk_shingle:
        Characters per shingle for texts mostly in CJK scripts.
    min_chars:
        Texts shorter than this after normalisation are skipped.
    strip_hashtags:
        Remove hashtags before comparing (a campaign hashtag appended to varied texts then does
        not make them look alike, and the same text with different hashtags matches).
    max_bucket_neighbours:
        In an LSH bucket, each text is paired with at most this many following texts.
    seed:
        Seed of the hash functions; the same seed gives the same clusters.
    """

    threshold: float = 0.7
    num_perm: int = 128
    bands: int = 25
    rows: int = 5
    shingle: int = 5
    cjk_shingle: int = 2
    min_chars: int = MIN_TEXT_CHARS
    strip_hashtags: bool = False
    max_bucket_neighbours: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        t = self.threshold
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 < t <= 1:
            raise ParameterError("threshold", "a number in (0, 1]", t)
        n = self.num_perm
        if not isinstance(n, int) or n < 16 or n > 1024 or n & (n - 1):
            raise ParameterError("num_perm", "a power of two from 16 to 1024", n)
        for name in ("bands", "rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ParameterError(name, "a whole number >= 1", value)
        if self.bands * self.rows > n:
            raise ParameterError("bands", f"such that bands * rows <= num_perm ({n})", self.bands)
        for name in ("shingle", "cjk_shingle", "min_chars", "max_bucket_neighbours"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ParameterError(name, "a whole number >= 1", value)
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ParameterError("seed", "a whole number >= 0", self.seed)


@dataclass
class TextClusters:
    """The result of :func:`cluster_texts`.

    ``labels`` has one entry per input text: its cluster id, or null when the text was skipped
    (missing, or shorter than ``min_chars`` after normalisation). ``clusters`` has one row per
    cluster with more than one distinct text or more than one post: ``object_id``,
    ``representative`` (the most common variant, as most of its posts write it; ties by
    sorted text, so nothing depends on the order of the input rows),
    ``variants`` (distinct normalised texts) and ``posts``.
    """

    labels: pa.Array
    clusters: pa.Table
    skipped: int
    candidate_pairs: int  # candidate pairs whose similarity was estimated
    verified_pairs: int  # of those, pairs at or above the threshold (each joined two clusters)
    _signatures: np.ndarray = field(repr=False)
    _row_of_text: np.ndarray = field(repr=False)  # input position -> signature row (-1: none)

    def similarity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity of input texts ``i[k]`` and ``j[k]`` (NaN if skipped)."""
        return pairwise(
            self._row_of_text, i, j, lambda ri, rj: _agreement(self._signatures, ri, rj)
        )


def pairwise(
    row_of_text: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    measure: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """``measure`` of the representation rows of input texts ``i[k]`` and ``j[k]``; NaN where
    either text has no row (skipped)."""
    ri = row_of_text[np.asarray(i, dtype=np.int64)]
    rj = row_of_text[np.asarray(j, dtype=np.int64)]
    out = np.full(len(ri), np.nan)
    ok = (ri >= 0) & (rj >= 0)
    if ok.any():
        out[ok] = measure(ri[ok], rj[ok])
    return out


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective, well-mixing 64-bit hash, of a uint64 array (not a
    scalar). ``x`` is not changed: the first step makes a new array, the others work on it in
    place."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        t = x >> np.uint64(30)
        x ^= t
        x *= np.uint64(0xBF58476D1CE4E5B9)
        np.right_shift(x, np.uint64(27), out=t)
        x ^= t
        x *= np.uint64(0x94D049BB133111EB)
        np.right_shift(x, np.uint64(31), out=t)
        x ^= t
        return x


_FIRST_CJK = 0x3040


def _is_cjk(cp: np.ndarray) -> np.ndarray:
    if cp.size == 0 or int(cp.max()) < _FIRST_CJK:  # most texts: one pass, not twelve
        return np.zeros(cp.size, dtype=bool)
    return (
        ((cp >= _FIRST_CJK) & (cp <= 0x30FF))  # kana
        | ((cp >= 0x3400) & (cp <= 0x4DBF))
        | ((cp >= 0x4E00) & (cp <= 0x9FFF))  # CJK ideographs
        | ((cp >= 0xAC00) & (cp <= 0xD7AF))  # Hangul syllables
        | ((cp >= 0xF900) & (cp <= 0xFAFF))
        | ((cp >= 0x20000) & (cp <= 0x2FA1F))
    )


def _kgram_hashes(cp: np.ndarray, k: int, seed: np.uint64) -> np.ndarray:
    """Hash of the k code points starting at every position (the last k-1 positions: junk).

    ``cp`` is uint64. Polynomial combination in place (no temporaries), then SplitMix64.
    """
    n = cp.size
    h = cp + seed
    with np.errstate(over="ignore"):
        for j in range(1, min(k, n)):
            view = h[: n - j]
            view *= _P
            view += cp[j:]
    return _splitmix(h)


def _signatures_chunk(
    texts: Sequence[str], lengths: np.ndarray, opts: NearTextOptions, seed: np.uint64
) -> np.ndarray:
    """One-permutation MinHash signatures (uint32, shape (len(texts), num_perm)) of texts of
    ``lengths`` code points."""
    m = len(texts)
    k_bins = opts.num_perm
    bits = k_bins.bit_length() - 1
    cp32 = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    starts = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    cjk = _is_cjk(cp32)
    text_of = np.repeat(np.arange(m, dtype=np.int64), lengths) if cjk.any() else None
    if text_of is not None:
        cjk_share = np.bincount(text_of, weights=cjk, minlength=m) / np.maximum(lengths, 1)
        k_of_text = np.where(cjk_share > 0.5, opts.cjk_shingle, opts.shingle).astype(np.int64)
    else:
        k_of_text = np.full(m, opts.shingle, dtype=np.int64)
    # A text shorter than its k makes one shingle of itself.
    k_eff = np.minimum(k_of_text, np.maximum(lengths, 1))
    sig = np.full((m, k_bins), np.iinfo(np.uint32).max, dtype=np.uint32)
    flat_sig = sig.reshape(-1)
    cp = cp32.astype(np.uint64)
    ks = np.unique(k_eff)
    row_offset = np.repeat(np.arange(m, dtype=np.int64) * k_bins, lengths)
    for k in ks.tolist():
        h = _kgram_hashes(cp, k, seed)
        flat = (h >> np.uint64(64 - bits)).astype(np.int64)
        flat += row_offset
        vals = (h >> np.uint64(32 - bits)).astype(np.uint32)  # the 32 bits after the bin's
        mine = k_eff == k
        # the last k-1 positions of each text of this k (len >= k) start no k-gram: their
        # value can win no bin
        vals[(starts[1:][mine, None] - np.arange(1, k)).ravel()] = np.iinfo(np.uint32).max
        if ks.size > 1:  # several k (most chunks have one): the positions of this k's texts
            here = np.repeat(mine, lengths)
            flat, vals = flat[here], vals[here]
        np.minimum.at(flat_sig, flat, vals)
    return _densify(sig)


def _densify(sig: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the next non-empty bin (circularly), offset by the distance
    (rotation densification), so short texts still get a full signature.

    One running minimum over the flattened signatures gives each empty bin the next non-empty
    bin in row-major order (past its row's end, the row's first one); only the empty bins are
    then gathered and written.
    """
    empty = (sig == np.iinfo(np.uint32).max).reshape(-1)
    if not empty.any():
        return sig
    k_bins = sig.shape[1]
    flat = sig.reshape(-1)
    size = flat.size
    itype = np.int32 if size < 2**31 else np.int64  # int32: a faster running minimum
    at = np.where(empty, itype(size), np.arange(size, dtype=itype))
    next_full = np.minimum.accumulate(at[::-1])[::-1]
    q = np.flatnonzero(empty)
    row_start = q & ~np.int64(k_bins - 1)  # k_bins is a power of two
    src = next_full[q].astype(np.int64)
    wrap = src >= row_start + k_bins
    src[wrap] = next_full[row_start[wrap]]
    filled = src < row_start + k_bins  # rows with no non-empty bin stay as they are
    q, src = q[filled], src[filled]
    dist = ((src - q) & (k_bins - 1)).astype(np.uint32)
    out = sig.copy()
    with np.errstate(over="ignore"):
        out.reshape(-1)[q] = flat[src] + dist * np.uint32(0x9E3779B1)
    return out


def minhash_signatures(texts: Sequence[str], options: NearTextOptions | None = None) -> np.ndarray:
    """MinHash signatures of already normalised texts: uint32 array ``(len(texts), num_perm)``.

    Two texts agree in each column with probability close to the Jaccard similarity of their
    character-shingle sets.
    """
    opts = options or NearTextOptions()
    seed = _splitmix(np.array([opts.seed], dtype=np.uint64))[0]
    m = len(texts)
    out = np.empty((m, opts.num_perm), dtype=np.uint32)
    # chunks of about _CHUNK_CHARS code points: each ends at the first text that brings it there
    ends = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) for t in texts), dtype=np.int64, count=m), out=ends[1:])
    start = 0
    lengths = np.diff(ends)
    while start < m:
        stop = min(m, int(np.searchsorted(ends, ends[start] + _CHUNK_CHARS, side="left")))
        out[start:stop] = _signatures_chunk(texts[start:stop], lengths[start:stop], opts, seed)
        start = stop
    return out


def _agreement(sig: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Share of equal signature bins for row pairs (i, j), computed in bounded chunks."""
    out = np.empty(len(i))
    k = sig.shape[1]
    step = max(1, 4_000_000 // k)
    for s in range(0, len(i), step):
        # a count over k, not a mean: the same float (a whole number over k), 3x faster
        equal = sig[i[s : s + step]] == sig[j[s : s + step]]
        out[s : s + step] = np.count_nonzero(equal, axis=1) / k
    return out


_PREFILTER_BINS = 32  # at most 4 words of 8 folded bins (_equal_bytes relies on it)


def _folded(sig: np.ndarray) -> np.ndarray:
    """The first 32 bins (all bins when there are no more) folded to 8 bits each, the XOR of
    their four bytes, and packed eight to a 64-bit word: shape (rows, bins / 8). Equal bins fold
    equal; 1 in 256 different bins fold equal too."""
    folded = sig[:, :_PREFILTER_BINS] ^ (sig[:, :_PREFILTER_BINS] >> np.uint32(16))
    folded ^= folded >> np.uint32(8)
    return np.ascontiguousarray(folded.astype(np.uint8)).view(np.uint64)


_LOW_BITS = np.uint64(0x0101010101010101)


def _equal_bytes(words: list[np.ndarray], d: int) -> np.ndarray:
    """For each position p, how many of the bytes of ``words`` (one array per 64-bit word,
    positions in sequence) are equal at p and p + d."""
    differ: np.ndarray | None = None
    for column in words:
        x = column[:-d] ^ column[d:]
        x |= x >> np.uint64(4)
        x |= x >> np.uint64(2)
        x |= x >> np.uint64(1)
        x &= _LOW_BITS  # the low bit of each byte: the byte differs
        if differ is None:
            differ = x
        else:
            differ += x  # at most one per word a byte, 4 words at most: no carry
    assert differ is not None
    with np.errstate(over="ignore"):
        differ *= _LOW_BITS  # the top byte becomes the sum of all bytes
    differ >>= np.uint64(56)
    return 8 * len(words) - differ.astype(np.int64)


def _first_look_limit(sig: np.ndarray, threshold: float) -> float:
    """The share of equal first bins a pair needs to be verified further (see
    :func:`_similar_pairs`)."""
    return threshold - 0.3 if sig.shape[1] > _PREFILTER_BINS else threshold - 1e-12


def _similar_pairs(sig: np.ndarray, i: np.ndarray, j: np.ndarray, threshold: float) -> np.ndarray:
    """Which pairs reach ``threshold``, reading most pairs' first 32 bins only.

    Most LSH candidates are far below the threshold; the share of equal bins among the first
    32 has a standard error of at most 0.09, so a pair more than 0.3 below the threshold
    there (over three standard errors) is rejected without reading the other bins.
    """
    ok = np.zeros(len(i), dtype=bool)
    if sig.shape[1] <= _PREFILTER_BINS or len(i) == 0:
        return _agreement(sig, i, j) >= threshold - 1e-12
    maybe = np.flatnonzero(
        _agreement(sig[:, :_PREFILTER_BINS], i, j) >= _first_look_limit(sig, threshold)
    )
    if maybe.size:
        ok[maybe] = _agreement(sig, i[maybe], j[maybe]) >= threshold - 1e-12
    return ok


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")``, from one plain sort of the keys' high bits packed
    with the row numbers (a 64-bit sort is ~20x faster than a stable argsort).

    The packed order is by high bits, then row. Where two different keys share their high bits
    (about n²/2^(65-bits(n)) pairs: rare below a few million rows, a few dozen at ten
    million), their run is put in order by a stable sort of the nearly sorted full keys, so the
    result is always exactly the stable order.
    """
    n = key.size
    row_bits = max(1, int(n - 1).bit_length())
    if n < 2 or row_bits > 40:
        return np.argsort(key, kind="stable")
    shift = np.uint64(row_bits)
    packed = ((key >> shift) << shift) | np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << row_bits) - 1)).astype(np.int64)
    ks = key[order]
    if not bool(np.all(ks[1:] >= ks[:-1])):
        # some keys share their high bits: the order is sorted but for short runs, which a
        # stable sort of the nearly sorted keys (timsort: close to linear) puts right
        order = order[np.argsort(ks, kind="stable")]
    return order


_KEY_ROWS = 1024  # rows hashed at once by _band_keys
_KEY_BANDS = 32  # bands hashed at once: at most 256 bytes of keys a text


def _band_keys(sig: np.ndarray, first: int, bands: int, rows: int) -> np.ndarray:
    """A 64-bit hash of each row's bins in bands ``first`` to ``first + bands - 1``, shape
    (bands, rows of ``sig``): rows with equal bins in a band share its key (rows with different
    bins almost never do).

    Computed 1,024 rows at a time for all these bands at once, so each row's bins are read from
    memory once, not once per band (3x faster than band by band).
    """
    n = sig.shape[0]
    out = np.empty((bands, n), dtype=np.uint64)
    seeds = _splitmix(np.arange(first, first + bands, dtype=np.uint64))
    cols = slice(first * rows, (first + bands) * rows)
    for start in range(0, n, _KEY_ROWS):
        block = sig[start : start + _KEY_ROWS, cols].reshape(-1, bands, rows)
        key = np.broadcast_to(seeds, block.shape[:2])
        with np.errstate(over="ignore"):
            for r in range(rows):
                key = _splitmix(key ^ block[:, :, r].astype(np.uint64))
        out[:, start : start + _KEY_ROWS] = key.T
    return out


def _merge(comp: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component labels after adding edges (a, b); a label is the smallest member's row."""
    if a.size == 0:
        return comp
    la, lb = comp[a], comp[b]
    involved, inv = np.unique(np.concatenate([la, lb]), return_inverse=True)
    g = ig.Graph(n=involved.size, edges=inv.reshape(2, -1).T.tolist())
    membership = np.asarray(g.connected_components().membership, dtype=np.int64)
    smallest = np.full(membership.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, membership, involved)  # labels are rows, so min label = min row
    relabel = np.arange(comp.size, dtype=np.int64)
    relabel[involved] = smallest[membership]
    return relabel[comp]


def _link(sig: np.ndarray, opts: NearTextOptions) -> tuple[np.ndarray, int, int]:
    """Cluster rows band by band: candidates already in one cluster are not verified again.

    In each band, the texts that share a bucket are put in bucket order, and each is paired
    with the next ``max_bucket_neighbours`` texts of its bucket. Most candidates are far from
    similar; a first look at their folded first bins (:func:`_folded`), read in bucket order,
    so from memory in sequence, drops most of them: a fold never makes a pair look less alike,
    so no pair that :func:`_similar_pairs` would accept is dropped, and the rest are verified
    by it. Neither the verdicts nor the components depend on the order pairs are looked at.

    Returns (component label per row, candidate pairs looked at, pairs found similar).
    """
    n = sig.shape[0]
    comp = np.arange(n, dtype=np.int64)
    folded = [np.ascontiguousarray(column) for column in _folded(sig).T]  # one per word
    limit = _first_look_limit(sig, opts.threshold)
    checked = similar = 0
    band_keys = np.empty((0, n), dtype=np.uint64)
    for band in range(opts.bands):
        if band % _KEY_BANDS == 0:
            count = min(_KEY_BANDS, opts.bands - band)
            band_keys = _band_keys(sig, band, count, opts.rows)
        key = band_keys[band % _KEY_BANDS]
        order = _stable_order(key)
        ks = key[order]
        # only texts that share their bucket can pair; each bucket stays contiguous
        same = ks[1:] == ks[:-1]
        shared = np.zeros(n, dtype=bool)
        shared[1:] = same
        shared[:-1] |= same
        order, ks = order[shared], ks[shared]
        if order.size < 2:
            continue
        near = [column[order] for column in folded]  # the folded bins in bucket order
        bins = 8 * len(near)
        label = comp[order]
        a_parts: list[np.ndarray] = []
        b_parts: list[np.ndarray] = []
        for d in range(1, min(opts.max_bucket_neighbours, order.size - 1) + 1):
            eq = ks[d:] == ks[:-d]
            if not eq.any():
                break
            eq &= label[:-d] != label[d:]  # open pairs (p, p + d)
            checked += int(np.count_nonzero(eq))
            eq &= _equal_bytes(near, d) / bins >= limit
            at = np.flatnonzero(eq)
            a_parts.append(order[at])
            b_parts.append(order[at + d])
        if not a_parts:
            continue
        a, b = np.concatenate(a_parts), np.concatenate(b_parts)
        if a.size == 0:
            continue
        ok = _similar_pairs(sig, a, b, opts.threshold)
        similar += int(ok.sum())
        comp = _merge(comp, a[ok], b[ok])
    return comp, checked, similar


def cluster_texts(
    texts: pa.Array | pa.ChunkedArray | Sequence[str | None],
    options: NearTextOptions | None = None,
) -> TextClusters:
    """Group texts into near-duplicate clusters.

    Parameters
    ----------
    texts:
        One text per post (nulls allowed), in any language or script.
    options:
        :class:`NearTextOptions`.

    Returns
    -------
    TextClusters
        Cluster id per input text, a table of clusters, and pair counts.
    """
    opts = options or NearTextOptions()
    if isinstance(texts, pa.Array | pa.ChunkedArray):
        arr = texts
    else:  # Python strings may hold lone surrogates, which Arrow cannot store
        arr = pa.array(
            [
                t.encode("utf-8", "replace").decode("utf-8") if isinstance(t, str) else t
                for t in texts
            ],
            pa.string(),
        )
    arr = one_array(arr)  # large strings where the chunks hold more than 2 GiB of text
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    n_in = len(arr)
    enc = arr.dictionary_encode()
    # each distinct text normalised, a batch of them at a time: Python holds the normalised
    # texts and one batch of the originals, not all of both (articles: gigabytes each)
    texts = enc.dictionary
    size = batch_rows([texts], 65_536)
    norm = [
        normalize_text(t, strip_hashtags=opts.strip_hashtags)
        for i in range(0, len(texts), size)
        for t in texts.slice(i, size).to_pylist()
    ]
    # distinct normalised texts long enough to compare
    # numbered in sorted order, not in order of appearance: the LSH buckets, hence the pairs
    # verified and the clusters, must not depend on the order of the input rows
    ntexts = sorted({t for t in norm if len(t) >= opts.min_chars})
    distinct = {t: i for i, t in enumerate(ntexts)}
    raw_to_row = np.fromiter((distinct.get(t, -1) for t in norm), dtype=np.int64, count=len(norm))
    indices = enc.indices.to_numpy(zero_copy_only=False)
    valid_in = ~np.asarray(pc.is_null(enc.indices).to_numpy(zero_copy_only=False))
    row_of_text = np.full(n_in, -1, dtype=np.int64)
    row_of_text[valid_in] = raw_to_row[indices[valid_in].astype(np.int64)]
    skipped = int((row_of_text < 0).sum())

    sig = minhash_signatures(ntexts, opts) if ntexts else np.zeros((0, opts.num_perm), np.uint32)
    n = len(ntexts)
    comp, checked, similar = _link(sig, opts) if n > 1 else (np.zeros(n, np.int64), 0, 0)
    # A cluster's id is the exact-text id of its smallest member (by that id).
    keys = pa.array(
        [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()[:32] for t in ntexts],
        pa.string(),
    )
    by_key, rank = sort_ranks(keys)  # rows in order of their id, and each row's place
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, comp, rank)  # each cluster's smallest id, as a rank
    label_of_row = keys.take(pa.array(by_key[first[comp]], pa.int64()))
    labels = label_of_row.take(pa.array(row_of_text, mask=row_of_text < 0))
    clusters = _cluster_table(enc, row_of_text, comp, label_of_row)
    return TextClusters(
        labels=labels,
        clusters=clusters,
        skipped=skipped,
        candidate_pairs=checked,
        verified_pairs=similar,
        _signatures=sig,
        _row_of_text=row_of_text,
    )


def _cluster_table(
    texts: pa.DictionaryArray, rows: np.ndarray, comp: np.ndarray, label_of_row: pa.Array
) -> pa.Table:
    """Clusters with more than one post: representative text, variants, posts.

    ``texts`` are the input texts, dictionary-encoded; ``rows`` each input text's distinct
    normalised text (-1: none); ``comp`` each of those texts' cluster (its smallest row);
    ``label_of_row`` each row's cluster id.
    """
    n = comp.size
    valid = rows >= 0
    r = rows[valid]
    c = comp[r]
    posts = np.bincount(c, minlength=n)
    kept = np.flatnonzero(posts > 1)  # clusters, by their smallest row
    if kept.size == 0:
        return pa.table(
            {
                "object_id": pa.array([], pa.string()),
                "representative": pa.array([], pa.string()),
                "variants": pa.array([], pa.int64()),
                "posts": pa.array([], pa.int64()),
            }
        )
    row_posts = np.bincount(r, minlength=n)
    variants = np.bincount(comp[row_posts > 0], minlength=n)
    # representative: the variant with most posts (ties: the first normalised text in sorted
    # order, that is the smallest row), written as most of its posts write it (ties: the first
    # original text in sorted order); never the order of the input rows
    by = np.lexsort((np.arange(n), -row_posts, comp))
    first = np.ones(n, dtype=bool)
    first[1:] = comp[by][1:] != comp[by][:-1]
    rep = np.zeros(n, dtype=np.int64)
    rep[comp[by][first]] = by[first]
    rep_rows = rep[kept]
    is_rep = np.zeros(n, dtype=bool)
    is_rep[rep_rows] = True
    raw = np.asarray(texts.indices.to_numpy(zero_copy_only=False)[valid], dtype=np.int64)
    on_rep = is_rep[r]
    by_rank, rank = sort_ranks(texts.dictionary)  # each original text's place in sorted order
    pair, count = np.unique(r[on_rep] * len(rank) + rank[raw[on_rep]], return_counts=True)
    pair_row, pair_rank = pair // len(rank), pair % len(rank)
    best = np.lexsort((pair_rank, -count, pair_row))
    top = np.ones(best.size, dtype=bool)
    top[1:] = pair_row[best][1:] != pair_row[best][:-1]
    text_rank = np.zeros(n, dtype=np.int64)
    text_rank[pair_row[best][top]] = pair_rank[best][top]
    table = pa.table(
        {
            "object_id": label_of_row.take(pa.array(kept, pa.int64())),
            "representative": texts.dictionary.take(
                pa.array(by_rank[text_rank[rep_rows]], pa.int64())
            ).cast(pa.string()),
            "variants": pa.array(variants[kept], pa.int64()),
            "posts": pa.array(posts[kept], pa.int64()),
        }
    )
    return table.sort_by([("posts", "descending"), ("object_id", "ascending")])
