"""Every configuration mistake gets one line naming model, file and key, exit code 2, and
nothing is written to Clarify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from e2e.conftest import SyncCli, write_requests

pytestmark = pytest.mark.dbt

SCHEMA_FILE = "models/clarify/schema.yml"
Edit = Callable[[dict[str, Any]], None]


def _edit_people_block(sync_cli: SyncCli, edit: Edit) -> None:
    path = sync_cli.dbt_env.project_dir / SCHEMA_FILE
    document = yaml.safe_load(path.read_text())
    people = next(m for m in document["models"] if m["name"] == "clarify_people")
    edit(people)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _block(model: dict[str, Any]) -> dict[str, Any]:
    return model["config"]["meta"]["clarify"]


def _rename_column(model: dict[str, Any]) -> None:
    fields = _block(model)["fields"]
    fields["emial"] = fields.pop("email")
    _block(model)["primary_key"] = "email"


MISTAKES: dict[str, tuple[Edit, list[str]]] = {
    "unknown object": (
        lambda m: _block(m).update(object="persn"),
        ["config.meta.clarify.object", "persn", "person"],
    ),
    "unknown key": (
        lambda m: _block(m).update(match_one="email_addresses"),
        ["config.meta.clarify.match_one", "did you mean", "match_on"],
    ),
    "column the model lacks": (_rename_column, ["emial", "did you mean", "email"]),
    "field Clarify lacks": (
        lambda m: _block(m)["fields"].update(title="job_titel"),
        ["job_titel", "job_title"],
    ),
    "missing match key": (
        lambda m: _block(m)["fields"].pop("email"),
        ["match_on", "email_addresses"],
    ),
    "tag without a block": (
        lambda m: m["config"].pop("meta"),
        ["tagged", "clarify"],
    ),
    "custom object without match_on": (
        lambda m: (
            _block(m).update(object="c_subscription"),
            _block(m)["fields"].pop("company_domain"),
        ),
        ["c_subscription", "match_on"],
    ),
    "unknown mode": (
        lambda m: _block(m).update(mode="upsrt"),
        ["config.meta.clarify.mode", "upsrt"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistake_is_one_clear_line_with_exit_code_2(sync_cli: SyncCli, mistake: str) -> None:
    edit, expected_words = MISTAKES[mistake]
    _edit_people_block(sync_cli, edit)

    run = sync_cli.run()

    assert run.exit_code == 2, run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("Error:")]
    assert len(error_lines) == 1, run.stderr
    error = error_lines[0]
    assert "clarify_people" in error
    assert SCHEMA_FILE in error
    for word in expected_words:
        assert word.lower() in run.stderr.lower(), (word, run.stderr)
    assert "Traceback" not in run.stderr
    assert write_requests(sync_cli.emulator) == 0
    assert sync_cli.emulator.records("person") == []
    assert sync_cli.emulator.records("company") == []


def test_missing_api_key_is_a_configuration_error(sync_cli: SyncCli) -> None:
    env = sync_cli.env()
    del env["CLARIFY_API_KEY"]
    run = sync_cli.run(env=env)
    assert run.exit_code == 2
    assert "CLARIFY_API_KEY" in run.stderr
    assert write_requests(sync_cli.emulator) == 0


def test_wrong_api_key_exits_4_and_never_shows_the_key(sync_cli: SyncCli) -> None:
    wrong = "wrong-key-that-must-not-leak-91c2"
    run = sync_cli.run("--debug", env=sync_cli.env(CLARIFY_API_KEY=wrong))
    assert run.exit_code == 4, run.stderr
    assert "CLARIFY_API_KEY" in run.stderr
    assert wrong not in run.stdout + run.stderr
