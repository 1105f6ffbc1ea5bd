"""Near-duplicate text: variants link, unrelated texts do not, any script, determinism."""

from __future__ import annotations

import hashlib
import random
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inconcert import neartext
from inconcert.errors import ParameterError
from inconcert.neartext import NearTextOptions, cluster_texts, minhash_signatures
from inconcert.normalize import normalize_text
from inconcert.options import DetectOptions

BASE = (
    "The mayor quietly approved the new stadium deal last night while the council "
    "was away on holiday"
)


def _labels(texts: list[str | None], **kw: object) -> list[str | None]:
    return cluster_texts(texts, NearTextOptions(**kw)).labels.to_pylist()  # type: ignore[arg-type]


def test_one_word_changed_links_and_unrelated_does_not() -> None:
    variant = BASE.replace("quietly", "secretly")
    other = "Heavy rain is expected across the north of the country on Sunday afternoon"
    a, b, c = _labels([BASE, variant, other])
    assert a == b
    assert c != a


def test_exact_copies_with_noise_are_one_cluster() -> None:
    texts = [BASE, f"RT @someone: {BASE.upper()} https://t.co/x", f"  {BASE}\n\n@bob"]
    assert len(set(_labels(texts))) == 1


def test_short_empty_and_link_only_texts_are_skipped() -> None:
    texts = [None, "", "lol", "https://example.org/only-a-link", "😂😂😂", "@a @b @c", BASE]
    labels = cluster_texts(texts)
    assert labels.labels.to_pylist()[:6] == [None] * 6
    assert labels.labels.to_pylist()[6] is not None
    assert labels.skipped == 6


FAMILIES = {
    "english": "Citizens must stand together against the corrupt officials who stole our "
    "future and our savings",
    "russian": "Граждане должны объединиться против коррумпированных чиновников которые "
    "украли наше будущее и сбережения",
    "persian": "شهروندان باید در برابر مقامات فاسدی که آینده و پس انداز ما را دزدیدند متحد شوند",
    "chinese": "公民必须团结起来反对那些偷走了我们的未来和我们的储蓄的腐败官员他们必须受到惩罚",
    "albanian": "Qytetarët duhet të bashkohen kundër zyrtarëve të korruptuar që na vodhën "
    "të ardhmen dhe kursimet",
}


def _variants(template: str, rng: random.Random, n: int) -> list[str]:
    out = []
    if " " in template:
        words = template.split()
        for _ in range(n):
            w = list(words)
            i = rng.randrange(len(w))
            w[i] = w[i][::-1]  # one word changed
            out.append(" ".join(w))
    else:
        for _ in range(n):
            i = rng.randrange(len(template) - 2)
            out.append(template[:i] + "我们" + template[i + 2 :])  # one two-character word
    return out


def test_planted_families_in_five_scripts() -> None:
    rng = random.Random(3)
    texts: list[str] = []
    family: list[str] = []
    for name, template in FAMILIES.items():
        for t in [template, *_variants(template, rng, 4)]:
            texts.append(t)
            family.append(name)
    noise = [
        f"Unrelated note number {i} about gardening, {i * 7} tomatoes and the weather"
        for i in range(30)
    ]
    labels = _labels(texts + noise)
    for name in FAMILIES:
        members = {lab for lab, fam in zip(labels, family, strict=False) if fam == name}
        assert len(members) == 1, name
    assert len(set(labels[: len(texts)])) == len(FAMILIES)
    assert not set(labels[len(texts) :]) & set(labels[: len(texts)])


def test_republished_article_is_found() -> None:
    rng = random.Random(5)
    vocab = [f"{w}{i}" for i, w in enumerate(["lorem", "ipsum", "dolor", "sit", "amet"] * 400)]
    body = " ".join(rng.choice(vocab) for _ in range(3000))
    copy = f"By Someone Else | Daily Herald\n\n{body}\n\nRead more at our site. Subscribe."
    other = " ".join(rng.choice(vocab) for _ in range(3000))
    a, b, c = _labels([body, copy, other])
    assert a == b and c != a


def test_deterministic_and_seeded() -> None:
    rng = random.Random(1)
    texts = [BASE] + _variants(BASE, rng, 20) + [f"filler text {i} " * 4 for i in range(50)]
    first = cluster_texts(texts, NearTextOptions(seed=4))
    again = cluster_texts(texts, NearTextOptions(seed=4))
    assert first.labels.equals(again.labels)
    assert first.clusters.equals(again.clusters)
    # Another seed estimates similarities with other noise (about ±0.04 at 128 bins), so a
    # variant near the threshold may fall either side; the family as a whole stays together.
    for seed in (5, 6, 7):
        labels = cluster_texts(texts, NearTextOptions(seed=seed)).labels.to_pylist()
        biggest = max(labels[:21].count(lab) for lab in set(labels[:21]))
        assert biggest >= 19


def test_cluster_table_has_representative_and_counts() -> None:
    texts = [BASE, BASE, BASE.replace("quietly", "secretly"), "another thing entirely here ok"]
    clusters = cluster_texts(texts).clusters.to_pylist()
    assert len(clusters) == 1
    assert clusters[0]["representative"] == BASE
    assert clusters[0]["variants"] == 2 and clusters[0]["posts"] == 3


def _shingles(text: str, k: int = 5) -> set[str]:
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))}


@settings(max_examples=30, deadline=None)
@given(edits=st.integers(0, 12), seed=st.integers(0, 1000))
def test_estimate_is_close_to_exact_jaccard(edits: int, seed: int) -> None:
    rng = random.Random(seed)
    words = (BASE + " " + BASE[::-1]).split()
    changed = list(words)
    for _ in range(edits):
        changed[rng.randrange(len(changed))] = rng.choice(["alpha", "beta", "gamma", "delta"])
    a, b = normalize_text(" ".join(words)), normalize_text(" ".join(changed))
    exact = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
    sig = minhash_signatures([a, b], NearTextOptions(num_perm=512))
    estimate = float((sig[0] == sig[1]).mean())
    assert abs(estimate - exact) < 0.12


@settings(max_examples=50, deadline=None)
@given(texts=st.lists(st.text(min_size=0, max_size=200), max_size=20))
def test_never_crashes_on_arbitrary_text(texts: list[str]) -> None:
    result = cluster_texts(texts)
    assert len(result.labels) == len(texts)


def test_hostile_input() -> None:
    texts = [
        "\ud800 broken surrogate text that is long enough to compare",
        "مرحبا بالعالم هذا نص طويل بما يكفي من اليمين إلى اليسار",
        "Mixed Кириллица and Latin and 中文 in one long sentence here",
        "x" * 1_000_000,
    ]
    labels = cluster_texts(texts).labels.to_pylist()
    assert all(lab is not None for lab in labels)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan")])
def test_threshold_outside_unit_interval_is_rejected(bad: float) -> None:
    with pytest.raises(ParameterError, match="'threshold' parameter must be a number in"):
        NearTextOptions(threshold=bad)
    with pytest.raises(ParameterError, match="'similarity' parameter must be a number in"):
        DetectOptions(similarity=bad)


def test_similarity_lookup() -> None:
    result = cluster_texts(pa.array([BASE, None, BASE.replace("new", "old")]))
    sim = result.similarity(np.array([0, 0]), np.array([1, 2]))
    assert np.isnan(sim[0]) and 0.7 <= sim[1] < 1.0


def test_chained_cluster_pairs_below_the_similarity_are_dropped() -> None:
    """A cluster can chain (a's text ~ b's, b's ~ c's, a's not ~ c's): the near-duplicate
    co-actions of a and c are dropped pair by pair and counted in the summary; a-b and b-c
    stay, and so do the link co-actions of a and c (another kind in the same run)."""
    import datetime as dt

    import pyarrow.compute as pc

    import inconcert as ic

    base = [f"word{i}" for i in range(40)]
    texts = {
        "a": base,
        "b": base[:34] + [f"bee{i}" for i in range(6)],
        "c": [f"cee{i}" for i in range(6)] + base[6:34] + [f"bee{i}" for i in range(6)],
    }
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = [
        {
            "post_id": f"{acc}{day}",
            "account_id": acc,
            "timestamp": t0 + dt.timedelta(days=day, seconds=10 * i),
            "text": " ".join(words),
            "urls": [f"https://example.org/{day}"] if acc != "b" else [],
        }
        for day in range(6)
        for i, (acc, words) in enumerate(texts.items())
    ]
    options = ic.DetectOptions(
        kinds=("url", "neartext"),
        min_participation=1,
        min_weight=1,
        min_occasions=1,
        max_q=None,
        similarity=0.6,
    )
    result = ic.detect(pa.Table.from_pylist(rows), options=options)
    assert result.summary["text_pairs_below_similarity"] == 6
    by_kind: dict[str, set[tuple[str, str]]] = {}
    for e in result.evidence.to_pylist():
        by_kind.setdefault(e["kind"], set()).add((e["account_a"], e["account_b"]))
    assert by_kind == {"neartext": {("a", "b"), ("b", "c")}, "url": {("a", "c")}}
    near = result.evidence.filter(pc.equal(result.evidence.column("kind"), "neartext"))
    assert min(near.column("similarity").to_pylist()) >= 0.6


@pytest.mark.parametrize("kinds", [("neartext",), ("url", "neartext")])
def test_near_duplicates_of_texts_too_short_for_any_action(kinds: tuple[str, ...]) -> None:
    """Every text too short: no actions at all, and the similarity check has nothing to look
    at. An empty result, not an SQL error (the check's kind codes were empty)."""
    import datetime as dt

    import inconcert as ic

    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = [
        {
            "post_id": f"p{i}",
            "account_id": f"a{i % 3}",
            "timestamp": t0 + dt.timedelta(seconds=i),
            "text": "hi",
        }
        for i in range(6)
    ]
    result = ic.detect(pa.Table.from_pylist(rows), options=DetectOptions(kinds=kinds))
    assert result.edges.num_rows == 0 and result.evidence.num_rows == 0
    assert result.summary["actions"]["posts_with_actions"] == 0


# --- the vectorised helpers against plain reference implementations -------------------------

_EMPTY = np.iinfo(np.uint32).max


def _densify_reference(sig: np.ndarray) -> np.ndarray:
    """Each empty bin takes the next non-empty bin of its row (circularly) plus the distance
    times 0x9E3779B1, modulo 2^32; rows without a non-empty bin stay as they are."""
    out = sig.copy()
    k = sig.shape[1]
    for r in range(sig.shape[0]):
        full = [c for c in range(k) if sig[r, c] != _EMPTY]
        if not full:
            continue
        for c in range(k):
            if sig[r, c] == _EMPTY:
                dist = next(d for d in range(1, k) if (c + d) % k in full)
                value = int(sig[r, (c + dist) % k]) + dist * 0x9E3779B1
                out[r, c] = value % 2**32
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 12),
    bins=st.sampled_from([16, 32, 128]),
    empty_share=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
    seed=st.integers(0, 10_000),
)
def test_densify_fills_each_empty_bin_from_the_next_full_one(
    rows: int, bins: int, empty_share: float, seed: int
) -> None:
    from inconcert.neartext import _densify

    rng = np.random.default_rng(seed)
    sig = rng.integers(0, _EMPTY, (rows, bins), dtype=np.uint32)
    sig[rng.random((rows, bins)) < empty_share] = _EMPTY
    assert np.array_equal(_densify(sig), _densify_reference(sig))


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=60),
    repeat=st.integers(1, 4),
    low_bits_only=st.booleans(),
)
def test_bucket_order_is_the_stable_argsort(
    keys: list[int], repeat: int, low_bits_only: bool
) -> None:
    """Also when keys differ only in the low bits the packed sort drops (its fallback)."""
    from inconcert.neartext import _stable_order

    values = [k & 0xFF if low_bits_only else k for k in keys] * repeat
    key = np.array(values, dtype=np.uint64)
    expected = np.argsort(key, kind="stable")
    assert np.array_equal(_stable_order(key), expected)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    threshold=st.sampled_from([0.5, 0.7, 0.9]),
    k=st.sampled_from([16, 128]),
)
def test_first_look_never_sees_a_pair_less_alike_and_verdicts_use_the_full_bins(
    seed: int, threshold: float, k: int
) -> None:
    """The folded first look counts equal folded bins exactly, never fewer than the equal
    first 32 bins (bins that differ but fold equal count as equal there); the verdict is the
    rule on the full bins: the first 32 within 0.3 of the threshold, all of them reaching it."""
    from inconcert.neartext import _equal_bytes, _folded, _similar_pairs

    rng = np.random.default_rng(seed)
    n, first = 40, min(k, 32)
    base = rng.integers(0, 2**32, k, dtype=np.uint32)
    sig = np.tile(base, (n, 1))
    for r in range(n):  # each row differs from the base in a random share of its bins
        changed = rng.random(k) < rng.random()
        sig[r, changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
    # bins that differ in 32 bits but fold equal (the XOR of their four bytes is unchanged)
    sig[1, :first] = sig[0, :first] ^ np.uint32(0x00010001)
    folded = _folded(sig)
    columns = [np.ascontiguousarray(c) for c in folded.T]
    as_bytes = folded.view(np.uint8)
    assert as_bytes.shape == (n, first)
    for d in (1, 2, 5):
        looked = _equal_bytes(columns, d)
        exact = (sig[:-d, :first] == sig[d:, :first]).sum(axis=1)
        assert np.array_equal(looked, (as_bytes[:-d] == as_bytes[d:]).sum(axis=1))
        assert (looked >= exact).all()
    assert _equal_bytes(columns, 1)[0] == first and (sig[0, :first] != sig[1, :first]).all()
    i, j = np.triu_indices(n, 1)
    got = _similar_pairs(sig, i, j, threshold)
    full = (sig[i] == sig[j]).mean(axis=1)
    if k > 32:
        rough = (sig[i, :32] == sig[j, :32]).mean(axis=1)
        expected = (rough >= threshold - 0.3) & (full >= threshold - 1e-12)
    else:
        expected = full >= threshold - 1e-12
    assert np.array_equal(got, expected)


@settings(max_examples=40, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["", " ", "  ", "\n"]), st.booleans()),
        min_size=0,
        max_size=40,
    )
)
def test_cluster_table_counts_and_representative_follow_their_rule(
    picks: list[tuple[int, str, bool]],
) -> None:
    """Posts per cluster, distinct normalised variants, and the representative: the variant
    with most posts (ties: first in sorted order), as most of its posts write it (ties: first
    in sorted order)."""
    pool = [
        BASE,
        BASE.replace("quietly", "secretly"),
        BASE.replace("night", "week"),
        "Heavy rain is expected across the north of the country on Sunday afternoon",
        "Heavy rain is expected across the south of the country on Sunday afternoon",
        "short",
    ]
    texts: list[str] = [(pool[p].upper() if upper else pool[p]) + pad for p, pad, upper in picks]
    result = cluster_texts(texts)
    labels = result.labels.to_pylist()
    expected = {}
    for label in {lab for lab in labels if lab is not None}:
        mine = [t for t, lab in zip(texts, labels, strict=True) if lab == label]
        if len(mine) < 2:
            continue
        norm = [normalize_text(t) for t in mine]
        top = sorted(set(norm), key=lambda v: (-norm.count(v), v))[0]
        written = [t for t, v in zip(mine, norm, strict=True) if v == top]
        rep = sorted(set(written), key=lambda w: (-written.count(w), w))[0]
        expected[label] = (rep, len(set(norm)), len(mine))
    got = {
        row["object_id"]: (row["representative"], row["variants"], row["posts"])
        for row in result.clusters.to_pylist()
    }
    assert got == expected
    for label in {lab for lab in labels if lab is not None}:  # the smallest member's text id
        members = {normalize_text(t) for t, lab in zip(texts, labels, strict=True) if lab == label}
        ids = [hashlib.sha256(m.encode("utf-8")).hexdigest()[:32] for m in members]
        assert label == min(ids)
    posts = [row["posts"] for row in result.clusters.to_pylist()]
    assert posts == sorted(posts, reverse=True)


def _link_reference(sig: np.ndarray, opts: NearTextOptions) -> tuple[list[int], int, int]:
    """LSH clustering written plainly: in each band, the rows with equal bins form a bucket
    (rows in ascending order); each row is paired with the next ``max_bucket_neighbours`` of
    its bucket; pairs of rows already in one cluster (at the band's start) are not verified; a
    pair is similar when its first 32 bins agree to within 0.3 of the threshold (with more than
    32 bins) and all its bins reach the threshold; a cluster is named by its smallest row."""
    n, k = sig.shape
    comp = list(range(n))

    def find(r: int) -> int:
        while comp[r] != r:
            r = comp[r]
        return r

    checked = similar = 0
    for band in range(opts.bands):
        at_start = [find(r) for r in range(n)]
        buckets: dict[bytes, list[int]] = {}
        for r in range(n):
            buckets.setdefault(sig[r, band * opts.rows : (band + 1) * opts.rows].tobytes(), [])
            buckets[sig[r, band * opts.rows : (band + 1) * opts.rows].tobytes()].append(r)
        joined = []
        for rows in buckets.values():
            for i, a in enumerate(rows):
                for b in rows[i + 1 : i + 1 + opts.max_bucket_neighbours]:
                    if at_start[a] == at_start[b]:
                        continue
                    checked += 1
                    first = float(np.mean(sig[a, :32] == sig[b, :32]))
                    full = float(np.mean(sig[a] == sig[b]))
                    if (
                        k <= 32 or first >= opts.threshold - 0.3
                    ) and full >= opts.threshold - 1e-12:
                        similar += 1
                        joined.append((a, b))
        for a, b in joined:
            ra, rb = find(a), find(b)
            comp[max(ra, rb)] = min(ra, rb)
    return [find(r) for r in range(n)], checked, similar


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    num_perm=st.sampled_from([16, 32, 128, 256]),
    threshold=st.sampled_from([0.5, 0.7, 0.9]),
)
def test_lsh_clustering_equals_its_plain_definition(
    seed: int, num_perm: int, threshold: float
) -> None:
    """Families of rows (a template, each copy with a random share of bins changed) beside
    unrelated rows, with "stop-word" bins: a few values that most rows share in some bands,
    which make buckets far larger than the neighbours looked at."""
    from inconcert.neartext import _link

    rng = np.random.default_rng(seed)
    rows = 4 if num_perm in (16, 256) else 5  # 256: 64 bands, more than hashed at once
    opts = NearTextOptions(
        num_perm=num_perm,
        bands=num_perm // rows,
        rows=rows,
        threshold=threshold,
        max_bucket_neighbours=3,
    )
    parts = []
    for _ in range(12):
        template = rng.integers(0, 2**32, num_perm, dtype=np.uint32)
        family = np.tile(template, (int(rng.integers(1, 12)), 1))
        changed = rng.random(family.shape) < rng.random((family.shape[0], 1)) * 0.4
        family[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
        parts.append(family)
    sig = np.concatenate(parts)
    common = rng.integers(0, 2**32, num_perm, dtype=np.uint32)
    for r in np.flatnonzero(rng.random(sig.shape[0]) < 0.5):  # half the rows, in 30% of bands
        for band in np.flatnonzero(rng.random(opts.bands) < 0.3):
            cols = slice(band * rows, (band + 1) * rows)
            sig[r, cols] = common[cols]
    sig = sig[rng.permutation(sig.shape[0])]
    comp, checked, similar = _link(sig, opts)
    assert (comp.tolist(), checked, similar) == _link_reference(sig, opts)


def _signature_reference(text: str, opts: NearTextOptions) -> np.ndarray:
    """One text's signature written plainly: its k-grams of code points (k = the CJK shingle
    when most of its characters are CJK, at most its length), each hashed by the polynomial
    of its code points and SplitMix64; the top bits choose the bin, the next 32 bits are the
    value; each bin keeps its smallest value; then the empty bins are filled (densified)."""
    mask = 2**64 - 1

    def splitmix(x: int) -> int:
        x = (x + 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    seed = splitmix(opts.seed)
    cps = [ord(c) for c in text]
    cjk = sum(bool(_is_cjk_reference(c)) for c in cps)
    k = opts.cjk_shingle if cps and cjk / len(cps) > 0.5 else opts.shingle
    k = min(k, max(len(cps), 1))
    bits = opts.num_perm.bit_length() - 1
    sig = np.full((1, opts.num_perm), _EMPTY, dtype=np.uint32)
    for start in range(0, len(cps) - k + 1):
        h = (cps[start] + seed) & mask
        for cp in cps[start + 1 : start + k]:
            h = (h * 0x100000001B3 + cp) & mask
        h = splitmix(h)
        b, value = h >> (64 - bits), (h >> (32 - bits)) & 0xFFFFFFFF
        sig[0, b] = min(int(sig[0, b]), value)
    return _densify_reference(sig)[0]


def _is_cjk_reference(cp: int) -> bool:
    ranges = [(0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
              (0xF900, 0xFAFF), (0x20000, 0x2FA1F)]  # fmt: skip
    return any(lo <= cp <= hi for lo, hi in ranges)


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet="abcdefg hij 中文字日本語한국어", min_size=0, max_size=40),
        min_size=1,
        max_size=8,
    ),
    num_perm=st.sampled_from([16, 128]),
)
def test_signatures_equal_their_plain_definition(texts: list[str], num_perm: int) -> None:
    """Batches of texts in Latin, CJK, both, short and empty: one k for a whole chunk, or
    several."""
    opts = NearTextOptions(num_perm=num_perm, bands=num_perm // 8, rows=8)
    got = minhash_signatures(texts, opts)
    for row, text in zip(got, texts, strict=True):
        assert np.array_equal(row, _signature_reference(text, opts))
    with mock.patch.object(neartext, "_CHUNK_CHARS", 30):  # many chunks, of mixed k or not
        assert np.array_equal(minhash_signatures(texts, opts), got)
