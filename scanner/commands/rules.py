"""``lekk rules``: list the rules; ``lekk rules check``: validate packs and run their examples."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(invoke_without_command=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    help="text: one rule a line; markdown: the README's rule table.",
)
@click.pass_context
def rules(ctx: click.Context, fmt: str) -> int:
    """List every rule: id, severity, name and what it finds."""
    if ctx.invoked_subcommand is not None:
        return 0
    from scanner.rules import load_rules

    all_rules = load_rules()
    if fmt == "markdown":
        click.echo(rule_table(all_rules))
        return 0
    width = max(len(r.id) for r in all_rules)
    for r in all_rules:
        sev = r.severity + (f"/{r.test_severity}" if r.test_severity else "")
        click.echo(f"{r.id:<{width}}  {sev:<14} {r.name}")
        click.echo(f"{'':<{width}}  {'':<14} {r.what}")
    return 0


def rule_table(all_rules: list) -> str:  # type: ignore[type-arg]
    lines = ["| id | provider | finds | severity |", "|---|---|---|---|"]
    for r in all_rules:
        sev = r.severity + (f" ({r.test_severity} for test credentials)" if r.test_severity else "")
        lines.append(f"| `{r.id}` | {r.provider or 'lint'} | {r.name} | {sev} |")
    return "\n".join(lines)


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def check(files: tuple[str, ...]) -> int:
    """Validate rule packs (default: the built-ins) and run every example and negative example."""
    from scanner.errors import RuleError
    from scanner.rulecheck import check_packs

    for f in files:
        if not Path(f).is_file():
            raise RuleError(f"{f}: rule pack does not exist")
    checked, problems = check_packs([Path(f) for f in files])
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise RuleError(f"{len(problems)} problem(s) in the rule packs")
    n_ex = sum(len(r.examples) + len(r.negative_examples) for r in checked)
    click.echo(f"{len(checked)} rules OK ({n_ex} examples checked)")
    return 0
