"""Test-side builders of FTMS values, written from the specification table, not from decode.py.

Raw values are in wire units (0.01 km/h, 0.1 %, ...); ``expected_public`` gives what the decoder
should return for them.
"""

from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WireField:
    name: str
    size: int
    signed: bool
    scale: int  # wire units per public unit

    @property
    def not_available(self) -> int:
        return 0x7FFF if self.signed else (1 << (8 * self.size)) - 1

    @property
    def low(self) -> int:
        return -(1 << (8 * self.size - 1)) if self.signed else 0

    @property
    def high(self) -> int:
        return (1 << (8 * self.size - 1)) - 1 if self.signed else (1 << (8 * self.size)) - 1

    def pack(self, raw: int) -> bytes:
        return raw.to_bytes(self.size, "little", signed=self.signed)

    def public(self, raw: int) -> int | float | None:
        if raw == self.not_available:
            return None
        return raw if self.scale == 1 else raw / self.scale


# Treadmill Data (0x2ACD) per flag bit, in wire order (README table; bit 13: vendor steps).
TREADMILL_LAYOUT: dict[int, tuple[WireField, ...]] = {
    0: (WireField("speed_kmh", 2, False, 100),),
    1: (WireField("average_speed_kmh", 2, False, 100),),
    2: (WireField("total_distance_m", 3, False, 1),),
    3: (
        WireField("inclination_pct", 2, True, 10),
        WireField("ramp_angle_deg", 2, True, 10),
    ),
    4: (
        WireField("positive_elevation_gain_m", 2, False, 10),
        WireField("negative_elevation_gain_m", 2, False, 10),
    ),
    5: (WireField("instantaneous_pace_km_min", 1, False, 10),),
    6: (WireField("average_pace_km_min", 1, False, 10),),
    7: (
        WireField("total_energy_kcal", 2, False, 1),
        WireField("energy_per_hour_kcal", 2, False, 1),
        WireField("energy_per_minute_kcal", 1, False, 1),
    ),
    8: (WireField("heart_rate_bpm", 1, False, 1),),
    9: (WireField("metabolic_equivalent", 1, False, 10),),
    10: (WireField("elapsed_time_s", 2, False, 1),),
    11: (WireField("remaining_time_s", 2, False, 1),),
    12: (
        WireField("force_on_belt_n", 2, True, 1),
        WireField("power_output_w", 2, True, 1),
    ),
    13: (WireField("step_count", 3, False, 1),),
}

MEASUREMENT_NAMES: tuple[str, ...] = tuple(
    wire.name for fields in TREADMILL_LAYOUT.values() for wire in fields
)


@dataclass(frozen=True)
class BuiltRecord:
    """A Treadmill Data packet and the fields, in order, with their end offsets."""

    packet: bytes
    flags: int
    raw: dict[str, int]
    ends: dict[str, int]  # field name -> offset just past it

    def expected_public(self, cut: int | None = None) -> dict[str, Any]:
        """The decoded public values of the fields complete within ``cut`` bytes."""
        limit = len(self.packet) if cut is None else cut
        expected: dict[str, Any] = dict.fromkeys(MEASUREMENT_NAMES)
        for group in TREADMILL_LAYOUT.values():
            for wire in group:
                if wire.name in self.raw and self.ends[wire.name] <= limit:
                    expected[wire.name] = wire.public(self.raw[wire.name])
        return expected


def build_treadmill_data(
    raw: dict[str, int], *, more_data: bool = False, extra_flags: int = 0
) -> BuiltRecord:
    """Build a packet carrying exactly the groups of ``raw`` (a group is all or nothing).

    With ``more_data`` the speed group is left out (the flag says so); ``raw`` must not hold
    a speed then.
    """
    flags = extra_flags & ~0x3FFF
    body = b""
    ends: dict[str, int] = {}
    if more_data:
        flags |= 1
    for bit, group in TREADMILL_LAYOUT.items():
        names = [wire.name for wire in group]
        present = [name in raw for name in names]
        assert all(present) or not any(present), f"group {bit} must be complete"
        if not any(present):
            continue
        if bit == 0:
            assert not more_data
        else:
            flags |= 1 << bit
        for wire in group:
            body += wire.pack(raw[wire.name])
            ends[wire.name] = 2 + len(body)
    if not more_data and "speed_kmh" not in raw:
        # Bit 0 clear promises a speed: a record without one must say More Data.
        raise AssertionError("a final record needs speed_kmh")
    packet = flags.to_bytes(2, "little") + body
    return BuiltRecord(packet=packet, flags=flags, raw=dict(raw), ends=ends)


def captures_file() -> Path:
    """Find shared/ftms/captures-public.json beside the repository (never copied into it)."""
    here = Path(__file__).resolve()
    for directory in here.parents:
        candidate = directory / "shared" / "ftms" / "captures-public.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("shared/ftms/captures-public.json not found above " + str(here))


def load_captures() -> list[dict[str, Any]]:
    captures: list[dict[str, Any]] = json.loads(captures_file().read_text())
    return captures


def capture_bytes(capture: dict[str, Any]) -> bytes:
    return bytes.fromhex(capture["hex"].replace("-", " "))
