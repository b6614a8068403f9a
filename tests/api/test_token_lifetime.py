"""Tokens may expire, and the token file is read again on SIGHUP without a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.auth import Principal, TokenConfigError, TokenRegistry
from planner.wiring import open_planner
from tests.servers import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def test_an_expired_token_is_unknown() -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    tokens = TokenRegistry.from_text(
        f'[{{"token": "old", "role": "viewer", "partner": "p", "expires": "{past}"}},'
        f' {{"token": "new", "role": "viewer", "partner": "p", "expires": "{future}"}},'
        ' {"token": "forever", "role": "admin"}]'
    )
    assert tokens.identify("old") is None
    assert tokens.identify("new") == Principal("p", "viewer")
    assert tokens.identify("forever") == Principal(None, "admin")


@pytest.mark.parametrize("expires", ["tomorrow", "2030-01-01T00:00:00", 5])
def test_a_bad_expiry_is_refused_with_its_entry(expires: object) -> None:
    text = f'[{{"token": "t", "role": "admin", "expires": {expires!r}}}]'.replace("'", '"')
    with pytest.raises(TokenConfigError, match="entry 1: expires"):
        TokenRegistry.from_text(text)


def test_reload_keeps_the_old_tokens_when_the_file_turns_bad(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("- {token: one, role: admin}\n")
    tokens = TokenRegistry.from_file(path)
    path.write_text("- {token: two, role: admin}\n")
    assert tokens.reload() == 1
    assert tokens.identify("one") is None and tokens.identify("two") is not None
    path.write_text("- {token: three, role: god}\n")
    with pytest.raises(TokenConfigError):
        tokens.reload()
    assert tokens.identify("two") is not None


def test_sighup_reloads_the_token_file_without_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "planner.sqlite"
    open_planner(str(db)).close()
    path = tmp_path / "tokens.yaml"
    path.write_text("- {token: first-admin-token, role: admin}\n")
    port = free_port()
    env = {**os.environ, "PLANNER_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "planner.cli", "serve", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--tokens", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)

        def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.get(f"{base}/camps", headers=headers, timeout=10).status_code

        assert status("first-admin-token") == 200
        assert status("second-admin-token") == 401
        path.write_text("- {token: second-admin-token, role: admin}\n")
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while status("second-admin-token") != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status("second-admin-token") == 200
        assert status("first-admin-token") == 401
        assert process.poll() is None  # SIGHUP did not stop the server
    finally:
        stop(process)
