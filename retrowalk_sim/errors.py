"""Exceptions the simulated treadmill raises at its GATT boundary.

The bleak backend translates them into bleak's exceptions, so a client sees what it would see
from a real Bluetooth stack.
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Base of the simulator's exceptions."""


class TreadmillUnreachableError(SimulatorError):
    """The treadmill is powered off or out of range: a connection attempt finds nothing."""


class LinkBusyError(SimulatorError):
    """Another central already holds the treadmill's only link."""


class NotConnectedError(SimulatorError):
    """The caller is not (or no longer) the connected central."""


class LinkDroppedError(SimulatorError):
    """The treadmill dropped the link while handling the request."""


class GattProtocolError(SimulatorError):
    """An ATT error response (read not permitted, CCCD improperly configured, ...)."""

    READ_NOT_PERMITTED = 0x02
    WRITE_NOT_PERMITTED = 0x03
    REQUEST_NOT_SUPPORTED = 0x06
    ATTRIBUTE_NOT_FOUND = 0x0A
    CCCD_IMPROPERLY_CONFIGURED = 0xFD
    PROCEDURE_ALREADY_IN_PROGRESS = 0xFE

    def __init__(self, code: int, message: str) -> None:
        """Keep the ATT error code so the backend can raise the matching bleak error."""
        super().__init__(f"ATT error 0x{code:02X}: {message}")
        self.code = code
