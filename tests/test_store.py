"""The prepared store (issue 10): read and make the actions once, detect many times, with the
tables of a run from the inputs."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from inconcert import DetectOptions, detect
from inconcert.errors import InputError, OutputError, ParameterError
from inconcert.simulate import simulate
from inconcert.store import STORE_FILE, for_run, is_store, open_store, prepare, save_store

from .helpers import T0

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GERMAN = SHARED / "data" / "german_elections.parquet"
OBJECTS = {"url_id": "url", "domain_id": "domain", "hashtag_id": "hashtag", "phash_id": "image"}
TABLES = ("edges", "accounts", "groups", "evidence")
runner = CliRunner()


@pytest.fixture(scope="module")
def posts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = simulate(n_organic=300, n_groups=4, days=7, viral_bursts=2, breaking_news=2, seed=3)
    path = tmp_path_factory.mktemp("sim") / "posts.parquet"
    pq.write_table(sim.posts, path)
    return path


def _same(a: object, b: object) -> None:
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        assert x.equals(y), name
    assert a.summary == b.summary  # type: ignore[attr-defined]
    assert a.warnings == b.warnings  # type: ignore[attr-defined]


KINDS = ("repost", "url", "domain", "hashtag", "text", "neartext")


def test_a_store_gives_the_tables_of_a_run_from_the_inputs(
    posts_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = DetectOptions(kinds=KINDS, max_q=1.0)
    direct = detect([posts_file], options=options)
    assert direct.edges.num_rows > 20
    prepared = prepare([posts_file], options=options)
    distinct = prepared.stats.clusters["neartext"]._signatures.shape[0]  # type: ignore[union-attr]
    # the run reads the posts from the file, in row groups read in parallel: in any order
    monkeypatch.setattr("inconcert.store.ROW_GROUP_ROWS", 97)
    store = save_store(prepared, tmp_path / "store")
    assert pq.ParquetFile(store / "posts.parquet").metadata.num_row_groups > 10
    assert is_store(store) and not is_store(posts_file)
    # only the signatures of texts in clusters of several posts are kept
    assert 0 < np.load(store / "neartext-vectors.npy").shape[0] < distinct
    again = detect(store, options=options)
    _same(direct, again)
    assert again.ingested is not None and direct.ingested is not None
    assert again.ingested.files == direct.ingested.files  # the inputs' paths and hashes
    assert again.ingested.rejects.equals(direct.ingested.rejects)
    assert again.store is not None and again.store["path"] == str(store)
    # the neartext pairs were checked text by text from the stored signatures
    assert "neartext" in set(again.evidence.column("kind").to_pylist())


def test_a_store_keeps_its_actions_coded_for_a_run_on_all_its_kinds(
    posts_file: Path, tmp_path: Path
) -> None:
    """The ids, times and codes a run gives the actions are in the store, and a run on all its
    kinds loads them as they are; a run on fewer kinds codes its own."""
    from inconcert.stages.coactions import code_actions

    prepared = prepare([posts_file], options=DetectOptions(kinds=("url", "hashtag")))
    want = code_actions(prepared.actions)  # type: ignore[arg-type]
    folder = save_store(prepared, tmp_path / "s")
    store = open_store(folder)
    assert store.coded is not None and store.actions is None  # read when asked for
    stored = pq.read_table(store.coded.path, columns=list(want[0].column_names))
    assert stored.cast(want[0].schema).equals(want[0]) and store.coded.kind_codes == want[1]
    assert store.actions_table().equals(prepared.actions)
    assert store.take_coded() is not None and store.actions is None  # taken together
    fewer, _ = for_run(open_store(folder), DetectOptions(kinds=("url",)), given={"kinds"})
    assert fewer.coded is None and fewer.actions is not None


@pytest.mark.parametrize("kinds", [("url",), ("neartext", "hashtag"), ("text", "repost")])
def test_fewer_kinds_from_a_store_are_a_run_with_those_kinds(
    posts_file: Path, tmp_path: Path, kinds: tuple[str, ...]
) -> None:
    store = save_store(prepare([posts_file], options=DetectOptions(kinds=KINDS)), tmp_path / "s")
    options = DetectOptions(kinds=kinds, max_q=1.0)
    _same(detect([posts_file], options=options), detect(store, options=options))


def test_a_store_keeps_its_action_parameters(posts_file: Path, tmp_path: Path) -> None:
    made = DetectOptions(kinds=("text", "neartext", "url"), similarity=0.8, seed=5)
    store = save_store(prepare([posts_file], options=made), tmp_path / "s")
    # left at their defaults, the options take the store's values
    run = detect(store, options=DetectOptions(max_q=1.0))
    assert run.options.similarity == 0.8 and run.options.kinds == made.kinds
    assert run.options.seed == 5
    _same(run, detect([posts_file], options=replace(made, max_q=1.0)))
    with pytest.raises(ParameterError, match=r"similarity.*prepare it again"):
        detect(store, options=DetectOptions(similarity=0.9))
    with pytest.raises(ParameterError, match=r"seed.*prepare it again"):
        detect(store, options=DetectOptions(seed=7, kinds=("neartext",)))
    assert detect(store, options=DetectOptions(seed=7, kinds=("url",))).options.seed == 7
    with pytest.raises(ParameterError, match=r"kinds the store .* holds \(url, text, neartext\)"):
        detect(store, options=DetectOptions(kinds=("url", "hashtag")))


def test_a_store_from_an_actions_table(tmp_path: Path) -> None:
    rows = []
    for day in range(4):
        for j, account in enumerate("abcd"):
            for kind in ("url", "hashtag"):
                rows.append(
                    {
                        "account_id": account,
                        "kind": kind,
                        "object_id": f"{kind}{day}",
                        "timestamp": T0.replace(day=1 + day, second=j),
                        "post_id": f"{account}{day}",
                    }
                )
    path = tmp_path / "actions.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    options = DetectOptions(max_q=1.0, min_occasions=1)
    store = save_store(prepare([path], options=options), tmp_path / "store")
    assert not (store / "posts.parquet").exists()
    _same(detect([path], options=options), detect(store, options=options))
    one = DetectOptions(max_q=1.0, min_occasions=1, kinds=("hashtag",))
    _same(detect([path], options=one), detect(store, options=one))


def test_the_german_vignette_from_a_store(tmp_path: Path) -> None:
    if not GERMAN.exists():
        pytest.skip("../shared/data is not beside the repo")
    options = DetectOptions(window=30)
    direct = detect([GERMAN], objects=OBJECTS, options=options)
    store = save_store(prepare([GERMAN], objects=OBJECTS, options=options), tmp_path / "st")
    _same(direct, detect(store, options=options))


def test_a_store_replaced_during_a_run_stops_the_run(
    posts_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose store is prepared again into its folder meanwhile (its posts are read from
    the file as the stages need them) says so rather than mixing two stores."""
    from inconcert.stages import edges

    options = DetectOptions(kinds=("url",))
    target = save_store(prepare([posts_file], options=options), tmp_path / "store")
    sim = simulate(n_organic=200, n_groups=3, days=5, seed=11)
    other = tmp_path / "other.parquet"
    pq.write_table(sim.posts, other)
    build = edges.build

    def replacing(*args: object, **kwargs: object) -> object:
        save_store(prepare([other], options=options), target, overwrite=True)
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(edges, "build", replacing)
    with pytest.raises(InputError, match="replaced or changed while this run read it"):
        detect(target, options=options)
    monkeypatch.setattr(edges, "build", build)
    rerun = detect(target, options=options)  # the new store, whole
    assert rerun.summary["actions"]["posts"] == sim.posts.num_rows


def test_a_store_file_rewritten_before_its_rejects_are_read_is_refused(
    posts_file: Path, tmp_path: Path
) -> None:
    target = save_store(prepare([posts_file]), tmp_path / "store")
    opened = open_store(target)
    opened.check_unchanged()
    rejects = target / "rejects.parquet"
    pq.write_table(pq.read_table(rejects), rejects)  # the same rows, another file
    with pytest.raises(InputError, match=r"rejects\.parquet is no longer the file it opened"):
        assert opened.ingested.rejects.num_rows >= 0
    with pytest.raises(InputError, match="replaced or changed"):
        opened.check_unchanged()


def test_a_store_is_written_whole_and_replaced_only_when_asked(
    posts_file: Path, tmp_path: Path
) -> None:
    options = DetectOptions(kinds=("url",))
    target = tmp_path / "store"
    save_store(prepare([posts_file], options=options), target)
    before = (target / STORE_FILE).read_bytes()
    with pytest.raises(OutputError, match="already holds a store"):
        save_store(prepare([posts_file], options=options), target)
    assert (target / STORE_FILE).read_bytes() == before
    save_store(
        prepare([posts_file], options=DetectOptions(kinds=("hashtag",))), target, overwrite=True
    )
    assert json.loads((target / STORE_FILE).read_text())["kinds"] == ["hashtag"]
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no staging folder left
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty and holds no store"):
        save_store(prepare([posts_file], options=options), other, overwrite=True)
    assert (other / "notes.txt").read_text() == "mine"


def test_a_damaged_store_is_an_error_naming_the_file(posts_file: Path, tmp_path: Path) -> None:
    store = save_store(prepare([posts_file], options=DetectOptions(kinds=("url",))), tmp_path / "s")
    posts = store / "posts.parquet"
    data = posts.read_bytes()
    posts.write_bytes(data[:-10])
    with pytest.raises(InputError, match=r"posts\.parquet.*it was changed"):
        open_store(store)
    posts.unlink()
    with pytest.raises(InputError, match=r"posts\.parquet.*missing from the store"):
        open_store(store)
    posts.write_bytes(data)
    meta = json.loads((store / STORE_FILE).read_text())
    (store / STORE_FILE).write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(InputError, match="format version 99"):
        open_store(store)
    (store / STORE_FILE).write_text("{")
    with pytest.raises(InputError, match="store's description"):
        open_store(store)
    with pytest.raises(InputError, match="is not a store"):
        open_store(tmp_path)
    (store / STORE_FILE).write_text(json.dumps({k: v for k, v in meta.items() if k != "kinds"}))
    with pytest.raises(InputError, match="not a complete store description"):
        open_store(store)


def test_reading_options_do_not_apply_to_a_store(posts_file: Path, tmp_path: Path) -> None:
    store = save_store(prepare([posts_file], options=DetectOptions(kinds=("url",))), tmp_path / "s")
    with pytest.raises(ParameterError, match="none for a store"):
        detect(store, mapping={"post_id": "id"})


def test_paraphrase_clusters_go_through_a_store(tmp_path: Path) -> None:
    """The paraphrase kind needs the embed extra; its clusters' round trip does not: labels,
    clusters, embeddings and the cosine of any two texts come back the same."""
    from inconcert.neartext import cluster_texts
    from inconcert.paraphrase import ParaphraseClusters
    from inconcert.store import Prepared, _open_similar, _similar_counts, _write_similar

    texts = pa.array(["the cat sat on the mat today", "the cat sat on a mat today", None, "x"])
    near = cluster_texts(texts)
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(3, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    para = ParaphraseClusters(
        labels=pa.array(["p0", "p0", None, "p2"]),
        clusters=pa.table({"object_id": ["p0"], "representative": ["the cat"], "posts": [2]}),
        near=near,
        embedded=3,
        similar_pairs=1,
        _embeddings=emb,
        _row_of_text=np.array([0, 1, -1, 2]),
    )
    _write_similar("paraphrase", para, tmp_path)
    back = _open_similar(
        "paraphrase",
        tmp_path,
        lambda name, *_: pq.read_table(tmp_path / name),
        _similar_counts("paraphrase", para),
        4,
        {},
    )
    assert isinstance(back, ParaphraseClusters) and Prepared is not None
    assert back.labels.equals(para.labels) and back.clusters.equals(para.clusters)
    i, j = np.array([0, 0, 1, 2]), np.array([1, 3, 3, 0])
    assert np.array_equal(back.similarity(i, j), para.similarity(i, j), equal_nan=True)
    assert (back.embedded, back.similar_pairs) == (3, 1)


def test_prepare_then_detect_on_the_command_line(posts_file: Path, tmp_path: Path) -> None:
    # folder names longer than the 80 columns of a console that is not a terminal: the lines
    # naming them must not be broken inside a path (a log, or a command copied from it)
    store = tmp_path / f"my store-{'s' * 80}"  # a space: the printed command quotes it
    direct, again = tmp_path / "direct", tmp_path / f"again-{'a' * 80}"
    kinds = ["--kinds", "url,hashtag,text"]
    done = runner.invoke(app_(), ["prepare", str(posts_file), "--out", str(store), *kinds])
    assert done.exit_code == 0, done.output
    command = f"inconcert detect {shlex.quote(str(store))} --out RESULT"
    assert f"prepared {store}/: detect on it" in done.output and f"with: {command}\n" in (
        done.output
    )
    for out, source, quiet in ((direct, posts_file, ["-q"]), (again, store, [])):
        done = runner.invoke(
            app_(), ["detect", str(source), "--out", str(out), *kinds, "--max-q", "1", *quiet]
        )
        assert done.exit_code == 0, done.output
    assert f"results in {again}/ (edges.csv," in done.output
    for name in ("edges.csv", "accounts.csv", "groups.csv", "evidence.parquet"):
        assert (direct / name).read_bytes() == (again / name).read_bytes(), name
    manifest = json.loads((again / "manifest.json").read_text())
    assert manifest["store"]["path"] == str(store)
    assert manifest["inputs"][0]["path"] == str(posts_file)
    assert manifest["inputs"] == json.loads((direct / "manifest.json").read_text())["inputs"]
    # a second prepare into the same folder needs --overwrite
    done = runner.invoke(app_(), ["prepare", str(posts_file), "--out", str(store)])
    assert done.exit_code == 2 and "already holds a store" in " ".join(done.output.split())
    # reading options with a store are an error, before anything runs
    done = runner.invoke(
        app_(), ["detect", str(store), "--out", str(tmp_path / "x"), "--map", "post_id=id"]
    )
    assert done.exit_code == 2 and "none for a store" in " ".join(done.output.split())


def app_() -> object:
    from inconcert.cli import app

    return app


def test_prepare_on_input_that_gives_nothing_exits_3_and_writes_no_store(tmp_path: Path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text("post_id,account_id,timestamp\np1,a,not a time\np2,b,\n")
    store = tmp_path / "store"
    done = runner.invoke(app_(), ["prepare", str(posts), "--out", str(store), "-q"])
    assert done.exit_code == 3, done.output
    assert "nothing to analyse" in " ".join(done.output.split())
    assert not store.exists()
    # and a store path that is a file is refused before anything is read
    (tmp_path / "file").write_text("x")
    done = runner.invoke(app_(), ["prepare", str(posts), "--out", str(tmp_path / "file")])
    assert done.exit_code == 2 and "is not a folder" in " ".join(done.output.split())


@pytest.mark.parametrize(
    "writer", ["write_twitter_v2", "write_telegram_desktop", "write_mastodon", "write_4cat_twitter"]
)
def test_platform_exports_through_a_store(writer: str, tmp_path: Path) -> None:
    """Exports with account names, permalinks and embedded originals (references): the
    evidence's texts, links and object authors come out the same from a store, whose posts
    keep the texts and links of only the posts a run can cite."""
    from tests import platform_samples as ps

    src = getattr(ps, writer)(ps.outside(ps.world()), tmp_path / "in")
    kinds = ("repost", "quote", "reply", "url", "hashtag", "mention", "text")
    made = DetectOptions(kinds=kinds, max_q=1.0, min_occasions=1)
    store = save_store(prepare([src], options=made), tmp_path / "store")
    for run in (made, DetectOptions(kinds=("repost",), max_q=1.0, min_occasions=1)):
        direct, again = detect([src], options=run), detect(store, options=run)
        _same(direct, again)
        assert direct.evidence.num_rows > 0
    few = DetectOptions(kinds=("repost", "mention"), max_q=1.0, min_occasions=1)
    store = save_store(prepare([src], options=few), tmp_path / "store", overwrite=True)
    _same(detect([src], options=few), detect(store, options=few))
    posts = pq.read_table(store / "posts.parquet")
    assert posts.column("text").null_count > 0  # texts no run can cite are left out


def test_an_action_parameter_that_does_not_matter_keeps_the_runs_value(
    posts_file: Path, tmp_path: Path
) -> None:
    """The seed of a store made for kinds without text similarity is not the run's: the
    communities are seeded by the run's own (review of the store)."""
    kinds = ("url", "text", "hashtag", "repost")
    store = save_store(
        prepare([posts_file], options=DetectOptions(kinds=kinds, seed=5)), tmp_path / "s"
    )
    run = DetectOptions(kinds=kinds, max_q=1.0)
    _same(detect([posts_file], options=run), detect(store, options=run))


def test_the_command_line_tells_a_default_value_given_from_one_left_out(
    posts_file: Path, tmp_path: Path
) -> None:
    made = DetectOptions(kinds=("url", "hashtag", "neartext", "repost", "quote"), similarity=0.8)
    store = save_store(prepare([posts_file], options=made), tmp_path / "store")
    out = tmp_path / "out"
    done = runner.invoke(
        app_(), ["detect", str(store), "--out", str(out), "--similarity", "0.7", "-q"]
    )
    assert done.exit_code == 2 and "prepare it again" in " ".join(done.output.split())
    # the default kinds, named: exactly those of them the store holds... and none it lacks
    done = runner.invoke(
        app_(), ["detect", str(store), "--out", str(out), "--kinds", "url,hashtag", "-q"]
    )
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["kinds"] == ["url", "hashtag"]
    assert manifest["parameters"]["similarity"] == 0.7  # neartext is not compared
    done = runner.invoke(app_(), ["detect", str(store), "--out", str(out), "--overwrite", "-q"])
    assert done.exit_code == 0, done.output  # no --kinds: the store's
    assert json.loads((out / "manifest.json").read_text())["parameters"]["kinds"] == list(
        made.kinds
    )
    default = ",".join(DetectOptions().kinds)  # named: the store lacks image and object
    done = runner.invoke(
        app_(), ["detect", str(store), "--out", str(out), "--overwrite", "--kinds", default]
    )
    assert done.exit_code == 2 and "image" in " ".join(done.output.split())
    done = runner.invoke(
        app_(),
        ["detect", str(store), "--out", str(out), "--overwrite", "-q", "--kinds", "neartext"],
    )
    assert done.exit_code == 0, done.output
    assert json.loads((out / "manifest.json").read_text())["parameters"]["similarity"] == 0.8


@pytest.mark.parametrize("share", ["5", "-0.5"])
def test_a_store_run_checks_the_reject_warning_share(
    posts_file: Path, tmp_path: Path, share: str
) -> None:
    """The share of rejected rows that warns applies to a store's run too (its reads are
    reported), so it is checked there as on a run from the posts."""
    store = save_store(prepare([posts_file]), tmp_path / "store")
    out = tmp_path / "out"
    done = runner.invoke(
        app_(), ["detect", str(store), "--out", str(out), "--reject-warning", share, "-q"]
    )
    assert done.exit_code == 2, done.output
    assert "a share in [0, 1]" in " ".join(done.output.split())
    assert not out.exists()


def test_a_store_is_not_an_input_among_others_nor_inside_an_input_folder(
    posts_file: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "posts.parquet").write_bytes(posts_file.read_bytes())
    done = runner.invoke(app_(), ["prepare", str(data), "--out", str(data / "store")])
    assert done.exit_code == 2 and "inside the input folder" in " ".join(done.output.split())
    assert not (data / "store").exists()
    store = save_store(prepare([data], options=DetectOptions(kinds=("url",))), tmp_path / "s")
    with pytest.raises(InputError, match="read alone"):
        detect([store, posts_file])
    with pytest.raises(InputError, match="is a prepared store, not an input"):
        prepare([store])
    # a symbolic link is not replaced; a relative path is resolved
    link = tmp_path / "link"
    link.symlink_to(store)
    with pytest.raises(OutputError, match="symbolic link"):
        save_store(prepare([data], options=DetectOptions(kinds=("url",))), link, overwrite=True)
    (store / "mine.txt").write_text("x")
    with pytest.raises(OutputError, match="files that are not the store's"):
        save_store(prepare([data], options=DetectOptions(kinds=("url",))), store, overwrite=True)
    assert open_store(store).store["path"] == str(store.resolve())  # type: ignore[index]


def _damage(store: Path, change: object) -> None:
    meta = json.loads((store / STORE_FILE).read_text())
    change(meta)  # type: ignore[operator]
    (store / STORE_FILE).write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda m: m.update(version=True), "format version True"),
        (lambda m: m.update(shape="bogus"), "neither 'posts' nor 'actions'"),
        (lambda m: m.update(shortened_links=[1]), "not a complete store description"),
        (lambda m: m["parameters"].update(strip_hashtags="no"), "not true/false"),
        (lambda m: m["actions"].update(posts="many"), "not a count"),
        (lambda m: m["actions"]["actions_by_kind"].update(url=1), "rows, the store's description"),
        (lambda m: m["actions"].update(posts=3), "rows, the store's description 3"),
        (lambda m: m["files"].update({"../x": {"bytes": 1}}), "not a file name of the store"),
        (lambda m: m["files"].pop("posts.parquet"), "posts.parquet: is missing from the store's"),
        (lambda m: m.update(kind_codes={"url": 1}), "are not codes 0, 1, ... of its kinds"),
        (lambda m: m.update(kind_codes={"hashtag": 0}), "are not codes 0, 1, ... of its kinds"),
        (lambda m: m.pop("kind_codes"), "not a complete store description"),
        (lambda m: m.update(version=1), "format version 1; this inconcert reads version 2"),
    ],
)
def test_a_damaged_description_is_an_error_naming_the_file(
    posts_file: Path, tmp_path: Path, change: object, needle: str
) -> None:
    store = save_store(prepare([posts_file], options=DetectOptions(kinds=("url",))), tmp_path / "s")
    _damage(store, change)
    with pytest.raises(InputError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        open_store(store)


@pytest.mark.parametrize("name", ["actions.parquet", "posts.parquet"])
def test_a_store_file_damaged_inside_is_an_error_naming_it(
    posts_file: Path, tmp_path: Path, name: str
) -> None:
    """The engine reads the actions and posts files itself, when the run needs them: a file
    damaged at the same size (its description still matches) is an error naming it."""
    options = DetectOptions(kinds=("url", "hashtag"))
    store = save_store(prepare([posts_file], options=options), tmp_path / "s")
    file = store / name
    data = bytearray(file.read_bytes())
    meta = pq.read_metadata(file)
    start = meta.row_group(0).column(1).data_page_offset  # the second column's first page
    data[start : start + 64] = bytes(64)
    file.write_bytes(bytes(data))
    with pytest.raises(InputError, match=rf"{name}: cannot be read: .*prepare the store again"):
        detect(store, options=replace(options, max_q=1.0))


def test_damaged_store_files_are_errors_naming_the_file(posts_file: Path, tmp_path: Path) -> None:
    options = DetectOptions(kinds=("url", "neartext"))
    store = save_store(prepare([posts_file], options=options), tmp_path / "s")
    # another table of the same size in place of the rejects
    rejects = store / "rejects.parquet"
    other = pa.table({"x": pa.array([1], pa.int64())})
    pq.write_table(other, rejects)
    _damage(store, lambda m: m["files"]["rejects.parquet"].update(bytes=rejects.stat().st_size))
    with pytest.raises(InputError, match=r"rejects\.parquet: does not hold the store's columns"):
        _ = open_store(store).ingested.rejects
    # signatures that do not reach every row
    vectors = store / "neartext-vectors.npy"
    np.save(vectors, np.zeros((1, 4), np.uint32))
    _damage(
        store, lambda m: m["files"]["neartext-vectors.npy"].update(bytes=vectors.stat().st_size)
    )
    with pytest.raises(InputError, match=r"neartext-vectors\.npy: does not hold the vectors"):
        open_store(store)


_WORDS = ["vote", "early", "today", "the", "plan", "is", "a", "fraud", "read", "this", "now"]
_post = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e"]),  # account
    st.integers(min_value=0, max_value=600),  # seconds
    st.lists(st.sampled_from(_WORDS), min_size=0, max_size=9),  # text
    st.sampled_from(["", "https://x.org/1", "https://x.org/2?utm_source=t", "bit.ly/3"]),
    st.sampled_from(["", "#vote", "#vote #now"]),
    st.integers(min_value=-1, max_value=30),  # repost of post N (-1: none)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    posts=st.lists(_post, min_size=1, max_size=40),
    made=st.sets(st.sampled_from(["repost", "url", "hashtag", "text", "neartext"]), min_size=1),
    data=st.data(),
)
def test_any_posts_through_a_store_give_the_tables_of_the_posts(
    posts: list[tuple[str, int, list[str], str, str, int]], made: set[str], data: st.DataObject
) -> None:
    """Property: for any posts, any kinds a store is made with and any of them a run asks
    for, the run from the store gives the tables, summary and warnings of the run from the
    posts."""
    import tempfile

    asked = data.draw(st.sets(st.sampled_from(sorted(made)), min_size=1))
    rows = []
    for i, (account, seconds, words, url, tags, source) in enumerate(posts):
        rows.append(
            {
                "post_id": f"p{i}",
                "account_id": account,
                "timestamp": T0.replace(hour=0) + timedelta(seconds=seconds),
                "text": " ".join(words) + (f" {tags}" if tags else ""),
                "urls": url,
                "repost_of": f"p{source}" if 0 <= source < i else "",
            }
        )
    loose = {"max_q": 1.0, "min_occasions": 1, "min_weight": 1, "min_participation": 1}
    loose |= {"window": 120.0}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.csv"
        pa_csv.write_csv(pa.Table.from_pylist(rows), path)
        store = save_store(
            prepare([path], options=DetectOptions(kinds=tuple(sorted(made)))), Path(tmp) / "s"
        )
        run = DetectOptions(kinds=tuple(sorted(asked)), **loose)  # type: ignore[arg-type]
        direct = detect([path], options=run)
        _same(direct, detect(store, options=run))
        event(f"edges: {min(direct.edges.num_rows, 3)}")


def test_a_neartext_store_of_posts_without_any_text_to_compare(tmp_path: Path) -> None:
    """Found by the property test: with no text long enough to compare there are no
    signatures, and keeping the pairable ones indexed into an empty array."""
    posts = tmp_path / "posts.csv"
    posts.write_text("post_id,account_id,timestamp,text\np0,a,2024-03-01T00:00:00Z,\n")
    options = DetectOptions(kinds=("neartext",), max_q=1.0, min_participation=1)
    store = save_store(prepare([posts], options=options), tmp_path / "s")
    assert np.load(store / "neartext-vectors.npy").shape[0] == 0
    _same(detect([posts], options=options), detect(store, options=options))
