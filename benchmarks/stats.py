"""Small statistics helpers for latency samples."""

from collections.abc import Sequence
import math


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile (0..1), interpolating linearly between ranks.

    The same definition as numpy's default: p50 of an even count is the mean of the middle
    two, p99 of 200 samples lies between the 198th and 199th smallest.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not within 0..1")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    weight = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * weight


def mean(samples: Sequence[float]) -> float:
    """Return the arithmetic mean."""
    if not samples:
        raise ValueError("no samples")
    return math.fsum(samples) / len(samples)
