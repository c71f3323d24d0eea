"""Hypothesis profiles shared by the property tests.

- ``ci`` (default): derandomised, so every run tries the same cases (a fixed seed, as
  CI needs), with no deadline (some cases load or compile a kernel) and a bounded number
  of examples per test (hypothesis's default, 100; the fuzz tests take 200).
- ``long``: ``HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py`` for a deeper
  search on demand (random, 5000 examples per test).

Tests that set their own ``max_examples`` keep it; ``tests/test_fuzz.py`` takes
``max(profile, 200)``.
"""

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100,
                          print_blob=True, suppress_health_check=_SUPPRESS)
settings.register_profile("long", derandomize=False, deadline=None, max_examples=5000,
                          print_blob=True, suppress_health_check=_SUPPRESS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class KernelReached(Exception):
    """Raised by the ``kernel_reached`` fixture's stand-in for the kernel look-up."""


@pytest.fixture
def kernel_reached(monkeypatch):
    """Replace the engine's kernel look-up by one that raises :class:`KernelReached`: a
    call that raises it passed every validation, and nothing was compiled or run."""
    import sys

    def get_kernel(structure):
        raise KernelReached(structure)

    monkeypatch.setattr(sys.modules["simsgd.engine.simulate"], "get_kernel", get_kernel)
    return KernelReached


def default_sigint():
    """``preexec_fn`` for a child process that a test will send SIGINT: the child starts
    with SIGINT at its default action. A shell that runs pytest in the background
    (``pytest &`` without job control) starts it with SIGINT ignored, children inherit
    that, and then neither Python nor simsgd installs a handler (simsgd leaves an ignored
    SIGINT ignored, as a user who ignores it wants), so the signal would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
