"""What Clarify should hold after syncing integration_tests, computed from the seed CSVs.

This is the test's own oracle, written plainly and independently of the sync's normaliser: the
latest row per lower-cased, trimmed email; companies per bare domain.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SEEDS = Path(__file__).resolve().parents[2] / "integration_tests" / "seeds"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def bare_domain(raw: str) -> str:
    text = raw.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.removeprefix("www.").rstrip(".")


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    title: str
    company_domain: str
    lifecycle_stage: str
    updated_at: str


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_companies() -> dict[str, dict[str, str]]:
    """Bare domain -> the seed row of the company."""
    return {bare_domain(row["domain"]): row for row in _rows("raw_companies.csv")}


def people_rows() -> list[dict[str, str]]:
    return _rows("raw_people.csv")


def expected_people() -> dict[str, Person]:
    """Normalised email -> the latest valid seed row for it."""
    latest: dict[str, Person] = {}
    for row in sorted(people_rows(), key=lambda r: (r["updated_at"], r["email"].strip().lower())):
        email = row["email"].strip().lower()
        if not EMAIL.match(email):
            continue
        latest[email] = Person(
            email=email,
            first_name=row["first_name"].strip(),
            last_name=row["last_name"].strip(),
            title=row["title"].strip(),
            company_domain=bare_domain(row["company_domain"]) if row["company_domain"] else "",
            lifecycle_stage=row["lifecycle_stage"],
            updated_at=row["updated_at"],
        )
    return latest


def invalid_email_rows() -> list[dict[str, str]]:
    """Seed rows whose email cannot be valid (empty or malformed)."""
    return [r for r in people_rows() if not EMAIL.match(r["email"].strip().lower())]
