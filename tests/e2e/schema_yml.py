"""Editing integration_tests' sync-model properties file in a test's own copy of the project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = "models/clarify/schema.yml"
Models = dict[str, dict[str, Any]]


def edit_models(project_dir: Path, edit: Callable[[Models], None]) -> None:
    """Let ``edit`` change the models of the properties file (by name) and write it back."""
    path = project_dir / SCHEMA_FILE
    document = yaml.safe_load(path.read_text())
    edit({model["name"]: model for model in document["models"]})
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def block(model: dict[str, Any]) -> dict[str, Any]:
    return model["config"]["meta"]["clarify"]


def column(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in model["columns"] if c["name"] == name)
