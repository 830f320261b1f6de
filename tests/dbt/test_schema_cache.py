"""dbt's JSON schemas kept between runs: taken from the cache, and still checked against."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dbt_clarify.dbt import user_cache
from dbt_clarify.dbt.schema_cache import SchemaStore, cache_file
from dbt_clarify.dbt.user_cache import cache_dir
from support.dbt_project import DbtEnv

# One process's load and selection of the project: the dbt classes whose schema mashumaro
# built, the models selected, or the error's message.
LOAD_IN_A_NEW_PROCESS = """
import json, sys
from pathlib import Path
import dbt_common.dataclass_schema as dataclass_schema
built = []
build = dataclass_schema.build_json_schema
def counted(cls, *args, **kwargs):
    built.append(cls.__name__)
    return build(cls, *args, **kwargs)
dataclass_schema.build_json_schema = counted
from dbt_clarify.dbt import DbtProject, ProjectOptions
from dbt_clarify.errors import ConfigError
project_dir = Path(sys.argv[1])
try:
    project = DbtProject.load(ProjectOptions(project_dir=project_dir, profiles_dir=project_dir))
    outcome = [node.name for node in project.select(["tag:clarify"])]
except ConfigError as error:
    outcome = error.message
print(json.dumps({"built": sorted(built), "outcome": outcome}))
"""


def load_in_a_new_process(dbt_env: DbtEnv, cache: Path) -> dict:
    result: dict = dbt_env.run_python(LOAD_IN_A_NEW_PROCESS, DBT_CLARIFY_CACHE_DIR=str(cache))
    return result


@pytest.mark.dbt
@pytest.mark.warehouses("duckdb")
def test_a_second_run_takes_dbts_schemas_from_the_cache(dbt_env: DbtEnv, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_in_a_new_process(dbt_env, cache)
    assert {"Project", "ProfileConfig", "DuckDBCredentials"} <= set(first["built"])
    assert [path.name for path in cache.iterdir() if path.is_file()] == [cache_file(cache).name]
    second = load_in_a_new_process(dbt_env, cache)
    assert second["built"] == []
    assert second["outcome"] == first["outcome"]
    assert "clarify_people" in second["outcome"]


@pytest.mark.dbt
@pytest.mark.warehouses("duckdb")
def test_dbt_still_rejects_a_bad_project_file_against_a_stored_schema(
    dbt_env: DbtEnv, tmp_path: Path
) -> None:
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    load_in_a_new_process(dbt_env, warm)
    project_file = dbt_env.project_dir / "dbt_project.yml"
    project_file.write_text(project_file.read_text() + "\nquoting: 5\n")
    from_the_cache = load_in_a_new_process(dbt_env, warm)
    built_afresh = load_in_a_new_process(dbt_env, cold)
    assert from_the_cache["built"] == []
    assert built_afresh["built"] != []
    assert "at path ['quoting']: 5 is not valid" in from_the_cache["outcome"]
    assert from_the_cache["outcome"] == built_afresh["outcome"]


class Shaped:
    """A class whose schema the tests build by hand."""


def count_builds(schema: dict) -> tuple[list[type], Callable[[type], dict]]:
    calls: list[type] = []

    def build(cls: type) -> dict:
        calls.append(cls)
        return schema

    return calls, build


def test_a_stored_schema_is_returned_without_building(tmp_path: Path) -> None:
    path = tmp_path / "schemas.json"
    calls, build = count_builds({"type": "object", "required": ["a"]})
    first = SchemaStore(path)
    assert first.schema(Shaped, build) == {"type": "object", "required": ["a"]}
    first.save()
    assert calls == [Shaped]
    again = SchemaStore(path)
    assert again.schema(Shaped, build) == {"type": "object", "required": ["a"]}
    assert calls == [Shaped]
    assert not again.changed


def test_a_schema_stored_for_an_edited_module_is_built_again(tmp_path: Path) -> None:
    path = tmp_path / "schemas.json"
    calls, build = count_builds({"type": "object"})
    store = SchemaStore(path)
    store.schema(Shaped, build)
    store.save()
    entries = json.loads(path.read_text())
    (entry,) = entries.values()
    entry["stamp"][-1] -= 1  # the module's file had another time when the schema was stored
    entry["schema"] = {"type": "string"}
    path.write_text(json.dumps(entries))
    assert SchemaStore(path).schema(Shaped, build) == {"type": "object"}
    assert calls == [Shaped, Shaped]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"tests.Shaped": 5}'])
def test_an_unreadable_file_means_building_and_rewriting_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "schemas.json"
    path.write_text(content)
    calls, build = count_builds({"type": "object"})
    store = SchemaStore(path)
    assert store.schema(Shaped, build) == {"type": "object"}
    store.save()
    assert calls == [Shaped]
    assert SchemaStore(path).schema(Shaped, build) == {"type": "object"}
    assert calls == [Shaped]


def test_a_cache_that_cannot_be_written_is_left_alone(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = SchemaStore(blocker / "cache" / "schemas.json")
    _, build = count_builds({"type": "object"})
    assert store.schema(Shaped, build) == {"type": "object"}
    store.save()  # no directory can be made under a file: nothing raised, nothing written
    assert store.changed
    assert blocker.read_text() == ""


def test_each_set_of_package_versions_has_a_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = cache_file(tmp_path)
    assert installed.parent == tmp_path
    version = user_cache.metadata.version
    monkeypatch.setattr(
        user_cache.metadata,
        "version",
        lambda name: "0.0.1" if name == "mashumaro" else version(name),
    )
    assert cache_file(tmp_path) != installed


def test_the_cache_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_CLARIFY_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("DBT_CLARIFY_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "dbt-clarify"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "dbt-clarify"
