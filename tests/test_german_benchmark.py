"""The German vignette benchmark (benchmarks/german_vignette.py and coortweet_german.R): when
its CooRTweet variant cannot run it says why, its R driver runs the four kinds and reports what
the timing needs, checked against a stand-in checkout (CooRTweet itself is not available to the
tests), and a negative --warmup is refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import load_benchmark

german = load_benchmark("german_vignette")

#: A stand-in for CooRTweet's R/ folder: the files the driver sources, with functions that do
#: the smallest thing of the same shape (prep_data renames in place, as CooRTweet's does).
STAND_IN = {
    "prep_data.R": """
prep_data <- function(x, object_id, account_id, content_id, timestamp_share) {
  setnames(x, c(object_id, content_id, timestamp_share), c("object_id", "content_id",
           "timestamp_share"))
  x[, c("object_id", "account_id", "content_id", "timestamp_share")]
}""",
    "detect_groups.R": """
detect_groups <- function(x, time_window, min_participation) {
  stopifnot(time_window == 30, min_participation == 2)
  x[, .(n = .N), by = .(object_id)][n >= 2]
}""",
    "generate_coordinated_network.R": """
generate_coordinated_network <- function(x, edge_weight, subgraph) {
  igraph::make_graph(c(1, 2, 2, 3), directed = FALSE)
}""",
}


def _r_ready() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = ["Rscript", "-e", "library(data.table); library(igraph)"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def test_the_coortweet_variant_says_why_it_cannot_run(tmp_path: Path) -> None:
    assert "no --coortweet" in str(german._coortweet_missing(None, 1))
    assert "--scale 1" in str(german._coortweet_missing(str(tmp_path), 4))
    assert "not a CooRTweet checkout" in str(german._coortweet_missing(str(tmp_path), 1))


@pytest.mark.skipif(not _r_ready(), reason="Rscript with data.table and igraph is not installed")
def test_the_r_driver_runs_the_four_kinds_and_reports_json(tmp_path: Path) -> None:
    checkout = tmp_path / "CooRTweet"
    (checkout / "R").mkdir(parents=True)
    for name in (
        "globals.R",
        "calc_group_combinations.R",
        "flag_speed_share.R",
        "account_stats.R",
        "group_stats.r",
    ):
        (checkout / "R" / name).write_text("# not used by the workflow\n")
    for name, code in STAND_IN.items():
        (checkout / "R" / name).write_text(code)
    data = tmp_path / "german.csv"
    data.write_text(
        "account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp\n"
        "a,1,7,,3,,100\n"
        "b,2,7,5,3,,110\n"
        "c,3,,5,4,9,120\n"
    )
    proc = subprocess.run(
        ["Rscript", str(german.R_SCRIPT), str(checkout), str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # url 7 and domain 3 are shared by two posts each; hashtag 5 too; image 9 once
    assert out["rows"] == 3
    assert (out["vertices"], out["edges"]) == (3, 2)
    assert 0 <= out["detect_s"] <= out["workflow_s"]


def test_the_r_driver_names_a_folder_that_is_no_checkout(tmp_path: Path) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    proc = subprocess.run(
        ["Rscript", str(german.R_SCRIPT), str(tmp_path), str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "is " + str(tmp_path) + " a CooRTweet checkout?" in proc.stderr


def test_a_negative_warmup_is_refused_before_anything_runs() -> None:
    script = Path(german.__file__)
    run = subprocess.run(
        [sys.executable, str(script), "--warmup", "-1"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert "--warmup: 0 or more runs, not -1" in run.stderr
