"""The README and CI stay in step with the code."""

from __future__ import annotations

import re

from click.testing import CliRunner
from helpers import ROOT

from scanner.cli import COMMANDS, cli
from scanner.commands.rules import rule_table
from scanner.rules import load_rules

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _fenced_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_readme_rule_table_is_generated_from_the_packs() -> None:
    block = re.search(r"<!-- rules-table:.*?-->\n(.*?)\n<!-- /rules-table -->", README, re.S)
    assert block, "README lost its rules-table markers"
    assert block.group(1) == rule_table(load_rules()), (
        "README rule table is stale: paste the output of `lekk rules --format markdown`"
    )


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    first, second = _fenced_commands()[:2]
    assert "lekk scan" in first and "pip install" in first
    assert "pytest" in second and "pip install" in second
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci, ".ci/run must run the README's test command"


def test_every_command_has_help_and_is_in_the_readme() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
        assert f"lekk {name}" in README, f"README does not mention `lekk {name}`"


def test_security_model_names_tests_that_exist() -> None:
    """docs/security.md names each defence's test; each named test is in the suite."""
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", doc)
    assert len(named) >= 15
    for path, test in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert not test or re.search(rf"^def {test}\(", source, re.M), f"{path}::{test}"
    # a bare `test_...` (in a table, or under a file named in a list) is a test of the suite
    suite = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*_test.py"))
    for test in re.findall(r"`(test_\w+)`", doc):
        assert re.search(rf"^def {test}\(", suite, re.M), test


def test_no_placeholder_for_where_lekk_comes_from() -> None:
    """`repo:`/`uses:` placeholders are stated plainly, never a made-up owner or release."""
    for path in [
        ROOT / "README.md",
        ROOT / ".pre-commit-hooks.yaml",
        *(ROOT / "docs").glob("*.md"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert "OWNER" not in text and "v0.1.0" not in text, path
