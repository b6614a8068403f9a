"""A streaming replica of the local PostgreSQL on another port, made if need be (idempotent).

    python bench/pg_replica.py            # make sure it runs; print its URL (or why not)

The primary (127.0.0.1:5432, shared by everyone's tests) is never restarted: its wal_level and
max_wal_senders are read first, and if they do not allow streaming replication the replica is
not made (a primary restart would be needed: that is said, and not done). A `host replication`
line for 127.0.0.1 is added to the primary's pg_hba.conf if none allows the connection, and
the configuration reloaded (a reload, not a restart). The replica is a Debian cluster
(`pg_createcluster`) filled by `pg_basebackup -R` (standby.signal and primary_conninfo), started
with `pg_ctlcluster`; run again, it finds the cluster streaming and does nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

PRIMARY_URL = "postgresql://postgres@127.0.0.1:5432/test"
REPLICA_PORT = 5433
CLUSTER = "replica"
HBA_LINE = "host replication all 127.0.0.1/32 trust"


class ReplicaUnavailable(Exception):
    """The replica cannot be made here (the reason is the message)."""


def replica_url(port: int = REPLICA_PORT) -> str:
    """The URL of the replica's `test` database."""
    return f"postgresql://postgres@127.0.0.1:{port}/test"


def ensure_replica(port: int = REPLICA_PORT) -> str:
    """Make sure a streaming replica of the primary runs on `port`; return its URL."""
    import psycopg

    url = replica_url(port)
    if is_streaming_replica(url):
        return url
    with psycopg.connect(PRIMARY_URL, autocommit=True, connect_timeout=3) as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('wal_level', 'max_wal_senders', 'server_version_num', 'hba_file')"
            ).fetchall()
        )
        if (
            settings["wal_level"] not in ("replica", "logical")
            or int(settings["max_wal_senders"]) < 2
        ):
            raise ReplicaUnavailable(
                f"the primary has wal_level={settings['wal_level']}, max_wal_senders="
                f"{settings['max_wal_senders']}: streaming needs wal_level=replica and free WAL "
                "senders, which only a primary restart changes (not done here)"
            )
        version = str(int(settings["server_version_num"]) // 10000)
        _allow_replication(conn, Path(settings["hba_file"]))
    if shutil.which("pg_createcluster") is None:
        raise ReplicaUnavailable("pg_createcluster not found (Debian's postgresql-common)")
    clusters = _run(["pg_lsclusters", "--no-header"]).stdout
    mine = [
        line.split() for line in clusters.splitlines() if line.split()[:2] == [version, CLUSTER]
    ]
    if not mine:
        _run(["pg_createcluster", version, CLUSTER, "-p", str(port)])
    data = Path(f"/var/lib/postgresql/{version}/{CLUSTER}")
    if not (data / "standby.signal").exists():  # new, or left half made: fill it from the primary
        _fill(version, data)
    if not mine or mine[0][3] != "online":
        _run(["pg_ctlcluster", version, CLUSTER, "start"])
    deadline = time.monotonic() + 30
    while not is_streaming_replica(url):
        if time.monotonic() > deadline:
            raise ReplicaUnavailable(f"the replica on port {port} did not come up streaming")
        time.sleep(0.5)
    return url


def is_streaming_replica(url: str) -> bool:
    """True if a PostgreSQL server at `url` is in recovery and streaming from its primary."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute("SELECT pg_is_in_recovery(), status FROM pg_stat_wal_receiver")
            found = row.fetchone()
            return found is not None and bool(found[0]) and found[1] == "streaming"
    except psycopg.Error:
        return False


def _allow_replication(conn: object, hba_file: Path) -> None:
    rules = conn.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
        "AND (address IS NULL OR address = '127.0.0.1') AND auth_method = 'trust'"
    ).fetchone()[0]
    if rules:
        return
    with hba_file.open("a", encoding="utf-8") as hba:
        hba.write("\n# streaming replica for the planner's scale-out test (bench/pg_replica.py)\n")
        hba.write(HBA_LINE + "\n")
    conn.execute("SELECT pg_reload_conf()")  # type: ignore[attr-defined]
    time.sleep(0.5)


def _fill(version: str, data: Path) -> None:
    """Empty the replica cluster's data folder and copy the primary into it (pg_basebackup -R)."""
    subprocess.run(["pg_ctlcluster", version, CLUSTER, "stop"], capture_output=True, check=False)
    config = Path(f"/etc/postgresql/{version}/{CLUSTER}")
    (config / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n", encoding="utf-8"
    )
    data.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(data, "postgres", "postgres")
    for child in data.iterdir():  # the folder itself stays (owned by postgres, mode 0700)
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    _run(
        ["runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p", "5432",
         "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast"]
    )  # fmt: skip


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise ReplicaUnavailable(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done


if __name__ == "__main__":
    try:
        print(ensure_replica())
    except ReplicaUnavailable as reason:
        print(f"no replica: {reason}", file=sys.stderr)
        raise SystemExit(1) from None
