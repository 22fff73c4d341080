"""Diagnostics: what the treadmill supports, how it behaved, and its last data."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_ADDRESS
from homeassistant.core import HomeAssistant

from . import RetroWalkConfigEntry

TO_REDACT = {CONF_ADDRESS, "address", "serial_number"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RetroWalkConfigEntry
) -> dict[str, Any]:
    """Everything useful to tell why a treadmill misbehaves, without its address or serial."""
    coordinator = entry.runtime_data
    snapshot = coordinator.data
    program = coordinator.program
    snapshot_now = program.live_snapshot()
    diagnostics: dict[str, Any] = {
        "entry": {"data": dict(entry.data), "options": dict(entry.options)},
        "connected": coordinator.connected,
        "device_information": (
            asdict(coordinator.device_information) if coordinator.device_information else None
        ),
        "features": (
            {
                "machine_flags": f"0x{coordinator.features.machine_flags:08x}",
                "target_flags": f"0x{coordinator.features.target_flags:08x}",
            }
            if coordinator.features
            else None
        ),
        "speed_range": asdict(coordinator.speed_range) if coordinator.speed_range else None,
        "inclination_range": (
            asdict(coordinator.inclination_range) if coordinator.inclination_range else None
        ),
        "quirks": asdict(coordinator.quirks),
        "last_data": asdict(snapshot.data) if snapshot.data else None,
        "last_machine_status": (
            _status_dict(asdict(snapshot.machine_status)) if snapshot.machine_status else None
        ),
        "last_training_status": (
            asdict(snapshot.training_status) if snapshot.training_status else None
        ),
        "program": {
            "plan": program.plan.to_dict() if program.plan else None,
            "state": snapshot_now.to_dict() if snapshot_now else None,
            "last_safety_stop": (
                {
                    "reason": program.last_safety_stop.reason.value,
                    "phase": (
                        program.last_safety_stop.phase.value
                        if program.last_safety_stop.phase
                        else None
                    ),
                    "speed_kmh": program.last_safety_stop.speed_kmh,
                    "at": program.last_safety_stop.at.isoformat(),
                }
                if program.last_safety_stop
                else None
            ),
        },
        "connection_history": [
            {
                "at": event.at.isoformat(),
                "event": event.event,
                # Connection errors quote the address; it is redacted there too.
                "detail": event.detail.replace(coordinator.address, REDACTED)
                if event.detail
                else None,
            }
            for event in coordinator.connection_history
        ],
    }
    return async_redact_data(diagnostics, TO_REDACT)


def _status_dict(status: dict[str, Any]) -> dict[str, Any]:
    # Raw parameter bytes as hex, so the JSON shows what the treadmill sent.
    return {**status, "parameter": status["parameter"].hex(" ")}
