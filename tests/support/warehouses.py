"""The warehouses integration_tests builds into, as tests see them beside dbt.

Each is one database at one fixed place for the whole session (the place is part of dbt's
profile, and a changed profile costs a full re-parse): built once, kept aside as the pristine
build, and restored from it before each test. ``sql`` runs a statement with DuckDB-style ``?``
placeholders on either warehouse, with unqualified names resolving to dbt's target schema.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from support.postgres import PostgresServer

SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")


class ProjectWarehouse(ABC):
    """One warehouse database of integration_tests: its profile target and direct access."""

    target: ClassVar[str]
    """The target of integration_tests/profiles.yml that points at this kind of warehouse."""
    database: str
    """The database name dbt puts in relation names."""
    schema: str
    """dbt's target schema."""

    @abstractmethod
    def environment(self) -> dict[str, str]:
        """The variables the profile's target reads to reach this database."""

    @abstractmethod
    def create(self) -> None:
        """Make an empty database for `dbt build`."""

    @abstractmethod
    def keep_as_built(self) -> None:
        """Set the database aside as the pristine build."""

    @abstractmethod
    def restore_built(self) -> None:
        """Replace the database with a fresh copy of the pristine build."""

    @abstractmethod
    def discard(self) -> None:
        """Remove the database and its pristine copy."""

    @abstractmethod
    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement (``?`` placeholders), commit it, and return its rows.

        The connection is opened and closed around the statement: call it between syncs.
        """

    def tables(self) -> list[tuple[str, str]]:
        """(schema, table) of every table and view outside the system schemas."""
        excluded = ", ".join(f"'{schema}'" for schema in SYSTEM_SCHEMAS)
        return self.sql(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema not in ({excluded}) order by 1, 2"
        )

    def rows(self, schema: str, table: str) -> list[tuple]:
        return self.sql(f'select * from "{schema}"."{table}"')


@dataclass(frozen=True)
class DuckDBFile(ProjectWarehouse):
    """A DuckDB database file; the pristine build sits beside it."""

    path: Path
    target: ClassVar[str] = "duckdb"
    schema: str = "main"

    @property
    def database(self) -> str:  # type: ignore[override]
        return self.path.stem

    @property
    def built_path(self) -> Path:
        return self.path.with_name(f"built-{self.path.name}")

    def environment(self) -> dict[str, str]:
        return {"DBT_CLARIFY_DUCKDB_PATH": str(self.path)}

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def keep_as_built(self) -> None:
        shutil.move(self.path, self.built_path)

    def restore_built(self) -> None:
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        shutil.copyfile(self.built_path, self.path)

    def discard(self) -> None:
        for path in (self.path, self.built_path):
            path.unlink(missing_ok=True)

    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with duckdb.connect(str(self.path)) as connection:
            cursor = connection.execute(statement, list(parameters))
            return cursor.fetchall() if cursor.description else []


def to_psycopg2(statement: str) -> str:
    """A statement with ``?`` placeholders in psycopg2's ``%s`` style.

    Only ``?`` outside single-quoted literals is a placeholder; every ``%`` is doubled, as
    psycopg2 requires once parameters are passed.
    """
    parts = statement.replace("%", "%%").split("'")
    return "'".join(part.replace("?", "%s") if i % 2 == 0 else part for i, part in enumerate(parts))


@dataclass(frozen=True)
class PostgresDatabase(ProjectWarehouse):
    """A database on a PostgreSQL server; the pristine build is a template database."""

    server: PostgresServer
    database: str
    schema: str = "dbt_clarify_it"
    target: ClassVar[str] = "postgres"

    @property
    def built_database(self) -> str:
        return f"{self.database}_built"

    def environment(self) -> dict[str, str]:
        return self.server.environment(self.database)

    def create(self) -> None:
        # Bytewise text order, as in DuckDB, whatever the server's default collation.
        self.server.drop_database(self.database)
        self.server.administer(
            f'create database "{self.database}" template template0'
            " encoding 'UTF8' lc_collate 'C' lc_ctype 'C'"
        )

    def keep_as_built(self) -> None:
        self.server.copy_database(self.database, self.built_database)

    def restore_built(self) -> None:
        self.server.copy_database(self.built_database, self.database)

    def discard(self) -> None:
        self.server.drop_database(self.database)
        self.server.drop_database(self.built_database)

    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        connection = self.server.connect(self.database, options=f"-c search_path={self.schema}")
        try:
            with connection, connection.cursor() as cursor:
                if parameters:
                    cursor.execute(to_psycopg2(statement), list(parameters))
                else:
                    cursor.execute(statement)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()
