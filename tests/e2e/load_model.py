"""The generated load models of integration_tests (20,000 people and their companies) and the
exact-equality check that Clarify holds them: every row, no duplicate, no stale value."""

from __future__ import annotations

from dataclasses import dataclass

from dbt_clarify.emulator import Emulator
from dbt_clarify.state import default_state_schema
from e2e.dbt_cli import dbt
from support.dbt_project import DbtEnv

LOAD_ROWS = 20_000
SELECT = ("--select", "tag:clarify_load")


def load_vars(version: int = 1) -> str:
    return f"{{dbt_clarify_load_rows: {LOAD_ROWS}, dbt_clarify_load_version: {version}}}"


def build_load_models(dbt_env: DbtEnv, version: int = 1) -> None:
    built = dbt(dbt_env, "run", *SELECT, "--vars", load_vars(version))
    assert built.returncode == 0, built.stdout + built.stderr


def forget_sync_state(dbt_env: DbtEnv) -> None:
    """Drop the state schema, as if no sync had ever run."""
    schema = default_state_schema(dbt_env.warehouse.schema)
    dbt_env.sql(f"drop schema if exists {schema} cascade")


@dataclass(frozen=True)
class Mismatch:
    missing: int
    duplicated: int
    stale: int
    extra: int

    @property
    def none(self) -> bool:
        return not (self.missing or self.duplicated or self.stale or self.extra)


def compare(dbt_env: DbtEnv, emulator: Emulator) -> Mismatch:
    """How far Clarify is from holding exactly the load models."""
    companies = {
        domain: (name, industry, count)
        for domain, name, industry, count in dbt_env.sql(
            "select domain, name, industry, employee_count from clarify_load_companies"
        )
    }
    people = {
        email: row
        for email, *row in dbt_env.sql(
            "select email, first_name, last_name, title, company_domain, lifecycle_stage"
            " from clarify_load_people"
        )
    }
    duplicated = stale = 0
    company_ids: dict[str, str] = {}
    for record in emulator.records("company"):
        for domain in record["domains"]["items"]:
            duplicated += domain in company_ids
            company_ids[domain] = record["_id"]
            if companies.get(domain) != (
                record.get("name"),
                record.get("industry"),
                record.get("employee_count"),
            ):
                stale += domain in companies
    seen: set[str] = set()
    for record in emulator.records("person"):
        for email in record["email_addresses"]["items"]:
            duplicated += email in seen
            seen.add(email)
            if email not in people:
                continue
            first, last, title, domain, stage = people[email]
            name = record.get("name") or {}
            actual = (
                name.get("first_name"),
                name.get("last_name"),
                record.get("job_title"),
                record.get("company_id"),
                record.get("lifecycle_stage"),
            )
            stale += actual != (first, last, title, company_ids.get(domain), stage)
    return Mismatch(
        missing=len(set(people) - seen) + len(set(companies) - set(company_ids)),
        duplicated=duplicated,
        stale=stale,
        extra=len(seen - set(people)) + len(set(company_ids) - set(companies)),
    )
