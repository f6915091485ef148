"""``lekk rules check``: validate packs and run every rule's examples and negative examples.

The packs are validated by ``rules.load_packs``, the same function ``lekk scan`` loads them with,
together with the built-ins: a pack that ``scan`` would reject, ``check`` rejects the same way.
The test suite calls ``check_packs`` too, so users' own packs get the same guarantees.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanner import filters
from scanner.engine import Engine
from scanner.rules import Example, Rule, builtin_pack_paths, load_packs
from scanner.sources import Fragment
from scanner.sources.bundles import is_client_side


def run_example(rule: Rule, example: Example) -> list[str]:
    """The secrets (or matched spans, for lint rules) the rule reports on one example, read as
    a scan reads a file at the example's path (a bundle's path ships to browsers)."""
    engine = Engine([rule])
    frag = Fragment(text=example.text, path=example.path, client_side=is_client_side(example.path))
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
    """Load the given packs (default: the built-ins) beside the built-ins, as a scan would, and
    run the examples of the given packs' rules; returns those rules and every problem."""
    loaded = load_packs(paths, compile_builtins=True)
    rules = [r for p in (paths or builtin_pack_paths()) for r in loaded.packs.get(str(p), ())]
    problems = list(loaded.problems)
    for rule in rules:
        problems.extend(check_rule(rule))
    return rules, problems
