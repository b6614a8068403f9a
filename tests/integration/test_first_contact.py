"""A newcomer's first contact: `planner tokens`, `planner serve` without tokens, `planner demo`.

The servers run as real `planner` processes on free ports; what they print is read as a person
would read it, and the sign-in link they print is followed.
"""

from __future__ import annotations

import os
import queue
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
import yaml

from api.auth import TokenRegistry
from planner.cli import main
from tests.processes import free_port, wait_until_answers

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PLANNER = [sys.executable, "-c", "from planner.cli import main; raise SystemExit(main())"]


# -- planner tokens ----------------------------------------------------------------------------


def test_tokens_add_list_revoke_keep_only_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tokens.yaml"
    assert main(["tokens", "--tokens", str(path), "add", "--role", "admin", "--comment", "me"]) == 0
    admin = capsys.readouterr().out.strip()
    assert (
        main(["tokens", "--tokens", str(path), "add", "--role", "viewer", "--partner", "gov"]) == 0
    )
    viewer = capsys.readouterr().out.strip()
    text = path.read_text()
    assert admin not in text and viewer not in text and "token_sha256" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    registry = TokenRegistry.from_file(path)
    assert registry.identify(admin).role == "admin"  # type: ignore[union-attr]
    assert registry.identify(viewer).partner == "gov"  # type: ignore[union-attr]

    assert main(["tokens", "--tokens", str(path), "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["id", "role", "partner", "comment"]
    admin_id = listed[1].split()[0]
    assert listed[1].split()[1:] == ["admin", "-", "me"]
    assert main(["tokens", "--tokens", str(path), "revoke", admin_id[:8]]) == 0
    assert "revoked token" in capsys.readouterr().err
    registry = TokenRegistry.from_file(path)
    assert registry.identify(admin) is None and registry.identify(viewer) is not None


def test_tokens_keep_the_keys_they_do_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("- {token: plain-old-token, role: admin, expires: 2030-01-01T00:00:00Z}\n")
    assert main(["tokens", "--tokens", str(path), "add", "--role", "admin"]) == 0
    entries = yaml.safe_load(path.read_text())
    assert entries[0]["token"] == "plain-old-token" and "expires" in entries[0]
    assert main(["tokens", "--tokens", str(path), "list"]) == 0
    assert "token in clear text in the file" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["add", "--role", "viewer"], "a viewer token speaks for a partner: add --partner SLUG"),
        (["add", "--role", "partner", "--partner", "no spaces"], "partner must be a partner slug"),
        (["revoke", "abc"], "at least 6 hex digits"),
        (["revoke", "abcdef"], "no token in"),
    ],
)
def test_tokens_refuse_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    path = tmp_path / "tokens.yaml"
    assert main(["tokens", "--tokens", str(path), *argv]) == 2
    assert words in capsys.readouterr().err
    assert not path.exists()


def test_a_bad_token_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("just: [a, mapping\n")
    assert main(["tokens", "--tokens", str(path), "list"]) == 2
    assert f"cannot read token file {path}" in capsys.readouterr().err


# -- servers -------------------------------------------------------------------------------------


class Running:
    """A `planner` process whose standard error is read line by line as it comes."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
        env |= {"PYTHONPATH": str(ROOT), "PLANNER_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen(
            [*PLANNER, *argv], cwd=cwd, env=env, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, words: str, timeout: float = 60) -> str:
        """The first line (from now on) containing `words`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if words in line:
                return line
        raise AssertionError(f"never printed {words!r}; printed:\n{''.join(self.seen)}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


StartPlanner = Callable[[list[str]], Running]


@pytest.fixture
def run_planner(tmp_path: Path) -> Iterator[StartPlanner]:
    """Start `planner ARGV…` in tmp_path; every process started is stopped afterwards."""
    started: list[Running] = []

    def start(argv: list[str]) -> Running:
        started.append(Running(argv, tmp_path))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def _sign_in(link: str) -> httpx.Client:
    """Follow the printed sign-in link as a browser would; the client keeps the cookie."""
    client = httpx.Client(base_url=link.split("/dashboard/")[0], timeout=10)
    response = client.get(link)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    assert "token=" not in response.headers["location"]
    return client


def test_serve_without_tokens_prints_a_one_time_admin_sign_in_link(
    run_planner: StartPlanner, tmp_path: Path
) -> None:
    port = free_port()
    server = run_planner(["serve", "--db", "store.sqlite", "--port", str(port)])
    assert "is new: no events yet" in server.wait_for("store store.sqlite")
    link = server.wait_for("/dashboard/login?token=").strip()
    token = link.rsplit("=", 1)[1]
    wait_until_answers(f"http://127.0.0.1:{port}/healthz")
    with closing(_sign_in(link)) as browser:
        assert browser.get("/").status_code == 200
        assert browser.get("/dashboard/timeline").status_code == 200
        api = browser.get("/plans", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
    wrong = httpx.get(f"http://127.0.0.1:{port}/dashboard/login?token=guess")
    assert wrong.status_code == 401
    assert "planner tokens add" in wrong.text
    assert not (tmp_path / "data" / "tokens.yaml").exists()  # one-time: nothing stored


def test_serve_reads_the_tokens_planner_tokens_made(
    run_planner: StartPlanner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_TOKENS_FILE", raising=False)
    assert main(["tokens", "add", "--role", "viewer", "--partner", "gov"]) == 0
    assert (tmp_path / "data" / "tokens.yaml").exists()
    port = free_port()
    server = run_planner(["serve", "--db", "store.sqlite", "--port", str(port)])
    server.wait_for("dashboard: http://127.0.0.1")
    wait_until_answers(f"http://127.0.0.1:{port}/healthz")
    assert not any("one-time" in line for line in server.seen)


def test_demo_replays_the_bundled_scenarios_into_a_store_and_serves_it(
    run_planner: StartPlanner, tmp_path: Path
) -> None:
    port = free_port()
    demo = run_planner(["demo", "--port", str(port)])
    for scenario in ("camp-japan-1999", "japan-platform-standby", "tohoku-2011"):
        line = demo.wait_for(f"{scenario}.yaml")
        assert line.startswith("OK ") and "replayed into data/demo.sqlite" in line
    link = demo.wait_for("/dashboard/login?token=").strip()
    wait_until_answers(f"http://127.0.0.1:{port}/healthz")
    with closing(_sign_in(link)) as browser:
        overview = browser.get("/").text
        assert "camp-chaman" in overview or "Chaman" in overview
    demo.stop()
    again = run_planner(["demo", "--port", str(free_port())])
    line = again.wait_for("tohoku-2011.yaml")
    assert line.startswith("kept ") and "scenario 'tohoku-2011' (all" in line
    again.wait_for("/dashboard/login?token=")
