"""``lekk rules``: list the rules; ``lekk rules check``: validate packs and run their examples."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.commands.common import config_option


@click.group(invoke_without_command=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    help="text: one rule a line; markdown: the README's rule table.",
)
@config_option(
    "Config file whose rule packs to list too (default: the nearest .lekk.toml or "
    "pyproject.toml with [tool.lekk], from here up to the repository root)."
)
@click.pass_context
def rules(ctx: click.Context, fmt: str, config_file: str | None) -> int:
    """List every rule: id, severity, name and what it finds; a config's own packs' rules are
    marked with their pack, and the rules it disables say so."""
    if ctx.invoked_subcommand is not None:
        return 0
    from scanner import config
    from scanner.rules import builtin_pack_paths, load_rules

    cfg = config.load(config_file, [Path.cwd()])
    all_rules = load_rules(cfg.rule_packs)
    builtin = {str(p) for p in builtin_pack_paths()}
    if fmt == "markdown":
        click.echo(rule_table(all_rules))
        return 0
    width = max(len(r.id) for r in all_rules)
    for r in all_rules:
        sev = r.severity + (f"/{r.test_severity}" if r.test_severity else "")
        notes = [f"pack {r.source}"] if r.source not in builtin else []
        if r.id in cfg.disable:
            notes.append(f"disabled by {cfg.source}")
        if r.test_id in cfg.disable:
            notes.append(f"test keys disabled by {cfg.source}")
        note = f"  [{'; '.join(notes)}]" if notes else ""
        click.echo(f"{r.id:<{width}}  {sev:<14} {r.name}{note}")
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
