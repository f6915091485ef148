"""Build the SARIF object model with sarif-om and turn it into plain JSON data.

jschema-to-python's ``to_json`` drops every attribute equal to its sarif-om default (a result's
``level="warning"``, a ``ruleIndex`` of -1, ...), so after serializing we put back the values that
GitHub must see: every result's ``level``, every rule's ``defaultConfiguration.level``, and the
``results``/``rules`` arrays even when they are empty.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sarif_om as om
from jschema_to_python.to_json import to_json


def _text(text: str, markdown: str | None = None) -> Any:
    return om.MultiformatMessageString(text=text, markdown=markdown)


def _rule(d: Mapping[str, Any]) -> Any:
    return om.ReportingDescriptor(
        id=d["id"],
        name=d["name"],
        short_description=_text(d["short"]),
        full_description=_text(d["full"]),
        help=_text(d["help_text"], d["help_markdown"]),
        help_uri=d["help_uri"],
        default_configuration=om.ReportingConfiguration(level=d["level"]),
        properties=dict(d["properties"]),
    )


def _physical(uri: str, region: Mapping[str, int], base: bool = True) -> Any:
    return om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=uri, uri_base_id="%SRCROOT%" if base else None),
        region=om.Region(**region),
    )


def _result(d: Mapping[str, Any]) -> Any:
    loc = d["location"]
    related = [
        om.Location(
            id=i,
            physical_location=_physical(r["uri"], {"start_line": r["line"]}, r["base"]),
            message=om.Message(text=r["message"]),
        )
        for i, r in enumerate(d["related"], 1)
    ]
    return om.Result(
        rule_id=d["rule_id"],
        rule_index=d["rule_index"],
        level=d["level"],
        message=om.Message(text=d["message"]),
        locations=[om.Location(physical_location=_physical(loc["uri"], loc["region"]))],
        related_locations=related or None,
        partial_fingerprints=dict(d["fingerprints"]),
        properties=dict(d["properties"]),
    )


def log(
    *,
    version: str,
    information_uri: str,
    schema_uri: str,
    rules: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
    category: str,
    notifications: Sequence[str],
    dropped_warning: bool,
    properties: Mapping[str, Any],
) -> dict[str, Any]:
    notes = [
        om.Notification(
            message=om.Message(text=n), level="warning" if dropped_warning and i == 0 else "note"
        )
        for i, n in enumerate(notifications)
    ]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="lekk",
                version=version,
                information_uri=information_uri,
                rules=[_rule(r) for r in rules],
            )
        ),
        automation_details=om.RunAutomationDetails(id=category),
        invocations=[
            om.Invocation(execution_successful=True, tool_execution_notifications=notes or None)
        ],
        column_kind="unicodeCodePoints",
        results=[_result(r) for r in results],
        properties=dict(properties) or None,
    )
    sarif_log = om.SarifLog(version="2.1.0", schema_uri=schema_uri, runs=[run])
    doc: dict[str, Any] = json.loads(to_json(sarif_log))
    # Put back what the serializer dropped because it equals a default.
    out_run = doc["runs"][0]
    out_run.setdefault("results", [])
    out_run["tool"]["driver"].setdefault("rules", [])
    for data, rule in zip(rules, out_run["tool"]["driver"]["rules"], strict=True):
        rule.setdefault("defaultConfiguration", {})["level"] = data["level"]
    for data, result in zip(results, out_run["results"], strict=True):
        result["level"] = data["level"]
        result["ruleIndex"] = data["rule_index"]
    for data, note in zip(
        notes, out_run["invocations"][0].get("toolExecutionNotifications", []), strict=True
    ):
        note["level"] = data.level
    # A stable, readable key order: $schema and version first.
    return {"$schema": doc["$schema"], "version": doc["version"], "runs": doc["runs"]}
