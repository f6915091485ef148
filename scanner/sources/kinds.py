"""What a path alone says about a file: an archive, a source map, a script, code that ships to
browsers.

Cheap to import (no archive, JSON or source-map reader): ``dispatch`` and the history scan ask
these of every file and blob, and a staged ``.py`` file needs nothing else (docs/bench.md).
"""

from __future__ import annotations

ZIP_EXT = (
    ".zip",
    ".jar",
    ".war",
    ".ear",
    ".apk",
    ".aab",
    ".aar",
    ".ipa",
    ".whl",
    ".xpi",
    ".nupkg",
    ".vsix",
    ".crx",
    ".egg",
)
TAR_EXT = (".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
JS_EXT = (".js", ".mjs", ".cjs")
MAP_EXT = (".js.map", ".mjs.map", ".cjs.map", ".css.map")
BUNDLE_NAMES = (".min.js", ".min.mjs", ".bundle.js", ".chunk.js", ".umd.js")
# file types served as-is from a build output folder
WEB_EXT = (
    *JS_EXT,
    ".map",
    ".jsx",
    ".html",
    ".htm",
    ".css",
    ".json",
    ".txt",
    ".svg",
    ".xml",
    ".webmanifest",
    ".wasm",
)
BUILD_DIRS = frozenset({"dist", "build", "out", "public", "www", "static", "_next"})


def _member(path: str) -> str:
    """The lowercased path, or an archive member's own path (``app.zip!dist/app.js``)."""
    return path.lower().rsplit("!", 1)[-1]


def is_archive_path(path: str) -> bool:
    low = _member(path)
    return low.endswith(ZIP_EXT) or low.endswith(TAR_EXT)


def is_source_map_path(path: str) -> bool:
    return _member(path).endswith(".map")


def is_script_path(path: str) -> bool:
    return _member(path).endswith(JS_EXT)


def is_client_side(path: str) -> bool:
    """True for files that ship to browsers: bundles, source maps, web assets in build outputs.

    For an archive member (``app.zip!dist/app.js``) the member's own path decides.
    """
    low = _member(path.replace("\\", "/"))
    name = low.rsplit("/", 1)[-1]
    if name.endswith(MAP_EXT) or name.endswith(BUNDLE_NAMES):
        return True
    if not name.endswith(WEB_EXT):
        return False
    dirs = low.split("/")[:-1]
    for i, d in enumerate(dirs):
        if d in BUILD_DIRS and (d != "static" or (i and dirs[i - 1] == ".next")):
            return True
        if d == "static" and i == 0:
            return True
    return False
