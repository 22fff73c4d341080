"""One quantity the runner ramps, speed or incline: its value, ramp position and step schedule.

The runner decides whether a step is wanted; the axis knows what the next value is, when it
may go out, and how many ticks a ramp to some goal takes.
"""

import math
from typing import Final

from .limits import DeviceRange, Rounding
from .ramp import RampStep, Snap, ramp_step
from .state import CommandKind, CommandRecord

_EPSILON: Final = 1e-6
_MAX_TICKS: Final = 10_000


def same(a: float, b: float) -> bool:
    """Whether two values of a quantity are equal for the purposes of ramping."""
    return math.isclose(a, b, abs_tol=_EPSILON)


class RampAxis:
    """Speed or incline, owned by one runner (mutable on purpose: it changes every tick).

    ``lower``/``upper`` are the limits a program may command; a value set by hand outside
    them widens them for the way back, so that way is a ramp too rather than one jump.
    """

    def __init__(
        self,
        kind: CommandKind,
        grid: DeviceRange,
        *,
        step: float,
        interval_s: float,
        lower: float,
        upper: float,
        value: float,
        max_jump: float | None = None,
    ) -> None:
        """Start at ``value`` with no ramp under way."""
        self.kind = kind
        self.grid = grid
        self.step = step
        self.interval_s = interval_s
        self.lower = lower
        self.upper = upper
        self.max_jump = max_jump
        self.value = value
        self.ideal = value
        self.slot: float | None = None
        self.last_sent: float | None = None
        self.last_done = 0.0
        self.generation = 0

    def restart(self, value: float) -> None:
        """The belt (re)started at ``value``: no ramp is under way."""
        self.value = self.ideal = value
        self.slot = None

    def set_by_hand(self, value: float) -> None:
        """A person set ``value`` on the console; a step under way no longer counts."""
        self.restart(value)
        self.generation += 1

    def _snap(self) -> Snap:
        lower = min(self.lower, self.value)
        upper = max(self.upper, self.value)

        def snap(value: float, rounding: Rounding) -> float:
            snapped = self.grid.snap(value, lower=lower, upper=upper, rounding=rounding)
            assert snapped is not None  # check_device guarantees values within the limits
            return snapped

        return snap

    def next_step(self, goal: float) -> RampStep:
        """The ideal position and the value of the next tick toward ``goal``."""
        return self._step_from(self.value, self.ideal, goal, self._snap())

    def _step_from(self, value: float, ideal: float, goal: float, snap: Snap) -> RampStep:
        return ramp_step(
            current=value,
            ideal=ideal,
            goal=goal,
            step=self.step,
            snap=snap,
            max_jump=self.max_jump,
            lag_tolerance=self.grid.increment / 2,
        )

    def ramp_time(self, goal: float, latency_s: float, *, start: RampStep | None = None) -> float:
        """How long a ramp to ``goal`` takes, from here or from ``start``.

        A tick that sends a value costs :meth:`period` (the device's answer may take longer
        than the interval); a silent tick costs one interval.
        """
        snap = self._snap()
        value, ideal = (self.value, self.ideal) if start is None else (start.value, start.ideal)
        seconds, ticks = 0.0, 0
        while not same(value, goal) and ticks < _MAX_TICKS:
            result = self._step_from(value, ideal, goal, snap)
            moved = not same(result.value, value)
            seconds += self.period(latency_s) if moved else self.interval_s
            value, ideal, ticks = result.value, result.ideal, ticks + 1
        return seconds

    def period(self, latency_s: float) -> float:
        """The time one tick really takes: a device slower than the interval skips slots."""
        return self.interval_s * max(1, math.ceil(latency_s / self.interval_s - _EPSILON))

    def due(self, now: float, other: RampAxis | None, not_before: float = 0.0) -> float:
        """When the next step may go out.

        A ramp under way keeps its grid of absolute deadlines; a new ramp starts now. Either
        way a step is at least one interval of its own kind after the last step of each kind
        (and after the other kind's answer), so speed and incline never change in the same
        step, and not before ``not_before``. A grid those rules push back is given up: the
        step that goes out later anchors a new one.
        """
        earliest = not_before
        if other is not None and other.last_sent is not None:
            earliest = max(earliest, other.last_sent + self.interval_s, other.last_done)
        if self.slot is not None and self.slot >= earliest:
            return self.slot
        self.slot = None
        due = max(now, earliest)
        if self.last_sent is not None:
            due = max(due, self.last_sent + self.interval_s)
        return due

    def skip(self, due: float) -> None:
        """A tick that changed nothing on the grid: the ramp goes on at the next slot."""
        self.slot = due + self.interval_s

    def stepped(self, due: float, record: CommandRecord, generation: int) -> None:
        """A step went out; schedule the next slot unless a change by hand replaced the ramp.

        The next slot is the first on the grid that is after the answer and at least half an
        interval after the write: missed slots are skipped, never crammed in.
        """
        self.last_sent = record.sent_at
        self.last_done = record.done_at
        if generation != self.generation:
            return
        slot = due + self.interval_s
        earliest = max(record.done_at, record.sent_at + self.interval_s / 2)
        while slot < earliest:
            slot += self.interval_s
        self.slot = slot
