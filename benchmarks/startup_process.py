"""A sync's start-up and nothing after it: dbt loads the project and selects its models.

The start-up benchmark runs this in a child process per run, so that the CPU time and peak
memory it reads back are those of a new sync process up to its first check.

    python benchmarks/startup_process.py <project_dir> <select> <vars>
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    project_dir, select, variables = argv
    from dbt_clarify.dbt import DbtProject, ProjectOptions
    from dbt_clarify.heap import young_collections_rarer

    path = Path(project_dir)
    with young_collections_rarer():  # as the sync loads the project
        project = DbtProject.load(
            ProjectOptions(project_dir=path, profiles_dir=path, vars=variables)
        )
    return 0 if project.select([select]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
