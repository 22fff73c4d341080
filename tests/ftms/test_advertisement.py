"""FTMS service data in advertisements: the specification's form and the forms seen in the wild."""

import pytest

from custom_components.retrowalk.ftms.advertisement import (
    FtmsAdvertisement,
    parse_ftms_service_data,
)


@pytest.mark.parametrize(
    ("service_data", "available", "treadmill"),
    [
        (None, None, None),  # many machines send no service data at all
        (b"", None, None),
        (b"\x01", True, None),  # flags only
        (b"\x01\x01\x00", True, True),  # specification: uint16 LE, bit 0 treadmill
        (b"\x01\x00\x01", True, True),  # type bytes reversed
        (b"\x00\x01", False, True),  # one type byte only; machine not available
        (b"\x01\x20\x00", True, False),  # indoor bike
        (b"\x01\x00\x10", True, False),  # rower, bytes reversed
        (b"\x01\x00\x00", True, None),  # no type bits: says nothing
        (b"\x01\xc0\x00", True, None),  # only unknown type bits: says nothing
    ],
)
def test_service_data_forms(
    service_data: bytes | None, available: bool | None, treadmill: bool | None
) -> None:
    assert parse_ftms_service_data(service_data) == FtmsAdvertisement(available, treadmill)
