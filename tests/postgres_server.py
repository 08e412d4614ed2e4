"""A throwaway PostgreSQL server on loopback, for the tests of the shared store.

:func:`start` runs ``initdb`` in a fresh directory and starts ``postgres`` on 127.0.0.1 with a
free port, its socket in that directory and ``fsync`` on; the tests' role logs in over TCP with
a password (SCRAM), so what they see of a wrong password is what a deployment sees. PostgreSQL
refuses to run as root: as root, the server's commands run as the ``postgres`` user
(``runuser``), and the directory is handed to that user.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROLE = "mailmedic"
_names = itertools.count(1)


class ServerUnavailableError(RuntimeError):
    """The machine cannot run a PostgreSQL server (the tests that need one are skipped)."""


@dataclass
class PostgresServer:
    """A running server; ``stop()`` ends it and removes its files."""

    root: Path
    port: int
    password: str
    started_in: float
    _as_postgres: list[str] = field(default_factory=list)
    _pg_ctl: str = "pg_ctl"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str, *, password: str | None = None) -> str:
        """The URL the store is given: the tests' role, its password, TCP on loopback."""
        return f"postgresql://{ROLE}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> str:
        """A superuser connection over the private socket (trusted there)."""
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={database}"

    def create_database(self) -> str:
        """A new empty database owned by the tests' role; returns its name."""
        import psycopg

        name = f"t{next(_names)}_{os.getpid()}"
        with psycopg.connect(self.admin(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {ROLE}")
        return name

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run([*self._as_postgres, self._pg_ctl, "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30"])
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PostgresServer:
    """Start a server and create the tests' role.

    Raises:
        ServerUnavailableError: ``initdb`` is not installed, or (as root) there is no
            ``postgres`` user to run it as.
        RuntimeError: the server did not start (its log is in the message).
    """
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise ServerUnavailableError("PostgreSQL's initdb/pg_ctl were not found (install postgresql to run these tests)")
    began = time.monotonic()
    as_postgres: list[str] = []
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerUnavailableError("running as root and there is no 'postgres' user to run the server as") from None
        as_postgres = ["runuser", "-u", "postgres", "--"]
        owner = (user.pw_uid, user.pw_gid)
    root = Path(tempfile.mkdtemp(prefix="mailmedic-pg-"))  # not pytest's tmp: its parents are 0700
    password = "pw-" + secrets.token_hex(8)
    server = PostgresServer(root, 0, password, 0.0, as_postgres, pg_ctl)
    try:
        server.socket_dir.mkdir()
        if owner:
            for path in (root, server.socket_dir):
                os.chown(path, *owner)
        _run(
            [
                *as_postgres,
                initdb,
                "-D",
                str(server.data),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=trust",  # the socket is in a private directory
                "--auth-host=scram-sha-256",  # TCP needs the password
                "--no-sync",  # a throwaway directory; the server itself runs with fsync on
                "--no-instructions",
            ]
        )
        for _ in range(3):  # a free port can be taken between choosing and binding it
            server.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.socket_dir} -c fsync=on"
            log = root / "server.log"
            done = _run(
                [*as_postgres, pg_ctl, "start", "-D", str(server.data), "-w", "-t", "30", "-l", str(log), "-o", options],
                check=False,
            )
            if done.returncode == 0:
                break
        else:
            raise RuntimeError(f"postgres did not start:\n{_tail(root / 'server.log')}")
        import psycopg

        with psycopg.connect(server.admin(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'")
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - began
    return server


def _bin(name: str) -> str | None:
    """A PostgreSQL program: on PATH, or where Debian's packages put it (newest version)."""
    found = shutil.which(name)
    if found:
        return found
    installed = [path for path in Path("/usr/lib/postgresql").glob(f"*/bin/{name}") if path.parts[-3].isdigit()]
    return str(max(installed, key=lambda path: int(path.parts[-3]))) if installed else None


def _run(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd="/")
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"
