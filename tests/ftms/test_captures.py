"""Every real capture in shared/ftms/captures-public.json decodes to what its source says."""

import math
import re
from typing import Any

import pytest

from custom_components.retrowalk.ftms import (
    ControlOp,
    MachineFeature,
    MachineStatusOp,
    ResultCode,
    TargetSettingFeature,
    TreadmillData,
    TreadmillDataAssembler,
    encode_request_control,
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

from .builders import capture_bytes, load_captures

CAPTURES = load_captures()


def _captures_of(uuid: str) -> list[Any]:
    return [
        pytest.param(capture, id=f"{uuid}-{capture['hex']}")
        for capture in CAPTURES
        if capture["characteristic_uuid"] == uuid
    ]


def _code(text: str) -> int:
    """'0x04 Started or Resumed by the User' -> 4."""
    match = re.match(r"0x([0-9A-Fa-f]+)", text)
    assert match, text
    return int(match.group(1), 16)


def _not_available(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("n/a")


def _assert_value(actual: float | None, expected: Any, what: str) -> None:
    if expected is None or _not_available(expected):
        assert actual is None, what
    else:
        assert actual is not None, what
        assert math.isclose(actual, expected, abs_tol=1e-9), (what, actual, expected)


# decoded_by_hand keys of Treadmill Data captures -> TreadmillData fields
HAND_KEYS = {
    "speed_kmh": "speed_kmh",
    "avg_speed_kmh": "average_speed_kmh",
    "total_distance_m": "total_distance_m",
    "inclination_pct": "inclination_pct",
    "ramp_angle_deg": "ramp_angle_deg",
    "elevation_gain_pos_m": "positive_elevation_gain_m",
    "elevation_gain_neg_m": "negative_elevation_gain_m",
    "energy_total_kcal": "total_energy_kcal",
    "energy_per_hour_kcal": "energy_per_hour_kcal",
    "energy_per_minute_kcal": "energy_per_minute_kcal",
    "heart_rate_bpm": "heart_rate_bpm",
    "metabolic_equivalent": "metabolic_equivalent",
    "elapsed_time_s": "elapsed_time_s",
    "remaining_time_s": "remaining_time_s",
    "force_on_belt_n": "force_on_belt_n",
    "power_output_w": "power_output_w",
    "step_count_vendor_bit13": "step_count",
}
HAND_KEYS_NOT_FIELDS = {"_notes", "flags", "flag_bits_set", "length_bytes"}

# decoded_by_source keys -> TreadmillData fields, per source
SOURCE_KEYS = {
    "pyftms_expected": {
        "speed_instant": "speed_kmh",
        "distance_total": "total_distance_m",
        "heart_rate": "heart_rate_bpm",
        "time_elapsed": "elapsed_time_s",
        "step_count": "step_count",
        "inclination": "inclination_pct",
        "ramp_angle": "ramp_angle_deg",
        "elevation_gain_positive": "positive_elevation_gain_m",
        "elevation_gain_negative": "negative_elevation_gain_m",
        "energy_total": "total_energy_kcal",
        "energy_per_hour": "energy_per_hour_kcal",
        "energy_per_minute": "energy_per_minute_kcal",
    },
    "tmiw_expected_record": {
        "distance": "total_distance_m",
        "calories": "total_energy_kcal",
        "speed": "speed_kmh",
        "caloriesPerHour": "energy_per_hour_kcal",
        "caloriesPerMinute": "energy_per_minute_kcal",
        "elapsed": "elapsed_time_s",
        "power": "power_output_w",
        "heartRate": "heart_rate_bpm",
    },
}
NRF_CONNECT_NAMES = {
    "Instantaneous Speed": "speed_kmh",
    "Total Distance": "total_distance_m",
    "Total Energy": "total_energy_kcal",
    "Energy Per Hour": "energy_per_hour_kcal",
    "Energy Per Minute": "energy_per_minute_kcal",
    "Elapsed Time": "elapsed_time_s",
}


def _nrf_connect_values(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for part in text.split("|"):
        name, _, rest = part.strip().partition(": ")
        if name in NRF_CONNECT_NAMES:
            values[NRF_CONNECT_NAMES[name]] = float(rest.split()[0])
        else:
            assert name == "Reserved Flags for Future Use", name
            assert int(rest, 16) == 0x2000  # bit 13, read as the step count
    return values


@pytest.mark.parametrize("capture", _captures_of("2ACD"))
def test_treadmill_data_matches_decoded_by_hand(capture: dict[str, Any]) -> None:
    data = capture_bytes(capture)
    hand = capture["decoded_by_hand"]
    record = parse_treadmill_data(data)

    assert len(data) == hand["length_bytes"]
    assert record.flags == int(hand["flags"], 16)
    assert [bit for bit in range(16) if record.flags >> bit & 1] == hand["flag_bits_set"]
    assert not record.truncated
    assert record.more_data == (0 in hand["flag_bits_set"])
    checked = set()
    for key, expected in hand.items():
        if key in HAND_KEYS_NOT_FIELDS:
            continue
        name = HAND_KEYS[key]
        _assert_value(getattr(record, name), expected, key)
        checked.add(name)
    assert checked, "the capture states values"


@pytest.mark.parametrize("capture", _captures_of("2ACD"))
def test_treadmill_data_matches_decoded_by_source(capture: dict[str, Any]) -> None:
    record = parse_treadmill_data(capture_bytes(capture))
    source = capture["decoded_by_source"]
    (kind, stated), *others = source.items()
    assert not others
    if kind == "nrf_connect":
        expected = _nrf_connect_values(stated)
    elif kind == "pyftms_expected":
        expected = {SOURCE_KEYS[kind][key]: value for key, value in stated.items()}
    else:
        # Matrix split record: each half states only what it carries; speed None = absent.
        assert kind == "tmiw_expected_record"
        expected = {SOURCE_KEYS[kind][key]: value for key, value in stated.items()}
    for name, value in expected.items():
        _assert_value(getattr(record, name), value, name)


def test_matrix_split_record_is_merged_by_the_assembler() -> None:
    first, second = (
        capture_bytes(c) for c in CAPTURES if c["device"].startswith("Matrix Performance")
    )
    assembler = TreadmillDataAssembler()

    assert assembler.feed(first) is None
    assert assembler.pending_parts == 1
    merged = assembler.feed(second)

    assert merged == TreadmillData(
        flags=0x1F9E,
        speed_kmh=1.13,
        average_speed_kmh=0.97,
        total_distance_m=54,
        inclination_pct=0.0,
        ramp_angle_deg=None,
        positive_elevation_gain_m=0.0,
        negative_elevation_gain_m=None,
        total_energy_kcal=5,
        energy_per_hour_kcal=110,
        energy_per_minute_kcal=2,
        heart_rate_bpm=0,
        metabolic_equivalent=0.2,
        elapsed_time_s=204,
        remaining_time_s=1596,
        force_on_belt_n=None,
        power_output_w=26,
    )
    assert assembler.pending_parts == 0
    # Both halves' tmiw expectations hold on the merged record.
    for capture in CAPTURES:
        if capture["device"].startswith("Matrix Performance"):
            stated = capture["decoded_by_source"]["tmiw_expected_record"]
            for key, value in stated.items():
                if value is not None:
                    name = SOURCE_KEYS["tmiw_expected_record"][key]
                    _assert_value(getattr(merged, name), value, key)


@pytest.mark.parametrize("capture", _captures_of("2ADA"))
def test_machine_status_captures(capture: dict[str, Any]) -> None:
    data = capture_bytes(capture)
    hand = capture["decoded_by_hand"]
    status = parse_machine_status(data)

    assert status.op == _code(hand["op"])
    assert not status.truncated
    if "new_target_speed_kmh" in hand:
        assert status.op == MachineStatusOp.TARGET_SPEED_CHANGED
        _assert_value(status.target_speed_kmh, hand["new_target_speed_kmh"], "speed")
    if "control_information" in hand:
        assert hand["control_information"] == "stop"
        assert status.stopped
        assert not status.paused
    if status.op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
        assert status.started
    if "unexpected_trailing_bytes" in hand:
        assert status.parameter.endswith(bytes.fromhex(hand["unexpected_trailing_bytes"]))


def test_machine_status_source_texts() -> None:
    by_hex = {
        c["hex"]: c["decoded_by_source"]
        for c in CAPTURES
        if c["characteristic_uuid"] == "2ADA" and c["decoded_by_source"]
    }
    started = parse_machine_status(bytes.fromhex("040000"))
    assert "Started or Resumed" in by_hex["04-00-00"]["nrf_connect"]
    assert started.started
    speed = parse_machine_status(bytes.fromhex("059600"))
    assert "1.5 km/h" in by_hex["05-96-00"]["nrf_connect"]
    assert speed.target_speed_kmh == 1.5
    stop = parse_machine_status(bytes.fromhex("020100"))
    assert "Control Information: Stop" in by_hex["02-01-00"]["nrf_connect"]
    assert stop.control_information == 1
    assert stop.stopped


@pytest.mark.parametrize("capture", _captures_of("2AD3"))
def test_training_status_captures(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    status = parse_training_status(capture_bytes(capture))

    assert status.status == _code(hand["status"])
    assert status.extended_string == hand["extended_string_flag"]
    if hand["string_present_flag"]:
        assert status.text == ""  # flag set, no string: parsed as empty, as the note says
    else:
        assert status.text is None


@pytest.mark.parametrize("capture", _captures_of("2AD4"))
def test_speed_range_captures(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    speed_range = parse_speed_range(capture_bytes(capture))

    _assert_value(speed_range.minimum, hand["min_kmh"], "min")
    _assert_value(speed_range.maximum, hand["max_kmh"], "max")
    _assert_value(speed_range.increment, hand["min_increment_kmh"], "increment")
    assert speed_range.is_usable


@pytest.mark.parametrize("capture", _captures_of("2AD5"))
def test_inclination_range_captures(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    inclination_range = parse_inclination_range(capture_bytes(capture))

    _assert_value(inclination_range.minimum, hand["min_pct"], "min")
    _assert_value(inclination_range.maximum, hand["max_pct"], "max")
    _assert_value(inclination_range.increment, hand["min_increment_pct"], "increment")
    # The only inclination capture is the all-zero range: not a usable range.
    assert not inclination_range.is_usable


@pytest.mark.parametrize("capture", _captures_of("2ACC"))
def test_feature_captures(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    features = parse_features(capture_bytes(capture))

    assert features.machine_flags == int(hand["machine_features"], 16)
    assert features.target_flags == int(hand["target_settings"], 16)
    assert set(features.machine) == {
        MachineFeature[name.upper()] for name in hand["machine_features_set"]
    }
    assert set(features.targets) == {
        TargetSettingFeature[name.upper()] for name in hand["target_settings_set"]
    }
    assert features.total_distance_supported
    assert features.step_count_supported
    assert features.expended_energy_supported
    assert features.elapsed_time_supported
    assert features.target_speed_supported
    assert not features.inclination_supported
    assert not features.target_inclination_supported


def _control_point_captures(*, responses: bool) -> list[Any]:
    return [
        param
        for param in _captures_of("2AD9")
        if (capture_bytes(param.values[0])[0] == ControlOp.RESPONSE_CODE) == responses
    ]


@pytest.mark.parametrize("capture", _control_point_captures(responses=False))
def test_control_point_writes_match_our_encoders(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    op = _code(hand["op"])
    if op == ControlOp.REQUEST_CONTROL:
        ours = encode_request_control()
    elif op == ControlOp.START_OR_RESUME:
        ours = encode_start_resume()
    elif op == ControlOp.SET_TARGET_SPEED:
        ours = encode_set_target_speed(hand["target_speed_kmh"])
    else:
        assert op == ControlOp.STOP_OR_PAUSE
        assert hand["control_information"] == "stop"
        ours = encode_stop()
    assert ours == capture_bytes(capture)


@pytest.mark.parametrize("capture", _control_point_captures(responses=True))
def test_control_point_responses(capture: dict[str, Any]) -> None:
    hand = capture["decoded_by_hand"]
    response = parse_control_response(capture_bytes(capture))

    assert response.request_op == _code(hand["request_op"])
    assert response.result == _code(hand["result"]) == ResultCode.SUCCESS
    assert response.succeeded
    assert response.parameter == b""


def test_every_characteristic_in_the_file_is_covered() -> None:
    covered = {"2ACD", "2ADA", "2AD3", "2AD4", "2AD5", "2ACC", "2AD9"}
    in_file = {capture["characteristic_uuid"] for capture in CAPTURES}
    assert in_file <= covered
    assert _control_point_captures(responses=True)
    assert _control_point_captures(responses=False)
