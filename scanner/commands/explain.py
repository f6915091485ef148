"""``lekk explain RULE-ID``: a rule's documentation, the way ``ruff rule`` prints it."""

from __future__ import annotations

import difflib

import click

from scanner.commands.common import config_option
from scanner.errors import RuleError


@click.command()
@click.argument("rule_ids", nargs=-1, metavar="RULE-ID...")
@click.option(
    "--all", "all_rules", is_flag=True, help="Every rule (the built-ins and the config's packs)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text for a terminal; markdown for docs (with --all: the whole of docs/rules.md).",
)
@config_option(
    "Config file whose extra rule packs to include (default: the nearest .lekk.toml or "
    "pyproject.toml with [tool.lekk], from here up to the repository root)."
)
def explain(rule_ids: tuple[str, ...], all_rules: bool, fmt: str, config_file: str | None) -> int:
    """Explain a rule: what it finds, why it matters, an example, how to fix, and what to do now
    (for a secret: the provider's regenerate or revoke steps, with the link).

    \b
    Examples:
      lekk explain public-env-secret
      lekk explain --all --format markdown > docs/rules.md
    """
    from pathlib import Path

    from scanner import config, docs
    from scanner.rules import load_rules

    if not rule_ids and not all_rules:
        raise click.UsageError("name a rule id (see `lekk rules`), or pass --all")
    cfg = config.load(config_file, [Path.cwd()])
    rules = load_rules(cfg.rule_packs)  # the config's own packs too; `disable` hides nothing here
    by_id = {r.id: r for r in rules}
    by_id.update({r.test_id: r for r in rules if r.test_id})  # as SARIF names test-key alerts
    for rid in rule_ids:
        if rid not in by_id:
            close = difflib.get_close_matches(rid, list(by_id), n=3, cutoff=0.5)
            close += [i for i in by_id if rid and rid in i and i not in close][: 3 - len(close)]
            hint = f"; did you mean {', '.join(close)}?" if close else "; `lekk rules` lists them"
            raise RuleError(f"unknown rule id {rid!r}{hint}")
    chosen = list(rules) if all_rules else [by_id[r] for r in rule_ids]
    if fmt == "markdown" and all_rules:
        click.echo(docs.render_page(chosen), nl=False)
        return 0
    render = docs.render_markdown if fmt == "markdown" else docs.render_text
    click.echo("\n".join(render(r) for r in chosen), nl=False)
    return 0
