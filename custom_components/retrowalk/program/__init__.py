"""Retro-walking programs: plans, the runner that executes them, and the safety rules.

No Home Assistant imports and no FTMS imports: the runner talks to a
:class:`TreadmillControl` and reads an injected :class:`Clock`, so the same code runs in real
time inside Home Assistant and in virtual time in tests.
"""

from .builders import (
    MIN_SEGMENT_S,
    SegmentSpec,
    plan_for_level,
    plan_from_parameters,
    plan_from_segments,
)
from .clock import AsyncioClock, Clock, VirtualClock
from .errors import ErrorCode, LimitError, PlanError, ProgramError
from .levels import LEVEL_PROGRAMS, Level, LevelProgram
from .limits import (
    DEFAULT_LIMITS,
    MAX_PAUSE_S,
    MAX_SPEED_STEP_KMH,
    DeviceLimits,
    DeviceRange,
    SafetyLimits,
    check_device,
)
from .plan import Phase, Plan, Segment, WalkingDirection
from .ramp import RampSettings
from .runner import ProgramRunner
from .safety import HeartRateSource, SafetyGuard, SafetyReason
from .state import CommandKind, CommandRecord, RunnerSnapshot
from .treadmill import TreadmillControl

__all__ = [
    "DEFAULT_LIMITS",
    "LEVEL_PROGRAMS",
    "MAX_PAUSE_S",
    "MAX_SPEED_STEP_KMH",
    "MIN_SEGMENT_S",
    "AsyncioClock",
    "Clock",
    "CommandKind",
    "CommandRecord",
    "DeviceLimits",
    "DeviceRange",
    "ErrorCode",
    "HeartRateSource",
    "Level",
    "LevelProgram",
    "LimitError",
    "Phase",
    "Plan",
    "PlanError",
    "ProgramError",
    "ProgramRunner",
    "RampSettings",
    "RunnerSnapshot",
    "SafetyGuard",
    "SafetyLimits",
    "SafetyReason",
    "Segment",
    "SegmentSpec",
    "TreadmillControl",
    "VirtualClock",
    "WalkingDirection",
    "check_device",
    "plan_for_level",
    "plan_from_parameters",
    "plan_from_segments",
]
