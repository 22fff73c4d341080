"""Take the README's dashboard screenshot from the demo (development only).

    .venv/bin/python dev/screenshot.py docs/dashboard.png

Starts `scripts/develop` in a temporary configuration, onboards, adds the demo treadmill,
installs examples/dashboard.yaml as a dashboard, starts a beginner program, walks a minute,
and captures the dashboard with headless Chromium (Debian's `chromium`) through its DevTools
protocol. Needs nothing but localhost.
"""

import asyncio
import base64
import contextlib
import itertools
import json
import os
from pathlib import Path
import signal
import socket
import sys
import tempfile
import time
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1/"
DASHBOARD_URL_PATH = "retro-walking"
WIDTH, HEIGHT = 1400, 1100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HomeAssistant:
    """Just enough of the REST and WebSocket APIs."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.base = f"http://127.0.0.1:{port}"
        self.tokens: dict[str, Any] = {}
        self._ids = itertools.count(1)

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {}
        if self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            response.raise_for_status()
            return await response.json() if response.content_length != 0 else None

    async def wait_until_up(self) -> None:
        for _ in range(120):
            with contextlib.suppress(aiohttp.ClientError):
                await self.call("GET", "/api/onboarding")
                return
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not start")

    async def onboard(self) -> None:
        created = await self.call(
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
        async with self.session.post(
            self.base + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": CLIENT_ID,
            },
        ) as response:
            self.tokens = await response.json()
        await self.call("POST", "/api/onboarding/core_config")
        await self.call("POST", "/api/onboarding/analytics")
        await self.call(
            "POST",
            "/api/onboarding/integration",
            {"client_id": CLIENT_ID, "redirect_uri": f"{CLIENT_ID}?auth_callback=1"},
        )

    async def add_demo_treadmill(self) -> None:
        for _ in range(60):
            step = await self.call(
                "POST", "/api/config/config_entries/flow", {"handler": "retrowalk"}
            )
            if step["type"] == "form":
                address = step["data_schema"][0]["options"][0][0]
                confirm = await self.call(
                    "POST",
                    f"/api/config/config_entries/flow/{step['flow_id']}",
                    {"address": address},
                )
                await self.call("POST", f"/api/config/config_entries/flow/{confirm['flow_id']}", {})
                return
            await asyncio.sleep(0.5)
        raise RuntimeError("the demo treadmill was not discovered")

    async def websocket(self, *messages: dict[str, Any]) -> None:
        async with self.session.ws_connect(self.base + "/api/websocket") as socket_:
            await socket_.receive_json()
            await socket_.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            await socket_.receive_json()
            for message in messages:
                await socket_.send_json({"id": next(self._ids), **message})
                answer = await socket_.receive_json()
                if not answer.get("success"):
                    raise RuntimeError(f"{message['type']}: {answer}")

    async def install_dashboard(self) -> None:
        config = yaml.safe_load((ROOT / "examples" / "dashboard.yaml").read_text())
        await self.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL_PATH,
                "title": "Retro walking",
                "icon": "mdi:walk",
                "mode": "storage",
                "require_admin": False,
                "show_in_sidebar": True,
            },
            {"type": "lovelace/config/save", "url_path": DASHBOARD_URL_PATH, "config": config},
        )


async def capture(url: str, tokens: dict[str, Any], hass_url: str, output: Path) -> None:
    """Open the dashboard logged in, and save a PNG of it."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as profile:
        browser = await asyncio.create_subprocess_exec(
            *[
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(50):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.get(f"http://127.0.0.1:{port}/json") as response:
                            pages = await response.json()
                            if pages:
                                break
                    await asyncio.sleep(0.2)
                page = next(page for page in pages if page["type"] == "page")
                async with session.ws_connect(page["webSocketDebuggerUrl"]) as devtools:
                    ids = itertools.count(1)

                    async def send(method: str, **params: Any) -> dict[str, Any]:
                        message_id = next(ids)
                        await devtools.send_json(
                            {"id": message_id, "method": method, "params": params}
                        )
                        while True:
                            answer = await devtools.receive_json()
                            if answer.get("id") == message_id:
                                return dict(answer.get("result", {}))

                    stored = {
                        **tokens,
                        "hassUrl": hass_url,
                        "clientId": CLIENT_ID,
                        "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
                    }
                    await send("Page.navigate", url=hass_url + "/onboarding.html")
                    await asyncio.sleep(2)
                    await send(
                        "Runtime.evaluate",
                        expression=(
                            f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(stored))})"
                        ),
                    )
                    await send("Page.navigate", url=url)
                    await asyncio.sleep(12)
                    shot = await send("Page.captureScreenshot", format="png")
                    await asyncio.to_thread(output.write_bytes, base64.b64decode(shot["data"]))
        finally:
            browser.terminate()
            await browser.wait()


async def main(output: Path) -> None:
    # Home Assistant's default port: another one makes the frontend ask to confirm it.
    port = 8123
    with tempfile.TemporaryDirectory() as config_dir:
        env = {**os.environ, "RETROWALK_PORT": str(port), "RETROWALK_CONFIG_DIR": config_dir}
        demo = await asyncio.create_subprocess_exec(
            str(ROOT / "scripts" / "develop"),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            async with aiohttp.ClientSession() as session:
                hass = HomeAssistant(session, port)
                await hass.wait_until_up()
                await hass.onboard()
                await hass.add_demo_treadmill()
                await hass.install_dashboard()
                states = await hass.call("GET", "/api/states")
                switch = next(
                    state["entity_id"]
                    for state in states
                    if state["entity_id"].endswith("_retro_walk")
                )
                await hass.call("POST", "/api/services/switch/turn_on", {"entity_id": switch})
                # A minute of warm-up, so the belt, the phase and the times show something.
                await asyncio.sleep(60)
                await capture(
                    f"{hass.base}/{DASHBOARD_URL_PATH}/retro-walk", hass.tokens, hass.base, output
                )
        finally:
            os.killpg(demo.pid, signal.SIGTERM)
            await asyncio.wait_for(demo.wait(), timeout=30)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
    print(f"saved {target}")
