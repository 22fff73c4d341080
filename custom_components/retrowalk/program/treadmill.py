"""What the runner needs from a treadmill; the Home Assistant layer adapts the FTMS client."""

from typing import Protocol


class TreadmillControl(Protocol):
    """The commands a program sends. Units: km/h and %.

    ``stop`` is the urgent path: the adapter sends it ahead of anything queued (the FTMS
    client's stop jumps its queue). ``start`` must honour the device's quirks, e.g. wait for
    the belt to run before returning when the device needs Start before a speed.
    """

    async def start(self) -> None:
        """Start or resume the belt."""
        ...

    async def stop(self) -> None:
        """Stop the belt and end the workout on the machine, ahead of any queued command."""
        ...

    async def pause(self) -> None:
        """Stop the belt, keeping the workout on the machine."""
        ...

    async def set_target_speed(self, kmh: float) -> None:
        """Set the belt speed."""
        ...

    async def set_target_inclination(self, pct: float) -> None:
        """Set the incline."""
        ...
