"""The layers of docs/architecture.md, checked on the imports: a lower layer never imports a
higher one (imports under ``if TYPE_CHECKING:`` are types only and do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scanner"

# module prefix -> the prefixes it must not import
FORBIDDEN = {
    "scanner.sources": (
        "scanner.engine",
        "scanner.filters",
        "scanner.reporters",
        "scanner.pipeline",
        "scanner.verify",
        "scanner.baseline",
        "scanner.commands",
        "scanner.cli",
        "scanner.audit",
    ),
    "scanner.engine": ("scanner.pipeline", "scanner.reporters", "scanner.commands", "scanner.cli"),
    "scanner.filters": ("scanner.pipeline", "scanner.reporters", "scanner.commands", "scanner.cli"),
    "scanner.rules": (
        "scanner.engine",
        "scanner.pipeline",
        "scanner.reporters",
        "scanner.commands",
    ),
    "scanner.finding": ("scanner.engine", "scanner.pipeline", "scanner.reporters"),
    "scanner.mask": ("scanner.engine", "scanner.pipeline", "scanner.reporters"),
    "scanner.pipeline": ("scanner.reporters", "scanner.commands", "scanner.cli", "scanner.audit"),
    "scanner.reporters": ("scanner.pipeline", "scanner.commands", "scanner.cli", "scanner.audit"),
    "scanner.verify": ("scanner.pipeline", "scanner.reporters", "scanner.commands", "scanner.cli"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Every module ``path`` imports at run time (module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for b in node.body for n in ast.walk(b))
    out: set[str] = set()
    package = _module(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_lower_layer_imports_a_higher_one(path: Path) -> None:
    name = _module(path)
    rules = [
        bad for prefix, bad in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")
    ]
    wrong = sorted(
        imp
        for imp in _runtime_imports(path)
        for bad in (b for r in rules for b in r)
        if imp == bad or imp.startswith(bad + ".")
    )
    assert not wrong, f"{name} imports {wrong}"


def test_the_check_sees_an_import() -> None:
    """The checker itself: a function-level import counts, a TYPE_CHECKING one does not."""
    found = _runtime_imports(PACKAGE / "sources" / "__init__.py")
    assert "scanner.finding" not in found  # only under TYPE_CHECKING there
    assert any(i.startswith("scanner.") for i in _runtime_imports(PACKAGE / "pipeline.py"))
