"""What an FTMS advertisement says about the machine behind it."""

from dataclasses import dataclass

# Machine type bits of the FTMS service data (after the flags byte).
TREADMILL_TYPE_BIT = 0x01
KNOWN_TYPE_BITS = 0x3F


@dataclass(frozen=True, slots=True)
class FtmsAdvertisement:
    """The FTMS service data of an advertisement.

    `is_treadmill` is None when the advertisement does not say (many machines send no
    service data at all, or only a flags byte).
    """

    machine_available: bool | None
    is_treadmill: bool | None


def parse_ftms_service_data(service_data: bytes | None) -> FtmsAdvertisement:
    """Read the FTMS service data leniently.

    The specification's form is a flags byte then a little-endian uint16 of machine type bits.
    Real machines also send the two type bytes swapped, or one type byte only, so the treadmill
    bit is looked for in either type byte; a machine is called "not a treadmill" only when its
    type bits name other machines and none of them is a treadmill.
    """
    if not service_data:
        return FtmsAdvertisement(machine_available=None, is_treadmill=None)
    available = bool(service_data[0] & 0x01)
    type_bytes = service_data[1:3]
    if not type_bytes or not any(type_bytes):
        return FtmsAdvertisement(machine_available=available, is_treadmill=None)
    treadmill = any(byte & TREADMILL_TYPE_BIT for byte in type_bytes)
    if not treadmill and not any(byte & KNOWN_TYPE_BITS for byte in type_bytes):
        return FtmsAdvertisement(machine_available=available, is_treadmill=None)
    return FtmsAdvertisement(machine_available=available, is_treadmill=treadmill)
