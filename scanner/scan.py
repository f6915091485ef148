"""Run sources through the engine and the filters, spread across all cores."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

from scanner import filters, gitignored
from scanner.config import Config
from scanner.engine import Engine
from scanner.finding import Finding
from scanner.rules import Rule
from scanner.sources import Fragment
from scanner.sources import files as files_source

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PARALLEL_MIN_FILES = 64  # below this, a process pool costs more than it saves
BATCH = 32  # files per task: small enough that both cores get work on a small tree


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped: list[tuple[Finding, str]] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


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


def scan_fragments(engine: Engine, fragments: Iterable[Fragment]) -> Iterator[Finding]:
    for frag in fragments:
        yield from engine.scan(frag)


# -- worker side (one Engine per process, built once) -------------------------------------------

_engine: Engine | None = None


def _init_worker(rules: Sequence[Rule]) -> None:
    global _engine
    _engine = Engine(rules)


def _scan_batch(targets: Sequence[files_source.Target]) -> tuple[list[Finding], list[str], int]:
    assert _engine is not None
    return _scan_targets(_engine, targets)


def _scan_targets(
    engine: Engine, targets: Sequence[files_source.Target]
) -> tuple[list[Finding], list[str], int]:
    warnings: list[str] = []
    found: list[Finding] = []
    size = 0
    for t in targets:
        with contextlib.suppress(OSError):
            size += os.path.getsize(t.real)
        frags = _dispatch().file_fragments(t, engine.prefilter, warnings.append)
        found.extend(scan_fragments(engine, frags))
    warnings.extend(engine.timeouts)
    engine.timeouts.clear()
    return found, warnings, size


def _dispatch() -> ModuleType:
    # imported on first use: archives, maps and bundles cost start-up that `lekk staged` skips
    from scanner.sources import dispatch

    return dispatch


def _batches(items: Iterable[files_source.Target], n: int) -> Iterator[list[files_source.Target]]:
    batch: list[files_source.Target] = []
    for item in items:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def _kept(
    items: Iterator[files_source.Target], seen: list[files_source.Target]
) -> Iterator[files_source.Target]:
    """``seen`` (already taken from ``items``), then the rest of ``items``, kept in ``seen``."""
    yield from list(seen)
    for item in items:
        seen.append(item)
        yield item


def _pool(rules: Sequence[Rule], jobs: int) -> ProcessPoolExecutor:
    # imported here: a process pool is only worth it on large scans, and `lekk staged` must start fast
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(tuple(rules),),
    )


def scan_paths(
    paths: Sequence[str],
    rules: Sequence[Rule],
    config: Config,
    *,
    excludes: Sequence[str] = (),
    jobs: int | None = None,
    warn: Callable[[str], None] | None = None,
) -> ScanResult:
    result = ScanResult()
    say = warn or result.warnings.append
    engine = Engine(rules)
    raw: list[Finding] = []
    if "-" in paths:
        raw.extend(scan_fragments(engine, files_source.read_stdin(engine.prefilter)))
        result.files += 1
        paths = [p for p in paths if p != "-"]
    walker = (t for _, t in files_source.walk(paths, [*config.exclude, *excludes], say))
    targets = list(itertools.islice(walker, PARALLEL_MIN_FILES))
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(targets) >= PARALLEL_MIN_FILES:
        # the workers start on the first batches while this process walks the rest of the tree
        with _pool(rules, jobs) as pool:
            batches = _batches(_kept(walker, targets), BATCH)
            for found, warnings, nbytes in pool.map(_scan_batch, batches):
                raw.extend(found)
                for w in warnings:
                    say(w)
                result.bytes += nbytes
    else:
        targets.extend(walker)
        found, warnings, nbytes = _scan_targets(engine, targets)
        raw.extend(found)
        for w in warnings:
            say(w)
        result.bytes += nbytes
    result.files += len(targets)
    reals = {t.rel: t.real for t in targets}
    raw = list(gitignored.settle(raw, reals, lambda f, why: result.dropped.append((f, why))))
    return finish(raw, config, result)


def finish(raw: Iterable[Finding], config: Config, result: ScanResult) -> ScanResult:
    """Filters, allowlist and de-duplication, shared by every scanning command."""
    kept = filters.apply(
        raw, config.allowlist, on_drop=lambda f, why: result.dropped.append((f, why))
    )
    result.findings = dedupe(kept)
    return result
