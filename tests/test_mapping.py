"""Mapping that reaches real tables (issue 11, item 3) and exit codes that tell the truth
(item 4): dotted paths, TOML mapping files with rules per file pattern, list separators, time
formats and zones, permalinks; empty runs exit non-zero with the reason, many rejects warn."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import inconcert as ic
from inconcert.cli import EXIT_NOTHING_TO_ANALYSE, app
from inconcert.errors import InputError, ParameterError
from inconcert.ingest import FileRule, InputOptions, load_mapping_file, read_inputs
from inconcert.ingest._mapping import localize_times, parse_tz
from tests import platform_samples as ps

runner = CliRunner()


def _rows(result: ic.ingest.Ingested) -> dict[str, dict]:
    return {r["post_id"]: r for r in result.table.to_pylist()}


def test_dotted_paths_into_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    records = [
        {
            "status": {"id": 1, "when": "2024-01-01T10:00:00Z"},
            "user": {"id_str": "0042"},
            "body": {"text": "hello", "links": ["https://a.example/x"]},
        },
        {
            "status": {"id": 2, "when": "2024-01-01T10:00:05Z"},
            "user": {"id_str": "0043"},
            "body": {"text": "again", "links": []},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    mapping = {
        "post_id": "status.id",
        "account_id": "user.id_str",
        "timestamp": "status.when",
        "text": "body.text",
        "urls": "body.links",
    }
    posts = _rows(read_inputs([str(path)], mapping=mapping))
    assert posts["1"]["account_id"] == "0042"  # leading zeros kept: ids are text
    assert posts["1"]["urls"] == ["https://a.example/x"] and posts["2"]["text"] == "again"


def test_map_overrides_a_platform_field(tmp_path: Path) -> None:
    items = ps.world()[:30]
    path = ps.write_twitter_v1(items, tmp_path)
    posts = _rows(read_inputs([str(path)], mapping={"account_id": "user.screen_name"}))
    assert {p["account_id"] for p in posts.values()} <= {
        "newsdesk",
        "mayor",
        *ps.PLANTED,
        *ps.ORDINARY,
    }


def test_list_sep_time_format_and_tz(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        'id,user,when,tags\n1,a,02/01/2024 10:00,"news, politics"\n2,b,02/01/2024 10:01,news\n',
        encoding="utf-8",
    )
    options = InputOptions(list_sep=",", time_format="%d/%m/%Y %H:%M", tz="Europe/Berlin")
    result = read_inputs(
        [str(path)],
        options=options,
        mapping={"post_id": "id", "account_id": "user", "timestamp": "when", "hashtags": "tags"},
    )
    posts = _rows(result)
    assert posts["1"]["hashtags"] == ["news", "politics"]
    assert posts["1"]["timestamp"].isoformat() == "2024-01-02T09:00:00+00:00"


def test_zone_abbreviations_and_offsets() -> None:
    import pyarrow as pa

    values = pa.array(
        [
            "2021-03-01 14:33:12 EDT",
            "2021-01-01 09:00:00 EST",
            "2021-06-01 12:00:00 CEST",
            "2021-06-01T12:00:00Z",
            None,
            "garbage XYZ",
        ]
    )
    out = localize_times(values).to_pylist()
    assert out[0] == "2021-03-01T14:33:12-04:00" and out[1] == "2021-01-01T09:00:00-05:00"
    assert out[2] == "2021-06-01T12:00:00+02:00"
    assert out[3] in ("2021-06-01T12:00:00Z", "2021-06-01T12:00:00+00:00")
    assert out[4:] == [None, "garbage XYZ"]  # left for the parser (and its rejects)
    assert parse_tz("EDT").utcoffset(None).total_seconds() == -4 * 3600  # type: ignore[union-attr]
    assert parse_tz("+05:30").utcoffset(None).total_seconds() == 5.5 * 3600  # type: ignore[union-attr]
    with pytest.raises(ParameterError, match="--tz"):
        parse_tz("Mars/Olympus")


def test_toml_mapping_file_with_rules_per_pattern(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a_posts.csv").write_text(
        "pid,uid,t,tags\n1,x,2024-01-01 10:00,a|b\n", encoding="utf-8"
    )
    (tmp_path / "data" / "b_comments.csv").write_text(
        "cid,author,created,parent\n9,y,2024-01-01 10:00:00 EST,1\n", encoding="utf-8"
    )
    toml = tmp_path / "mapping.toml"
    toml.write_text(
        'list_sep = "|"\n'
        'permalink = "https://forum.example/p/{post_id}"\n'
        '[map]\npost_id = "pid"\naccount_id = "uid"\ntimestamp = "t"\nhashtags = "tags"\n'
        '[files."*comments*"]\n'
        'map = { post_id = "cid", account_id = "author", timestamp = "created", '
        'reply_to = "parent" }\n',
        encoding="utf-8",
    )
    options, mapping = load_mapping_file(toml)
    assert options.list_sep == "|" and len(options.files) == 1
    result = read_inputs([str(tmp_path / "data")], mapping=mapping, options=options)
    posts = _rows(result)
    assert posts["1"]["hashtags"] == ["a", "b"]
    assert posts["9"]["reply_to"] == "1" and posts["9"]["timestamp"].hour == 15
    assert result.permalinks is not None
    assert result.permalinks.to_pylist()[1] == {
        "post_id": "9",
        "permalink": "https://forum.example/p/9",
    }
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown keys"):
        load_mapping_file(bad)


def test_rule_format_forces_per_file(tmp_path: Path) -> None:
    rule = FileRule(pattern="*.jsonl", format="table")
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps(
            {
                "post_id": "1",
                "account_id": "a",
                "timestamp": 1700000000,
                "text": "t",
                "author_id": "9",
                "id": "1",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    result = read_inputs([str(path)], options=InputOptions(files=(rule,)))
    assert result.files[0].format == "jsonl"


# ---------------------------------------------------------------------------------------------
# Command line: formats, permalinks in the evidence, exit codes, warnings
# ---------------------------------------------------------------------------------------------


def test_formats_command_lists_every_format() -> None:
    done = runner.invoke(app, ["formats", "--markdown"])
    assert done.exit_code == 0
    for fmt in ic.ingest.FORMATS:
        assert f"`{fmt.name}`" in done.stdout
    one = runner.invoke(app, ["formats", "mastodon"])
    assert one.exit_code == 0 and "tags[].name" in one.stdout
    assert runner.invoke(app, ["formats", "friendster"]).exit_code == 2


def test_cli_platform_export_links_back_to_source(tmp_path: Path) -> None:
    path = ps.write_twitter_v2(ps.world(), tmp_path / "in")
    out = tmp_path / "out"
    done = runner.invoke(app, ["detect", str(path), "--out", str(out), "--quiet", "--max-q", "1"])
    assert done.exit_code == 0, done.output
    import pyarrow.parquet as pq

    evidence = pq.read_table(out / "evidence.parquet")
    links = evidence.column("link_a").to_pylist()
    assert links and all(link.startswith("https://twitter.com/p") for link in links)
    assert "twitter-v2" in (out / "manifest.json").read_text(encoding="utf-8")


def test_every_row_rejected_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "ct.csv"
    path.write_text("post_id,account_id,timestamp\n1,a,yesterday\n2,b,noon\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    done = runner.invoke(
        app,
        ["detect", str(path), "--out", str(tmp_path / "out"), "--quiet", "--rejects", str(rejects)],
    )
    assert done.exit_code == EXIT_NOTHING_TO_ANALYSE != 0
    assert "every one of the 2 rows read was rejected" in done.output
    assert "bad_timestamp" in done.output
    with open(rejects, newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 2  # written, so the user can see why
    assert not (tmp_path / "out" / "edges.csv").exists()


def test_no_action_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text(
        "post_id,account_id,timestamp,text\n1,a,2024-01-01T00:00:00Z,hi\n"
        "2,b,2024-01-01T00:00:01Z,yo\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["detect", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert done.exit_code == EXIT_NOTHING_TO_ANALYSE
    assert "gave no action" in done.output


def test_many_rejects_warn(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    rows = ["post_id,account_id,timestamp,urls"]
    for i in range(20):
        stamp = "not a time" if i % 4 == 0 else f"2024-01-01T00:00:{i:02d}Z"
        rows.append(f"{i},a{i % 3},{stamp},https://example.org/{i % 2}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    done = runner.invoke(app, ["detect", str(path), "--out", str(out), "--max-q", "1"])
    assert done.exit_code == 0, done.output
    assert "5 of 20 rows read (25%) were rejected" in done.output
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert "were rejected" in manifest
    quiet = runner.invoke(
        app,
        ["detect", str(path), "--out", str(tmp_path / "o2"), "--quiet", "--reject-warning", "0.5"],
    )
    assert quiet.exit_code == 0


def test_cli_format_forcing_and_reading_options(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,user,when,tags\n1,a,02/01/2024 10:00,"n,p"\n', encoding="utf-8")
    done = runner.invoke(
        app,
        [
            "detect",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--quiet",
            "--map",
            "post_id=id,account_id=user,timestamp=when,hashtags=tags",
            "--list-sep",
            ",",
            "--time-format",
            "%d/%m/%Y %H:%M",
            "--tz",
            "EST",
            "--format",
            "table",
        ],
    )
    # one post: nothing co-acts, but it was read (not a reading failure)
    assert done.exit_code in (0, EXIT_NOTHING_TO_ANALYSE), done.output
    assert "rejected" not in done.output
    bad = runner.invoke(
        app, ["detect", str(path), "--out", str(tmp_path / "o2"), "--quiet", "--tz", "Nowhere/Land"]
    )
    assert bad.exit_code == 2 and "--tz" in bad.output
