"""One repository's scan, in a child process of a Dask worker (``python -I -m scanner.audit.scan``).

It runs exactly what ``lekk git REPO`` runs — ``pipeline.run`` over a ``HistorySource`` — and
writes the JSON and SARIF reports with the same reporters, so an audit finds what ``lekk git``
finds repository by repository.  It runs in its own process so that the task's time and memory
limits can be enforced (the process is killed, the worker lives on), and it stops when its
worker is gone (``stop_with_worker``).  The settings (the config
and its rule packs, as text: a worker may be on another machine) arrive as a JSON file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from scanner.errors import ConfigError, ScanError

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.rules import Rule


def settings_doc(config_file: str | None, verify: bool, show_secrets: bool) -> dict[str, Any]:
    """What every task needs to scan as the user asked: the config and its packs, as text."""
    doc: dict[str, Any] = {
        "verify": verify,
        "show_secrets": show_secrets,
        "config": None,
        "packs": {},
    }
    if config_file is None:
        return doc
    from scanner import config as config_mod

    path = Path(config_file)
    cfg = config_mod.load(config_file, [])
    doc["config_name"] = path.name
    doc["config"] = path.read_text(encoding="utf-8")
    for pack in cfg.rule_packs:
        try:
            rel = PurePosixPath(Path(pack).resolve().relative_to(path.parent.resolve()).as_posix())
        except ValueError:
            raise ConfigError(
                f"{pack}: an audit ships rule packs to its workers: keep them in the config's "
                "folder or below it"
            ) from None
        doc["packs"][str(rel)] = Path(pack).read_text(encoding="utf-8")
    return doc


def _materialise(doc: Mapping[str, Any], where: Path) -> str:
    """The config and packs as files under ``where``; the config file's path (an empty config
    when none: a scanned repository's own config is never used by an audit)."""
    name = str(doc.get("config_name") or ".lekk.toml")
    for rel, text in dict(doc.get("packs") or {}).items():
        target = where / PurePosixPath(rel)
        if ".." in PurePosixPath(rel).parts or PurePosixPath(rel).is_absolute():
            raise ConfigError(f"{rel}: a rule pack outside the config's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(text), encoding="utf-8")
    (where / name).write_text(str(doc.get("config") or ""), encoding="utf-8")
    return str(where / name)


@contextlib.contextmanager
def configured(
    doc: Mapping[str, Any], within: Path | None = None
) -> Iterator[tuple[Config, list[Rule]]]:
    """The config and the rules an audit scans with, from its settings (``settings_doc``), its
    files in place (in a folder in ``within``) while the block runs: what each task scans with,
    and what the combined HTML report names its findings' rules with."""
    from scanner.commands.common import load_config_and_rules

    with tempfile.TemporaryDirectory(prefix="lekk-audit-config-", dir=within) as tmp:
        yield load_config_and_rules(_materialise(doc, Path(tmp)), [])


def scan(repo: str, out_dir: Path, doc: Mapping[str, Any], category: str) -> int:
    """Scan ``repo``'s history; write ``report.json`` and ``report.sarif`` into ``out_dir``."""
    from scanner import pipeline
    from scanner.reporters import REPORTERS, ReportContext
    from scanner.sources.git.source import HistorySource

    with configured(doc, within=out_dir) as (cfg, rules):  # gone with out_dir if orphaned
        source = HistorySource(repo)
        settings = pipeline.Settings(
            rules=tuple(rules),
            config=cfg,
            verify=bool(doc.get("verify")),
            jobs=1,  # one task per core already
        )
        result = pipeline.run(source, settings)
    show = bool(doc.get("show_secrets"))
    for fmt, name in (("json", "report.json"), ("sarif", "report.sarif")):
        ctx = ReportContext.of(result, show_secrets=show, rules=rules, sarif_category=category)
        with open(out_dir / name, "w", encoding="utf-8") as fh:
            REPORTERS[fmt](result.findings, fh, ctx)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 4:
        print(
            "usage: python -m scanner.audit.scan REPO OUT_DIR SETTINGS.json CATEGORY",
            file=sys.stderr,
        )
        return 2
    repo, out_dir, settings_file, category = args
    stop_with_worker(Path(out_dir))
    try:
        doc = json.loads(Path(settings_file).read_text(encoding="utf-8"))
        return scan(repo, Path(out_dir), doc, category)
    except ScanError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("out of memory (the task's memory limit)", file=sys.stderr)
        return 4
    except KeyboardInterrupt:  # Ctrl-C on the audit's terminal reaches this process too
        return 130


WORKER = "LEKK_AUDIT_WORKER"  # the pid of the worker process that started this scan


def stop_with_worker(out_dir: Path) -> None:
    """Stop when the worker that started this scan is gone (killed when the audit was
    interrupted or its cluster stopped): an orphaned scan would run on for up to the time
    limit.  A thread watches the parent; the folder the reports were meant for goes too."""
    try:
        worker = int(os.environ.get(WORKER) or os.getppid())
    except ValueError:
        worker = os.getppid()

    def watch() -> None:
        while os.getppid() == worker:
            time.sleep(0.5)
        shutil.rmtree(out_dir, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="lekk-audit-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
