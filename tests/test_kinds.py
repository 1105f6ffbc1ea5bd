"""The kinds registry is the one list of kinds: everything that lists kinds reads it."""

from __future__ import annotations

from typer.testing import CliRunner

from inconcert import plan, summaries
from inconcert.cli import app
from inconcert.kinds import KINDS, by_name
from inconcert.options import DetectOptions
from inconcert.schema import ALL_KINDS, DEFAULT_KINDS


def test_every_list_of_kinds_comes_from_the_registry() -> None:
    assert tuple(k.name for k in KINDS) == ALL_KINDS
    assert tuple(k.name for k in KINDS if k.default) == DEFAULT_KINDS
    assert plan.SOURCE_KINDS == ("repost", "reply", "quote")
    assert summaries.TEXT_KINDS == ("text", "neartext", "paraphrase")
    assert DetectOptions().kinds == DEFAULT_KINDS
    assert by_name("quote").source and not by_name("url").source


def test_every_kind_is_an_option_and_in_the_help() -> None:
    help_text = " ".join(CliRunner().invoke(app, ["detect", "--help"]).output.split())
    for kind in KINDS:
        assert DetectOptions(kinds=(kind.name,)).kinds == (kind.name,)
        assert kind.name in help_text
