"""Study outputs: verdict rows, the JSON sidecar and the verdict table.

A study's ``run`` returns a dict with ``rows`` (one per claim: claim, predicted,
measured, CI, verdict, note) and ``data``; :func:`save` writes ``<name>.json`` with
provenance, and plotting reads only that saved result.
"""

import json
import math
import os
import subprocess
import time

import numpy as np

from .stats import Estimate, verdict


def row(claim, predicted, measured, *, note="", level=0.99):
    """One verdict row: ``predicted`` is a Prediction, ``measured`` an Estimate."""
    v, z = verdict(measured, predicted, level=level)
    return dict(claim=claim, predicted=predicted.value, kind=predicted.kind,
                reference=predicted.reference, valid_when=predicted.valid_when,
                measured=measured.value, se=measured.se, ci_low=measured.ci_low,
                ci_high=measured.ci_high, ci_level=measured.level, method=measured.method,
                z=z, verdict=v, note=note)


def _git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, cwd=os.path.dirname(__file__))
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(seed, scale, wall_seconds):
    import numba
    import scipy

    from .engine.simulate import _versions

    return dict(seed=seed, scale=scale, wall_seconds=wall_seconds, git_commit=_git_commit(),
                created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                versions=dict(_versions(), scipy=scipy.__version__),
                threads=numba.config.NUMBA_NUM_THREADS)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, Estimate):
        return _clean(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def save(name, result, out_dir):
    """Write ``<out_dir>/<name>.json`` (data, rows, provenance); return its path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(_clean(dict(result, study=name)), fh, indent=1)
    os.replace(tmp, path)
    return path


def load(path):
    with open(path) as fh:
        return json.load(fh)


def verdict_table(rows):
    """Plain-text table: study, claim, predicted, measured ± CI half-width, verdict."""
    head = f"{'study':<20} {'claim':<46} {'predicted':>11} {'measured ± 95% CI':>26} {'verdict':>12}"
    lines = [head, "-" * len(head)]
    for r in rows:
        half = (r["ci_high"] - r["ci_low"]) / 2 if r["ci_high"] is not None else float("nan")
        meas = f"{r['measured']:.4g} ± {half:.2g}"
        lines.append(f"{r.get('study', ''):<20} {r['claim'][:46]:<46} {r['predicted']:>11.4g} "
                     f"{meas:>26} {r['verdict']:>12}")
    return "\n".join(lines)
