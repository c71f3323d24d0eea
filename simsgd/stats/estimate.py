"""The value type of every estimator."""

from dataclasses import asdict, dataclass


class InsufficientDataError(ValueError):
    """The data cannot support the requested estimate (too few events, too much censoring)."""


@dataclass(frozen=True)
class Estimate:
    """A measured value with its standard error and a confidence interval.

    ``method`` says how it was computed; ``n`` is the sample size behind it.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    level: float = 0.95
    n: int = 0
    method: str = ""

    @classmethod
    def normal(cls, value, se, *, n=0, method=""):
        """The normal-approximation 95% interval ``value ± 1.96 se`` (a CLT mean, a
        weighted least-squares slope, a pooled ratio)."""
        value, se = float(value), float(se)
        return cls(value, se, value - 1.96 * se, value + 1.96 * se, n=n, method=method)

    def to_dict(self):
        return asdict(self)

    def __format__(self, spec):
        spec = spec or ".4g"
        return f"{self.value:{spec}} ± {self.se:{spec}}"
