"""A project loaded from a manifest.json written elsewhere, instead of parsed; tests' models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dbt_clarify.dbt import DbtProject
from dbt_clarify.errors import ConfigError
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

PEOPLE = "model.integration_tests.clarify_people"


@pytest.fixture
def job_manifest(dbt_env: DbtEnv, tmp_path: Path) -> Path:
    """The manifest of the built project, moved out of its target/ as a job's artifact."""
    path = tmp_path / "artifacts" / "manifest.json"
    path.parent.mkdir()
    shutil.move(dbt_env.project_dir / "target" / "manifest.json", path)
    shutil.rmtree(dbt_env.project_dir / "target")
    return path


def test_a_manifest_file_is_used_without_parsing(dbt_env: DbtEnv, job_manifest: Path) -> None:
    project = DbtProject.load(dbt_env.options(manifest_path=job_manifest))

    companies, people = project.select(["tag:clarify"])
    assert (companies.name, people.name) == ("clarify_companies", "clarify_people")
    with project.connect() as warehouse:
        # The relation the manifest names is the built table.
        assert "email" in {column.name for column in warehouse.columns(people)}
    assert not (dbt_env.project_dir / "target" / "manifest.json").exists()
    assert not (dbt_env.project_dir / "target" / "partial_parse.msgpack").exists()


def test_tested_models_name_each_tests_model(dbt_project: DbtProject) -> None:
    tested = dbt_project.tested_models()
    people_tests = sorted(test for test, models in tested.items() if models == (PEOPLE,))
    assert [test.split(".")[2] for test in people_tests] == [
        "accepted_values_clarify_people_lifecycle_stage__Lead__MQL__SQL__Customer",
        "not_null_clarify_people_updated_at",
    ]
    assert all(test.startswith("test.") for test in tested)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no dbt manifest at"), ("{not json", "cannot use the dbt manifest")],
)
def test_a_manifest_that_cannot_be_used(
    dbt_env: DbtEnv, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        DbtProject.load(dbt_env.options(manifest_path=path))


def test_a_checkout_without_its_packages_is_told_to_run_dbt_deps(
    dbt_env: DbtEnv, job_manifest: Path
) -> None:
    shutil.rmtree(dbt_env.project_dir / "dbt_packages")
    with pytest.raises(ConfigError, match="is not ready") as raised:
        DbtProject.load(dbt_env.options(manifest_path=job_manifest))
    assert "dbt deps" in (raised.value.hint or "")
