"""The adaptive_lr study: a tiny smoke run, and its verdict rows at scale "quick" (slow).

No tolerance is set here: every comparison is the study's own verdict. Exact rows
(deterministic runs, or per-path identities that hold on every path) are compared as
numbers to a relative 1e-12 (``sg.stats.exact``; the study's comments bound the rounding
at 4e-14). Statistical rows agree when the prediction lies within 2.58 SE (two-sided, 99%)
or, for bounds, 2.33 SE on the allowed side; the SEs are sd/sqrt(n) over independent paths
(the concordance fractions), the order-statistic CIs of medians (the fixed-step ratios)
and Wilson CIs (shares and diverged fractions). Seeds are fixed, so the tests are
deterministic; a disagreement is accepted only in the direction the study documents.
"""

from pathlib import Path

import pytest

import simsgd as sg
import studies.adaptive_lr as study


def test_tiny_runs_saves_and_draws(tmp_path):
    res = study.run(scale="tiny", progress=False)
    assert res["rows"]
    for r in res["rows"]:
        assert r["verdict"] in {"agrees", "disagrees", "inconclusive"}, r
    saved = sg.report.load(sg.report.save(study.NAME, res, tmp_path))
    png = Path(study.plot(saved, tmp_path / "adaptive_lr.png"))
    assert png.exists() and png.stat().st_size > 10_000


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="scale"):
        study.run(scale="huge", progress=False)


def test_exact_fixed_step_median_on_a_known_case():
    # eta = 1 on f = x^2/2 makes x_T = -xi_{T-1} ~ N(0, 1): f = chi2_1 / 2, median 0.2275
    from scipy import stats

    got = study.gaussian_median_gap(1.0, 1.0, 0.0, 7, [0.0], 1.0)
    assert got == pytest.approx(stats.chi2.ppf(0.5, 1) / 2, rel=1e-12)


@pytest.mark.slow
def test_quick_verdicts():
    res = study.run(scale="quick", progress=False)
    rows = res["rows"]

    def pick(part):
        return [r for r in rows if part in r["claim"]]

    # exact identities: the norm ratio's eta ||g|| (exact and noisy gradients, 3 bases each),
    # its slope -1, secant/BB = 1/a on a x^2/2 (6), the Rayleigh bounds (2)
    exact = (pick("eta|g|/eta0|g0|") + pick("slope of log eta")
             + pick("a eta_k, k>=1") + pick("steps with eta outside"))
    assert len(exact) == 6 + 1 + 6 + 2
    assert all(r["verdict"] == "agrees" for r in exact), [r for r in exact
                                                          if r["verdict"] != "agrees"]
    # "the rate moves inversely to ||g||" (lower bound 1/2 on the share of opposite moves):
    # a failure may only be a share below 1/2; BB + signSGD is the documented one
    conc = pick("move opposite")
    assert len(conc) == 6
    for r in conc:
        assert r["verdict"] == "agrees" or (r["verdict"] == "disagrees"
                                            and r["measured"] < 0.5), r
    (bb_sign,) = [r for r in conc if r["claim"].startswith("BB+signSGD")]
    assert bb_sign["verdict"] == "disagrees" and bb_sign["measured"] < 0.5
    # the best single fixed step is ~37x (SGD) and ~32x (SGDM) off the best on some
    # landscape: measured against the exact Gaussian medians
    mm = pick("best single fixed")
    assert len(mm) == 2 and all(r["verdict"] == "agrees" for r in mm)
    assert all(r["predicted"] > study.F_NEAR for r in mm)
    # robustness: every reading x base ends worse than F x the best grid step on at least
    # one landscape (documented: the share within F is below 1/2, never above)
    share = pick("best fixed")
    assert len(share) == 9
    for r in share:
        assert r["verdict"] == "disagrees" and r["measured"] < 0.5, r
    # the finding, reproduced: SGDM diverges under heavy tails, SGD does not
    heavy = pick("diverged")
    assert len(heavy) == 2 and all(r["verdict"] == "agrees" for r in heavy)
    assert len(rows) == len(exact) + len(conc) + len(mm) + len(share) + len(heavy)
