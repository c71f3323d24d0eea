"""Every study at its tiny scale: runs, saves, reloads and draws (no assertion on verdicts:
tiny runs are too small to decide anything; the slow CLI test checks the quick verdicts)."""

import importlib

import pytest

import simsgd as sg
from simsgd.cli import STUDIES


@pytest.mark.parametrize("name", STUDIES)
def test_study_runs_at_tiny_scale(name, tmp_path):
    mod = importlib.import_module(f"studies.{name}")
    assert "tiny" in mod.SCALES and "quick" in mod.SCALES and "paper" in mod.SCALES
    result = mod.run(scale="tiny", seed=1, progress=False)
    assert result["rows"], "a study reports at least one verdict row"
    for r in result["rows"]:
        assert r["verdict"] in sg.stats.VERDICTS
        assert r["claim"] and r["kind"] in ("tight", "asymptotic", "exponent", "upper", "lower")
    saved = sg.report.load(sg.report.save(name, result, tmp_path))
    png = mod.plot(saved, tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000, png


def test_unknown_scale_is_refused():
    mod = importlib.import_module(f"studies.{STUDIES[0]}")
    with pytest.raises(ValueError, match="scale"):
        mod.run(scale="huge", progress=False)
