"""The scale and quality benchmarks' ``--crowds`` (benchmarks/scale.py, benchmarks/quality.py):
it multiplies the popularity events of a world, and nothing else; scale.py refuses it where it
would be ignored."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from .helpers import load_benchmark

scale = load_benchmark("scale")
quality = load_benchmark("quality")


@pytest.mark.parametrize(("size", "crowds"), [(1.0, 3.0), (2.2, 3.0), (1.0, 0.5)])
def test_crowds_multiply_the_popularity_events_only(size: float, crowds: float) -> None:
    plain = scale.growing_config(size, 1)
    crowded = scale.growing_config(size, 1, crowds)
    for name in quality.CROWD_EVENTS:
        assert getattr(plain, name) > 0
        assert getattr(crowded, name) == round(getattr(plain, name) * crowds)
    events = set(quality.CROWD_EVENTS)
    for field in dataclasses.fields(plain):
        if field.name not in events:
            assert getattr(crowded, field.name) == getattr(plain, field.name), field.name


def test_growing_config_at_scale_one_is_the_hard_world() -> None:
    from inconcert.simulate import SimulationConfig

    assert scale.growing_config(1.0, 4) == SimulationConfig.preset("hard", seed=4)
    assert scale.growing_config(1.0, 4, 3.0).viral_moments == 3 * 300


def test_crowds_need_the_growing_density() -> None:
    done = subprocess.run(
        [sys.executable, scale.__file__, "--crowds", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--crowds applies to --density growing" in done.stderr


@pytest.mark.parametrize("quick", [False, True])
@pytest.mark.parametrize("world", ["viral", "hard", "fans"])
def test_quality_worlds_take_crowds_after_their_size(world: str, quick: bool) -> None:
    plain = quality.world_config(world, 2, quick=quick, scale=2.0)
    crowded = quality.world_config(world, 2, quick=quick, scale=2.0, crowds=3.0)
    for field in dataclasses.fields(plain):
        expected = getattr(plain, field.name)
        if field.name in quality.CROWD_EVENTS:
            expected = round(expected * 3)  # zero stays zero (fans has no crowds)
        assert getattr(crowded, field.name) == expected, field.name
    # an explicit field still wins
    assert quality.world_config(world, 2, crowds=3.0, viral_moments=7).viral_moments == 7
