"""``lekk rules check``: validate packs and run every rule's examples and negative examples.

The test suite calls ``check_packs`` too, so users' own packs get the same guarantees.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanner import filters
from scanner.engine import Engine
from scanner.errors import RuleError
from scanner.rules import Example, Rule, builtin_pack_paths, load_pack
from scanner.sources import Fragment


def run_example(rule: Rule, example: Example) -> list[str]:
    """The secrets (or matched spans, for lint rules) the rule reports on one example."""
    engine = Engine([rule])
    frag = Fragment(text=example.text, path=example.path)
    return [f.secret for f in filters.apply(engine.scan(frag)) if f.rule.id == rule.id]


def check_rule(rule: Rule) -> list[str]:
    problems = []
    for i, ex in enumerate(rule.examples, 1):
        if not run_example(rule, ex):
            problems.append(f"{rule.source}: {rule.id}: example {i} is not found: {ex.text[:80]!r}")
    for i, ex in enumerate(rule.negative_examples, 1):
        hits = run_example(rule, ex)
        if hits:
            problems.append(
                f"{rule.source}: {rule.id}: negative example {i} is reported: {ex.text[:80]!r}"
            )
    return problems


def check_packs(paths: Sequence[Path] = ()) -> tuple[list[Rule], list[str]]:
    """Load and check the given packs (default: the built-ins); returns rules and problems."""
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths or builtin_pack_paths():
        try:
            pack = load_pack(path)
        except RuleError as exc:
            problems.append(str(exc))
            continue
        for rule in pack:
            if rule.id in seen and seen[rule.id] != str(path):
                problems.append(f"{path}: {rule.id}: rule id already defined in {seen[rule.id]}")
            seen[rule.id] = str(path)
            rules.append(rule)
            problems.extend(check_rule(rule))
    return rules, problems
