"""Every example and negative example of every built-in rule, each as its own test."""

from __future__ import annotations

import pytest

from scanner.rulecheck import run_example
from scanner.rules import Example, Rule, load_rules

RULES = load_rules()
CASES = [
    pytest.param(rule, ex, positive, id=f"{rule.id}-{'ex' if positive else 'neg'}{i}")
    for rule in RULES
    for positive, examples in ((True, rule.examples), (False, rule.negative_examples))
    for i, ex in enumerate(examples, 1)
]


def test_every_rule_has_examples_both_ways() -> None:
    assert {r.id for r in RULES} >= {
        "vipps-client-secret",
        "vipps-subscription-key",
        "sagapay-api-key",
        "sagapay-api-secret",
    }
    for rule in RULES:
        assert rule.examples and rule.negative_examples, rule.id


@pytest.mark.parametrize(("rule", "example", "positive"), CASES)
def test_example(rule: Rule, example: Example, positive: bool) -> None:
    found = run_example(rule, example)
    if positive:
        assert found, f"{rule.id} does not find {example.text!r}"
    else:
        assert not found, f"{rule.id} reports {found} in negative example {example.text!r}"
