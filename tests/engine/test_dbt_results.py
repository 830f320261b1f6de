"""run_results.json read leniently, and only from invocations that build or test."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from dbt_clarify.dbt_results import read_run_results
from dbt_clarify.errors import ConfigError, ExitCode


def document(which: str | None = "build", **metadata: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "generated_at": "2025-03-03T06:10:00.000000Z",
            "invocation_id": "5e0c1b9a",
            "invocation_started_at": "2025-03-03T06:00:00.123456Z",
            "some_field_from_a_later_dbt": {"nested": True},
            **metadata,
        },
        "results": [
            {"unique_id": "model.shop.clarify_people", "status": "success", "message": "OK"},
            {
                "unique_id": "test.shop.not_null_clarify_people_email.1a2b3c",
                "status": "fail",
                "failures": 3,
                "message": "Got 3 results, configured to fail if != 0",
                "adapter_response": {},
            },
            {"unique_id": "model.shop.no_status"},
            {"status": "success"},
            "not an entry",
        ],
        "args": {"which": which} if which else {},
    }


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "run_results.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_reads_the_results_of_a_build_with_their_invocation(tmp_path: Path) -> None:
    path = write(tmp_path, document())
    results = read_run_results(path).results
    assert [(r.node_id, r.status) for r in results] == [
        ("model.shop.clarify_people", "success"),
        ("test.shop.not_null_clarify_people_email.1a2b3c", "fail"),
    ]
    people, test = results
    assert test.failed
    assert not people.failed
    assert test.message == "Got 3 results, configured to fail if != 0"
    assert people.invocation.invocation_id == "5e0c1b9a"
    assert people.invocation.started_at == datetime(2025, 3, 3, 6, 0, 0, 123456, timezone.utc)
    assert people.invocation.source == str(path)


def test_older_files_fall_back_to_generated_at(tmp_path: Path) -> None:
    legacy = document(invocation_started_at=None)
    [first, *_] = read_run_results(write(tmp_path, legacy)).results
    assert first.invocation.started_at == datetime(2025, 3, 3, 6, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("which", ["build", "run", "test", "seed", "snapshot", "retry", None])
def test_invocations_that_build_or_test_count(tmp_path: Path, which: str | None) -> None:
    assert read_run_results(write(tmp_path, document(which))).results


@pytest.mark.parametrize("which", ["compile", "generate", "show", "run-operation"])
def test_invocations_that_only_compile_say_nothing(tmp_path: Path, which: str) -> None:
    assert read_run_results(write(tmp_path, document(which))).results == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the dbt run results"),
        ("[1, 2]", "is not a dbt run_results.json"),
    ],
)
def test_unreadable_files_are_configuration_errors(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        read_run_results(write(tmp_path, content))
    assert raised.value.exit_code == ExitCode.CONFIG
    assert raised.value.hint


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no dbt run results at .*nowhere\.json"):
        read_run_results(tmp_path / "nowhere.json")
