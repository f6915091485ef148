"""Build hook: compile the optional prefilter extension, ``scanner/_fastscan.c``.

lekk is pure Python; the extension only makes the keyword prefilter one pass instead of one per
needle (see scanner/fastscan.py).  When it cannot be built (no C compiler, no Python headers),
the build says so in one line and goes on: lekk then runs its pure-Python prefilter, which finds
the same files.  An editable install builds the module in place, beside the sources it imports.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "scanner._fastscan"
SOURCE = "scanner/_fastscan.c"


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    _out: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("LEKK_PURE_PYTHON", "") not in ("", "0"):
            return
        root = Path(self.root)
        if version == "editable":
            out = root
        else:
            self._out = tempfile.mkdtemp(prefix="lekk-ext-")
            out = Path(self._out)
        built = _compile(root, out)
        if built is None:
            return
        if version != "editable":
            build_data["force_include"][str(built)] = built.relative_to(out).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._out is not None:  # the wheel holds the module now
            shutil.rmtree(self._out, ignore_errors=True)


def _compile(root: Path, out: Path) -> Path | None:
    temp = tempfile.mkdtemp(prefix="lekk-ext-tmp-")
    cwd = os.getcwd()
    try:
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext

        dist = Distribution({"name": "lekk", "ext_modules": [Extension(MODULE, [SOURCE])]})
        cmd = build_ext(dist)
        cmd.build_lib = str(out)
        cmd.build_temp = temp
        os.chdir(root)
        cmd.ensure_finalized()
        cmd.run()
        return Path(cmd.get_ext_fullpath(MODULE))
    except Exception as exc:  # any failure means: no extension, not no lekk
        print(
            f"lekk: the optional C prefilter was not built ({exc}); using pure Python",
            file=sys.stderr,
        )
        return None
    finally:
        os.chdir(cwd)
        shutil.rmtree(temp, ignore_errors=True)
