"""The value type of every prediction."""

from dataclasses import asdict, dataclass

KINDS = ("tight", "asymptotic", "exponent", "upper", "lower")


@dataclass(frozen=True)
class Prediction:
    """A theoretical value, what kind of statement it is, where it comes from, and when
    it applies.

    ``kind``: ``tight`` (two-sided), ``asymptotic`` (a limit, two-sided up to finite-size
    effects), ``exponent`` (a log-log slope), ``upper`` or ``lower`` (one-sided bounds).
    """

    value: float
    kind: str
    reference: str
    valid_when: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def to_dict(self):
        return asdict(self)
