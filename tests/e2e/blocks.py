"""Editing the integration project's sync-model blocks the way a user edits schema.yml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = "models/clarify/schema.yml"


def edit_block(project_dir: Path, model: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``edit`` to the model's ``config.meta.clarify`` block and save the file."""
    path = project_dir / SCHEMA_FILE
    document = yaml.safe_load(path.read_text())
    entry = next(m for m in document["models"] if m["name"] == model)
    edit(entry["config"]["meta"]["clarify"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))
