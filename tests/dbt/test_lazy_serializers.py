"""dbt loaded through dbt-clarify writes only the serializers it uses, and the same ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.dbt_project import DbtEnv

pytestmark = [pytest.mark.dbt, pytest.mark.warehouses("duckdb")]

# Counts the lines of serializer code mashumaro writes, by the module of the dataclass.
COUNT_WRITTEN = """
import collections, json, sys
from pathlib import Path
from mashumaro.core.meta.code.builder import CodeBuilder
written = collections.Counter()
write = CodeBuilder.compile
def counted(self):
    written[self.cls.__module__] += len(self.lines.as_text().splitlines())
    return write(self)
CodeBuilder.compile = counted
"""

# After dbt is imported: a dataclass of the script's own, and a JSON schema built from dbt's
# project contract, which runs the serializers of mashumaro's schema models.
REPORT = """
from dataclasses import dataclass
from mashumaro import DataClassDictMixin
from mashumaro.config import BaseConfig
from mashumaro.jsonschema import build_json_schema
from dbt.contracts.project import Project
on_import = dict(written)
@dataclass
class Later(DataClassDictMixin):
    name: str
    tags: list[str]
print(json.dumps({
    "on_import": on_import,
    "later": written["__main__"],
    "default_lazy": BaseConfig.lazy_compilation,
    "schema": build_json_schema(Project).to_dict(),
}))
"""

PLAIN_IMPORT = COUNT_WRITTEN + "import dbt.cli.main\n" + REPORT

LOADS = {
    "parse": "DbtProject.load(ProjectOptions(project_dir=root, profiles_dir=root))",
    "manifest": "DbtProject.load(ProjectOptions(project_dir=root, profiles_dir=root, "
    "manifest_path=root / 'target' / 'manifest.json'))",
}


def through_dbt_clarify(load: str) -> str:
    return (
        COUNT_WRITTEN
        + "from dbt_clarify.dbt import DbtProject, ProjectOptions\n"
        + "root = Path(sys.argv[1])\n"
        + load
        + "\n"
        + REPORT
    )


@pytest.mark.parametrize("load", sorted(LOADS))
def test_serializers_nobody_calls_wait_for_their_first_use(
    dbt_env: DbtEnv, load: str, tmp_path: Path
) -> None:
    plain = dbt_env.run_python(PLAIN_IMPORT)
    # The first load builds dbt's JSON schemas into the cache, which uses those serializers.
    cache = {"DBT_CLARIFY_CACHE_DIR": str(tmp_path / "cache")}
    dbt_env.run_python(through_dbt_clarify(LOADS[load]), **cache)
    loaded = dbt_env.run_python(through_dbt_clarify(LOADS[load]), **cache)

    # mashumaro's schema models, and dbt's recording types (made by make_dataclass, so their
    # module is "types"): a sync never serializes either.
    for module in ("mashumaro.jsonschema.models", "types"):
        assert plain["on_import"][module] > 500
        assert loaded["on_import"].get(module, 0) < plain["on_import"][module] / 2
    # Written on first use, they build dbt's schema exactly as the eager ones do.
    assert loaded["schema"] == plain["schema"]
    assert loaded["schema"]["properties"]["name"]
    # After the command the default is back: a dataclass defined later is written at once.
    assert loaded["default_lazy"] is False
    assert loaded["later"] == plain["later"] > 5
