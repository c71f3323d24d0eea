"""The l0l1_clipping study at scale "quick": its verdict rows (slow)."""

import importlib
from pathlib import Path

import pytest


def _study():
    # as the CLI imports it: a module of the studies package (its point functions must be
    # importable by name in sweep workers, and it imports studies._sweep)
    return importlib.import_module("studies.l0l1_clipping")


@pytest.mark.slow
def test_quick_verdicts(tmp_path):
    import simsgd as sg

    mod = _study()
    res = mod.run("quick", progress=False)
    rows = {r["claim"]: r for r in res["rows"]}
    # part 1: nine deterministic iteration counts, all exactly as derived
    it = [r for c, r in rows.items() if c.startswith("iterations to |f'| <= 1e-6, ")]
    assert len(it) == 9 and all(r["verdict"] == "agrees" for r in it)
    # part 2: the clipping bias; an O(eta) offset could only pull the mean below the
    # eta -> 0 fixed point (a disagreement is allowed only in that direction)
    bias = [r for c, r in rows.items() if c.startswith("clipping bias")]
    assert len(bias) == 8
    for r in bias:
        assert r["verdict"] == "agrees" or (r["verdict"] == "disagrees" and r["z"] < 0), r
    # part 3: Zhang et al.'s bound at their recommended point (deterministic run)
    (zh,) = [r for c, r in rows.items() if c.startswith("iterations to |f'| <= 1e-6 at Zhang")]
    assert zh["verdict"] == "agrees" and zh["measured"] == 221
    h = res["data"]["heatmap"]
    assert h["zhang_status"] == "reached"
    # part 4: the linear phase, all derived for cosh and compared exactly
    lin = [r for c, r in rows.items() if c.startswith("linear phase")]
    assert len(lin) == 5 and all(r["verdict"] == "agrees" for r in lin)
    assert [r["measured"] for r in lin if "clipped" in r["claim"] and "ends" in r["claim"]] == [39]
    # part 5: no clipping diverges on every path; the three clipped methods do not, and
    # adaptive clipping stays within the derived step-length bound
    (gaash,) = [r for c, r in rows.items() if c.startswith("Gaash") and "no clipping" in c]
    assert gaash["verdict"] == "agrees" and gaash["measured"] == 100
    (ada,) = [r for c, r in rows.items() if c.startswith("Gaash") and "adaptive" in c]
    assert ada["verdict"] == "agrees" and ada["measured"] <= ada["predicted"]
    by = {m["method"]: m for m in res["data"]["gaash"]["methods"]}
    assert set(by) == {"standard clipping", "implicit clipping", "adaptive clipping",
                       "no clipping"}
    for name in ("standard clipping", "implicit clipping", "adaptive clipping"):
        m = by[name]
        # the median of f - f* fell below its start (f(x0) - f* = 482.8) by the end
        assert m["diverged"] == 0 and m["final_q"][1] < m["q50"][0], name
    assert len(res["rows"]) == 9 + 8 + 1 + 5 + 2
    path = sg.report.save(mod.NAME, res, tmp_path)
    assert Path(mod.plot(sg.report.load(path), tmp_path / "fig.png")).exists()
