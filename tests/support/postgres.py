"""A real PostgreSQL server for the tests and benchmarks: the one given, or a throwaway one.

Set ``DBT_CLARIFY_TEST_POSTGRES_URL`` (``postgresql://user:password@host:port/dbname``) to use a
server of your own; the user needs CREATEDB, and the tests create and drop databases of their
own there (named ``integration_tests_<random>``). A dedicated variable rather than ``PGHOST``, so
that a shell pointed at a real database never gets test databases created in it.

Without it, PostgreSQL's own server binaries (Debian's ``/usr/lib/postgresql/<version>/bin``, else
``pg_ctl`` on the PATH) run ``initdb`` into a temporary directory and start a server on 127.0.0.1
on a free port, with trust authentication, durability off (it lives for one session) and the C
collation, which orders text bytewise as DuckDB does, so expected orders hold on both. initdb
refuses to run as root, so as root the server runs as the ``postgres`` OS user. ``scripts/test``
installs Debian's ``postgresql`` package when the binaries are missing and it runs as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest

SERVER_URL_VARIABLE = "DBT_CLARIFY_TEST_POSTGRES_URL"
SERVER_USER = "postgres"
"""The superuser of a throwaway server, and the OS user it runs as under root."""
_START_ATTEMPTS = 3


class PostgresUnavailable(RuntimeError):
    """No server was given and none can be started here."""


@dataclass(frozen=True)
class PostgresServer:
    """Where a PostgreSQL server listens, and a user allowed to create databases on it."""

    host: str
    port: int
    user: str
    password: str = ""
    maintenance_db: str = "postgres"
    """The database connected to for CREATE and DROP DATABASE."""

    def connect(self, database: str | None = None, **options: Any) -> Any:
        """A psycopg2 connection to ``database`` (the maintenance database by default)."""
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.maintenance_db,
            **options,
        )

    def environment(self, database: str) -> dict[str, str]:
        """The libpq variables that integration_tests' postgres target reads."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": database,
        }

    def administer(self, *statements: str) -> None:
        """Run statements that cannot run in a transaction (CREATE/DROP DATABASE)."""
        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, ending any session still connected to it."""
        self.administer(f'drop database if exists "{name}" with (force)')

    def copy_database(self, template: str, name: str) -> None:
        """Replace ``name`` with a copy of ``template`` (which nobody may be connected to)."""
        self.drop_database(name)
        self.administer(f'create database "{name}" template "{template}"')


def server_from_url(url: str) -> PostgresServer:
    """The server a ``postgresql://`` URL (or a libpq ``key=value`` string) names."""
    try:
        parts = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError as error:
        raise PostgresUnavailable(
            f"{SERVER_URL_VARIABLE} is not a PostgreSQL URL: {error}"
        ) from None
    return PostgresServer(
        host=parts.get("host", "127.0.0.1"),
        port=int(parts.get("port", 5432)),
        user=parts.get("user", SERVER_USER),
        password=parts.get("password", ""),
        maintenance_db=parts.get("dbname", "postgres"),
    )


def server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: Debian's newest version, else the PATH's."""
    debian = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
        if path.parent.parent.name.isdigit()
    ]
    if debian:
        return max(debian, key=lambda directory: int(directory.parent.name))
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class _ServerDirectory:
    """A throwaway server's files, and how to run its tools as the right OS user."""

    root: Path
    binaries: Path
    as_postgres: bool
    """True under root: initdb and postgres refuse to run as root."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        user: dict[str, Any] = (
            {"user": SERVER_USER, "group": SERVER_USER, "extra_groups": []}
            if self.as_postgres
            else {}
        )
        return subprocess.run(
            [str(self.binaries / tool), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root,
            **user,
        )

    def initdb(self) -> None:
        completed = self.run(
            "initdb", "-D", str(self.data), "-U", SERVER_USER, "--auth=trust",
            "--encoding=UTF8", "--no-locale",
        )  # fmt: skip
        if completed.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {completed.stderr.strip()}")

    def start(self, port: int) -> bool:
        """Start on ``port``; False if another process took the port first."""
        settings = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={port}",
            f"-c unix_socket_directories={self.root}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
        completed = self.run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", " ".join(settings),
        )  # fmt: skip
        if completed.returncode == 0:
            return True
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        if "already in use" in log:
            return False
        raise PostgresUnavailable(
            f"PostgreSQL did not start: {completed.stderr.strip()} {log[-2000:]}".strip()
        )

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")


def _can_run_as_postgres() -> bool:
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def throwaway_server() -> Iterator[PostgresServer]:
    """A new PostgreSQL server on 127.0.0.1, stopped and deleted on exit."""
    binaries = server_binaries()
    if binaries is None:
        raise PostgresUnavailable(
            "the PostgreSQL tests need a server, and PostgreSQL's server binaries "
            "(initdb, pg_ctl) are not installed",
        )
    as_postgres = os.geteuid() == 0
    if as_postgres and not _can_run_as_postgres():
        raise PostgresUnavailable(
            f"running as root, PostgreSQL must run as another OS user, and there is no "
            f"'{SERVER_USER}' user (Debian's postgresql package creates it)"
        )
    # Not under pytest's temporary directory: that is private to the user running the tests.
    root = Path(tempfile.mkdtemp(prefix="dbt-clarify-postgres-"))
    server = _ServerDirectory(root, binaries, as_postgres)
    try:
        if as_postgres:
            shutil.chown(root, SERVER_USER, SERVER_USER)
        server.initdb()
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            if server.start(port):
                break
        else:
            raise PostgresUnavailable(f"no free port for PostgreSQL after {_START_ATTEMPTS} tries")
        try:
            yield PostgresServer(host="127.0.0.1", port=port, user=SERVER_USER)
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def server_for_tests() -> Iterator[PostgresServer]:
    """The server named by DBT_CLARIFY_TEST_POSTGRES_URL, else a throwaway one."""
    url = os.environ.get(SERVER_URL_VARIABLE)
    if url:
        server = server_from_url(url)
        try:
            server.administer("select 1")
        except psycopg2.OperationalError as error:
            reason = " ".join(str(error).split())
            raise PostgresUnavailable(
                f"cannot reach the server {SERVER_URL_VARIABLE} names: {reason}"
            ) from None
        yield server
        return
    with throwaway_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server. Without one the test fails, saying how to get one."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(server_for_tests())
        except PostgresUnavailable as error:
            raise pytest.fail.Exception(
                f"{error}. Run scripts/test as root (it installs Debian's postgresql package), "
                f"install PostgreSQL's server yourself, set {SERVER_URL_VARIABLE}="
                "postgresql://user:password@host:port/dbname, or leave these tests out with "
                "-m 'not postgres'",
                pytrace=False,
            ) from None
        yield server
