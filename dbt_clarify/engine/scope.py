"""Which project, target and sync models a command works on, without Clarify credentials.

``sync`` needs the API key; ``status`` and ``reset`` only read or clear state in the warehouse,
and ``validate`` and ``fields`` take their settings separately. They share this scope and the
way ``sync`` loads a project and selects and parses its sync models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dbt_clarify.dbt import DbtProject, ModelNode, ProjectOptions
from dbt_clarify.engine.runner import select_sync_models
from dbt_clarify.spec import SyncSpec
from dbt_clarify.state import default_state_schema

DEFAULT_SELECTION = ("tag:clarify",)


@dataclass(frozen=True)
class ModelScope:
    """dbt's project flags, its selection, and where sync state lives."""

    project_dir: Path = Path(".")
    profiles_dir: Path | None = None
    target: str | None = None
    vars: str | None = None
    select: Sequence[str] = DEFAULT_SELECTION
    exclude: Sequence[str] = ()
    selector: str | None = None
    state_schema: str | None = None
    """Schema holding sync state; default ``<target schema>_clarify``."""

    def project_options(self) -> ProjectOptions:
        return ProjectOptions(
            project_dir=self.project_dir,
            profiles_dir=self.profiles_dir,
            target=self.target,
            vars=self.vars,
        )


@dataclass(frozen=True)
class ScopedProject:
    """A loaded project and its selected sync models, each with its parsed block."""

    project: DbtProject
    models: list[tuple[ModelNode, SyncSpec]]
    state_schema: str


def load_scope(scope: ModelScope) -> ScopedProject:
    """Parse the project and select its sync models as ``sync`` does (ConfigError if wrong)."""
    project = DbtProject.load(scope.project_options())
    models = select_sync_models(project, scope)
    state_schema = scope.state_schema or default_state_schema(project.target_schema)
    return ScopedProject(project, models, state_schema)
