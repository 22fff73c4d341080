"""The machine model at its GATT boundary: physics, control point, statuses, misbehaviour."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from retrowalk_sim import DEMO_PROFILE, BeltState, SimulatedTreadmill
from retrowalk_sim.errors import (
    GattProtocolError,
    LinkBusyError,
    LinkDroppedError,
    NotConnectedError,
    TreadmillUnreachableError,
)
from retrowalk_sim.protocol import (
    ControlOp,
    DeviceInformationCharacteristic,
    FtmsCharacteristic,
    TrainingStatusCode,
)

from .conftest import RecordingCentral, speed_of

START = bytes((0x07,))
STOP = bytes((0x08, 0x01))
PAUSE = bytes((0x08, 0x02))
REQUEST_CONTROL = bytes((0x00,))


def set_speed(kmh: float) -> bytes:
    return bytes((0x02,)) + round(kmh * 100).to_bytes(2, "little")


def set_incline(pct: float) -> bytes:
    return bytes((0x03,)) + round(pct * 10).to_bytes(2, "little", signed=True)


IDLE_PACKET = bytes.fromhex(
    "9e05"  # flags: avg speed, distance, inclination, elevation, energy, heart rate, elapsed
    "0000"  # instantaneous speed
    "0000"  # average speed
    "000000"  # total distance
    "0000ff7f"  # inclination, ramp angle not available
    "00000000"  # elevation gain positive, negative
    "0000ffffff"  # energy total, per hour and per minute not available
    "00"  # heart rate
    "0000"  # elapsed time
)


# ------------------------------------------------------------------ reads


def test_reads_describe_the_demo_treadmill(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    def read(uuid: str) -> bytes:
        return treadmill.read_characteristic(central, uuid)

    assert read(FtmsCharacteristic.FEATURE) == bytes.fromhex("1d16000003000000")
    assert read(FtmsCharacteristic.SUPPORTED_SPEED_RANGE) == bytes.fromhex("5000b0040a00")
    assert read(FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE) == bytes.fromhex("000078000500")
    assert read(FtmsCharacteristic.TRAINING_STATUS) == bytes((0x00, TrainingStatusCode.IDLE))
    assert read(DeviceInformationCharacteristic.MANUFACTURER_NAME) == b"RetroWalk"
    assert read(DeviceInformationCharacteristic.MODEL_NUMBER) == b"Demo Treadmill"
    assert read(DeviceInformationCharacteristic.SERIAL_NUMBER) == b"RW-DEMO-0001"
    assert read(DeviceInformationCharacteristic.HARDWARE_REVISION) == b"1.0"
    assert read(DeviceInformationCharacteristic.FIRMWARE_REVISION) == b"1.0.0"
    assert read(DeviceInformationCharacteristic.SOFTWARE_REVISION) == b"1.0.0"
    # UUIDs compare case-insensitively, as bleak's do.
    assert read(FtmsCharacteristic.FEATURE.upper()) == read(FtmsCharacteristic.FEATURE)


def test_gatt_errors(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    with pytest.raises(GattProtocolError) as not_readable:
        treadmill.read_characteristic(central, FtmsCharacteristic.TREADMILL_DATA)
    assert not_readable.value.code == GattProtocolError.READ_NOT_PERMITTED
    with pytest.raises(GattProtocolError) as not_writable:
        treadmill.write_characteristic(central, FtmsCharacteristic.FEATURE, b"\x00")
    assert not_writable.value.code == GattProtocolError.WRITE_NOT_PERMITTED
    with pytest.raises(GattProtocolError) as cannot_notify:
        treadmill.set_notifications(central, FtmsCharacteristic.FEATURE, True)
    assert cannot_notify.value.code == GattProtocolError.REQUEST_NOT_SUPPORTED
    with pytest.raises(GattProtocolError) as unknown:
        treadmill.read_characteristic(central, "0000ffff-0000-1000-8000-00805f9b34fb")
    assert unknown.value.code == GattProtocolError.ATTRIBUTE_NOT_FOUND
    with pytest.raises(NotConnectedError):
        treadmill.read_characteristic(RecordingCentral(treadmill), FtmsCharacteristic.FEATURE)


async def test_control_point_write_needs_indications(treadmill: SimulatedTreadmill) -> None:
    central = RecordingCentral(treadmill)
    central.connect(subscribe=(FtmsCharacteristic.MACHINE_STATUS,))
    with pytest.raises(GattProtocolError) as refused:
        treadmill.write_characteristic(central, FtmsCharacteristic.CONTROL_POINT, START)
    assert refused.value.code == GattProtocolError.CCCD_IMPROPERLY_CONFIGURED
    assert treadmill.belt_state is BeltState.STOPPED
    assert [write.data for write in treadmill.writes] == [START]


def test_profile_without_incline_motor() -> None:
    profile = dataclasses.replace(DEMO_PROFILE, inclination_range=None)
    machine = SimulatedTreadmill(profile)
    uuids = {c.uuid for service in machine.gatt_services() for c in service.characteristics}
    assert FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE not in uuids
    assert profile.machine_feature_bits == 0x1605
    assert profile.target_setting_bits == 0x01
    assert machine.treadmill_data_notifications() == [
        bytes.fromhex("8605000000000000000000ffffff000000")
    ]


def test_feature_bits_can_be_overridden() -> None:
    profile = dataclasses.replace(DEMO_PROFILE, machine_features=0x08, target_setting_features=0)
    assert SimulatedTreadmill(profile).characteristic_value(FtmsCharacteristic.FEATURE) == bytes(
        (0x08, 0, 0, 0, 0, 0, 0, 0)
    )


# ------------------------------------------------------------------ time and data


async def test_idle_machine_streams_zero_packets_at_2_hz(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await treadmill.advance(5)
    assert central.data == [IDLE_PACKET] * 10
    assert treadmill.clock_s == 5.0


async def test_partial_steps_carry_over(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await treadmill.advance(0.3)
    assert central.data == []
    await treadmill.advance(0.2)
    assert len(central.data) == 1
    with pytest.raises(ValueError, match="forward"):
        await treadmill.advance(-1)


async def test_data_only_reaches_subscribed_centrals(treadmill: SimulatedTreadmill) -> None:
    central = RecordingCentral(treadmill)
    central.connect(subscribe=())
    await treadmill.advance(1)
    assert central.received == []
    assert [n.delivered for n in treadmill.notifications] == [False, False]
    treadmill.set_notifications(central, FtmsCharacteristic.TREADMILL_DATA, True)
    await treadmill.advance(0.5)
    assert central.data == [IDLE_PACKET]
    treadmill.set_notifications(central, FtmsCharacteristic.TREADMILL_DATA, False)
    await treadmill.advance(0.5)
    assert central.data == [IDLE_PACKET]


async def test_realtime_advances_by_itself(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    with pytest.raises(ValueError, match="positive"):
        treadmill.start_realtime(time_scale=0)
    treadmill.start_realtime(time_scale=0.01)
    assert treadmill.realtime_running
    await asyncio.sleep(0.1)
    treadmill.stop_realtime()
    assert not treadmill.realtime_running
    assert treadmill.clock_s >= 1.0
    assert len(central.data) == treadmill.clock_s / 0.5


# ------------------------------------------------------------------ belt physics


async def test_start_accelerates_to_minimum_speed_at_half_a_kmh_per_second(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    assert await central.command(START) == bytes((0x80, 0x07, 0x01))
    assert central.statuses == [bytes((0x04,))]
    assert central.training == [bytes((0x00, TrainingStatusCode.MANUAL_MODE))]
    await treadmill.advance(2.5)
    assert [speed_of(p) for p in central.data] == [0.25, 0.5, 0.75, 0.8, 0.8]
    assert treadmill.belt_state is BeltState.RUNNING
    assert treadmill.target_speed_kmh == 0.8


async def test_response_precedes_follow_up_notifications(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(START)
    assert [uuid for uuid, _ in central.received] == [
        FtmsCharacteristic.CONTROL_POINT,
        FtmsCharacteristic.MACHINE_STATUS,
        FtmsCharacteristic.TRAINING_STATUS,
    ]


async def test_speed_changes_ramp_both_ways(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(START)
    await treadmill.advance(2)
    assert await central.command(set_speed(3.0)) == bytes((0x80, 0x02, 0x01))
    assert central.statuses[-1] == bytes.fromhex("052c01")
    central.clear()
    await treadmill.advance(4.5)
    assert [speed_of(p) for p in central.data] == [
        1.05, 1.3, 1.55, 1.8, 2.05, 2.3, 2.55, 2.8, 3.0
    ]  # fmt: skip
    await central.command(set_speed(2.0))
    central.clear()
    await treadmill.advance(2.5)
    assert [speed_of(p) for p in central.data] == [2.75, 2.5, 2.25, 2.0, 2.0]


async def test_stop_decelerates_and_ends_the_workout(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(START)
    await central.command(set_speed(1.5))
    await treadmill.advance(5)
    central.clear()
    assert await central.command(STOP) == bytes((0x80, 0x08, 0x01))
    assert central.statuses == [bytes((0x02, 0x01))]
    assert central.training == [bytes((0x00, TrainingStatusCode.POST_WORKOUT))]
    assert treadmill.belt_state is BeltState.STOPPED
    assert treadmill.target_speed_kmh is None
    await treadmill.advance(2)
    assert [speed_of(p) for p in central.data] == [1.25, 1.0, 0.75, 0.5]
    await treadmill.advance(1.5)
    assert treadmill.speed_kmh == 0
    # Post-workout for the profile's 5 s once the belt stands (it has for 1 s), then idle.
    await treadmill.advance(3.5)
    assert treadmill.training_status is TrainingStatusCode.POST_WORKOUT
    await treadmill.advance(0.5)
    assert treadmill.training_status is TrainingStatusCode.IDLE
    # Stop when stopped: nothing to do, still a success.
    assert await central.command(STOP) == bytes((0x80, 0x08, 0x01))


async def test_pause_and_resume_keep_the_session_and_target(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(START)
    await central.command(set_speed(2.0))
    await treadmill.advance(10)
    distance = treadmill.distance_m
    assert await central.command(PAUSE) == bytes((0x80, 0x08, 0x01))
    assert central.statuses[-1] == bytes((0x02, 0x02))
    await treadmill.advance(10)
    assert treadmill.belt_state is BeltState.PAUSED
    assert treadmill.speed_kmh == 0
    elapsed = treadmill.elapsed_s
    await central.command(START)
    await treadmill.advance(10)
    assert treadmill.speed_kmh == 2.0
    assert treadmill.distance_m > distance
    assert treadmill.elapsed_s == elapsed + 10


async def test_speed_set_before_start_is_where_the_belt_goes(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    assert await central.command(set_speed(1.5)) == bytes((0x80, 0x02, 0x01))
    await treadmill.advance(2)
    assert treadmill.speed_kmh == 0
    await central.command(START)
    await treadmill.advance(4)
    assert treadmill.speed_kmh == 1.5


@pytest.mark.parametrize(
    ("kmh", "result", "target"),
    [
        (0.7, 0x03, None),
        (12.01, 0x03, None),
        (12.0, 0x01, 12.0),
        (0.8, 0x01, 0.8),
        (1.15, 0x01, 1.2),  # rounded half up to the 0.1 km/h grid, not truncated
        (1.14, 0x01, 1.1),
        (0.0, 0x03, None),
    ],
)
async def test_speed_is_validated_and_rounded_to_the_increment(
    treadmill: SimulatedTreadmill,
    central: RecordingCentral,
    kmh: float,
    result: int,
    target: float | None,
) -> None:
    assert await central.command(set_speed(kmh)) == bytes((0x80, 0x02, result))
    assert treadmill.target_speed_kmh == target
    if target is None:
        assert central.statuses == []
    else:
        assert central.statuses == [bytes((0x05,)) + round(target * 100).to_bytes(2, "little")]


async def test_short_parameters_are_invalid(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    assert await central.command(bytes((0x02, 0x2C))) == bytes((0x80, 0x02, 0x03))
    assert await central.command(bytes((0x03, 0x01))) == bytes((0x80, 0x03, 0x03))
    assert await central.command(bytes((0x08,))) == bytes((0x80, 0x08, 0x03))
    assert await central.command(bytes((0x08, 0x03))) == bytes((0x80, 0x08, 0x03))


async def test_incline_motor_moves_at_its_rate_and_lowers_on_stop(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(START)
    assert await central.command(set_incline(2.0)) == bytes((0x80, 0x03, 0x01))
    assert central.statuses[-1] == bytes.fromhex("061400")
    await treadmill.advance(2)
    assert treadmill.inclination_pct == 1.0
    await treadmill.advance(2)
    assert treadmill.inclination_pct == 2.0
    packet = central.data[-1]
    assert int.from_bytes(packet[9:11], "little", signed=True) == 20
    await central.command(STOP)
    await treadmill.advance(4)
    assert treadmill.inclination_pct == 0.0


@pytest.mark.parametrize(
    ("pct", "result", "target"),
    [(-0.5, 0x03, 0.0), (12.5, 0x03, 0.0), (12.0, 0x01, 12.0), (1.2, 0x01, 1.0), (1.3, 0x01, 1.5)],
)
async def test_incline_is_validated_and_rounded(
    treadmill: SimulatedTreadmill,
    central: RecordingCentral,
    pct: float,
    result: int,
    target: float,
) -> None:
    assert await central.command(set_incline(pct)) == bytes((0x80, 0x03, result))
    assert treadmill.target_inclination_pct == target


async def test_incline_unsupported_without_motor() -> None:
    machine = SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, inclination_range=None))
    central = RecordingCentral(machine)
    central.connect()
    assert await central.command(set_incline(1.0)) == bytes((0x80, 0x03, 0x02))
    machine.console_set_incline(2.0)
    assert central.statuses == []
    await machine.aclose()


async def test_session_figures(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.set_heart_rate(95)
    await central.command(set_speed(3.0))
    await central.command(START)
    await treadmill.advance(60)
    # 6 s of ramp-up at 0.5 km/h/s lose 2.5 m against 60 s at 3 km/h.
    assert treadmill.distance_m == pytest.approx(47.5)
    assert treadmill.elapsed_s == 60
    assert treadmill.average_speed_kmh == pytest.approx(2.85)
    assert treadmill.steps == 79
    # ACSM walking at 3 km/h for 70 kg: 8.5 ml/kg/min, about 3 kcal/min.
    assert 2.5 < treadmill.energy_kcal < 3.0
    packet = central.data[-1]
    assert int.from_bytes(packet[4:6], "little") == 285
    assert int.from_bytes(packet[6:9], "little") == 47
    assert int.from_bytes(packet[17:19], "little") == 2
    assert packet[22] == 95
    assert int.from_bytes(packet[23:25], "little") == 60
    await central.command(set_incline(5.0))
    await treadmill.advance(60)
    assert treadmill.elevation_gain_m == pytest.approx(2.3, abs=0.1)
    assert treadmill.energy_kcal > 2 * 2.9
    # A new start after a stop begins a new session.
    await central.command(STOP)
    await treadmill.advance(10)
    await central.command(START)
    assert treadmill.distance_m == 0
    assert treadmill.elapsed_s == 0


async def test_start_countdown_reports_pre_workout() -> None:
    machine = SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, start_countdown_s=2.0))
    central = RecordingCentral(machine)
    central.connect()
    await central.command(START)
    assert machine.belt_state is BeltState.STARTING
    await machine.advance(1.5)
    assert machine.speed_kmh == 0
    await machine.advance(0.5)
    assert machine.belt_state is BeltState.RUNNING
    assert machine.speed_kmh == 0.25
    assert central.training == [
        bytes((0x00, TrainingStatusCode.PRE_WORKOUT)),
        bytes((0x00, TrainingStatusCode.MANUAL_MODE)),
    ]
    await machine.aclose()


async def test_reset(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    await central.command(REQUEST_CONTROL)
    await central.command(START)
    await treadmill.advance(5)
    assert await central.command(bytes((0x01,))) == bytes((0x80, 0x01, 0x01))
    assert central.statuses[-1] == bytes((0x01,))
    assert treadmill.training_status is TrainingStatusCode.IDLE
    assert treadmill.belt_state is BeltState.STOPPED
    assert treadmill.distance_m == 0
    assert not treadmill.control_granted


async def test_unknown_and_empty_writes(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    assert await central.command(bytes((0x0C, 0x10, 0x27, 0x00))) == bytes((0x80, 0x0C, 0x02))
    assert await central.command(bytes((0x55,))) == bytes((0x80, 0x55, 0x02))
    assert await central.command(b"") is None
    assert treadmill.written_ops == [ControlOp.SET_TARGETED_DISTANCE, 0x55]
    assert treadmill.writes[0].op is ControlOp.SET_TARGETED_DISTANCE
    assert treadmill.writes[0].parameter == bytes((0x10, 0x27, 0x00))
    assert treadmill.writes[2].op is None
    assert treadmill.writes[0].monotonic <= treadmill.writes[1].monotonic


# ------------------------------------------------------------------ person and machine


async def test_safety_key_stops_the_belt_at_once(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(set_speed(3.0))
    await central.command(START)
    await treadmill.advance(8)
    central.clear()
    treadmill.pull_safety_key()
    assert treadmill.speed_kmh == 0
    assert central.statuses == [bytes((0x03,))]
    assert treadmill.training_status is TrainingStatusCode.POST_WORKOUT
    await treadmill.advance(0.5)
    assert speed_of(central.data[-1]) == 0
    assert await central.command(START) == bytes((0x80, 0x07, 0x04))
    assert not treadmill.console_start()
    treadmill.pull_safety_key()  # already out: nothing happens
    treadmill.insert_safety_key()
    assert treadmill.training_status is TrainingStatusCode.IDLE
    assert await central.command(START) == bytes((0x80, 0x07, 0x01))
    treadmill.insert_safety_key()  # already in
    assert treadmill.safety_key_inserted


async def test_console_buttons(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.console_stop()  # nothing running: no status
    treadmill.console_pause()
    assert central.statuses == []
    assert treadmill.console_start()
    assert treadmill.console_start()  # already running
    treadmill.console_set_speed(20)
    treadmill.console_set_incline(-3)
    await treadmill.advance(1)
    treadmill.console_pause()
    treadmill.console_start()
    treadmill.console_stop()
    assert central.statuses == [
        bytes((0x04,)),
        bytes.fromhex("05b004"),
        bytes.fromhex("060000"),
        bytes((0x02, 0x02)),
        bytes((0x04,)),
        bytes((0x02, 0x01)),
    ]


async def test_revoke_control(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    await central.command(REQUEST_CONTROL)
    assert treadmill.control_granted
    treadmill.revoke_control()
    assert not treadmill.control_granted
    assert central.statuses == [bytes((0xFF,))]


async def test_heart_rate(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.set_heart_rate(300)
    assert treadmill.heart_rate_bpm == 255
    treadmill.set_heart_rate(None)
    assert treadmill.heart_rate_bpm == 0


# ------------------------------------------------------------------ link and advertising


async def test_one_central_at_a_time_and_advertising_follows_the_link(
    treadmill: SimulatedTreadmill,
) -> None:
    changes: list[bool] = []
    remove = treadmill.add_advertising_listener(changes.append)
    assert treadmill.is_advertising
    first, second = RecordingCentral(treadmill), RecordingCentral(treadmill)
    first.connect()
    first.connect()  # the same central again: nothing changes
    with pytest.raises(LinkBusyError):
        second.connect()
    assert not treadmill.is_advertising
    treadmill.disconnect_central(second)  # not the connected one: ignored
    assert treadmill.is_connected
    treadmill.disconnect_central(first)
    assert first.links_lost == 0
    second.connect()
    treadmill.drop_link()
    assert second.links_lost == 1
    treadmill.drop_link()  # nothing connected
    assert changes == [False, True, False, True]
    remove()
    remove()
    first.connect()
    assert changes == [False, True, False, True]


async def test_control_and_subscriptions_end_with_the_link(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    await central.command(REQUEST_CONTROL)
    await central.command(START)
    treadmill.drop_link()
    assert not treadmill.control_granted
    assert treadmill.subscriptions == frozenset()
    # Most treadmills keep the belt running when Bluetooth goes.
    assert treadmill.belt_state is BeltState.RUNNING


async def test_profile_can_stop_the_belt_on_link_loss() -> None:
    machine = SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, stops_belt_on_link_loss=True))
    central = RecordingCentral(machine)
    central.connect()
    await central.command(START)
    machine.drop_link()
    assert machine.belt_state is BeltState.STOPPED
    await machine.aclose()


async def test_power_and_range(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    await central.command(START)
    treadmill.power_off()
    assert central.links_lost == 1
    assert not treadmill.is_advertising
    assert treadmill.speed_kmh == 0
    with pytest.raises(TreadmillUnreachableError):
        central.connect()
    await treadmill.advance(1)
    assert treadmill.notifications[-1].characteristic != FtmsCharacteristic.TREADMILL_DATA
    treadmill.power_on()
    assert treadmill.powered
    central.connect()
    treadmill.set_in_range(False)
    assert central.links_lost == 2
    assert not treadmill.in_range
    assert not treadmill.is_advertising
    with pytest.raises(TreadmillUnreachableError):
        central.connect()
    treadmill.set_in_range(True)
    assert treadmill.is_advertising


# ------------------------------------------------------------------ misbehaviour


async def test_require_request_control(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.require_request_control = True
    assert await central.command(START) == bytes((0x80, 0x07, 0x05))
    assert await central.command(REQUEST_CONTROL) == bytes((0x80, 0x00, 0x01))
    assert await central.command(START) == bytes((0x80, 0x07, 0x01))
    central.clear()
    treadmill.console_pause()
    assert central.statuses == [bytes((0x02, 0x02)), bytes((0xFF,))]
    assert await central.command(START) == bytes((0x80, 0x07, 0x05))


async def test_control_not_permitted(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.control_not_permitted = True
    assert await central.command(REQUEST_CONTROL) == bytes((0x80, 0x00, 0x01))
    assert await central.command(START) == bytes((0x80, 0x07, 0x05))
    assert await central.command(set_speed(2)) == bytes((0x80, 0x02, 0x05))
    assert treadmill.belt_state is BeltState.STOPPED


async def test_repeated_request_control(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    assert await central.command(REQUEST_CONTROL) == bytes((0x80, 0x00, 0x01))
    assert await central.command(REQUEST_CONTROL) == bytes((0x80, 0x00, 0x01))
    treadmill.misbehaviour.repeated_request_control_result = 0x04
    assert await central.command(REQUEST_CONTROL) == bytes((0x80, 0x00, 0x04))


@pytest.mark.parametrize("result", [0x02, 0x03, 0x04, 0x05])
async def test_result_overrides(
    treadmill: SimulatedTreadmill, central: RecordingCentral, result: int
) -> None:
    treadmill.misbehaviour.result_overrides[0x07] = result
    assert await central.command(START) == bytes((0x80, 0x07, result))
    assert treadmill.belt_state is BeltState.STOPPED
    assert central.statuses == []


async def test_unsupported_ops(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.misbehaviour.unsupported_ops.add(0x03)
    assert await central.command(set_incline(1.0)) == bytes((0x80, 0x03, 0x02))


async def test_slow_responses(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.misbehaviour.response_delay_s = 0.05
    assert await central.command(START) is None
    # The machine acts at once; only the answer is late.
    assert treadmill.belt_state is BeltState.RUNNING
    await asyncio.sleep(0.1)
    assert central.responses == [bytes((0x80, 0x07, 0x01))]
    assert central.statuses == [bytes((0x04,))]


async def test_late_responses_die_with_the_link(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.response_delay_s = 0.05
    await central.command(START)
    treadmill.drop_link()
    central.connect()
    await asyncio.sleep(0.1)
    assert central.responses == []


async def test_dropped_responses(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.misbehaviour.drop_responses = True
    assert await central.command(START) is None
    assert central.statuses == [bytes((0x04,))]
    assert treadmill.belt_state is BeltState.RUNNING


async def test_respond_with_notification_declares_notify(treadmill: SimulatedTreadmill) -> None:
    treadmill.misbehaviour.respond_with_notification = True
    (control_point,) = (
        c
        for service in treadmill.gatt_services()
        for c in service.characteristics
        if c.uuid == FtmsCharacteristic.CONTROL_POINT
    )
    assert control_point.properties == ("write", "notify")


async def test_status_trailing_bytes(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.status_trailing_bytes = b"\x00\x00"
    await central.command(START)
    assert central.statuses == [bytes.fromhex("040000")]


async def test_steps_in_bit_13(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.misbehaviour.steps_in_bit13 = True
    await central.command(set_speed(3.0))
    await central.command(START)
    await treadmill.advance(30)
    packet = central.data[-1]
    assert int.from_bytes(packet[:2], "little") == 0x259E
    assert len(packet) == len(IDLE_PACKET) + 3
    assert int.from_bytes(packet[-3:], "little") == treadmill.steps > 0


async def test_speed_parameter_in_mph(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.speed_parameter_mph = True
    assert await central.command(bytes.fromhex("02c800")) == bytes((0x80, 0x02, 0x01))
    # 2.00 mph = 3.22 km/h, on the 0.1 km/h grid 3.2; echoed in mph.
    assert treadmill.target_speed_kmh == 3.2
    assert central.statuses == [bytes.fromhex("05c700")]
    # 8 mph = 12.9 km/h is beyond the range.
    assert await central.command(bytes.fromhex("022003")) == bytes((0x80, 0x02, 0x03))


async def test_ranges_as_mph_numbers_and_zero_inclination_range(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.speed_range_in_mph = True
    treadmill.misbehaviour.report_zero_inclination_range = True
    read = treadmill.characteristic_value
    assert read(FtmsCharacteristic.SUPPORTED_SPEED_RANGE) == bytes.fromhex("3200ea020600")
    assert read(FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE) == bytes(6)
    assert await central.command(set_incline(1.0)) == bytes((0x80, 0x03, 0x01))


async def test_speed_ignored_until_the_belt_runs(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.ignore_speed_until_running = True
    assert await central.command(set_speed(2.0)) == bytes((0x80, 0x02, 0x01))
    assert treadmill.target_speed_kmh is None
    await central.command(START)
    await treadmill.advance(0.5)
    assert await central.command(set_speed(2.0)) == bytes((0x80, 0x02, 0x01))
    assert treadmill.target_speed_kmh == 2.0


async def test_speed_commands_ignored(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.ignore_speed_commands = True
    await central.command(START)
    await treadmill.advance(2)
    assert await central.command(set_speed(2.0)) == bytes((0x80, 0x02, 0x01))
    assert treadmill.target_speed_kmh == 0.8
    assert central.statuses == [bytes((0x04,))]


async def test_link_dropped_on_speed_while_standing(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.drop_link_on_speed_until_running = True
    with pytest.raises(LinkDroppedError):
        await central.command(set_speed(2.0))
    assert central.links_lost == 1
    assert not treadmill.is_connected


async def test_not_available_as_zero(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.not_available_as_zero = True
    await treadmill.advance(0.5)
    assert central.data == [bytes.fromhex("9e05") + bytes(len(IDLE_PACKET) - 2)]


async def test_split_records(treadmill: SimulatedTreadmill, central: RecordingCentral) -> None:
    treadmill.misbehaviour.split_data_records = True
    await treadmill.advance(0.5)
    first, second = central.data
    assert first == bytes.fromhex("1f0000000000000000ff7f00000000")
    assert second == bytes.fromhex("800500000000ffffff000000")


async def test_truncated_records_odometer_and_training_string_flag(
    treadmill: SimulatedTreadmill, central: RecordingCentral
) -> None:
    treadmill.misbehaviour.truncate_data_bytes = 3
    treadmill.misbehaviour.distance_offset_m = 123456
    treadmill.misbehaviour.training_status_string_flag_without_string = True
    await treadmill.advance(0.5)
    (packet,) = central.data
    assert packet == IDLE_PACKET[:6] + (123456).to_bytes(3, "little") + IDLE_PACKET[9:-3]
    assert treadmill.characteristic_value(FtmsCharacteristic.TRAINING_STATUS) == bytes((1, 1))
