"""The three built-in levels and their numbers (docs: shared/retro-walking.md)."""

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Level(StrEnum):
    """A built-in program level."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelProgram:
    """The numbers of one level: forward warm-up, backward part, forward cool-down."""

    warm_up_s: float
    warm_up_speed_kmh: float
    backward_s: float
    backward_speed_kmh: float
    backward_incline_pct: float
    incline_after_s: float
    cool_down_s: float
    cool_down_speed_kmh: float


INCLINE_AFTER_S: Final = 2 * 60.0
"""Incline is added only once the backward speed has been held this long."""

LEVEL_PROGRAMS: Final = MappingProxyType(
    {
        Level.BEGINNER: LevelProgram(
            warm_up_s=3 * 60.0,
            warm_up_speed_kmh=2.5,
            backward_s=5 * 60.0,
            backward_speed_kmh=1.6,
            backward_incline_pct=0.0,
            incline_after_s=0.0,
            cool_down_s=3 * 60.0,
            cool_down_speed_kmh=2.0,
        ),
        Level.INTERMEDIATE: LevelProgram(
            warm_up_s=5 * 60.0,
            warm_up_speed_kmh=3.0,
            backward_s=10 * 60.0,
            backward_speed_kmh=2.4,
            backward_incline_pct=2.0,
            incline_after_s=INCLINE_AFTER_S,
            cool_down_s=3 * 60.0,
            cool_down_speed_kmh=2.0,
        ),
        Level.ADVANCED: LevelProgram(
            warm_up_s=5 * 60.0,
            warm_up_speed_kmh=3.5,
            backward_s=20 * 60.0,
            backward_speed_kmh=3.2,
            backward_incline_pct=3.0,
            incline_after_s=INCLINE_AFTER_S,
            cool_down_s=5 * 60.0,
            cool_down_speed_kmh=2.5,
        ),
    }
)
