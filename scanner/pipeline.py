"""The one flow every scanning command runs, from a source to the findings a reporter writes.

```
source.collect(scan) ─► filters + allowlist ─► source.settle ─► scope ─► baseline ─► verification
 fragments → engine       placeholders, fakes,    history: one        lint/tracked   --baseline   --verify
 (in workers)             lekk:ignore, config     finding per value   rules' state   FILE         --only-live
```

- A *source* (``scanner.sources``) turns an input into fragments and hands each to ``Scan``, a
  picklable function from a fragment to the engine's raw findings; it never sees the rules, the
  engine's internals or the filters.  ``settle`` is where a source adds what only it knows (the
  history's commits, refs and tip state) to the findings the filters kept.
- Everything else is here, once, for every command: ``run(source, settings)`` returns a
  ``Result`` that any reporter can write, so the CLI, the pre-commit hook, the Action and an audit
  of many repositories go from an input to findings the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import filters, mask
from scanner.config import Config
from scanner.finding import Finding
from scanner.rules import Rule
from scanner.sources import Drop, Fragment, Source, Warn

if TYPE_CHECKING:
    from scanner.engine import Engine


class Scan:
    """The engine for one fragment, as sources call it: ``scan(fragment, warn) -> findings``.

    Pickles as its rules only, so a worker process (forked or spawned) builds its own engine
    once, on first use.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._engine: Engine | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self.rules}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.rules = state["rules"]
        self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from scanner.engine import Engine

            self._engine = Engine(self.rules)
        return self._engine

    def prefilter(self, data: str | bytes, path_low: str) -> bool:
        """May any rule match this raw text (any case) or lowercased path?  Sources call it
        before decoding or keeping a fragment."""
        return self.engine.prefilter(data, path_low)

    @property
    def byte_records(self) -> Any:
        """``Engine.byte_records``: cat-file records parsed and searched in C, or None."""
        return self.engine.byte_records

    def path_keyed(self, path_low: str) -> bool:
        """Is a keyword in this lowercased path (``Engine.path_keyed``)?"""
        return self.engine.path_keyed(path_low)

    def signature(self, path: str) -> object:
        """What the rules see of a path: the same content under two paths with the same
        signature gives the same findings (the history scans a blob once per signature)."""
        return self.engine.path_signature(path)

    def __call__(self, frag: Fragment, warn: Warn) -> list[Finding]:
        return self.engine.scan(frag, warn)


@dataclass(frozen=True)
class Settings:
    """What a scan needs besides its source (``lekk`` options and the config)."""

    rules: tuple[Rule, ...]
    config: Config = field(default_factory=Config)
    baseline: str | None = None
    verify: bool = False
    only_live: bool = False
    jobs: int | None = None
    excludes: tuple[str, ...] = ()  # --exclude globs (the config's are in ``config``)


@dataclass
class Result:
    """What a scan found and what it covered: everything a reporter writes."""

    command: str
    findings: list[Finding]
    dropped: list[tuple[Finding, str]]
    warnings: list[str]
    files: int = 0
    bytes: int = 0
    properties: dict[str, Any] = field(default_factory=dict)


class _Warnings:
    """Each warning once, in order, and passed on to the caller's ``warn`` as it comes."""

    def __init__(self, warn: Warn | None) -> None:
        self.items: list[str] = []
        self._seen: set[str] = set()
        self._warn = warn

    def __call__(self, msg: str) -> None:
        if msg in self._seen:
            return
        self._seen.add(msg)
        self.items.append(msg)
        if self._warn is not None:
            self._warn(msg)


def run(
    source: Source,
    settings: Settings,
    *,
    warn: Warn | None = None,
    info: Callable[[str], None] | None = None,
) -> Result:
    """Scan ``source``: ``warn`` sees each warning once as it happens, ``info`` progress notes."""
    say = _Warnings(warn)
    dropped: list[tuple[Finding, str]] = []

    def drop(f: Finding, why: str) -> None:
        dropped.append((f, why))

    raw = source.collect(Scan(settings.rules), say, settings.jobs)
    excludes = (*settings.config.exclude, *settings.excludes)
    if excludes:  # the file source skips them while walking; history, index and sites here
        raw = list(_not_excluded(raw, excludes, source.local_path, drop))
    allowlist = settings.config.allowlist
    kept = dedupe(filters.apply(raw, allowlist, on_drop=drop, local=source.local_path, warn=say))
    findings = once_per_file(source.settle(kept, drop, say))
    properties = dict(source.properties())
    if settings.baseline:
        findings, properties["baseline"] = _baseline(settings.baseline, findings, drop)
    for note in _unknown_suppressions([*findings, *(f for f, _ in dropped)], settings.rules):
        say(note)
    if settings.verify or settings.only_live:
        from scanner.verify import only_live, summary, verify_findings

        findings = verify_findings(findings, say=info)
        counts = summary(findings)
        if any(counts.values()) and info is not None:
            said = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            info(f"verification of {sum(counts.values())} finding(s): {said}")
        properties["verification"] = counts
        if settings.only_live:
            findings = only_live(findings)
    every = mask.values([*findings, *(f for f, _ in dropped)])
    findings = mask.commit_subjects(findings, every)
    files, nbytes = source.coverage()
    return Result(
        command=source.command,
        findings=findings,
        dropped=dropped,
        warnings=say.items,
        files=files,
        bytes=nbytes,
        properties=properties,
    )


def _not_excluded(
    findings: Iterable[Finding], globs: Sequence[str], local: Callable[[str], str], drop: Drop
) -> Iterator[Finding]:
    from scanner.globs import path_matches

    for f in findings:
        path = local(f.path)
        glob = next((g for g in globs if path_matches(path, g)), None)
        if glob is None:
            yield f
        else:
            drop(f, f"excluded ({glob})")


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per rule, place and value (chunk overlaps and decoders may see one twice)."""
    seen: set[tuple[str, str, int, int, str]] = set()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule.id, f.path, f.line, f.column, f.secret)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def once_per_file(findings: Iterable[Finding]) -> list[Finding]:
    """A rule with ``once_per_file`` (a finding about the file, such as ``tracked-dotenv``)
    keeps only its first finding in each file."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if f.rule.once_per_file:
            key = (f.rule.id, f.path)
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


def _baseline(
    file: str, findings: Sequence[Finding], drop: Callable[[Finding, str], None]
) -> tuple[list[Finding], dict[str, Any]]:
    from scanner import baseline

    new, known = baseline.split(findings, baseline.load(Path(file)))
    for f in known:
        drop(f, f"in baseline {file}")
    return new, {"file": file, "suppressed": len(known)}


def _unknown_suppressions(findings: Sequence[Finding], rules: Sequence[Rule]) -> list[str]:
    """One warning per ``lekk:ignore`` that names a rule id no pack defines (a typo silences
    nothing); disabled built-in rules are known ids."""
    if not any(f.suppressions - {"*"} for f in findings):
        return []
    from scanner.rules import known_ids, load_rules

    known = known_ids([*rules, *load_rules()])
    return filters.unknown_suppressions(findings, known)
