"""The JSON Schema shipped for editors accepts every documented block and refuses broken ones."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from dbt_clarify.errors import ConfigError
from dbt_clarify.spec import parse_spec
from dbt_clarify.spec.model import DELETE_POLICIES, MODES, NULL_POLICIES
from dbt_clarify.spec.parse import KNOWN_KEYS

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(
    resources.files("dbt_clarify.spec").joinpath("clarify-block.schema.json").read_text()
)
REGISTRY = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
PROPERTIES_FILE = jsonschema.Draft7Validator(SCHEMA, registry=REGISTRY)
BLOCK = jsonschema.Draft7Validator(
    {"$ref": f"{SCHEMA['$id']}#/definitions/block"}, registry=REGISTRY
)
YAML_FENCE = re.compile(r"```ya?ml\n(.*?)```", re.DOTALL)


def blocks(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(model name, block) for each model of a properties file that has a clarify block."""
    for model in (document or {}).get("models") or ():
        for meta in ((model.get("config") or {}).get("meta"), model.get("meta")):
            if isinstance(meta, dict) and "clarify" in meta:
                yield model["name"], meta["clarify"]


def documented_files() -> list[tuple[str, Any]]:
    readme = REPO / "README.md"
    found = [
        (f"README.md example {i}", yaml.safe_load(text))
        for i, text in enumerate(YAML_FENCE.findall(readme.read_text()), start=1)
    ]
    for path in sorted((REPO / "integration_tests" / "models").rglob("*.yml")):
        found.append((str(path.relative_to(REPO)), yaml.safe_load(path.read_text())))
    return [(name, document) for name, document in found if list(blocks(document))]


DOCUMENTED = documented_files()


def test_the_schema_is_a_valid_draft_7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_the_schema_knows_every_key_and_choice_the_parser_knows() -> None:
    keys = SCHEMA["definitions"]["block"]["properties"]
    assert set(keys) == set(KNOWN_KEYS)
    for key, choices in (
        ("mode", MODES),
        ("null_values", NULL_POLICIES),
        ("on_delete", DELETE_POLICIES),
    ):
        assert keys[key]["enum"] == [*choices, None]


def test_the_readme_and_integration_tests_have_blocks_to_check() -> None:
    sources = {name.split(" example")[0] for name, _ in DOCUMENTED}
    assert "README.md" in sources
    assert "integration_tests/models/clarify/schema.yml" in sources


@pytest.mark.parametrize(("source", "document"), DOCUMENTED, ids=[n for n, _ in DOCUMENTED])
def test_every_documented_block_validates(source: str, document: Any) -> None:
    PROPERTIES_FILE.validate(document)
    for model, block in blocks(document):
        BLOCK.validate(block)
        parse_spec(model, source, "config.meta.clarify", block)


GOOD = {
    "every key": {
        "object": "person",
        "fields": {"email": "email_addresses", "domain": "company.domains"},
        "match_on": "email_addresses",
        "primary_key": "email",
        "cursor": "none",
        "mode": "upsert",
        "null_values": "clear",
        "create_missing_companies": True,
        "on_delete": "delete",
        "lookback": "2h",
        "batch_size": 50,
    },
    "nulls for defaults": {
        "object": "company",
        "fields": {"domain": "domains"},
        "match_on": None,
        "cursor": None,
        "lookback": None,
        "batch_size": None,
    },
    "custom object with match_on": {
        "object": "c_subscription",
        "fields": {"ref": "ref"},
        "match_on": "ref",
        "lookback": 3600,
    },
}
BAD = {
    "unknown object": {"object": "persn", "fields": {"email": "email_addresses"}},
    "missing object": {"fields": {"email": "email_addresses"}},
    "missing fields": {"object": "person"},
    "empty fields": {"object": "person", "fields": {}},
    "fields as a list": {"object": "person", "fields": ["email"]},
    "blank field name": {"object": "person", "fields": {"email": " "}},
    "unknown key": {"object": "person", "fields": {"email": "email_addresses"}, "match_one": "x"},
    "unknown mode": {"object": "person", "fields": {"email": "email_addresses"}, "mode": "merge"},
    "unknown null policy": {
        "object": "person",
        "fields": {"email": "email_addresses"},
        "null_values": "keep",
    },
    "bad lookback": {
        "object": "person",
        "fields": {"email": "email_addresses"},
        "lookback": "2 weeks",
    },
    "zero batch size": {
        "object": "person",
        "fields": {"email": "email_addresses"},
        "batch_size": 0,
    },
    "flag as text": {
        "object": "person",
        "fields": {"email": "email_addresses", "domain": "company.domains"},
        "create_missing_companies": "yes",
    },
    "custom object without match_on": {"object": "c_subscription", "fields": {"ref": "ref"}},
    "not a mapping": "person",
}


@pytest.mark.parametrize("name", list(GOOD))
def test_good_blocks_validate_and_parse(name: str) -> None:
    BLOCK.validate(GOOD[name])
    parse_spec("m", "models/schema.yml", "config.meta.clarify", GOOD[name])


@pytest.mark.parametrize("name", list(BAD))
def test_bad_blocks_fail_the_schema_as_they_fail_the_parser(name: str) -> None:
    errors = list(BLOCK.iter_errors(BAD[name]))
    assert errors, f"the schema accepts a block the parser refuses: {name}"
    with pytest.raises(ConfigError):
        parse_spec("m", "models/schema.yml", "config.meta.clarify", BAD[name])


def test_a_bad_block_inside_a_properties_file_is_found() -> None:
    document = {
        "version": 2,
        "models": [
            {"name": "ok", "description": "anything dbt allows", "columns": [{"name": "id"}]},
            {"name": "bad", "config": {"meta": {"clarify": BAD["unknown object"]}}},
        ],
    }
    (error,) = PROPERTIES_FILE.iter_errors(document)
    assert list(error.absolute_path) == ["models", 1, "config", "meta", "clarify", "object"]
