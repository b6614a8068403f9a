"""Fixtures of the dashboard's browser tests: a real server on a replayed store, headless Chromium.

The server is `planner serve` in a subprocess on 127.0.0.1 (a free port), over a temporary
SQLite store into which `planner replay` loaded a bundled scenario, with a temporary token
file. The browser is Debian's Chromium driven by Selenium through Debian's chromedriver (no
browser or driver is downloaded). Without /usr/bin/chromium (or Selenium) the browser tests
are skipped, unless the environment variable CI is set: then they fail.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCENARIO = ROOT / "scenarios" / "japan-platform-standby.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VIEWER_TOKEN = "e2e-viewer-token-0123456789"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-US",
    "--window-size=1400,1000",
)
CLI = "import sys; from planner.cli import main; sys.exit(main())"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the dashboard in headless Chromium")


def require_browser() -> None:
    """Skip without Chromium, chromedriver or Selenium; fail instead when CI is set."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the Python package selenium")
    if not missing:
        return
    reason = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set: browser tests must not be skipped")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The running dashboard: its base URL, the viewer token and where it logs."""

    url: str
    token: str
    log: Path
    store: Path

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        """GET a path with a bearer token (the API's way), outside the browser."""
        request = urllib.request.Request(self.url + path)
        request.add_header("Authorization", f"Bearer {token or self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """`planner serve` on a store where the Japan Platform stand-by scenario was replayed."""
    yield from serve_scenario(SCENARIO)


def serve_scenario(
    scenario: Path, extra_tokens: Sequence[tuple[str, str | None, str]] = ()
) -> Iterator[Server]:
    """`planner serve` (a subprocess) on a fresh store where `scenario` was replayed; its token
    file holds the viewer token and `extra_tokens` (token, partner or None, role)."""
    require_browser()
    workdir = Path(tempfile.mkdtemp(prefix="dashboard-e2e-"))
    store = workdir / "planner.sqlite"
    tokens = workdir / "tokens.yaml"
    lines = [f"- {{token: {VIEWER_TOKEN}, partner: mofa, role: viewer}}\n"]
    for token, partner, role in extra_tokens:
        org = "" if partner is None else f", partner: {partner}"
        lines.append(f"- {{token: {token}{org}, role: {role}}}\n")
    tokens.write_text("".join(lines), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env["PLANNER_LOG_LEVEL"] = "warning"
    replay = subprocess.run(
        [sys.executable, "-c", CLI, "replay", "--db", str(store), str(scenario)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    port = _free_port()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        command = ["serve", "--db", str(store), "--port", str(port), "--tokens", str(tokens)]
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, *command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Server(url, VIEWER_TOKEN, log, store)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def downloads() -> Iterator[Path]:
    """Where the browser saves downloads."""
    folder = Path(tempfile.mkdtemp(prefix="dashboard-downloads-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(server: Server, downloads: Path) -> Iterator[Any]:
    """Headless Debian Chromium through Debian's chromedriver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="dashboard-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        # Both paths are given, so Selenium Manager is not consulted; offline in case it is.
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        try:
            driver.set_page_load_timeout(30)
            driver.execute_cdp_cmd(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(downloads)},
            )
            yield driver
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str, target: Path | None = None) -> Path:
    """A full-page PNG of the current page under test-artifacts/ (or at `target`)."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": max(size["width"], 1),
                "height": min(max(size["height"], 1), 8000),
                "scale": 1,
            },
        },
    )
    path = target or ARTIFACTS / f"dashboard-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
