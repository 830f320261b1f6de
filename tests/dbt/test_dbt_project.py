"""Loading integration_tests with dbt, selecting models, and the errors a user can cause."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dbt_clarify.dbt import ColumnInfo, DbtProject, ModelNode, ProjectOptions
from dbt_clarify.errors import ConfigError, ExitCode
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

PEOPLE = "model.integration_tests.clarify_people"
COMPANIES = "model.integration_tests.clarify_companies"


def names(nodes: list[ModelNode]) -> list[str]:
    return [node.name for node in nodes]


def test_load_describes_the_project_and_leaves_dbts_manifest_as_the_build_wrote_it(
    dbt_env: DbtEnv,
) -> None:
    built_manifest = dbt_env.project_dir / "target" / "manifest.json"
    written_by_the_build = built_manifest.read_bytes()
    dbt_project = DbtProject.load(dbt_env.options(vars="{answer: 42}"))
    assert built_manifest.read_bytes() == written_by_the_build
    assert dbt_project.project_dir == dbt_env.project_dir.resolve()
    assert dbt_project.target_path == dbt_env.project_dir.resolve() / "target"
    assert dbt_project.adapter_type == dbt_env.warehouse.target
    assert dbt_project.target_name == dbt_env.warehouse.target
    assert dbt_project.target_schema == dbt_env.warehouse.schema


def test_load_honours_target_path_and_vars(dbt_env: DbtEnv, tmp_path: Path) -> None:
    target_path = tmp_path / "elsewhere"
    project = DbtProject.load(dbt_env.options(target_path=target_path, vars="{answer: 42}"))
    assert project.target_path == target_path
    # dbt's partial-parsing cache goes there; its JSON artifacts are not written at all.
    assert (target_path / "partial_parse.msgpack").is_file()
    assert not (target_path / "manifest.json").exists()
    assert [node.name for node in project.select(["clarify_people"])] == ["clarify_people"]


def test_profiles_dir_defaults_to_the_environment_then_the_project(
    dbt_env: DbtEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    options = ProjectOptions(project_dir=dbt_env.project_dir)
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))
    assert options.resolved_profiles_dir() == tmp_path
    monkeypatch.delenv("DBT_PROFILES_DIR")
    assert options.resolved_profiles_dir() == dbt_env.project_dir
    (dbt_env.project_dir / "profiles.yml").unlink()
    assert options.resolved_profiles_dir() == Path.home() / ".dbt"


def test_select_by_tag_in_dependency_order(dbt_project: DbtProject) -> None:
    assert names(dbt_project.select(["tag:clarify"])) == ["clarify_companies", "clarify_people"]


def test_select_without_arguments_lists_every_model_upstream_first(
    dbt_project: DbtProject,
) -> None:
    selected = names(dbt_project.select(["package:integration_tests"]))
    assert sorted(selected) == [
        "clarify_companies",
        "clarify_people",
        "people_by_lifecycle_stage",
        "stg_companies",
        "stg_people",
    ]
    assert selected.index("stg_people") < selected.index("clarify_people")
    assert selected.index("stg_people") < selected.index("people_by_lifecycle_stage")
    assert selected.index("stg_companies") < selected.index("clarify_companies")


def test_select_with_exclude_and_graph_operators(dbt_project: DbtProject) -> None:
    assert names(dbt_project.select(["tag:clarify"], exclude=["clarify_people"])) == [
        "clarify_companies"
    ]
    assert names(dbt_project.select(["+clarify_people"])) == ["stg_people", "clarify_people"]
    assert names(dbt_project.select(["stg_people+"], exclude=["tag:clarify"])) == [
        "stg_people",
        "people_by_lifecycle_stage",
    ]


def test_select_with_a_selector_from_selectors_yml(dbt_project: DbtProject) -> None:
    assert names(dbt_project.select(selector="clarify_sync")) == [
        "clarify_companies",
        "clarify_people",
    ]
    assert names(dbt_project.select(selector="clarify_companies_only")) == ["clarify_companies"]


def test_select_leaves_out_seeds_and_tests(dbt_project: DbtProject) -> None:
    assert names(dbt_project.select(["raw_people", "clarify_people"])) == ["clarify_people"]


def test_select_matching_nothing_is_empty(dbt_project: DbtProject) -> None:
    assert dbt_project.select(["tag:no_such_tag"]) == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"select": ["bogus:clarify"]}, "'bogus' is not a valid method name"),
        ({"selector": "no_such_selector"}, "Could not find selector named no_such_selector"),
    ],
)
def test_bad_selection_is_a_config_error(
    dbt_project: DbtProject, kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        dbt_project.select(**kwargs)  # type: ignore[arg-type]
    assert reason in raised.value.message
    assert raised.value.hint
    assert raised.value.exit_code == ExitCode.CONFIG


def test_model_node_fields(dbt_env: DbtEnv, dbt_project: DbtProject) -> None:
    companies, people = dbt_project.select(["tag:clarify"])
    assert people.unique_id == PEOPLE
    assert people.package_name == "integration_tests"
    assert people.relation_name is not None
    assert people.relation_name == (
        f'"{dbt_env.warehouse.database}"."{dbt_env.warehouse.schema}"."clarify_people"'
    )
    assert people.materialized == "table"
    assert people.tags == ("clarify",)
    assert people.block_key == "config.meta.clarify"
    assert people.clarify_block == {
        "object": "person",
        "fields": {
            "email": "email_addresses",
            "first_name": "name.first_name",
            "last_name": "name.last_name",
            "title": "job_title",
            "company_domain": "company.domains",
            "lifecycle_stage": "lifecycle_stage",
        },
    }
    assert people.schema_file == "models/clarify/schema.yml"
    assert people.sql_file == "models/clarify/clarify_people.sql"
    assert people.declared_columns["updated_at"] == ColumnInfo("updated_at", "timestamp")
    assert list(people.declared_columns)[:2] == ["email", "first_name"]
    assert people.depends_on == ("model.integration_tests.stg_people",)
    assert companies.clarify_block == {
        "object": "company",
        "fields": {
            "domain": "domains",
            "name": "name",
            "industry": "industry",
            "employee_count": "employee_count",
        },
    }


def test_a_model_without_block(dbt_project: DbtProject) -> None:
    (node,) = dbt_project.select(["people_by_lifecycle_stage"])
    assert node.clarify_block is None
    assert node.tags == ()
    assert node.schema_file == "models/reporting/schema.yml"


def test_a_top_level_meta_block_is_found_too(dbt_env: DbtEnv) -> None:
    schema = dbt_env.project_dir / "models" / "reporting" / "schema.yml"
    schema.write_text(
        schema.read_text().replace(
            "    description: Head count per lifecycle stage.\n",
            "    description: Head count per lifecycle stage.\n"
            "    meta:\n      clarify: {object: c_stage_count}\n",
        )
    )
    (node,) = DbtProject.load(dbt_env.options()).select(["people_by_lifecycle_stage"])
    assert node.clarify_block == {"object": "c_stage_count"}
    assert node.block_key == "meta.clarify"


def test_a_parse_error_is_one_clean_line(dbt_env: DbtEnv) -> None:
    schema = dbt_env.project_dir / "models" / "clarify" / "schema.yml"
    schema.write_text(
        schema.read_text().replace("    config:\n      tags", "    config:\n     tags")
    )
    with pytest.raises(ConfigError) as raised:
        DbtProject.load(dbt_env.options())
    message = raised.value.message
    assert "\n" not in message
    assert "  " not in message
    assert message.startswith("dbt could not parse the project in ")
    assert "schema.yml" in message
    assert "Syntax error near line" in message
    assert "|" not in message  # dbt's code excerpt is left out
    assert raised.value.hint is not None
    assert "dbt parse" in raised.value.hint


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("no_project_file", "No dbt_project.yml found"),
        ("unknown_target", "does not have a target named 'nowhere'"),
        ("bad_vars", "is not valid YAML"),
    ],
)
def test_load_errors_name_dbt_s_reason(
    dbt_env: DbtEnv, change: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = dbt_env.options()
    if change == "no_project_file":
        monkeypatch.chdir(dbt_env.project_dir)  # dbt logs under the working directory then
        (dbt_env.project_dir / "dbt_project.yml").unlink()
    elif change == "unknown_target":
        options = dbt_env.options(target="nowhere")
    else:
        options = dbt_env.options(vars="{unclosed")
    with pytest.raises(ConfigError) as raised:
        DbtProject.load(options)
    assert reason in raised.value.message
    assert "\n" not in raised.value.message


def test_load_keeps_dbt_quiet_on_stdout(dbt_env: DbtEnv, capfd: pytest.CaptureFixture) -> None:
    project = DbtProject.load(dbt_env.options())
    project.select(["tag:clarify"])
    out, _ = capfd.readouterr()
    assert out == ""
    assert "Running with dbt" in (dbt_env.project_dir / "logs" / "dbt.log").read_text()


def test_importing_the_package_does_not_import_dbt() -> None:
    code = (
        "import sys, dbt_clarify.dbt, dbt_clarify.state, dbt_clarify.engine.reader\n"
        "loaded = [m for m in sys.modules if m == 'dbt' or m.startswith('dbt.')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_project_dir_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # dbt logs under the working directory then
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as raised:
        DbtProject.load(ProjectOptions(project_dir=missing, profiles_dir=tmp_path))
    assert str(missing) in raised.value.message


def test_ephemeral_models_have_no_relation(dbt_env: DbtEnv) -> None:
    (dbt_env.project_dir / "models" / "staging" / "stg_people_ephemeral.sql").write_text(
        "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('raw_people') }}\n"
    )
    (node,) = DbtProject.load(dbt_env.options()).select(["stg_people_ephemeral"])
    assert node.relation_name is None
    assert node.materialized == "ephemeral"
