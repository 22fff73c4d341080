"""The benchmarks' own error: a measurement whose preconditions or outcome are not as meant."""


class BenchmarkError(RuntimeError):
    """A benchmark could not measure what it set out to (the figure would mean nothing)."""
