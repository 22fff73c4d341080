"""Property tests: round trips through a test-side builder, and no crash on any bytes."""

import contextlib
import math
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.retrowalk.ftms import (
    ControlOp,
    FtmsDecodeError,
    MachineStatusOp,
    SpeedUnit,
    StopOrPause,
    TreadmillData,
    TreadmillDataAssembler,
    encode_pause,
    encode_request_control,
    encode_reset,
    encode_set_target_inclination,
    encode_set_target_speed,
    encode_start_resume,
    encode_stop,
    parse_control_response,
    parse_features,
    parse_inclination_range,
    parse_machine_status,
    parse_speed_range,
    parse_training_status,
    parse_treadmill_data,
)
from custom_components.retrowalk.ftms.const import KMH_PER_MPH

from .builders import (
    MEASUREMENT_NAMES,
    TREADMILL_LAYOUT,
    WireField,
    build_treadmill_data,
    capture_bytes,
    load_captures,
)

if TYPE_CHECKING:
    from collections.abc import Callable

PARSERS: tuple[Callable[[bytes], object], ...] = (
    parse_treadmill_data,
    parse_features,
    parse_speed_range,
    parse_inclination_range,
    parse_machine_status,
    parse_training_status,
    parse_control_response,
)


def _raw_value(wire: WireField) -> st.SearchStrategy[int]:
    # Edge values (0, not available, extremes) often, anything in the type otherwise.
    return st.one_of(
        st.sampled_from(sorted({0, 1, wire.low, wire.high, wire.not_available})),
        st.integers(wire.low, wire.high),
    )


@st.composite
def treadmill_fields(draw: st.DrawFn, *, with_speed: bool | None = None) -> dict[str, int]:
    """Raw values for a random selection of whole groups."""
    raw: dict[str, int] = {}
    for bit, group in TREADMILL_LAYOUT.items():
        wanted = with_speed if bit == 0 and with_speed is not None else draw(st.booleans())
        if wanted:
            for wire in group:
                raw[wire.name] = draw(_raw_value(wire))
    return raw


@given(treadmill_fields(with_speed=True), st.integers(0, 3))
def test_treadmill_data_round_trip(raw: dict[str, int], reserved_bits: int) -> None:
    built = build_treadmill_data(raw, extra_flags=reserved_bits << 14)
    record = parse_treadmill_data(built.packet)

    assert {name: getattr(record, name) for name in MEASUREMENT_NAMES} == (built.expected_public())
    assert record.flags == built.flags
    assert not record.more_data
    assert not record.truncated


@given(treadmill_fields(with_speed=True), st.binary(max_size=8))
def test_treadmill_data_ignores_trailing_bytes(raw: dict[str, int], trailing: bytes) -> None:
    built = build_treadmill_data(raw)
    assert parse_treadmill_data(built.packet + trailing) == parse_treadmill_data(built.packet)


@given(treadmill_fields(with_speed=True), st.data())
def test_cut_packet_keeps_completed_fields(raw: dict[str, int], data: st.DataObject) -> None:
    built = build_treadmill_data(raw)
    cut = data.draw(st.integers(2, len(built.packet)))
    record = parse_treadmill_data(built.packet[:cut])

    assert {name: getattr(record, name) for name in MEASUREMENT_NAMES} == (
        built.expected_public(cut)
    )
    assert record.truncated == (cut < len(built.packet))


@given(
    st.lists(treadmill_fields(with_speed=False), min_size=0, max_size=4),
    treadmill_fields(with_speed=True),
)
def test_assembler_merges_split_records(parts: list[dict[str, int]], last: dict[str, int]) -> None:
    assembler = TreadmillDataAssembler()
    expected: dict[str, Any] = dict.fromkeys(MEASUREMENT_NAMES)
    flags = 0
    for raw in parts:
        built = build_treadmill_data(raw, more_data=True)
        assert assembler.feed(built.packet) is None
        flags |= built.flags
        expected.update({k: v for k, v in built.expected_public().items() if v is not None})
    built = build_treadmill_data(last)
    flags |= built.flags
    expected.update({k: v for k, v in built.expected_public().items() if v is not None})

    merged = assembler.feed(built.packet)

    assert merged is not None
    assert {name: getattr(merged, name) for name in MEASUREMENT_NAMES} == expected
    assert merged.flags == flags & ~1
    assert not merged.more_data
    assert assembler.pending_parts == 0


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF))
def test_features_round_trip(machine: int, targets: int) -> None:
    features = parse_features(machine.to_bytes(4, "little") + targets.to_bytes(4, "little"))
    assert (features.machine_flags, features.target_flags) == (machine, targets)
    assert features.inclination_supported == bool(machine >> 3 & 1)
    assert features.step_count_supported == bool(machine >> 6 & 1)
    assert features.force_on_belt_and_power_supported == bool(machine >> 15 & 1)
    assert features.target_speed_supported == bool(targets & 1)
    assert features.target_inclination_supported == bool(targets >> 1 & 1)
    assert int(features.machine) == machine
    assert int(features.targets) == targets


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_speed_range_round_trip(low: int, high: int, step: int) -> None:
    packet = b"".join(v.to_bytes(2, "little") for v in (low, high, step))
    decoded = parse_speed_range(packet)
    assert (decoded.minimum, decoded.maximum, decoded.increment) == (
        low / 100,
        high / 100,
        step / 100,
    )
    assert decoded.is_usable == (high > low)


@given(st.integers(-0x8000, 0x7FFF), st.integers(-0x8000, 0x7FFF), st.integers(0, 0xFFFF))
def test_inclination_range_round_trip(low: int, high: int, step: int) -> None:
    packet = (
        low.to_bytes(2, "little", signed=True)
        + high.to_bytes(2, "little", signed=True)
        + step.to_bytes(2, "little")
    )
    decoded = parse_inclination_range(packet)
    assert (decoded.minimum, decoded.maximum, decoded.increment) == (
        low / 10,
        high / 10,
        step / 10,
    )


_STATUS_FIELDS: dict[int, WireField] = {
    MachineStatusOp.STOPPED_OR_PAUSED_BY_USER: WireField("control_information", 1, False, 1),
    MachineStatusOp.TARGET_SPEED_CHANGED: WireField("target_speed_kmh", 2, False, 100),
    MachineStatusOp.TARGET_INCLINE_CHANGED: WireField("target_inclination_pct", 2, True, 10),
    MachineStatusOp.TARGETED_DISTANCE_CHANGED: WireField("targeted_distance_m", 3, False, 1),
    MachineStatusOp.TARGETED_TRAINING_TIME_CHANGED: WireField(
        "targeted_training_time_s", 2, False, 1
    ),
}
_NAMED_STATUS_FIELDS = [wire.name for wire in _STATUS_FIELDS.values()]


@given(st.integers(0, 255), st.data(), st.binary(max_size=4))
def test_machine_status_round_trip(op: int, data: st.DataObject, trailing: bytes) -> None:
    wire = _STATUS_FIELDS.get(op)
    raw = None if wire is None else data.draw(_raw_value(wire))
    packet = bytes((op,)) + (b"" if wire is None or raw is None else wire.pack(raw)) + trailing
    status = parse_machine_status(packet)

    assert status.op == op
    assert status.parameter == packet[1:]
    assert not status.truncated
    for name in _NAMED_STATUS_FIELDS:
        if wire is not None and raw is not None and name == wire.name:
            if name == "control_information":
                assert getattr(status, name) == raw  # no "not available" for this byte
            else:
                assert getattr(status, name) == wire.public(raw)
        else:
            assert getattr(status, name) is None
    assert status.stopped == (
        op == MachineStatusOp.STOPPED_BY_SAFETY_KEY
        or (op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER and raw == StopOrPause.STOP)
    )
    assert status.paused == (
        op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER and raw == StopOrPause.PAUSE
    )
    assert status.control_permission_lost == (op == 0xFF)


@given(
    st.booleans(),
    st.booleans(),
    st.integers(0, 255),
    st.text(max_size=20).map(lambda text: text.rstrip("\x00")),
)
def test_training_status_round_trip(has_text: bool, extended: bool, code: int, text: str) -> None:
    flags = int(has_text) | int(extended) << 1
    packet = bytes((flags, code)) + (text.encode() if has_text else b"")
    status = parse_training_status(packet)
    assert status.status == code
    assert status.text == (text if has_text else None)
    assert status.extended_string == extended


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=4))
def test_control_response_round_trip(op: int, result: int, parameter: bytes) -> None:
    response = parse_control_response(bytes((0x80, op, result)) + parameter)
    assert (response.request_op, response.result, response.parameter) == (op, result, parameter)
    assert response.succeeded == (result == 1)


def test_parameterless_encoders() -> None:
    assert encode_request_control() == bytes((ControlOp.REQUEST_CONTROL,))
    assert encode_reset() == b"\x01"
    assert encode_start_resume() == b"\x07"
    assert encode_stop() == b"\x08\x01"
    assert encode_pause() == b"\x08\x02"


@given(st.integers(0, 0xFFFF))
def test_speed_written_as_a_two_decimal_number_round_trips(units: int) -> None:
    # units / 100 is the float nearest "x.yz"; e.g. 1.15 must give 115, never 114.
    packet = encode_set_target_speed(units / 100)
    assert packet[0] == ControlOp.SET_TARGET_SPEED
    assert int.from_bytes(packet[1:], "little") == units


@given(st.integers(-0x8000, 0x7FFF))
def test_inclination_written_as_a_one_decimal_number_round_trips(units: int) -> None:
    packet = encode_set_target_inclination(units / 10)
    assert packet[0] == ControlOp.SET_TARGET_INCLINATION
    assert int.from_bytes(packet[1:], "little", signed=True) == units


@given(st.floats(0, 655.35))
def test_speed_rounds_to_the_nearest_hundredth(kmh: float) -> None:
    units = int.from_bytes(encode_set_target_speed(kmh)[1:], "little")
    assert abs(units / 100 - kmh) <= 0.005 + 1e-9


@given(st.floats(0, 655.35 * KMH_PER_MPH))
def test_speed_in_mph_rounds_to_the_nearest_hundredth_mph(kmh: float) -> None:
    units = int.from_bytes(encode_set_target_speed(kmh, speed_unit=SpeedUnit.MPH)[1:], "little")
    assert abs(units / 100 - kmh / KMH_PER_MPH) <= 0.005 + 1e-9


@given(st.floats(-3276.8, 3276.7))
def test_inclination_rounds_to_the_nearest_tenth(pct: float) -> None:
    units = int.from_bytes(encode_set_target_inclination(pct)[1:], "little", signed=True)
    assert abs(units / 10 - pct) <= 0.05 + 1e-9


@given(
    st.one_of(
        st.floats(max_value=-0.005000001),
        st.floats(min_value=655.355),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    )
)
def test_speed_outside_the_field_is_a_value_error(kmh: float) -> None:
    try:
        encode_set_target_speed(kmh)
    except ValueError:
        return
    raise AssertionError(f"{kmh!r} was encoded")


@given(
    st.one_of(
        st.floats(max_value=-3276.85),
        st.floats(min_value=3276.75),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    )
)
def test_inclination_outside_the_field_is_a_value_error(pct: float) -> None:
    try:
        encode_set_target_inclination(pct)
    except ValueError:
        return
    raise AssertionError(f"{pct!r} was encoded")


def _only_decode_errors(data: bytes) -> None:
    for parse in PARSERS:
        with contextlib.suppress(FtmsDecodeError):
            parse(data)
    assembler = TreadmillDataAssembler()
    for _ in range(2):
        try:
            record = assembler.feed(data)
        except FtmsDecodeError:
            continue
        assert record is None or isinstance(record, TreadmillData)


@given(st.binary(max_size=40))
def test_random_bytes_only_ever_raise_decode_errors(data: bytes) -> None:
    _only_decode_errors(data)


SEEDS = [capture_bytes(capture) for capture in load_captures()]


@st.composite
def mutated_capture(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "append"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[position] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80]))
        elif action == "insert":
            data.insert(position, draw(st.integers(0, 255)))
        elif action == "delete" and data:
            del data[position]
        elif action == "cut":
            del data[position:]
        else:
            data += draw(st.binary(max_size=4))
    return bytes(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated_capture())
def test_mutated_captures_only_ever_raise_decode_errors(data: bytes) -> None:
    _only_decode_errors(data)
