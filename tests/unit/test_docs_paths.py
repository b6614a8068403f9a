"""The docs cite only files that exist: every `*.py` named in docs/*.md and README.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
CITED = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_]\.py\b")
# Paths the docs name as examples of files to write, not as files that exist.
EXAMPLES = {"kinds/my_kind.py"}
SKIPPED = {".git", ".venv", "node_modules", "__pycache__"}


def repo_files() -> list[str]:
    """Every Python file of the repository, as a path relative to its root."""
    return [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts)
    ]


def cited_paths(text: str) -> set[str]:
    """The `*.py` paths a document names (a bare name may stand for a file in a folder)."""
    return {match.strip("./") for match in CITED.findall(text)} - EXAMPLES


def missing(cited: set[str], files: list[str]) -> list[str]:
    """The cited paths that name no file: a path with a folder must exist as written from the
    root; a bare name (`wiring.py`, `kinds/step_grid.py` under its folder's heading) must end
    some file's path."""
    return sorted(
        path
        for path in cited
        if path not in files and not any(f.endswith("/" + path) for f in files)
    )


def test_every_file_the_docs_cite_exists() -> None:
    files = repo_files()
    stale = {
        doc.relative_to(ROOT).as_posix(): found
        for doc in DOCS
        if (found := missing(cited_paths(doc.read_text(encoding="utf-8")), files))
    }
    assert stale == {}, f"docs cite files that do not exist: {stale}"


def test_the_checker_sees_a_stale_path() -> None:
    files = ["domain/service_core.py", "planner/wiring.py"]
    cited = cited_paths("see [domain/service.py, `wiring.py`] and planner/wiring.py")
    assert cited == {"domain/service.py", "wiring.py", "planner/wiring.py"}
    assert missing(cited, files) == ["domain/service.py"]
