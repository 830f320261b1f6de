"""A dbt project as dbt itself reads it: parsed manifest, selection grammar, profile connection."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tenacity

from dbt_clarify.dbt.catalog import catalog_columns, read_catalog
from dbt_clarify.dbt.data_tests import accepted_values_by_model
from dbt_clarify.dbt.macros import MacroRenderer
from dbt_clarify.dbt.manifest_file import read_manifest
from dbt_clarify.dbt.nodes import ColumnInfo, ModelNode, dependency_order, model_node
from dbt_clarify.dbt.runner import invoke, one_line
from dbt_clarify.dbt.test_subjects import tested_models
from dbt_clarify.dbt.warehouse import Warehouse, release_database
from dbt_clarify.errors import ConfigError, WarehouseError

PACKAGE_NAME = "dbt_clarify"
CONNECTION_NAME = "dbt-clarify"
LOCK_WAIT_S = 300.0
"""How long to wait for another process to release a DuckDB file before giving up."""


@dataclass(frozen=True)
class ProjectOptions:
    """The dbt flags that decide which project, profile and target a sync uses."""

    project_dir: Path = Path(".")
    profiles_dir: Path | None = None
    """None: DBT_PROFILES_DIR, else the project dir if it has profiles.yml, else ~/.dbt."""
    target: str | None = None
    vars: str | None = None
    """A YAML mapping as text, as in dbt's ``--vars``."""
    target_path: Path | None = None
    """None: DBT_TARGET_PATH, else the project's target-path, as dbt decides."""
    manifest_path: Path | None = None
    """A manifest.json to use instead of parsing (one a dbt Cloud job wrote, say)."""
    lock_wait_s: float = LOCK_WAIT_S
    """How long to wait for another process to release a DuckDB file before giving up."""

    def resolved_profiles_dir(self) -> Path:
        if self.profiles_dir is not None:
            return self.profiles_dir
        from_env = os.environ.get("DBT_PROFILES_DIR")
        if from_env:
            return Path(from_env)
        if (self.project_dir / "profiles.yml").is_file():
            return self.project_dir
        return Path.home() / ".dbt"

    def dbt_args(self) -> list[str]:
        """The flags every dbt command of this project gets."""
        args = [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.resolved_profiles_dir()),
        ]
        if self.target:
            args += ["--target", self.target]
        if self.vars:
            args += ["--vars", self.vars]
        if self.target_path:
            args += ["--target-path", str(self.target_path)]
        return args


class DbtProject:
    """A parsed dbt project: its models, its selection and its warehouse connection.

    Use one at a time per process: dbt keeps global state, and each dbt command resets the
    adapter, so ``select`` must not run while a ``connect`` block is open.
    """

    def __init__(self, options: ProjectOptions, manifest: Any) -> None:
        self._options = options
        self._manifest = manifest
        self._connected = False
        config = self._adapter().config
        self.project_dir = Path(config.project_root)
        self.target_path = self.project_dir / config.target_path
        self.adapter_type: str = manifest.metadata.adapter_type
        self.target_name: str = config.target_name
        self.target_schema: str = config.credentials.schema

    @classmethod
    def load(cls, options: ProjectOptions) -> DbtProject:
        """Parse the project (partial parsing keeps re-runs near a second); writes no manifest.

        With ``manifest_path`` the project is not parsed: that manifest is used as it is.
        """
        options = dataclasses.replace(
            options, project_dir=options.project_dir.expanduser().resolve()
        )
        if options.manifest_path is not None:
            return cls._with_manifest_file(options, options.manifest_path)
        manifest = invoke(
            ["parse", *options.dbt_args()],
            failure=f"dbt could not parse the project in {options.project_dir}",
            hint=(
                f"run `dbt parse --project-dir {options.project_dir}` for dbt's full output; "
                f"profiles are read from {options.resolved_profiles_dir()}"
            ),
        )
        return cls(options, manifest)

    @classmethod
    def _with_manifest_file(cls, options: ProjectOptions, path: Path) -> DbtProject:
        manifest = read_manifest(path)
        # Given a manifest, a dbt command skips parsing but still registers the profile's
        # adapter, which everything after needs; listing the package's models costs little.
        listing = ["ls", "--resource-type", "model", "--select", f"package:{PACKAGE_NAME}"]
        invoke(
            [*listing, *options.dbt_args()],
            manifest=manifest,
            failure=f"dbt could not load the project in {options.project_dir} with {path}",
            hint=f"check the profile and target; profiles are read from "
            f"{options.resolved_profiles_dir()}",
        )
        from dbt.adapters.factory import get_adapter_by_type

        try:
            get_adapter_by_type(manifest.metadata.adapter_type)
        except KeyError:
            raise ConfigError(
                f"the manifest {path} was written for a {manifest.metadata.adapter_type} "
                "target, but the profile's target uses another adapter",
                hint="pass --target for the warehouse that the dbt job built",
            ) from None
        project = cls(options, manifest)
        try:
            # Parsing would have refused a project whose packages are missing; check it here.
            project._adapter().config.load_dependencies()
        except Exception as error:
            raise ConfigError(
                f"the dbt project in {options.project_dir} is not ready: {one_line(error)}",
                hint=f"run `dbt deps --project-dir {options.project_dir}` first",
            ) from error
        return project

    def tested_models(self) -> dict[str, tuple[str, ...]]:
        """test unique_id -> the models it checks, to tell which model a failed test is about."""
        return tested_models(self._manifest.nodes.values())

    def select(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        selector: str | None = None,
    ) -> list[ModelNode]:
        """The models matching dbt's selection grammar, upstream first."""
        if self._connected:
            raise RuntimeError("select() runs a dbt command, which would drop the open connection")
        args = ["ls", *self._options.dbt_args(), "--resource-type", "model"]
        args += ["--output", "json", "--output-keys", "unique_id"]
        for value in select:
            args += ["--select", value]
        for value in exclude:
            args += ["--exclude", value]
        if selector:
            args += ["--selector", selector]
        listed = invoke(
            args,
            manifest=self._manifest,
            failure="dbt could not select models",
            hint="check --select, --exclude and --selector against dbt's node selection syntax",
        )
        unique_ids = {json.loads(line)["unique_id"] for line in listed or ()}
        nodes = self._manifest.nodes

        def parents(unique_id: str) -> Sequence[str]:
            node = nodes.get(unique_id)
            return getattr(getattr(node, "depends_on", None), "nodes", None) or ()

        files = self._manifest.files
        return [
            model_node(nodes[unique_id], files)
            for unique_id in dependency_order(unique_ids, parents)
        ]

    def catalog_columns(self, node: ModelNode) -> list[ColumnInfo] | None:
        """The model's columns in ``target/catalog.json`` (``dbt docs generate``), if listed."""
        found = self._manifest.nodes.get(node.unique_id)
        if found is None:
            return None
        relation = (found.database, found.schema, found.alias)
        return catalog_columns(self._catalog, node.unique_id, relation)

    def accepted_values(self, node: ModelNode) -> dict[str, tuple[str, ...]]:
        """Column name -> the values the model's ``accepted_values`` tests allow."""
        return dict(self._accepted_values.get(node.unique_id, {}))

    @functools.cached_property
    def _catalog(self) -> Any:
        return read_catalog(self.target_path)

    @functools.cached_property
    def _accepted_values(self) -> dict[str, dict[str, tuple[str, ...]]]:
        return accepted_values_by_model(self._manifest.nodes.values())

    def render_offline(self, macro: str, **kwargs: Any) -> str | list[str]:
        """The SQL a package macro renders for the profile's adapter, without connecting.

        The macros only build text, so a target with placeholder credentials is enough: this
        checks the SQL each warehouse gets where the warehouse cannot be reached. No connection
        is named either: releasing one would open it on some adapters (BigQuery).
        """
        return MacroRenderer(self._adapter(), self._manifest, PACKAGE_NAME).render(macro, kwargs)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Warehouse]:
        """A live connection from the project's profile and target, released at the end."""
        adapter = self._adapter()
        try:
            with adapter.connection_named(CONNECTION_NAME):
                self._open(adapter)
                warehouse = Warehouse(adapter, self._manifest, package=PACKAGE_NAME)
                self._connected = True
                try:
                    yield warehouse
                finally:
                    self._connected = False
                    warehouse.close()
        finally:
            release_database(adapter)

    def _open(self, adapter: Any) -> None:
        """Open the connection now, so an unreachable warehouse fails here, with a hint.

        A DuckDB file takes one writer process at a time: while another holds it (a running
        `dbt build`, or a second sync of the same project), wait for it rather than fail.
        """
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda e: _is_file_lock(self.adapter_type, e)),
            stop=tenacity.stop_after_delay(self._options.lock_wait_s),
            wait=tenacity.wait_random_exponential(multiplier=0.2, max=2),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    adapter.connections.open(adapter.connections.get_thread_connection())
        except Exception as error:
            raise WarehouseError(
                f"cannot connect to the {self.adapter_type} warehouse of target "
                f"'{self.target_name}': {one_line(error)}",
                hint=_connect_hint(self.adapter_type, str(error)),
            ) from error

    def _adapter(self) -> Any:
        from dbt.adapters.factory import get_adapter_by_type

        return get_adapter_by_type(self._manifest.metadata.adapter_type)


def _is_file_lock(adapter_type: str, error: BaseException) -> bool:
    return adapter_type == "duckdb" and "lock" in str(error).lower()


def _connect_hint(adapter_type: str, reason: str) -> str:
    if adapter_type == "duckdb" and "lock" in reason.lower():
        return "another process (a running `dbt build`?) holds the DuckDB file; retry when it ends"
    return "check the target in profiles.yml and that the warehouse is reachable (`dbt debug`)"
