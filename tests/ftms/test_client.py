"""FtmsClient against the simulated treadmill (retrowalk_sim), through bleak's public API."""

import asyncio
from collections.abc import Callable
import dataclasses
import logging
import time

import pytest

from custom_components.retrowalk.ftms import (
    ControlOp,
    DeviceInformation,
    DeviceQuirks,
    FtmsClient,
    FtmsCommandDroppedError,
    FtmsControlError,
    FtmsControlNotPermittedError,
    FtmsError,
    FtmsInvalidParameterError,
    FtmsNotConnectedError,
    FtmsOperationFailedError,
    FtmsOpNotSupportedError,
    FtmsTimeoutError,
    MachineFeatures,
    RequestControlMode,
    SpeedUnit,
    SupportedRange,
    TrainingStatusCode,
    quirks_for,
)
from custom_components.retrowalk.ftms.const import (
    CONTROL_POINT_UUID,
    MACHINE_STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from retrowalk_sim import (
    DEMO_PROFILE,
    BeltState,
    DeviceInformation as SimDeviceInformation,
    SimulatedTreadmill,
    SupportedRange as SimRange,
)

from .conftest import ClientFactory, Recorder, TreadmillFactory

REQUEST, RESET, SPEED, INCLINE, START, STOP_OR_PAUSE = 0x00, 0x01, 0x02, 0x03, 0x07, 0x08


def written(machine: SimulatedTreadmill) -> list[int]:
    """The op codes the machine received, in order."""
    return [write.data[0] for write in machine.writes]


def connected(client: FtmsClient) -> bool:
    """``client.is_connected``, read afresh (mypy narrows a property across awaits)."""
    return client.is_connected


def belt_state(machine: SimulatedTreadmill) -> BeltState:
    """``machine.belt_state``, read afresh."""
    return machine.belt_state


async def until(condition: Callable[[], bool], limit_s: float = 2.0) -> None:
    """Let the loop run until ``condition`` holds (the simulator's state has no events)."""
    async with asyncio.timeout(limit_s):
        while not condition():  # noqa: ASYNC110 - polling state that offers nothing to await
            await asyncio.sleep(0)


async def restore_control_when_requested(machine: SimulatedTreadmill) -> None:
    """Stop refusing (05) once the client sends Request Control again."""
    writes_before = len(machine.writes)
    await until(
        lambda: (
            len(machine.writes) > writes_before
            and machine.writes[-1].data[0] == ControlOp.REQUEST_CONTROL
        )
    )
    machine.misbehaviour.control_not_permitted = False


# -- connecting -------------------------------------------------------------------------------


async def test_connect_reads_device_information_features_and_ranges(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()

    assert client.is_connected
    assert client.device_information == DeviceInformation(
        manufacturer="RetroWalk",
        model="Demo Treadmill",
        serial_number="RW-DEMO-0001",
        hardware_revision="1.0",
        firmware_revision="1.0.0",
        software_revision="1.0.0",
    )
    assert client.features == MachineFeatures(
        treadmill.profile.machine_feature_bits, treadmill.profile.target_setting_bits
    )
    assert client.features.target_speed_supported
    assert client.features.target_inclination_supported
    assert client.speed_range == SupportedRange(0.8, 12.0, 0.1)
    assert client.inclination_range == SupportedRange(0.0, 12.0, 0.5)
    assert treadmill.subscriptions == {
        TREADMILL_DATA_UUID,
        MACHINE_STATUS_UUID,
        TRAINING_STATUS_UUID,
        CONTROL_POINT_UUID,
    }
    assert treadmill.writes == []  # connecting commands nothing


async def test_nothing_is_known_before_connecting(make_client: ClientFactory) -> None:
    client: FtmsClient = await make_client(connect=False)
    assert not client.is_connected
    assert client.device_information == DeviceInformation()
    assert client.features is None
    assert client.speed_range is None
    assert client.inclination_range is None
    assert client.quirks == DeviceQuirks()
    with pytest.raises(FtmsNotConnectedError):
        await client.start()
    with pytest.raises(FtmsNotConnectedError):
        await client.stop()


async def test_connect_and_disconnect_are_idempotent(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    client: FtmsClient = await make_client()
    await client.connect()
    assert client.is_connected
    await client.disconnect()
    await client.disconnect()
    assert not connected(client)
    assert not treadmill.is_connected
    assert recorder.disconnects == 0  # on_disconnect is for links that drop, not for asked-for
    await client.connect()
    assert client.is_connected


async def test_a_busy_treadmill_cannot_be_connected(make_client: ClientFactory) -> None:
    await make_client()
    second: FtmsClient = await make_client(connect=False)
    with pytest.raises(FtmsNotConnectedError, match="another central"):
        await second.connect()
    assert not second.is_connected


async def test_all_zero_inclination_range_is_no_usable_range(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    treadmill.misbehaviour.report_zero_inclination_range = True
    client: FtmsClient = await make_client()

    assert client.inclination_range is None
    # Machines that report a zero range may still take inclination commands.
    await client.set_target_inclination(2.0)
    assert treadmill.target_inclination_pct == 2.0


async def test_machine_without_incline(
    make_treadmill: TreadmillFactory, make_client: ClientFactory
) -> None:
    flat = make_treadmill(
        dataclasses.replace(DEMO_PROFILE, address="AA:BB:CC:00:00:02", inclination_range=None)
    )
    client: FtmsClient = await make_client(flat)

    assert client.inclination_range is None
    assert client.features is not None
    assert not client.features.target_inclination_supported
    with pytest.raises(FtmsOpNotSupportedError):
        await client.set_target_inclination(1.0)


async def test_empty_device_information_strings_are_none(
    make_treadmill: TreadmillFactory, make_client: ClientFactory
) -> None:
    anonymous = make_treadmill(
        dataclasses.replace(
            DEMO_PROFILE,
            address="AA:BB:CC:00:00:03",
            device_information=SimDeviceInformation("", " ", "\x00\x00", "UN", "1.4.8", ""),
        )
    )
    client: FtmsClient = await make_client(anonymous)
    assert client.device_information == DeviceInformation(
        hardware_revision="UN", firmware_revision="1.4.8"
    )


# -- commands ---------------------------------------------------------------------------------


async def test_start_speed_incline_pause_stop(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    client: FtmsClient = await make_client()

    await client.start()
    await client.set_target_speed(3.0)
    await client.set_target_inclination(2.5)
    await treadmill.advance(10)
    assert recorder.data[-1].speed_kmh == 3.0
    assert recorder.data[-1].inclination_pct == 2.5
    await client.pause()
    assert belt_state(treadmill) is BeltState.PAUSED
    await client.stop()
    assert belt_state(treadmill) is BeltState.STOPPED

    assert [write.data for write in treadmill.writes] == [
        bytes.fromhex(value) for value in ("00", "07", "022c01", "031900", "0802", "0801")
    ]
    assert [status.op for status in recorder.statuses] == [0x04, 0x05, 0x06, 0x02, 0x02]
    assert recorder.statuses[1].target_speed_kmh == 3.0
    assert recorder.statuses[2].target_inclination_pct == 2.5
    assert recorder.statuses[3].paused
    assert recorder.statuses[4].stopped
    assert recorder.training[-1].status == TrainingStatusCode.POST_WORKOUT


async def test_speed_is_rounded_not_truncated(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.set_target_speed(1.15)
    assert treadmill.writes[-1].data == bytes.fromhex("027300")


async def test_invalid_values_are_refused_before_anything_is_written(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    with pytest.raises(ValueError, match="speed"):
        await client.set_target_speed(-1)
    with pytest.raises(ValueError, match="inclination"):
        await client.set_target_inclination(5000)
    assert treadmill.writes == []


async def test_reset_releases_control(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.reset()
    await client.start()
    assert written(treadmill) == [REQUEST, RESET, REQUEST, START]


async def test_explicit_request_control_even_in_never_mode(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(request_control=RequestControlMode.NEVER)
    )
    await client.request_control()
    await client.start()
    assert written(treadmill) == [REQUEST, START]


async def test_responses_by_notification_are_matched(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    treadmill.misbehaviour.respond_with_notification = True
    client: FtmsClient = await make_client()
    await client.start()
    await client.set_target_speed(2.0)
    assert treadmill.target_speed_kmh == 2.0


async def test_a_cancelled_caller_is_not_written(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    treadmill.misbehaviour.response_delay_s = 0.05
    first = asyncio.create_task(client.start())
    second = asyncio.create_task(client.set_target_inclination(1.0))
    await until(lambda: len(treadmill.writes) == 1)
    second.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert written(treadmill) == [REQUEST, START]


# -- stop jumps the queue ---------------------------------------------------------------------


async def test_stop_is_written_at_once_ahead_of_ten_queued_commands(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.3
    in_flight = asyncio.create_task(client.set_target_speed(4.0))
    await until(lambda: len(treadmill.writes) == 3)
    queued = [asyncio.create_task(client.set_target_inclination(i / 2)) for i in range(10)]
    await asyncio.sleep(0.01)
    assert len(treadmill.writes) == 3  # the queue waits for the slow response

    called = time.monotonic()
    stop = asyncio.create_task(client.stop())
    await until(lambda: len(treadmill.writes) == 4)

    stop_write = treadmill.writes[3]
    assert stop_write.data == bytes.fromhex("0801")
    assert stop_write.monotonic - called < 0.05  # not after the 300 ms response
    assert not in_flight.done()  # the in-flight procedure still waits for its own response
    await stop
    await in_flight  # ... and gets it
    for command in queued:
        with pytest.raises(FtmsCommandDroppedError):
            await command
    assert written(treadmill) == [REQUEST, START, SPEED, STOP_OR_PAUSE]
    assert treadmill.belt_state is BeltState.STOPPED


async def test_commands_after_a_stop_wait_for_its_response(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.05
    stop = asyncio.create_task(client.stop())
    await until(lambda: len(treadmill.writes) == 3)
    after = asyncio.create_task(client.start())
    await asyncio.sleep(0.02)
    assert len(treadmill.writes) == 3
    await stop
    await after
    assert written(treadmill) == [REQUEST, START, STOP_OR_PAUSE, START]


async def test_stop_and_pause_in_flight_are_matched_in_order(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.05
    pause = asyncio.create_task(client.pause())
    await until(lambda: len(treadmill.writes) == 3)
    await client.stop()
    await pause
    assert [write.data for write in treadmill.writes[2:]] == [b"\x08\x02", b"\x08\x01"]


async def test_stop_takes_control_first_without_waiting_for_the_answer(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    treadmill.misbehaviour.require_request_control = True
    client: FtmsClient = await make_client()
    await client.stop()
    await client.start()  # control came with the stop: not requested again
    assert written(treadmill) == [REQUEST, STOP_OR_PAUSE, START]
    assert treadmill.writes[1].monotonic - treadmill.writes[0].monotonic < 0.05


async def test_stop_requests_control_before_each_in_that_mode(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(request_control=RequestControlMode.BEFORE_EACH)
    )
    await client.start()
    await client.stop()
    assert written(treadmill) == [REQUEST, START, REQUEST, STOP_OR_PAUSE]


async def test_stop_refused_for_lack_of_control_is_retried_once(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.control_not_permitted = True
    restore = asyncio.create_task(restore_control_when_requested(treadmill))
    await client.stop()
    await restore
    assert written(treadmill) == [REQUEST, START, STOP_OR_PAUSE, REQUEST, STOP_OR_PAUSE]
    assert treadmill.belt_state is BeltState.STOPPED


async def test_stop_failures_are_typed(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(request_control=RequestControlMode.NEVER)
    )
    treadmill.misbehaviour.result_overrides[STOP_OR_PAUSE] = 0x05
    with pytest.raises(FtmsControlNotPermittedError):
        await client.stop()  # NEVER: no Request Control, no retry
    treadmill.misbehaviour.result_overrides[STOP_OR_PAUSE] = 0x04
    with pytest.raises(FtmsOperationFailedError):
        await client.stop()
    assert written(treadmill) == [STOP_OR_PAUSE, STOP_OR_PAUSE]


async def test_stop_ends_a_wait_for_the_belt_and_drops_the_speed_step(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(start_before_speed=True, wait_for_belt_s=5.0)
    )
    # Simulated time stands still: the belt never reports a speed, so the wait would last 5 s.
    set_speed = asyncio.create_task(client.set_target_speed(3.0))
    await until(lambda: written(treadmill) == [REQUEST, START])
    await asyncio.sleep(0.01)
    began = time.monotonic()
    await client.stop()
    with pytest.raises(FtmsCommandDroppedError):
        await set_speed
    assert time.monotonic() - began < 1
    assert written(treadmill) == [REQUEST, START, STOP_OR_PAUSE]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "error", "ops"),
    [
        (0x02, FtmsOpNotSupportedError, [REQUEST, INCLINE]),
        (0x03, FtmsInvalidParameterError, [REQUEST, INCLINE]),
        (0x04, FtmsOperationFailedError, [REQUEST, INCLINE]),
        # ONCE mode takes control again and retries once before giving up:
        (0x05, FtmsControlNotPermittedError, [REQUEST, INCLINE, REQUEST, INCLINE]),
        (0x42, FtmsControlError, [REQUEST, INCLINE]),  # a reserved code: the base class
    ],
)
async def test_every_result_code_is_a_typed_error(
    treadmill: SimulatedTreadmill,
    make_client: ClientFactory,
    result: int,
    error: type[FtmsControlError],
    ops: list[int],
) -> None:
    client: FtmsClient = await make_client()
    treadmill.misbehaviour.result_overrides[INCLINE] = result

    with pytest.raises(error) as caught:
        await client.set_target_inclination(1.0)

    assert type(caught.value) is error
    assert (caught.value.request_op, caught.value.result) == (INCLINE, result)
    assert written(treadmill) == ops


async def test_machine_refusals_are_typed(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    with pytest.raises(FtmsInvalidParameterError):
        await client.set_target_speed(20.0)  # above the 12 km/h maximum
    treadmill.pull_safety_key()
    with pytest.raises(FtmsOperationFailedError):
        await client.start()


async def test_refused_request_control_fails_the_command(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    treadmill.misbehaviour.result_overrides[REQUEST] = 0x04
    with pytest.raises(FtmsOperationFailedError) as caught:
        await client.start()
    assert caught.value.request_op == REQUEST
    assert written(treadmill) == [REQUEST]


async def test_no_response_is_a_timeout_and_the_queue_moves_on(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(response_timeout=0.05)
    treadmill.misbehaviour.drop_responses = True
    with pytest.raises(FtmsTimeoutError):
        await client.start()
    with pytest.raises(FtmsTimeoutError):
        await client.stop()
    treadmill.misbehaviour.drop_responses = False
    await client.start()
    assert written(treadmill) == [REQUEST, REQUEST, STOP_OR_PAUSE, REQUEST, START]


async def test_link_dropping_mid_procedure_fails_it_and_the_queue(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.3
    in_flight = asyncio.create_task(client.set_target_speed(4.0))
    await until(lambda: len(treadmill.writes) == 3)
    queued = [asyncio.create_task(client.set_target_inclination(1.0)) for _ in range(3)]
    await asyncio.sleep(0)

    treadmill.drop_link()

    for command in (in_flight, *queued):
        with pytest.raises(FtmsNotConnectedError):
            await command
    assert not client.is_connected
    assert recorder.disconnects == 1
    with pytest.raises(FtmsNotConnectedError):
        await client.set_target_speed(1.0)
    with pytest.raises(FtmsNotConnectedError):
        await client.stop()

    treadmill.misbehaviour.response_delay_s = 0
    await client.connect()
    await client.start()
    assert written(treadmill)[3:] == [REQUEST, START]  # control is asked for again


async def test_link_dropping_during_a_stop_fails_it(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.3
    stop = asyncio.create_task(client.stop())
    await until(lambda: len(treadmill.writes) == 3)
    treadmill.drop_link()
    with pytest.raises(FtmsNotConnectedError):
        await stop


async def test_link_dropping_while_waiting_for_the_belt(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(quirks=DeviceQuirks(wait_for_belt_s=5.0))
    start = asyncio.create_task(client.start())
    await until(lambda: written(treadmill) == [REQUEST, START])
    await asyncio.sleep(0.01)
    treadmill.drop_link()
    with pytest.raises(FtmsNotConnectedError):
        await start


async def test_link_dropped_by_the_write_itself(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    treadmill.misbehaviour.drop_link_on_speed_until_running = True
    client: FtmsClient = await make_client()
    with pytest.raises(FtmsNotConnectedError):
        await client.set_target_speed(3.0)
    await until(lambda: recorder.disconnects == 1)
    assert not client.is_connected


# -- quirks -----------------------------------------------------------------------------------


async def test_speed_parameter_in_mph(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    treadmill.misbehaviour.speed_parameter_mph = True
    plain: FtmsClient = await make_client()
    # Without the quirk, 8 km/h is read as 8 mph (12.9 km/h): above this machine's maximum.
    with pytest.raises(FtmsInvalidParameterError):
        await plain.set_target_speed(8.0)
    await plain.disconnect()

    client: FtmsClient = await make_client(quirks=DeviceQuirks(speed_unit=SpeedUnit.MPH))
    await client.start()
    await client.set_target_speed(8.0)
    assert treadmill.writes[-1].data == bytes.fromhex("02f101")  # 497 = 4.97 mph = 8.0 km/h
    assert treadmill.target_speed_kmh == 8.0
    # The machine echoes the new target in mph (4.97); callers see km/h.
    assert recorder.statuses[-1].target_speed_kmh == 8.0


@pytest.mark.parametrize(
    ("mode", "ops"),
    [
        (RequestControlMode.ONCE, [REQUEST, START, SPEED, INCLINE]),
        (
            RequestControlMode.BEFORE_EACH,
            [REQUEST, START, REQUEST, SPEED, REQUEST, INCLINE],
        ),
        (RequestControlMode.NEVER, [START, SPEED, INCLINE]),
    ],
)
async def test_request_control_modes(
    treadmill: SimulatedTreadmill,
    make_client: ClientFactory,
    mode: RequestControlMode,
    ops: list[int],
) -> None:
    client: FtmsClient = await make_client(quirks=DeviceQuirks(request_control=mode))
    await client.start()
    await client.set_target_speed(2.0)
    await client.set_target_inclination(1.0)
    assert written(treadmill) == ops
    assert treadmill.target_speed_kmh == 2.0


async def test_control_is_requested_again_after_status_ff(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    treadmill.misbehaviour.require_request_control = True
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.console_pause()  # this machine revokes control on a console pause (status FF)
    await treadmill.advance(0)
    assert recorder.statuses[-1].control_permission_lost
    await client.start()
    await client.set_target_speed(2.0)
    assert written(treadmill) == [REQUEST, START, REQUEST, START, SPEED]
    assert treadmill.belt_state is BeltState.RUNNING


async def test_control_lost_silently_is_taken_back_once(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.control_not_permitted = True  # answers 05, no status FF
    restore = asyncio.create_task(restore_control_when_requested(treadmill))
    await client.set_target_speed(2.0)
    await restore
    assert written(treadmill) == [REQUEST, START, SPEED, REQUEST, SPEED]
    assert treadmill.target_speed_kmh == 2.0


async def test_start_before_speed_waits_for_the_belt(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    treadmill.misbehaviour.ignore_speed_until_running = True  # KingSmith behaviour
    client: FtmsClient = await make_client(quirks=quirks_for("KingSmith", "WalkingPad", None))
    treadmill.start_realtime(0.02)

    await client.set_target_speed(3.0)

    assert written(treadmill) == [REQUEST, START, SPEED]
    assert treadmill.writes[2].sim_time_s > treadmill.writes[1].sim_time_s
    assert treadmill.target_speed_kmh == 3.0
    assert any(record.speed_kmh for record in recorder.data)
    # Running now: the next speed goes out alone.
    await client.set_target_speed(3.5)
    assert written(treadmill) == [REQUEST, START, SPEED, SPEED]


async def test_without_the_quirk_that_machine_ignores_the_speed(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    treadmill.misbehaviour.ignore_speed_until_running = True
    client: FtmsClient = await make_client()
    await client.set_target_speed(3.0)
    assert written(treadmill) == [REQUEST, SPEED]
    assert treadmill.target_speed_kmh is None


async def test_start_before_speed_after_a_pause_and_not_for_zero(
    make_treadmill: TreadmillFactory, make_client: ClientFactory
) -> None:
    from_standstill = make_treadmill(
        dataclasses.replace(
            DEMO_PROFILE, address="AA:BB:CC:00:00:04", speed_range=SimRange(0.0, 12.0, 0.1)
        )
    )
    client: FtmsClient = await make_client(
        from_standstill, quirks=DeviceQuirks(start_before_speed=True)
    )
    from_standstill.start_realtime(0.02)
    await client.set_target_speed(1.0)  # standing: Start first
    await until(lambda: from_standstill.speed_kmh > 0)
    await from_standstill.advance(0)
    await client.set_target_speed(2.0)  # running: no Start
    await client.pause()
    await client.set_target_speed(0)  # a zero speed does not start the belt
    await client.set_target_speed(2.0)  # paused: resume first
    assert written(from_standstill) == [
        REQUEST,
        START,
        SPEED,
        SPEED,
        STOP_OR_PAUSE,
        SPEED,
        START,
        SPEED,
    ]


async def test_wait_for_belt_gives_up_after_its_time(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(quirks=DeviceQuirks(wait_for_belt_s=0.1))
    began = time.monotonic()
    await client.start()  # simulated time stands still: no speed is ever reported
    assert time.monotonic() - began >= 0.1


# -- notifications ----------------------------------------------------------------------------


async def test_split_records_arrive_merged(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    treadmill.misbehaviour.split_data_records = True
    treadmill.misbehaviour.steps_in_bit13 = True
    client: FtmsClient = await make_client()
    await client.start()
    await treadmill.advance(5)

    assert len(recorder.data) == 10
    for record in recorder.data:
        assert not record.more_data
        assert record.speed_kmh is not None
        assert record.total_distance_m is not None
        assert record.step_count is not None
    assert (recorder.data[-1].speed_kmh or 0) > 0


async def test_quirky_notifications_are_decoded(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, recorder: Recorder
) -> None:
    behaviour = treadmill.misbehaviour
    behaviour.truncate_data_bytes = 3
    behaviour.not_available_as_zero = True
    behaviour.status_trailing_bytes = b"\x00\x00"
    behaviour.training_status_string_flag_without_string = True
    client: FtmsClient = await make_client()
    await client.start()
    await treadmill.advance(2)

    assert recorder.data
    assert all(record.truncated for record in recorder.data)
    assert recorder.statuses[0].started
    assert recorder.statuses[0].parameter == b"\x00\x00"
    assert recorder.training[0].text == ""


async def test_a_failing_callback_does_not_break_the_client(
    treadmill: SimulatedTreadmill, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("callback bug")

    client: FtmsClient = await make_client(on_data=broken, on_machine_status=broken)
    with caplog.at_level(logging.ERROR):
        await client.start()
        await treadmill.advance(1)
    await client.set_target_speed(2.0)
    assert treadmill.target_speed_kmh == 2.0
    assert "callback" in caplog.text
    assert "RuntimeError" in caplog.text


async def test_without_callbacks(treadmill: SimulatedTreadmill, make_client: ClientFactory) -> None:
    client: FtmsClient = await make_client(
        on_data=None, on_machine_status=None, on_training_status=None, on_disconnect=None
    )
    await client.start()
    await treadmill.advance(1)
    treadmill.drop_link()
    await until(lambda: not client.is_connected)


# -- callers that go away -------------------------------------------------------------------


async def test_two_stops_at_once(treadmill: SimulatedTreadmill, make_client: ClientFactory) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.05
    await asyncio.gather(client.stop(), client.stop())
    after = asyncio.create_task(client.start())
    await after
    assert written(treadmill) == [REQUEST, START, STOP_OR_PAUSE, STOP_OR_PAUSE, START]


async def test_a_cancelled_queued_command_is_skipped_by_the_stop(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.response_delay_s = 0.05
    in_flight = asyncio.create_task(client.set_target_speed(2.0))
    queued = asyncio.create_task(client.set_target_speed(3.0))
    await until(lambda: len(treadmill.writes) == 3)
    queued.cancel()
    await client.stop()
    await in_flight
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert written(treadmill) == [REQUEST, START, SPEED, STOP_OR_PAUSE]


async def test_a_caller_cancelled_mid_procedure_does_not_stop_the_queue(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    treadmill.misbehaviour.response_delay_s = 0.05
    impatient = asyncio.create_task(client.start())
    await until(lambda: len(treadmill.writes) == 2)
    impatient.cancel()
    await client.set_target_speed(2.0)  # the procedure finished and the queue went on
    assert written(treadmill) == [REQUEST, START, SPEED]
    assert treadmill.target_speed_kmh == 2.0


async def test_concurrent_connects_make_one_connection(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(connect=False)
    # The machine takes one central only: a second connection attempt would fail.
    await asyncio.gather(client.connect(), client.connect())
    assert connected(client)
    assert treadmill.is_connected


async def test_not_ready_for_commands_until_set_up(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(connect=False)
    connecting = asyncio.create_task(client.connect())
    await asyncio.sleep(0)
    assert not connecting.done()
    assert not connected(client)
    with pytest.raises(FtmsNotConnectedError):
        await client.start()
    await connecting
    await client.start()
    assert written(treadmill) == [REQUEST, START]


async def test_a_belt_already_running_at_connect_needs_no_start(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    treadmill.console_start()
    await treadmill.advance(2)
    client: FtmsClient = await make_client(quirks=DeviceQuirks(start_before_speed=True))
    await treadmill.advance(1)
    await client.set_target_speed(2.0)
    assert written(treadmill) == [REQUEST, SPEED]


def command_workers() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("FTMS commands") and not task.done()
    ]


async def test_no_task_outlives_a_dropped_link(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    assert len(command_workers()) == 1
    treadmill.drop_link()
    await until(lambda: not connected(client))
    await until(lambda: not command_workers())  # a client forgotten now leaks nothing
    await client.connect()
    await client.set_target_speed(2.0)
    assert len(command_workers()) == 1


# -- a strict machine refuses a write while a procedure is unanswered ----------------------------


async def test_a_busy_strict_machine_gets_the_stop_as_soon_as_it_is_free(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client()
    await client.start()
    treadmill.misbehaviour.refuse_while_busy = True
    treadmill.misbehaviour.response_delay_s = 0.3
    in_flight = asyncio.create_task(client.set_target_speed(4.0))
    await until(lambda: len(treadmill.writes) == 3)
    treadmill.misbehaviour.response_delay_s = 0

    called = time.monotonic()
    await client.stop()
    # Refused once (the speed is unanswered), written again as soon as it was answered.
    assert written(treadmill) == [REQUEST, START, SPEED, STOP_OR_PAUSE, STOP_OR_PAUSE]
    assert 0.2 < time.monotonic() - called < 0.5
    await in_flight
    await treadmill.advance(10)
    assert treadmill.belt_state is BeltState.STOPPED


async def test_request_control_and_stop_reach_a_strict_machine(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(request_control=RequestControlMode.BEFORE_EACH)
    )
    await client.start()
    await client.set_target_speed(2.0)
    await treadmill.advance(5)
    treadmill.misbehaviour.refuse_while_busy = True
    treadmill.misbehaviour.response_delay_s = 0.1
    await client.stop()
    await treadmill.advance(10)
    assert treadmill.belt_state is BeltState.STOPPED
    # Stop right behind Request Control is refused; it goes again once control is answered.
    assert written(treadmill)[-3:] == [REQUEST, STOP_OR_PAUSE, STOP_OR_PAUSE]


async def test_request_control_for_a_stop_goes_again_as_soon_as_the_busy_machine_answers(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(
        quirks=DeviceQuirks(request_control=RequestControlMode.BEFORE_EACH)
    )
    await client.start()
    treadmill.misbehaviour.refuse_while_busy = True
    treadmill.misbehaviour.response_delay_s = 0.3
    in_flight = asyncio.create_task(client.set_target_speed(4.0))
    await until(lambda: written(treadmill)[-1:] == [SPEED], limit_s=2)
    treadmill.misbehaviour.response_delay_s = 0
    since = len(treadmill.writes)

    called = time.monotonic()
    await client.stop()
    # Request Control is refused while the speed is unanswered and written again as soon as
    # the speed is answered: the stop's own responses, which cannot come before the stop is
    # written, are not waited for.
    assert written(treadmill)[since:] == [REQUEST, REQUEST, STOP_OR_PAUSE]
    assert 0.2 < time.monotonic() - called < 0.5
    await in_flight
    await treadmill.advance(10)
    assert treadmill.belt_state is BeltState.STOPPED


async def test_a_stop_the_machine_keeps_refusing_fails(
    treadmill: SimulatedTreadmill, make_client: ClientFactory
) -> None:
    client: FtmsClient = await make_client(response_timeout=0.3)
    await client.start()
    treadmill.misbehaviour.refuse_while_busy = True
    treadmill.misbehaviour.drop_responses = True
    hung = asyncio.create_task(client.set_target_speed(2.0))
    await until(lambda: len(treadmill.writes) == 3)
    with pytest.raises(FtmsError):
        await asyncio.wait_for(client.stop(), timeout=30)
    hung.cancel()
