"""How long the property tests search for a counterexample.

Each property has a budget that keeps `scripts/test` quick;
`RETROWALK_EXAMPLES_SCALE=50 scripts/test --timeout=0 tests/program` searches fifty times as
long, before a release or after a change to the runner.
"""

import os

SCALE = float(os.environ.get("RETROWALK_EXAMPLES_SCALE", "1"))


def examples(usual: int) -> int:
    """The number of examples for a property whose usual budget is ``usual``."""
    return max(1, round(usual * SCALE))
