"""What the runner shows: a frozen snapshot of its state and the record of each command."""

from dataclasses import asdict, dataclass
from enum import StrEnum

from .plan import TERMINAL_PHASES, Phase, WalkingDirection
from .safety import SafetyReason


class CommandKind(StrEnum):
    """A command the runner sent to the treadmill."""

    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    SPEED = "set_target_speed"
    INCLINE = "set_target_inclination"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRecord:
    """One command: its value, when it was due (ramp steps only), sent and answered."""

    kind: CommandKind
    value: float | None
    due: float | None
    sent_at: float
    done_at: float

    @property
    def lateness_s(self) -> float | None:
        """How long after its absolute deadline a ramp step went out (None if unscheduled)."""
        return None if self.due is None else self.sent_at - self.due


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerSnapshot:
    """The runner's state at one moment.

    ``speed_kmh``/``incline_pct`` are what the belt was last set to (by the program or by
    hand; speed 0 while the belt stands); ``segment_speed_kmh``/``segment_incline_pct`` are
    what the current segment ramps toward. ``belt_running`` is true while the belt moves
    under RetroWalk's control: the safety guard is active exactly then.
    """

    phase: Phase
    segment_index: int | None
    segment_count: int
    direction: WalkingDirection | None
    elapsed_s: float
    program_remaining_s: float
    segment_remaining_s: float | None
    speed_kmh: float
    incline_pct: float | None
    segment_speed_kmh: float | None
    segment_incline_pct: float | None
    belt_running: bool
    waiting_for_ready: bool
    ready_timeout_s: float | None
    paused: bool
    pause_timeout_s: float | None
    stopping: bool
    abort_reason: SafetyReason | None
    ended_early: bool
    belt_stop_failed: bool

    @property
    def ended(self) -> bool:
        """Whether the program is over (finished or aborted)."""
        return self.phase in TERMINAL_PHASES

    @property
    def pain_reported(self) -> bool:
        """Whether the person stopped with the knee-pain button (progression holds then)."""
        return self.abort_reason is SafetyReason.PAIN_STOP

    def to_dict(self) -> dict[str, object]:
        """Return the snapshot as plain data (enums as their values)."""
        data = asdict(self)
        return {
            key: value.value if isinstance(value, StrEnum) else value for key, value in data.items()
        }
