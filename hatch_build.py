"""Build hook: compile the optional prefilter extension, ``scanner/_fastscan.c``.

lekk is pure Python; the extension only makes the keyword prefilter one pass instead of one per
needle (see scanner/fastscan.py).  When it cannot be built (no C compiler, no Python headers),
the build says so in one line and goes on: lekk then runs its pure-Python prefilter, which finds
the same files.  An editable install builds the module in place, beside the sources it imports.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "scanner._fastscan"
SOURCE = "scanner/_fastscan.c"


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("LEKK_PURE_PYTHON", "") not in ("", "0"):
            return
        root = Path(self.root)
        out = root if version == "editable" else Path(tempfile.mkdtemp(prefix="lekk-ext-"))
        built = _compile(root, out)
        if built is None:
            return
        if version != "editable":
            build_data["force_include"][str(built)] = built.relative_to(out).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


def _compile(root: Path, out: Path) -> Path | None:
    try:
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext

        dist = Distribution({"name": "lekk", "ext_modules": [Extension(MODULE, [SOURCE])]})
        cmd = build_ext(dist)
        cmd.build_lib = str(out)
        cmd.build_temp = tempfile.mkdtemp(prefix="lekk-ext-tmp-")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            cmd.ensure_finalized()
            cmd.run()
        finally:
            os.chdir(cwd)
        return Path(cmd.get_ext_fullpath(MODULE))
    except Exception as exc:  # noqa: BLE001 - any failure means: no extension, not no lekk
        print(f"lekk: the optional C prefilter was not built ({exc}); using pure Python",
              file=sys.stderr)  # fmt: skip
        return None
