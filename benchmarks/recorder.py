"""Recorder economy: state writes per minute through Home Assistant, from the existing test.

``tests/integration/test_recorder_economy.py`` already runs Home Assistant with the integration
and the simulated treadmill behind HA's real Bluetooth manager, counts every state write of the
treadmill's entities (a 10-minute walk at 2 Hz, then idle) and prints one line with the figures.
Rebuilding its fixtures here (HA's test harness, Bluetooth adapter mocks, frozen time, storage)
would copy a good part of pytest-homeassistant-custom-component, so the benchmark runs that test
with ``pytest.main`` in this process and reads the line from the test's captured output.

Home Assistant is imported only by that pytest run; run this after the other measurements (the
test plugin patches Home Assistant's time functions when it loads).
"""

from contextlib import redirect_stdout
from dataclasses import dataclass
import io
from pathlib import Path
import re
from typing import Final

import pytest

from .errors import BenchmarkError

ROOT: Final = Path(__file__).resolve().parents[1]
TEST: Final = ROOT / "tests" / "integration" / "test_recorder_economy.py"
TEST_NAME: Final = "test_state_writes_per_minute"

FIGURES_LINE: Final = re.compile(
    r"state writes per minute: session \[(?P<minutes>[\d, ]*)\] \(max (?P<max>\d+)\), "
    r"idle (?P<idle>\d+), writing on every notification (?P<naive>\d+(?:\.\d+)?) "
    r"\((?P<entities>\d+) entities, (?P<notifications>\d+) notifications a minute\)"
)


@dataclass(frozen=True, slots=True)
class RecorderEconomy:
    """State writes of the treadmill's entities, per minute."""

    session_per_minute: tuple[int, ...]
    """Each minute of the 10-minute walk."""
    idle_per_minute: int
    naive_per_minute: float
    """Writing every entity on every notification."""
    entities: int
    notifications_per_minute: int
    test_passed: bool
    """Whether the test's own assertions (budget, idle 0, sensors kept up) held."""

    @property
    def session_max_per_minute(self) -> int:
        """The busiest minute of the walk."""
        return max(self.session_per_minute)


def parse_figures(text: str, *, test_passed: bool) -> RecorderEconomy:
    """Read the figures from the line the test prints."""
    match = FIGURES_LINE.search(text)
    if match is None:
        raise BenchmarkError(f"the recorder economy test printed no figures: {text!r}")
    minutes = tuple(int(value) for value in match["minutes"].split(",") if value.strip())
    if not minutes:
        raise BenchmarkError("the recorder economy test reported no session minutes")
    return RecorderEconomy(
        session_per_minute=minutes,
        idle_per_minute=int(match["idle"]),
        naive_per_minute=float(match["naive"]),
        entities=int(match["entities"]),
        notifications_per_minute=int(match["notifications"]),
        test_passed=test_passed,
    )


class _Reports:
    """A pytest plugin that keeps every test report."""

    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)


def _last_lines(text: str, count: int = 12) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


def measure_recorder_economy() -> RecorderEconomy:
    """Run the recorder economy test in this process and return its figures."""
    collector = _Reports()
    output = io.StringIO()
    with redirect_stdout(output):
        exit_code = pytest.main(
            [
                f"{TEST}::{TEST_NAME}",
                f"--rootdir={ROOT}",
                "--quiet",
                "--no-header",
                "--tb=short",
                "-p",
                "no:cacheprovider",
            ],
            plugins=[collector],
        )
    calls = [report for report in collector.reports if report.when == "call"]
    if len(calls) != 1:
        failed = [report for report in collector.reports if report.failed]
        detail = failed[0].longreprtext if failed else output.getvalue()
        raise BenchmarkError(
            f"{TEST.name}::{TEST_NAME} did not run (pytest exit code {exit_code}); "
            f"`.venv/bin/python -m pytest {TEST.relative_to(ROOT)}` shows why. "
            f"It ended with:\n{_last_lines(detail)}"
        )
    return parse_figures(calls[0].capstdout, test_passed=calls[0].passed)
