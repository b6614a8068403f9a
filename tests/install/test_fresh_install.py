"""The README's plain install works: the project without extras, in a fresh virtual environment
(no system packages), from the pinned constraints, then every `planner` command once.

Runs under CI (CI set) or with PLANNER_TEST_INSTALL=1: it takes a minute and needs PyPI (or
pip's cache). Elsewhere it is skipped, saying so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import free_port, wait_until_answers

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
ENABLED = bool(os.environ.get("CI") or os.environ.get("PLANNER_TEST_INSTALL"))

pytestmark = pytest.mark.skipif(
    not ENABLED, reason="a fresh install runs under CI or with PLANNER_TEST_INSTALL=1"
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the project installed as the README says, no extras."""
    where = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    install = [*pip, "install", "--quiet", "-c", str(ROOT / "constraints.txt"), "-e", str(ROOT)]
    done = subprocess.run(install, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return where


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def _env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNER_", "PYTHON"))}
    return keep | {"PLANNER_LOG_LEVEL": "warning"}


def _run(venv: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "planner"), *argv],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _serving(venv: Path, cwd: Path, *argv: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(venv / "bin" / "planner"), *argv],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr


def test_the_install_has_no_extras(venv: Path) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {line.split("==")[0].lower() for line in done.stdout.split()}
    assert "hypothesis" in installed  # a run-time dependency (the simulator)
    assert not installed & {"pytest", "schemathesis", "selenium", "mypy"}


COVERED = {
    "replay",
    "check",
    "matches",
    "rebuild",
    "import-sites",
    "simulate",
    "serve",
    "project",
    "tokens",
    "demo",
    "field",
    "sync",
    "conflicts",
}


def test_every_planner_command_is_covered_here(venv: Path, workdir: Path) -> None:
    done = _run(venv, workdir, "--help")
    listed = re.search(r"\{([a-z_,-]+)\}", done.stdout)
    assert listed is not None, done.stdout
    assert set(listed.group(1).split(",")) == COVERED


def test_check_replay_rebuild_simulate_tokens(venv: Path, workdir: Path) -> None:
    for argv in (
        ["check", *SCENARIOS],
        ["replay", *SCENARIOS],
        ["replay", "--db", "store.sqlite", *SCENARIOS],
        ["rebuild", "--db", "store.sqlite"],
        ["tokens", "add", "--role", "admin"],
        ["tokens", "list"],
        ["matches", str(ROOT / "scenarios" / "janic-offers-2011.yaml")],
        ["conflicts", "--db", "store.sqlite", "--all"],
        [
            "import-sites",
            str(ROOT / "docs" / "sample-sites.csv"),
            "--plan",
            "p",
            "--scenario",
            "s.yaml",
        ],
    ):
        done = _run(venv, workdir, *argv)
        _no_traceback(done)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
    standby = str(ROOT / "scenarios" / "japan-platform-standby.yaml")  # has a simulate section
    simulate = _run(venv, workdir, "simulate", standby, "--runs", "3", "--seed", "1")
    _no_traceback(simulate)
    assert simulate.returncode in (0, 1) and "requirement" in simulate.stdout, simulate.stderr


def test_serve_project_demo(venv: Path, workdir: Path) -> None:
    assert _run(venv, workdir, "replay", "--db", "store.sqlite", SCENARIOS[0]).returncode == 0
    port = free_port()
    for server in _serving(venv, workdir, "serve", "--db", "store.sqlite", "--port", str(port)):
        wait_until_answers(f"http://127.0.0.1:{port}/docs", server, 120)
    for follower in _serving(venv, workdir, "project", "--db", "store.sqlite"):
        assert follower.stderr is not None
        assert "following" in follower.stderr.readline() + follower.stderr.readline()
    port = free_port()
    for demo in _serving(venv, workdir, "demo", "--port", str(port)):
        wait_until_answers(f"http://127.0.0.1:{port}/healthz", demo, 120)
