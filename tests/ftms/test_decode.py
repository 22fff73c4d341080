"""Decoder behaviour on the quirks real firmwares show (README "What real treadmills do")."""

import pytest

from custom_components.retrowalk.ftms import (
    FtmsControlError,
    FtmsDecodeError,
    MachineFeature,
    MachineStatusOp,
    SupportedRange,
    TrainingStatusCode,
    TreadmillData,
    TreadmillDataAssembler,
    merge_treadmill_data,
    parse_control_response,
    parse_features,
    parse_inclination_range,
    parse_machine_status,
    parse_speed_range,
    parse_training_status,
    parse_treadmill_data,
)
from custom_components.retrowalk.ftms.errors import control_error_for


def test_speed_only_packet() -> None:
    assert parse_treadmill_data(bytes.fromhex("0000 7100")) == TreadmillData(speed_kmh=1.13)


def test_all_zero_packet_is_real_data_not_noise() -> None:
    record = parse_treadmill_data(bytes(4))
    assert record.speed_kmh == 0.0
    assert not record.truncated


def test_step_count_on_bit_13_is_a_uint24() -> None:
    record = parse_treadmill_data(bytes.fromhex("0020 2c01 563412"))
    assert record.speed_kmh == 3.0
    assert record.step_count == 0x123456
    assert not record.truncated


def test_not_available_values_are_none_and_zero_stays_zero() -> None:
    # inclination n/a, ramp 0x7FFF, energy total 0, per hour 0xFFFF, per minute 0xFF
    packet = bytes.fromhex("8800 0000 ff7f ff7f 0000 ffff ff")
    record = parse_treadmill_data(packet)
    assert record.inclination_pct is None
    assert record.ramp_angle_deg is None
    assert record.total_energy_kcal == 0
    assert record.energy_per_hour_kcal is None
    assert record.energy_per_minute_kcal is None


def test_firmware_sending_zero_for_unavailable_energy_decodes_zero() -> None:
    record = parse_treadmill_data(bytes.fromhex("8000 0000 0000 0000 00"))
    assert (record.energy_per_hour_kcal, record.energy_per_minute_kcal) == (0, 0)


def test_heart_rate_zero_is_kept() -> None:
    assert parse_treadmill_data(bytes.fromhex("0001 0000 00")).heart_rate_bpm == 0


def test_negative_inclination_force_and_power() -> None:
    record = parse_treadmill_data(bytes.fromhex("0810 0000 ceff f6ff 9cff 0a00"))
    assert record.inclination_pct == -5.0
    assert record.ramp_angle_deg == -1.0
    assert record.force_on_belt_n == -100
    assert record.power_output_w == 10


def test_packet_shorter_than_its_flags_keeps_completed_fields() -> None:
    # speed, distance, then energy announced but only the total (2 of 5 bytes) arrives
    record = parse_treadmill_data(bytes.fromhex("8400 2c01 040000 0500"))
    assert record.truncated
    assert record.speed_kmh == 3.0
    assert record.total_distance_m == 4
    assert record.total_energy_kcal == 5
    assert record.energy_per_hour_kcal is None
    assert record.elapsed_time_s is None


def test_trailing_bytes_and_reserved_flags_are_ignored() -> None:
    record = parse_treadmill_data(bytes.fromhex("00c0 6400 deadbeef"))
    assert record.speed_kmh == 1.0
    assert not record.truncated
    assert record.flags == 0xC000


@pytest.mark.parametrize("data", [b"", b"\x00"])
def test_treadmill_data_without_flags_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(FtmsDecodeError):
        parse_treadmill_data(data)


def test_assembler_passes_single_records_through() -> None:
    assembler = TreadmillDataAssembler()
    assert assembler.feed(bytearray.fromhex("0000 6400")) == TreadmillData(speed_kmh=1.0)


def test_assembler_later_part_wins_and_truncation_is_kept() -> None:
    assembler = TreadmillDataAssembler()
    assert assembler.feed(bytes.fromhex("0304 6400 01")) is None  # avg 1.0, elapsed cut short
    merged = assembler.feed(bytes.fromhex("0004 c800 0200"))  # speed 2.0, elapsed 2
    assert merged == TreadmillData(
        flags=0x0402, speed_kmh=2.0, average_speed_kmh=1.0, elapsed_time_s=2, truncated=True
    )


def test_assembler_bounds_a_record_that_never_ends() -> None:
    assembler = TreadmillDataAssembler(max_parts=3)
    for _ in range(3):
        assert assembler.feed(bytes.fromhex("0300 6400")) is None
    assert assembler.pending_parts == 3
    assert assembler.feed(bytes.fromhex("0104 0500")) is None  # a fourth: the stale ones go
    assert assembler.pending_parts == 1
    merged = assembler.feed(bytes.fromhex("0000 c800"))
    assert merged == TreadmillData(flags=0x0400, speed_kmh=2.0, elapsed_time_s=5)


def test_assembler_error_keeps_pending_parts_and_reset_forgets_them() -> None:
    assembler = TreadmillDataAssembler()
    assembler.feed(bytes.fromhex("0300 6400"))
    with pytest.raises(FtmsDecodeError):
        assembler.feed(b"\x00")
    assert assembler.pending_parts == 1
    assembler.reset()
    assert assembler.pending_parts == 0


def test_merge_of_nothing_is_an_empty_record() -> None:
    assert merge_treadmill_data([]) == TreadmillData()


def test_features_short_target_bytes_read_as_zero() -> None:
    features = parse_features(bytes.fromhex("08000000"))
    assert features.machine_flags == MachineFeature.INCLINATION
    assert features.target_flags == 0
    assert features.inclination_supported
    with pytest.raises(FtmsDecodeError):
        parse_features(b"\x01\x02\x03")


def test_features_keep_unknown_bits_and_name_the_rest() -> None:
    features = parse_features(bytes.fromhex("ffff0380 ffff0180"))
    assert features.machine_flags == 0x8003FFFF
    assert features.target_flags == 0x8001FFFF
    assert all(
        getattr(features, name)
        for name in dir(features)
        if name.endswith("_supported") and not name.startswith("_")
    )
    assert int(features.machine) == 0x8003FFFF


def test_all_zero_feature_read_supports_nothing() -> None:
    features = parse_features(bytes(8))
    assert not any(getattr(features, name) for name in dir(features) if name.endswith("_supported"))


def test_ranges() -> None:
    assert parse_speed_range(bytes.fromhex("6400 5802 3200")) == SupportedRange(1.0, 6.0, 0.5)
    assert parse_inclination_range(bytes.fromhex("ecff 9600 0500")) == SupportedRange(
        -2.0, 15.0, 0.5
    )
    for parse in (parse_speed_range, parse_inclination_range):
        with pytest.raises(FtmsDecodeError):
            parse(bytes(5))


def test_range_usability() -> None:
    assert not SupportedRange(0.0, 0.0, 0.0).is_usable
    assert not SupportedRange(5.0, 5.0, 0.1).is_usable
    speeds = SupportedRange(0.96, 6.43, 0.32)
    assert speeds.is_usable


@pytest.mark.parametrize(
    ("hex_value", "expected"),
    [
        ("01", {"op": MachineStatusOp.RESET}),
        ("0201", {"control_information": 1, "stopped": True, "paused": False}),
        ("0202", {"control_information": 2, "stopped": False, "paused": True}),
        ("0207", {"control_information": 7, "stopped": False, "paused": False}),
        ("03", {"stopped_by_safety_key": True, "stopped": True}),
        ("040000", {"started": True, "parameter": b"\x00\x00"}),
        ("059600", {"target_speed_kmh": 1.5}),
        ("05ffff", {"target_speed_kmh": None, "truncated": False}),
        ("0596", {"target_speed_kmh": None, "truncated": True}),
        ("06ceff", {"target_inclination_pct": -5.0}),
        ("06ff7f", {"target_inclination_pct": None}),
        ("0de80300", {"targeted_distance_m": 1000}),
        ("0e0807", {"targeted_training_time_s": 1800}),
        ("02", {"control_information": None, "truncated": True, "stopped": False}),
        ("ff", {"control_permission_lost": True, "stopped": False}),
        ("0712", {"op": 7, "parameter": b"\x12"}),
        ("4242", {"op": 0x42, "parameter": b"\x42"}),
    ],
)
def test_machine_status(hex_value: str, expected: dict[str, object]) -> None:
    status = parse_machine_status(bytes.fromhex(hex_value))
    for name, value in expected.items():
        assert getattr(status, name) == value, name


def test_machine_status_empty_is_a_decode_error() -> None:
    with pytest.raises(FtmsDecodeError):
        parse_machine_status(b"")


@pytest.mark.parametrize(
    ("hex_value", "status", "text", "extended"),
    [
        ("0001", TrainingStatusCode.IDLE, None, False),
        ("0010", 0x10, None, False),  # reserved, kept
        ("0011ffff", 0x11, None, False),  # no string flag: trailing bytes ignored
        ("010d", TrainingStatusCode.MANUAL_MODE, "", False),
        ("010d" + b"Quick Start\x00\x00".hex(), 0x0D, "Quick Start", False),
        ("0300" + b"War".hex(), 0x00, "War", True),
        ("0100ff41", 0x00, "\ufffdA", False),  # invalid UTF-8 is replaced, not rejected
    ],
)
def test_training_status(hex_value: str, status: int, text: str | None, extended: bool) -> None:
    decoded = parse_training_status(bytes.fromhex(hex_value))
    assert (decoded.status, decoded.text, decoded.extended_string) == (status, text, extended)


def test_training_status_too_short() -> None:
    with pytest.raises(FtmsDecodeError):
        parse_training_status(b"\x01")


def test_control_responses() -> None:
    response = parse_control_response(bytes.fromhex("800305"))
    assert (response.request_op, response.result, response.succeeded) == (3, 5, False)
    assert parse_control_response(bytes.fromhex("80130102")).parameter == b"\x02"
    with pytest.raises(FtmsDecodeError):
        parse_control_response(bytes.fromhex("8000"))
    with pytest.raises(FtmsDecodeError, match="not a control-point response"):
        parse_control_response(bytes.fromhex("070000"))


def test_control_errors_name_the_procedure() -> None:
    assert str(control_error_for(0x02, 0x03)) == "SET_TARGET_SPEED failed with result 0x03"
    assert str(control_error_for(0x42, 0x09)) == "op 0x42 failed with result 0x09"
    assert type(control_error_for(0x42, 0x09)) is FtmsControlError
