"""FtmsClient on GATT tables and byte streams the simulator does not produce (scripted.py)."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode
import pytest

from custom_components.retrowalk.ftms import (
    DeviceInformation,
    FtmsClient,
    FtmsError,
    FtmsNotConnectedError,
    FtmsOpNotSupportedError,
    MachineFeatures,
    SupportedRange,
)
from custom_components.retrowalk.ftms.const import (
    CONTROL_POINT_UUID,
    DEVICE_INFORMATION_SERVICE_UUID,
    FIRMWARE_REVISION_UUID,
    FITNESS_MACHINE_FEATURE_UUID,
    FTMS_SERVICE_UUID,
    MACHINE_STATUS_UUID,
    MANUFACTURER_NAME_UUID,
    MODEL_NUMBER_UUID,
    SERIAL_NUMBER_UUID,
    SUPPORTED_INCLINATION_RANGE_UUID,
    SUPPORTED_SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)

from .conftest import Recorder
from .scripted import PERIPHERALS, ScriptedBleakClient, ScriptedCharacteristic, ScriptedPeripheral

ADDRESS = "11:22:33:44:55:66"
CITYSPORTS_FEATURES = bytes.fromhex("4412000001000000")
CITYSPORTS_SPEED_RANGE = bytes.fromhex("640058023200")


def answer_success(peripheral: ScriptedPeripheral, data: bytes) -> None:
    """Answer every control-point write with success, after the write returns."""
    asyncio.get_running_loop().call_soon(
        peripheral.notify, CONTROL_POINT_UUID, bytes((0x80, data[0], 0x01))
    )


def ftms_characteristics(
    *, control_point: bool = True, **values: bytes | BaseException
) -> list[ScriptedCharacteristic]:
    """The FTMS characteristics of a walking pad; ``values`` adds readable ones by UUID name."""
    characteristics = [
        ScriptedCharacteristic(TREADMILL_DATA_UUID, ("notify",)),
        ScriptedCharacteristic(MACHINE_STATUS_UUID, ("notify",)),
        ScriptedCharacteristic(TRAINING_STATUS_UUID, ("read", "notify"), b"\x00\x01"),
    ]
    if control_point:
        characteristics.append(ScriptedCharacteristic(CONTROL_POINT_UUID, ("write", "indicate")))
    uuids = {
        "feature": FITNESS_MACHINE_FEATURE_UUID,
        "speed_range": SUPPORTED_SPEED_RANGE_UUID,
        "inclination_range": SUPPORTED_INCLINATION_RANGE_UUID,
    }
    characteristics += [
        ScriptedCharacteristic(uuids[name], ("read",), value) for name, value in values.items()
    ]
    return characteristics


type PeripheralFactory = Callable[..., ScriptedPeripheral]


@pytest.fixture
def make_peripheral() -> Iterator[PeripheralFactory]:
    def make(services: list[Any], **kwargs: Any) -> ScriptedPeripheral:
        peripheral = ScriptedPeripheral(ADDRESS, services, **{"on_write": answer_success, **kwargs})
        PERIPHERALS[ADDRESS] = peripheral
        return peripheral

    yield make
    PERIPHERALS.pop(ADDRESS, None)


@pytest.fixture
async def scripted_client(recorder: Recorder) -> AsyncIterator[FtmsClient]:
    client = FtmsClient(
        BLEDevice(ADDRESS, "CITYSPORTS-Linker", {}),
        response_timeout=0.2,
        on_data=recorder.data.append,
        on_machine_status=recorder.statuses.append,
        on_training_status=recorder.training.append,
        on_disconnect=recorder.disconnected,
        client_kwargs={"backend": ScriptedBleakClient},
    )
    yield client
    await client.disconnect()


async def test_missing_device_information_and_ranges_are_none(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    peripheral = make_peripheral([(FTMS_SERVICE_UUID, ftms_characteristics())])
    await scripted_client.connect()

    assert scripted_client.is_connected
    assert scripted_client.device_information == DeviceInformation()
    assert scripted_client.features is None
    assert scripted_client.speed_range is None
    assert scripted_client.inclination_range is None
    await scripted_client.start()
    assert peripheral.writes == [b"\x00", b"\x07"]


async def test_partial_device_information_and_failing_reads(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    make_peripheral(
        [
            (
                FTMS_SERVICE_UUID,
                ftms_characteristics(
                    feature=CITYSPORTS_FEATURES,
                    speed_range=CITYSPORTS_SPEED_RANGE,
                    inclination_range=TimeoutError("no answer to the read"),
                ),
            ),
            (
                DEVICE_INFORMATION_SERVICE_UUID,
                [
                    ScriptedCharacteristic(MANUFACTURER_NAME_UUID, value=b"JG-0x22\x00\x00"),
                    ScriptedCharacteristic(MODEL_NUMBER_UUID, value=b"N3601-0x16"),
                    ScriptedCharacteristic(
                        SERIAL_NUMBER_UUID,
                        value=BleakGATTProtocolError(
                            BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION
                        ),
                    ),
                    ScriptedCharacteristic(FIRMWARE_REVISION_UUID, value=b"1.0.0"),
                ],
            ),
        ]
    )
    await scripted_client.connect()

    assert scripted_client.device_information == DeviceInformation(
        manufacturer="JG-0x22", model="N3601-0x16", firmware_revision="1.0.0"
    )
    assert scripted_client.features == MachineFeatures(0x1244, 0x01)
    assert scripted_client.speed_range == SupportedRange(1.0, 6.0, 0.5)
    assert scripted_client.inclination_range is None


async def test_garbage_reads_are_treated_as_missing(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    make_peripheral(
        [
            (
                FTMS_SERVICE_UUID,
                ftms_characteristics(
                    feature=b"\x01", speed_range=b"\x00", inclination_range=bytes(6)
                ),
            )
        ]
    )
    await scripted_client.connect()
    assert scripted_client.features is None
    assert scripted_client.speed_range is None
    assert scripted_client.inclination_range is None  # all zero: no usable range


async def test_without_a_control_point_commands_are_not_supported(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    peripheral = make_peripheral([(FTMS_SERVICE_UUID, ftms_characteristics(control_point=False))])
    await scripted_client.connect()
    with pytest.raises(FtmsOpNotSupportedError):
        await scripted_client.start()
    with pytest.raises(FtmsOpNotSupportedError):
        await scripted_client.stop()
    assert peripheral.writes == []
    assert scripted_client.is_connected


async def test_characteristics_outside_their_service_and_duplicated_services(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    vendor_service = "0000fff0-0000-1000-8000-00805f9b34fb"
    duplicated_information = [ScriptedCharacteristic(MODEL_NUMBER_UUID, value=b"A")]
    make_peripheral(
        [
            # FTMS characteristics under a vendor service: still found by UUID.
            (vendor_service, ftms_characteristics(feature=CITYSPORTS_FEATURES)),
            # Two Device Information services with the same model: ambiguous, so unread.
            (DEVICE_INFORMATION_SERVICE_UUID, duplicated_information),
            (DEVICE_INFORMATION_SERVICE_UUID, duplicated_information),
        ]
    )
    await scripted_client.connect()
    assert scripted_client.features == MachineFeatures(0x1244, 0x01)
    assert scripted_client.device_information == DeviceInformation()
    await scripted_client.start()


async def test_undecodable_and_stray_notifications_are_ignored(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient, recorder: Recorder
) -> None:
    peripheral = make_peripheral([(FTMS_SERVICE_UUID, ftms_characteristics())])
    await scripted_client.connect()

    peripheral.notify(TREADMILL_DATA_UUID, b"\x00")
    peripheral.notify(MACHINE_STATUS_UUID, b"")
    peripheral.notify(TRAINING_STATUS_UUID, b"\x01")
    peripheral.notify(CONTROL_POINT_UUID, b"\x07")  # an echo of a write, not a response
    peripheral.notify(CONTROL_POINT_UUID, b"\x80\x07\x01")  # answers nothing we asked
    peripheral.notify(TREADMILL_DATA_UUID, b"\x01\x00")  # More Data: waits for the rest

    assert not recorder.data
    assert not recorder.statuses
    assert not recorder.training
    await scripted_client.start()
    peripheral.notify(TREADMILL_DATA_UUID, bytes.fromhex("0000 2c01"))
    peripheral.notify(TREADMILL_DATA_UUID, bytes.fromhex("0000"))  # flags only: cut short
    peripheral.notify(TREADMILL_DATA_UUID, bytes.fromhex("0000 0000"))  # idle
    assert [record.speed_kmh for record in recorder.data] == [3.0, None, 0.0]
    assert recorder.data[1].truncated


async def test_link_lost_while_reading_fails_the_connect(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient, recorder: Recorder
) -> None:
    make_peripheral(
        [(FTMS_SERVICE_UUID, ftms_characteristics(feature=CITYSPORTS_FEATURES))],
        drop_link_on_read=True,
    )
    with pytest.raises(FtmsNotConnectedError, match="setting up"):
        await scripted_client.connect()
    assert not scripted_client.is_connected
    await asyncio.sleep(0)
    assert recorder.disconnects == 0  # never was connected, as far as callers know


async def test_cancelled_connect_cleans_up(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    peripheral = make_peripheral(
        [(FTMS_SERVICE_UUID, ftms_characteristics(feature=asyncio.CancelledError()))]
    )
    with pytest.raises(asyncio.CancelledError):
        await scripted_client.connect()
    assert not scripted_client.is_connected
    assert peripheral.client is not None
    assert not peripheral.client.is_connected


async def test_a_failing_disconnect_is_quiet(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    make_peripheral(
        [(FTMS_SERVICE_UUID, ftms_characteristics())], disconnect_error=BleakError("busy")
    )
    await scripted_client.connect()
    await scripted_client.disconnect()
    assert not scripted_client.is_connected


async def test_a_failing_write_on_a_live_link(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    def refuse(_: ScriptedPeripheral, __: bytes) -> None:
        raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)

    make_peripheral([(FTMS_SERVICE_UUID, ftms_characteristics())], on_write=refuse)
    await scripted_client.connect()
    with pytest.raises(FtmsError, match="failed") as caught:
        await scripted_client.start()
    assert type(caught.value) is FtmsError
    assert isinstance(caught.value.__cause__, BleakGATTProtocolError)
    assert scripted_client.is_connected


async def test_link_lost_right_after_a_response(
    make_peripheral: PeripheralFactory, scripted_client: FtmsClient
) -> None:
    def answer_then_vanish(peripheral: ScriptedPeripheral, data: bytes) -> None:
        peripheral.notify(CONTROL_POINT_UUID, bytes((0x80, data[0], 0x01)))
        peripheral.drop_link()

    make_peripheral([(FTMS_SERVICE_UUID, ftms_characteristics())], on_write=answer_then_vanish)
    await scripted_client.connect()
    with pytest.raises(FtmsNotConnectedError):
        await scripted_client.start()  # control granted, then no link for the Start
