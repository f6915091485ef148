"""Shared checks for SARIF logs: the OASIS schema and everything GitHub code scanning reads."""

from __future__ import annotations

import json
import random
import string
from functools import cache
from pathlib import Path
from typing import Any

from helpers import SHARED

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> Any:
    import jsonschema
    import pytest

    if not SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA} (../shared is absent)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator
    return cls(schema)


def fake(prefix: str, n: int = 24) -> str:
    """A random fake credential body, made at test time."""
    rng = random.SystemRandom()
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def check(doc: dict[str, Any], *, category: str | None = None) -> dict[str, Any]:
    """Assert schema validity and GitHub's must-haves; return the run."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:10]]
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lekk" and driver["version"] and driver["informationUri"]
    assert "results" in run and isinstance(run["results"], list)
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), f"duplicate rules: {ids}"
    for r in rules:
        assert r["shortDescription"]["text"] and len(r["shortDescription"]["text"]) <= 1024
        assert r["fullDescription"]["text"] and len(r["fullDescription"]["text"]) <= 1024
        assert r["help"]["text"] and r["help"]["markdown"]
        assert "https://" in r["help"]["markdown"], f"{r['id']}: no provider link in help"
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        props = r["properties"]
        assert {"security", "secret"} <= set(props["tags"]), r["id"]
        assert props["precision"] in ("very-high", "high", "medium", "low")
        sev = float(props["security-severity"])
        assert isinstance(props["security-severity"], str) and 0.0 < sev <= 10.0
    used = set()
    for res in run["results"]:
        assert res["ruleId"] == ids[res["ruleIndex"]]
        used.add(res["ruleId"])
        assert res["level"] in ("error", "warning", "note"), res
        assert res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not uri.startswith(("/", "file:", "./")), uri
        region = loc["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region), region
        fps = res["partialFingerprints"]
        assert "primaryLocationLineHash" not in fps  # upload-sarif computes that one
        assert fps["lekk/secretFingerprint/v1"]
    assert used == set(ids), "rules[] must list exactly the rules the results use"
    expected_category = (category or "").rstrip("/") + "/" if category else None
    if expected_category:
        assert run["automationDetails"]["id"] == expected_category
    else:
        assert run["automationDetails"]["id"].endswith("/")
    return run


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def base_rule(result: dict[str, Any]) -> str:
    rid: str = result["ruleId"]
    return rid.removesuffix(".test")


def where(result: dict[str, Any]) -> tuple[str, str, int]:
    loc = result["locations"][0]["physicalLocation"]
    return base_rule(result), loc["artifactLocation"]["uri"], loc["region"]["startLine"]
