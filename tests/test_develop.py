"""`scripts/develop` as a new user meets it: a real Home Assistant process with the demo.

It onboards through the HTTP API, adds the discovered "RetroWalk Demo Treadmill" through the
config flow API, starts the belt, sets a speed and reads the speed sensor back.
"""

from collections.abc import Iterator
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.error
import urllib.request

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1/"
SMOKE_TEST_BUDGET_S = 90
LOG_RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ ", re.MULTILINE)
PROBLEM_LEVELS = (" ERROR ", " CRITICAL ")
# Onboarding sets up radio_browser, met and google_translate, and analytics, which need the
# internet; CI has none, so their errors are Home Assistant's, not ours. Anything touching the
# treadmill, the simulator or the Bluetooth stack they ride on is ours to answer for.
OUR_PARTS = ("retrowalk", "bluetooth", "habluetooth", "bleak")


def problems_of_ours(log: str) -> list[str]:
    """The log records at error level, or carrying a traceback, that involve our parts."""
    starts = [match.start() for match in LOG_RECORD_START.finditer(log)]
    records = [log[start:end] for start, end in zip(starts, [*starts[1:], len(log)], strict=True)]
    return [
        record
        for record in records
        if (
            any(level in record.partition("\n")[0] for level in PROBLEM_LEVELS)
            or "Traceback" in record
        )
        and any(part in record for part in OUR_PARTS)
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HomeAssistantApi:
    """A small client of Home Assistant's REST API."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None

    def request(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> Any:
        headers = {}
        data = None
        if form is not None:
            data = "&".join(f"{key}={value}" for key, value in form.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def wait_until_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/api/onboarding")
            except urllib.error.URLError, ConnectionError, TimeoutError:
                time.sleep(0.5)
            else:
                return
        pytest.fail("Home Assistant did not start")

    def onboard(self) -> None:
        created = self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": "Retro Walker",
                "username": "walker",
                "password": "retro-walk-demo",
                "language": "en",
            },
        )
        token = self.request(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": CLIENT_ID,
            },
        )
        self.token = token["access_token"]
        self.request("POST", "/api/onboarding/core_config")
        self.request("POST", "/api/onboarding/analytics")

    def wait_for(self, what: str, probe: Any, deadline: float) -> Any:
        while time.monotonic() < deadline:
            if (found := probe()) is not None:
                return found
            time.sleep(0.5)
        pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def develop(tmp_path: Path, socket_enabled: None) -> Iterator[HomeAssistantApi]:
    port = _free_port()
    env = {
        **os.environ,
        "RETROWALK_PORT": str(port),
        "RETROWALK_CONFIG_DIR": str(tmp_path / "config"),
    }
    log = (tmp_path / "hass.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "develop")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield HomeAssistantApi(port)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert process.returncode is not None
    assert problems_of_ours((tmp_path / "hass.log").read_text()) == []


OFFLINE_LOG = """\
2026-11-21 06:52:28.238 WARNING (MainThread) [custom_components.retrowalk_simulator] advertising
2026-11-21 06:52:28.365 ERROR (MainThread) [homeassistant.config_entries] Error setting up entry \
Radio Browser for radio_browser
Traceback (most recent call last):
  File "/venv/radios/radio_browser.py", line 403, in _request
asyncio.exceptions.CancelledError: Home Assistant is stopping
2026-11-21 06:52:28.790 DEBUG (MainThread) [custom_components.retrowalk.coordinator] updated
"""


def test_the_log_check_tolerates_errors_of_integrations_that_need_the_internet() -> None:
    assert problems_of_ours(OFFLINE_LOG) == []


@pytest.mark.parametrize(
    "record",
    [
        "2026-11-21 06:52:29.001 ERROR (MainThread) [custom_components.retrowalk] lost\n",
        "2026-11-21 06:52:29.001 ERROR (MainThread) [homeassistant.config_entries] Error "
        "setting up entry RetroWalk Demo Treadmill for retrowalk\n",
        "2026-11-21 06:52:29.001 ERROR (MainThread) [homeassistant.core] Error doing job\n"
        "Traceback (most recent call last):\n"
        '  File "/repo/retrowalk_sim/bleak_backend.py", line 1, in write\n',
        "2026-11-21 06:52:29.001 CRITICAL (MainThread) [habluetooth.manager] scanner gone\n",
    ],
)
def test_the_log_check_catches_our_errors(record: str) -> None:
    assert problems_of_ours(OFFLINE_LOG + record) == [record]


def test_demo_from_onboarding_to_a_moving_belt(develop: HomeAssistantApi) -> None:
    started = time.monotonic()
    deadline = started + SMOKE_TEST_BUDGET_S
    api = develop
    api.wait_until_up(deadline)
    api.onboard()

    def user_step_listing_the_demo() -> dict[str, Any] | None:
        # The user step lists what Home Assistant's Bluetooth manager has discovered.
        step = api.request("POST", "/api/config/config_entries/flow", {"handler": "retrowalk"})
        if step["type"] != "form":
            return None
        addresses = step["data_schema"][0]["options"]
        return step if any("RetroWalk Demo Treadmill" in label for _, label in addresses) else None

    step = api.wait_for("the demo treadmill to be discovered", user_step_listing_the_demo, deadline)
    address = step["data_schema"][0]["options"][0][0]
    confirm = api.request(
        "POST", f"/api/config/config_entries/flow/{step['flow_id']}", {"address": address}
    )
    assert confirm["step_id"] == "confirm", confirm
    result = api.request("POST", f"/api/config/config_entries/flow/{confirm['flow_id']}", {})
    assert result["type"] == "create_entry", result
    assert result["title"] == "RetroWalk Demo Treadmill"

    def entity(domain: str, key: str) -> str | None:
        states = api.request("GET", "/api/states")
        return next(
            (
                state["entity_id"]
                for state in states
                if state["entity_id"].startswith(f"{domain}.retrowalk_demo_treadmill")
                and state["entity_id"].endswith(key)
                and state["state"] != "unavailable"
            ),
            None,
        )

    speed_number = api.wait_for(
        "the speed control", lambda: entity("number", "target_speed"), deadline
    )
    start = entity("button", "start_or_resume")
    speed_sensor = entity("sensor", "_speed")
    assert start
    assert speed_sensor
    api.request("POST", "/api/services/button/press", {"entity_id": start})
    api.request("POST", "/api/services/number/set_value", {"entity_id": speed_number, "value": 2.0})

    def speed_reached() -> float | None:
        state = api.request("GET", f"/api/states/{speed_sensor}")["state"]
        return 2.0 if state == "2.0" else None

    assert api.wait_for("the belt to reach 2.0 km/h", speed_reached, deadline) == 2.0
    assert time.monotonic() - started < SMOKE_TEST_BUDGET_S
