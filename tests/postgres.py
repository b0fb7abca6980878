"""A throwaway PostgreSQL server for the classroom's tests: a cluster in a temp dir, listening on a
unix socket only (no TCP port to collide with or expose), with the fast, unsafe settings a test
database can afford. Standard library only, so the Makefile can ask it whether PostgreSQL is there:

    python3 tests/postgres.py      prints the binaries' folder, or exits 1 when none is installed

The one place that finds PostgreSQL's binaries (pg_config --bindir, else Debian's
/usr/lib/postgresql/<version>/bin, newest first)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NEEDED = ("initdb", "pg_ctl", "postgres")
# Durability off (a test cluster is thrown away): no fsync, no waiting for the WAL on commit.
FAST = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200 -c shared_buffers=32MB")


def bindir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres, or None."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True,
                                                  text=True, timeout=10).stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(p: Path):
        return int(p.parent.name) if p.parent.name.isdigit() else 0
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for d in candidates:
        if all((d / name).is_file() for name in NEEDED):
            return d
    return None


class Cluster:
    """initdb + pg_ctl start in a fresh temp dir; `url(db)` is a SQLAlchemy URL over the socket.
    PostgreSQL refuses to run as root: as root the server runs as `nobody` (runuser), which owns
    the temp dir; the socket accepts any local user (trust auth), so root's tests connect."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        # not under pytest's tmp dirs: those are 0700 root's, where `nobody` cannot reach
        self.dir = Path(tempfile.mkdtemp(prefix="playground-pg-"))
        self.data, self.socket = self.dir / "data", self.dir / "sock"
        self.socket.mkdir()
        self._as = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "nobody")
            shutil.chown(self.socket, "nobody")
            self._as = ["runuser", "-u", "nobody", "--"]
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        self._run("pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-t", "60",
                  "-o", f"{FAST} -k {self.socket}", "start")
        self._count = 0

    def _run(self, tool: str, *args) -> None:
        done = subprocess.run([*self._as, str(self.bin / tool), *map(str, args)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.dir / "server.log"
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}"
                               + (f"\n{log.read_text()[-2000:]}" if log.exists() else ""))

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.socket}"

    def new_database(self) -> str:
        """A new, empty database's URL (tests that count rooms need their own)."""
        import sqlalchemy as sa
        self._count += 1
        name = f"test_{self._count}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url(name)

    def close(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    found = bindir()
    print(found or "PostgreSQL is not installed", file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
