"""``lekk web URL``: audit a deployed site (the page, its scripts and their source maps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.commands.common import (
    Output,
    exclude_option,
    execute,
    load_config_and_rules,
    output_options,
    warn,
)


@click.command()
@click.argument("url")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also follow scripts and maps on HOST, e.g. a CDN (repeatable).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="HTML pages fetched on the site's origin, the start page included.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=50 << 20,
    show_default=True,
    help="Bytes read in total; a response is cut off at what is left.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="Seconds per request, from connecting to the last byte (redirects included).",
)
@click.option(
    "--max-redirects",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="Redirects followed per request.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="When a limit cuts the crawl short, report what was read (marked partial) instead of "
    "failing with exit 2.",
)
@exclude_option("Do not report findings at paths matching GLOB (repeatable), e.g. 'vendor/**'.")
@output_options
def web(
    url: str,
    allow_hosts: tuple[str, ...],
    max_pages: int,
    max_bytes: int,
    timeout: float,
    max_redirects: int,
    allow_partial: bool,
    exclude: tuple[str, ...],
    config_file: str | None,
    **kw: Any,
) -> int:
    """Scan a deployed site: the page at URL, the scripts it loads, their source maps.

    Follows <script src>, module preloads, inline scripts (and __NEXT_DATA__), sourceMappingURL
    comments and SourceMap headers, and same-origin links up to --max-pages.  Scripts on other
    hosts are not fetched unless named with --allow-host.  Sends plain GET requests only, without
    cookies.  Every finding is client-side: its path is the URL every visitor downloads.

    A crawl cut short by a limit (--max-pages, --max-bytes, --timeout, --max-redirects, a
    response cut off) fails with exit 2, so a partial audit never passes for a whole one;
    --allow-partial reports what was read instead, marked partial ("partial": true).
    """
    from scanner.errors import SourceError
    from scanner.pipeline import Result
    from scanner.sources.web import WebLimits, WebSource, redact_urls

    out = Output.from_kwargs(kw)
    cfg, rules = load_config_and_rules(config_file, [Path.cwd()])
    limits = WebLimits(
        max_pages=max_pages, max_bytes=max_bytes, timeout=timeout, max_redirects=max_redirects
    )
    source = WebSource(url, allow_hosts, limits)

    def judge(result: Result) -> None:
        cut = source.cut_short()
        if not cut:
            return
        why = "; ".join(f"{limit}: {what}" for limit, what in cut.items())
        if not allow_partial:
            raise SourceError(
                f"{redact_urls(url)}: the scan was cut short by a limit ({why}); raise the limit, "
                f"or pass --allow-partial to report what was read ({len(result.findings)} "
                "finding(s) so far)"
            )
        warn(out.quiet)(f"{redact_urls(url)}: partial scan, cut short by a limit ({why})")

    return execute(source, out, cfg, rules, excludes=exclude, judge=judge, targets=[url])
