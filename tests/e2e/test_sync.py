"""The main job end to end: dbt project on DuckDB or PostgreSQL -> `dbt-clarify sync` -> the
emulator."""

from __future__ import annotations

import httpx
import pytest

from dbt_clarify.emulator import Emulator
from e2e.conftest import API_KEY, WORKSPACE, SyncCli, write_requests
from e2e.seeds import bare_domain, expected_companies, expected_people, invalid_email_rows

pytestmark = pytest.mark.dbt


def _by_email(emulator: Emulator) -> dict[str, dict]:
    people: dict[str, dict] = {}
    for record in emulator.records("person"):
        for email in record["email_addresses"]["items"]:
            assert email not in people, f"two people hold {email}"
            people[email] = record
    return people


def test_first_sync_lands_every_valid_row_and_reports_the_rest(sync_cli: SyncCli) -> None:
    run = sync_cli.run("--select", "tag:clarify")

    assert run.exit_code == 1, run.stderr  # rows were rejected
    companies = {r["domains"]["items"][0]: r for r in sync_cli.emulator.records("company")}
    assert set(companies) == set(expected_companies())
    for domain, seed in expected_companies().items():
        assert companies[domain]["name"] == seed["name"].strip()
        assert companies[domain]["employee_count"] == int(seed["employee_count"])

    people = _by_email(sync_cli.emulator)
    expected = expected_people()
    assert set(people) == set(expected)
    assert len(sync_cli.emulator.records("person")) == len(expected)
    for email, person in expected.items():
        record = people[email]
        assert record["name"]["first_name"] == person.first_name
        assert record["name"]["last_name"] == person.last_name
        assert record["lifecycle_stage"] == person.lifecycle_stage
        assert record.get("job_title") == (person.title or None)
        company = companies.get(person.company_domain)
        assert record.get("company_id") == (company["_id"] if company else None), email

    people_result = run.model("clarify_people")
    reasons = {issue["key"]: issue["reason"] for issue in people_result["issues"]}
    for row in invalid_email_rows():
        assert row["email"] in reasons, f"{row['email']!r} not reported"
    assert people_result["created"] == len(expected)
    assert people_result["unlinked"] == sum(
        1 for p in expected.values() if p.company_domain and p.company_domain not in companies
    )
    assert "rejected" in run.stdout


def test_second_run_sends_nothing_and_then_only_the_changed_rows(sync_cli: SyncCli) -> None:
    first = sync_cli.run()
    assert first.exit_code == 1, first.stderr
    writes_after_first = write_requests(sync_cli.emulator)

    second = sync_cli.run()
    assert write_requests(sync_cli.emulator) == writes_after_first
    # Read again: the rejected rows (they get a few more attempts) and the people synced
    # without a company (to link them once it exists); none of them is sent.
    people_first, people_second = first.model("clarify_people"), second.model("clarify_people")
    assert people_second["rejected"] == people_first["rejected"]
    assert people_second["unchanged"] == people_first["unlinked"]
    assert people_second["read"] == people_second["rejected"] + people_second["unchanged"]
    assert second.model("clarify_companies")["read"] == 0

    db = sync_cli.dbt_env
    updated = [
        email
        for (email,) in db.sql(
            "select email from clarify_people where email like '%@%.%' order by email limit 3"
        )
    ]
    db.sql(
        "update clarify_people set title = 'Head of Data', updated_at = timestamp '2030-01-01' "
        "where email in (?, ?, ?)",
        updated,
    )
    db.sql(
        "insert into clarify_people values "
        "('new.one@globex.io', 'New', 'One', 'CTO', 'globex.io', 'Lead', timestamp '2030-01-02'),"
        "('new.two@globex.io', 'New', 'Two', 'CEO', 'globex.io', 'MQL', timestamp '2030-01-02')"
    )
    before = {e: r["_updated_at"] for e, r in _by_email(sync_cli.emulator).items()}
    third = sync_cli.run()

    people = third.model("clarify_people")
    assert (people["created"], people["updated"]) == (2, 3)
    assert people["read"] == 5 + people["rejected"] + people["unchanged"]
    assert third.model("clarify_companies")["read"] == 0
    after = _by_email(sync_cli.emulator)
    changed = {e for e, r in after.items() if before.get(e) != r["_updated_at"]}
    expected_changed = {e.strip().lower() for e in updated} | {
        "new.one@globex.io",
        "new.two@globex.io",
    }
    assert changed == expected_changed
    assert all(after[e.strip().lower()]["job_title"] == "Head of Data" for e in updated)
    assert len(changed) == 5
    globex = next(
        c for c in sync_cli.emulator.records("company") if "globex.io" in c["domains"]["items"]
    )
    assert after["new.one@globex.io"]["company_id"] == globex["_id"]


def test_rows_sharing_one_updated_at_across_a_batch_boundary_all_land(sync_cli: SyncCli) -> None:
    db = sync_cli.dbt_env
    db.sql("delete from clarify_people")
    emails = [f"tie{i}@globex.io" for i in range(7)]
    for email in emails:
        db.sql(
            "insert into clarify_people values (?, 'Tie', 'Row', null, 'globex.io', 'Lead', "
            "timestamp '2031-05-05 05:05:05')",
            [email],
        )
    small = ("--batch-size", "2", "--read-batch-rows", "2", "--checkpoint-rows", "2")
    run = sync_cli.run("--select", "clarify_people", *small)
    assert run.exit_code == 0, run.stderr
    assert set(_by_email(sync_cli.emulator)) == set(emails)

    # Two more rows at the same instant arrive after the sync: the keyset watermark takes them.
    for email in ("tie7@globex.io", "tie8@globex.io"):
        db.sql(
            "insert into clarify_people values (?, 'Tie', 'Late', null, 'globex.io', 'Lead', "
            "timestamp '2031-05-05 05:05:05')",
            [email],
        )
    again = sync_cli.run("--select", "clarify_people", *small)
    people = again.model("clarify_people")
    # The earlier seven are read again only to link them (globex.io is not in Clarify): unsent.
    assert (people["created"], people["updated"], people["unchanged"]) == (2, 0, 7)
    assert set(_by_email(sync_cli.emulator)) == {*emails, "tie7@globex.io", "tie8@globex.io"}


def test_collections_are_appended_not_replaced(sync_cli: SyncCli) -> None:
    first = sync_cli.run("--select", "clarify_companies")
    assert first.exit_code == 0, first.stderr
    domain, seed = next(iter(expected_companies().items()))
    company = next(
        c for c in sync_cli.emulator.records("company") if domain in c["domains"]["items"]
    )
    # Clarify learns a second domain by itself; a later sync must keep it.
    httpx.patch(
        f"{sync_cli.emulator.url}/v1/workspaces/{WORKSPACE}/objects/company/records/{company['_id']}",
        headers={"Authorization": f"api-key {API_KEY}"},
        json={
            "data": {
                "type": "company",
                "id": company["_id"],
                "attributes": {"domains": {"items": [domain, "learned.example"]}},
            }
        },
    ).raise_for_status()
    sync_cli.dbt_env.sql(
        "update clarify_companies set industry = 'Aerospace', updated_at = timestamp '2030-01-01' "
        "where domain = ?",
        [seed["domain"]],
    )
    second = sync_cli.run("--select", "clarify_companies")
    assert second.model("clarify_companies")["updated"] == 1
    after = next(c for c in sync_cli.emulator.records("company") if c["_id"] == company["_id"])
    assert set(after["domains"]["items"]) == {domain, "learned.example"}
    assert bare_domain(after["domains"]["items"][0]) == domain
