"""Every optimiser transform and alias as a small chain that makes sense on its own.

``OPTIMIZERS`` is a list of ``pytest.param(optimizer, id=...)`` rows for parametrising
engine tests (kernel against :meth:`Optimizer.reference`) and the transform tests. The
parameters suit the test landscapes (curvatures of order 1, ``f* = 0``, noise of order 1).
"""

import numpy as np
import pytest

from simsgd import optimizers as O

OPTIMIZERS = [
    # one row per transform
    pytest.param(O.chain(O.scale(0.1)), id="scale"),
    pytest.param(O.chain(O.clip_by_norm(1.0), O.scale(0.1)), id="clip_by_norm"),
    pytest.param(O.chain(O.clip_coordinates(1.0), O.scale(0.1)), id="clip_coordinates"),
    pytest.param(O.chain(O.scale(0.1), O.truncate_update(0.3)), id="truncate_update"),
    pytest.param(O.chain(O.normalize(), O.scale(0.05)), id="normalize"),
    pytest.param(O.chain(O.normalize(0.1), O.scale(0.05)), id="normalize_eps"),
    pytest.param(O.chain(O.sign(), O.scale(0.05)), id="sign"),
    pytest.param(O.chain(O.momentum(0.9), O.scale(0.02)), id="momentum"),
    pytest.param(O.chain(O.momentum(0.5, nesterov=True), O.scale(0.05)), id="momentum_nesterov"),
    pytest.param(O.chain(O.inverse_time(0.2, 20.0)), id="inverse_time"),
    pytest.param(O.chain(O.cosine(0.2, 100, eta_min=0.01)), id="cosine"),
    pytest.param(O.chain(O.step_decay(0.2, 25, 0.5)), id="step_decay"),
    pytest.param(O.chain(O.warmup(0.1, 20)), id="warmup"),
    pytest.param(O.chain(O.schedule(np.geomspace(0.2, 0.02, 30))), id="schedule"),
    pytest.param(O.chain(O.adagrad_norm(0.5, 1.0)), id="adagrad_norm"),
    pytest.param(O.chain(O.adagrad_norm(0.5, 1.0, clip=0.7)), id="adagrad_norm_clip"),
    pytest.param(O.chain(O.polyak(0.0, eta_max=1.0)), id="polyak"),
    pytest.param(O.chain(O.norm_ratio(0.05)), id="norm_ratio"),
    pytest.param(O.chain(O.secant(0.05)), id="secant"),
    pytest.param(O.chain(O.barzilai_borwein(0.05)), id="barzilai_borwein"),
    # one row per alias (and per rule/base of adaptive_sgd)
    pytest.param(O.sgd(0.1), id="sgd"),
    pytest.param(O.truncated_sgd(0.1, 0.3), id="truncated_sgd"),
    pytest.param(O.clipped_sgd(0.1, 1.0), id="clipped_sgd"),
    pytest.param(O.normalized_sgd(0.05), id="normalized_sgd"),
    pytest.param(O.sgdm(0.02, 0.9), id="sgdm"),
    pytest.param(O.sgdm(0.05, 0.5, nesterov=True), id="sgdm_nesterov"),
    pytest.param(O.signsgd(0.05), id="signsgd"),
    pytest.param(O.adagrad_norm_sgd(0.5, 1.0), id="adagrad_norm_sgd"),
    pytest.param(O.adaptive_clipped_sgd(0.5, 1.0, 0.7), id="adaptive_clipped_sgd"),
    pytest.param(O.polyak_sgd(0.0, eta_max=1.0), id="polyak_sgd"),
    pytest.param(O.adaptive_sgd("norm_ratio", 0.05), id="adaptive_sgd_norm_ratio"),
    pytest.param(O.adaptive_sgd("secant", 0.05), id="adaptive_sgd_secant"),
    pytest.param(O.adaptive_sgd("bb", 0.05), id="adaptive_sgd_bb"),
    pytest.param(O.adaptive_sgd("norm_ratio", 0.02, base="sgdm", beta=0.9), id="adaptive_sgd_sgdm"),
    pytest.param(O.adaptive_sgd("bb", 0.02, base="signsgd"), id="adaptive_sgd_signsgd"),
    # a long chain that fills every slot (two array schedules, stateful slots in between)
    pytest.param(O.chain(O.clip_coordinates(5.0), O.momentum(0.5), O.schedule([0.2, 0.1]),
                         O.secant(0.5), O.schedule([1.0, 0.5, 0.25]), O.truncate_update(0.5)),
                 id="full_chain"),
]
