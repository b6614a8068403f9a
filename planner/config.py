"""Where the events live: turn a database URL into the eventsourcing library's settings."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

DATABASE_URL_VARIABLE = "PLANNER_DATABASE_URL"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_SQLITE_FILE = DEFAULT_DATA_DIR / "planner.sqlite"


class ConfigError(ValueError):
    """The database URL or path cannot be used."""


def database_url(explicit: str | None = None) -> str:
    """The URL in force: the explicit one, else $PLANNER_DATABASE_URL, else the default file."""
    return explicit or os.environ.get(DATABASE_URL_VARIABLE) or str(DEFAULT_SQLITE_FILE)


def persistence_env(url: str) -> dict[str, str]:
    """Library settings for a URL: `memory:`, `sqlite:///PATH` or a path, `postgresql://…`.

    A SQLite file's folder is created on first use.
    """
    if url in ("memory:", "memory://", ":memory:"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return _postgres_env(url)
    if parsed.scheme in ("", "sqlite", "file") or len(parsed.scheme) == 1:  # 1: Windows drive
        return _sqlite_env(url)
    raise ConfigError(
        f"cannot use database URL {url!r}: expected a file path, sqlite:///PATH, "
        "postgresql://USER@HOST:PORT/DB or memory:"
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL or path (None for other stores and in-memory SQLite)."""
    if url in ("memory:", "memory://", ":memory:"):
        return None
    scheme = urlparse(url).scheme
    if scheme not in ("", "sqlite", "file") and len(scheme) != 1:
        return None
    path = _sqlite_path(url)
    return Path(path).expanduser() if path and "mode=memory" not in path else None


def _sqlite_path(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    if url.startswith("sqlite://"):
        return url[len("sqlite://") :]
    return url


def _sqlite_env(url: str) -> dict[str, str]:
    path = _sqlite_path(url)
    if not path:
        raise ConfigError(f"database URL {url!r} names no file")
    if "mode=memory" not in path:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(Path(path).expanduser()) if "mode=memory" not in path else path,
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _postgres_env(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    dbname = parsed.path.lstrip("/")
    if not dbname:
        raise ConfigError(f"database URL {url!r} names no database")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
    for part in (parsed.query or "").split("&"):
        key, _, value = part.partition("=")
        if key == "schema" and value:
            env["POSTGRES_SCHEMA"] = value
    return env


def is_postgres(env: dict[str, str]) -> bool:
    """True if the settings point at PostgreSQL."""
    return env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"
