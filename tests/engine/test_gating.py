"""The gate: each model judged by the latest dbt invocation that built or tested it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dbt_clarify.dbt import ModelNode
from dbt_clarify.dbt_results import DbtResults, Invocation, NodeResult
from dbt_clarify.engine.gating import gate

PEOPLE = "model.shop.clarify_people"
COMPANIES = "model.shop.clarify_companies"
PEOPLE_EMAIL_TEST = "test.shop.not_null_clarify_people_email.1a2b3c"
PEOPLE_STAGE_TEST = "test.shop.accepted_values_clarify_people_stage__Lead.9f8e7d"
COMPANIES_TEST = "test.shop.unique_clarify_companies_domain.4d5e6f"
TESTED = {
    PEOPLE_EMAIL_TEST: (PEOPLE,),
    PEOPLE_STAGE_TEST: (PEOPLE,),
    COMPANIES_TEST: (COMPANIES,),
}
MONDAY = datetime(2025, 3, 3, 6, 0, tzinfo=timezone.utc)


def node(unique_id: str) -> ModelNode:
    name = unique_id.rsplit(".", 1)[-1]
    return ModelNode(
        unique_id=unique_id,
        name=name,
        package_name="shop",
        relation_name=f'"db"."main"."{name}"',
        materialized="table",
        tags=("clarify",),
        clarify_block={},
        block_key="config.meta.clarify",
        schema_file="models/schema.yml",
        sql_file=f"models/{name}.sql",
        declared_columns={},
        depends_on=(),
    )


def invocation(name: str, hours_later: float = 0, source: str = "target/run_results.json"):
    return Invocation(name, MONDAY + timedelta(hours=hours_later), source)


def result(node_id: str, status: str, run: Invocation, message: str | None = None, **kw):
    return NodeResult(node_id=node_id, status=status, invocation=run, message=message, **kw)


def names(models: list[ModelNode]) -> list[str]:
    return [m.name for m in models]


MODELS = [node(COMPANIES), node(PEOPLE)]


def test_a_clean_build_keeps_every_model() -> None:
    build = invocation("build")
    results = DbtResults.of(
        [
            result(COMPANIES, "success", build),
            result(PEOPLE, "success", build),
            result(PEOPLE_EMAIL_TEST, "pass", build),
            result(PEOPLE_STAGE_TEST, "warn", build, "Got 2 results"),
        ]
    )
    decision = gate(MODELS, results, TESTED)
    assert names(decision.kept) == ["clarify_companies", "clarify_people"]
    assert decision.skipped == []


def test_a_failed_test_skips_only_its_model_with_the_test_and_message() -> None:
    build = invocation("build")
    results = DbtResults.of(
        [
            result(COMPANIES, "success", build),
            result(PEOPLE, "success", build),
            result(PEOPLE_STAGE_TEST, "fail", build, "Got 3 results, configured to fail if != 0"),
        ]
    )
    decision = gate(MODELS, results, TESTED)
    assert names(decision.kept) == ["clarify_companies"]
    [skipped] = decision.skipped
    assert skipped.node.name == "clarify_people"
    assert "accepted_values_clarify_people_stage__Lead failed" in skipped.reason
    assert "Got 3 results" in skipped.reason
    assert "2025-03-03 06:00 UTC" in skipped.reason
    assert "target/run_results.json" in skipped.reason
    assert skipped.warning.startswith("clarify_people skipped: its test ")
    assert "--ignore-dbt-results" in skipped.warning
    assert not decision.keeps(node(PEOPLE))
    assert decision.keeps(node(COMPANIES))


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        ("error", "Database Error\n  relation does not exist", "dbt failed to build it"),
        ("skipped", None, "dbt skipped it"),
    ],
)
def test_a_model_that_did_not_build_is_skipped(
    status: str, message: str | None, expected: str
) -> None:
    build = invocation("build")
    decision = gate([node(PEOPLE)], DbtResults.of([result(PEOPLE, status, build, message)]), {})
    [skipped] = decision.skipped
    assert skipped.reason.startswith(expected)
    if message:
        assert skipped.reason.endswith(": Database Error")


def test_several_failed_tests_are_counted_and_named() -> None:
    build = invocation("build")
    failing = [
        result(PEOPLE_EMAIL_TEST, "fail", build),
        result(PEOPLE_STAGE_TEST, "error", build, "Runtime Error"),
    ]
    [skipped] = gate([node(PEOPLE)], DbtResults.of(failing), TESTED).skipped
    assert skipped.reason.startswith("2 of its tests failed")
    assert "not_null_clarify_people_email" in skipped.reason
    assert "accepted_values_clarify_people_stage__Lead" in skipped.reason


def test_only_the_latest_invocation_that_touched_a_model_counts() -> None:
    failed_build = invocation("build-1")
    fixed_build = invocation("build-2", hours_later=2)
    unrelated_run = invocation("run-3", hours_later=3)
    results = DbtResults.of(
        [
            result(PEOPLE_STAGE_TEST, "fail", failed_build),
            result(COMPANIES_TEST, "fail", failed_build),
            result(PEOPLE, "success", fixed_build),
            result(PEOPLE_STAGE_TEST, "pass", fixed_build),
            result("model.shop.stg_orders", "error", unrelated_run),
        ]
    )
    decision = gate(MODELS, results, TESTED)
    assert names(decision.kept) == ["clarify_people"]
    assert names([s.node for s in decision.skipped]) == ["clarify_companies"]


def test_a_later_failure_in_another_source_wins() -> None:
    local = invocation("build-1", source="target/run_results.json")
    recorded = invocation("test-2", hours_later=1, source="recorded in main_clarify")
    results = DbtResults.of([result(PEOPLE, "success", local)]) + DbtResults.of(
        [result(PEOPLE_EMAIL_TEST, "fail", recorded, model_ids=(PEOPLE,))]
    )
    [skipped] = gate([node(PEOPLE)], results, {}).skipped
    assert "recorded in main_clarify" in skipped.reason


def test_one_invocation_read_from_two_sources_is_judged_once() -> None:
    from_file = Invocation("same-id", MONDAY, "target/run_results.json")
    from_hook = Invocation("same-id", MONDAY + timedelta(seconds=1), "recorded in main_clarify")
    results = DbtResults.of(
        [
            result(PEOPLE_EMAIL_TEST, "fail", from_file),
            result(PEOPLE_EMAIL_TEST, "fail", from_hook, model_ids=(PEOPLE,)),
            result(PEOPLE, "success", from_hook, model_ids=(PEOPLE,)),
        ]
    )
    [skipped] = gate([node(PEOPLE)], results, TESTED).skipped
    assert skipped.reason.startswith("its test not_null_clarify_people_email failed")
    assert "(started 2025-03-03 06:00 UTC, target/run_results.json)" in skipped.reason


def test_results_naming_their_models_need_no_manifest() -> None:
    recorded = invocation("test", source="recorded in main_clarify")
    results = DbtResults.of([result(PEOPLE_EMAIL_TEST, "fail", recorded, model_ids=(PEOPLE,))])
    assert names([s.node for s in gate(MODELS, results, {}).skipped]) == ["clarify_people"]


def test_a_test_the_manifest_does_not_know_and_other_nodes_are_ignored() -> None:
    build = invocation("build")
    results = DbtResults.of(
        [
            result("test.shop.some_removed_test.0000", "fail", build),
            result("seed.shop.raw_people", "error", build),
            result("unit_test.shop.clarify_people.splits_names", "fail", build),
        ]
    )
    assert names(gate(MODELS, results, TESTED).kept) == ["clarify_companies", "clarify_people"]


def test_no_results_keep_everything_in_order() -> None:
    decision = gate(MODELS, DbtResults(), TESTED)
    assert names(decision.kept) == ["clarify_companies", "clarify_people"]
