"""Sources turn inputs into Fragments; they know nothing of rules.

One module per kind of input: ``files`` (walk and chunked reading), ``archives``, ``sourcemap``,
``bundles`` (client-side code, ``sourceMappingURL``), ``web`` (a deployed site) and ``git``
(history and the index).  ``dispatch`` is the one place that decides which of them reads a file
or an in-memory text; nothing is discovered by walking packages.

A command hands one ``Source`` to ``scanner.pipeline.run``: ``tree.FileSource`` (files and
directories, stdin), ``git.source.HistorySource`` and ``StagedSource``, ``web.WebSource``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from scanner.finding import Finding

Warn = Callable[[str], None]
"""Reports a problem with one input (one line, naming the input and the reason)."""

TOKEN_MAX = 512
"""Longest token (a value, a Base64 blob) kept whole where a chunk or a regex region ends."""
TOKEN_PUNCT = "_+/=~.&#;-"
"""What a token holds besides letters and digits (HTML entities' & # ; included)."""

Prefilter = Callable[[str | bytes, str], bool]
"""``Engine.prefilter``: (the raw text, in any case, as str or bytes; the lowercased path) ->
may any rule match?  Sources call it before decoding or keeping a fragment."""


_LONE_CR = re.compile(r"\r(?!\n)")
_INNER_CR = re.compile(r"\r(?=[^\n])")


def line_breaks(text: str, *, final: bool = True) -> str:
    """``text`` with every lone CR (old Mac OS line ends) made a LF, so that each line count in
    lekk (the engine's, the chunk readers', the shown line) sees CRLF, LF and CR alike; the
    length is kept, so columns hold.  ``final=False``: a CR at the very end is left as it is,
    since the next piece of the file may start with its LF."""
    if "\r" not in text or text.count("\r") == text.count("\r\n"):
        return text
    return (_LONE_CR if final else _INNER_CR).sub("\n", text)


@dataclass(frozen=True)
class Fragment:
    """A piece of text to scan, and where it came from.

    ``line``/``column`` locate ``text[0]`` in the file as stored (1-based), so a large file can be
    scanned in chunks and a finding still gets its true position.  When ``origin_path`` is set the
    text is one embedded source (a source map's ``sourcesContent`` entry): findings are reported at
    ``line``/``column`` of the container and carry ``origin`` = (``origin_path``, line in ``text``).
    """

    text: str
    path: str
    line: int = 1
    column: int = 1
    origin_path: str | None = None
    client_side: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every source's text, whatever its line ends (the one place they are made alike)
        object.__setattr__(self, "text", line_breaks(self.text))


Drop = Callable[["Finding", str], None]
"""Records a finding that is not reported, and why (``-v`` lists them)."""


class ScanFn(Protocol):
    """The pipeline's engine, as a source sees it (``scanner.pipeline.Scan``): picklable, so a
    source may call it in worker processes."""

    def __call__(self, frag: Fragment, warn: Warn) -> list[Finding]: ...

    def prefilter(self, data: str | bytes, path_low: str) -> bool: ...

    def path_keyed(self, path_low: str) -> bool: ...

    @property
    def byte_records(self) -> Any: ...

    def signature(self, path: str) -> object: ...


class Source:
    """An input the pipeline scans.  ``collect`` reads it into fragments and returns the raw
    findings ``scan`` gives for them; the rest has defaults a simple source keeps."""

    command = "scan"

    def collect(self, scan: ScanFn, warn: Warn, jobs: int | None) -> list[Finding]:
        raise NotImplementedError

    def settle(self, kept: list[Finding], drop: Drop, warn: Warn) -> list[Finding]:
        """The findings the filters kept, with what only this source knows added (or removed)."""
        return kept

    def coverage(self) -> tuple[int, int]:
        """(files, bytes) read: files, blobs, fetched URLs."""
        return 0, 0

    def local_path(self, path: str) -> str:
        """A reported path as the config's globs see it: relative to the root it was found in
        (a scan of several roots reports ``root/path``)."""
        return path

    def properties(self) -> Mapping[str, Any]:
        """Top-level report fields only this source has (``git``, ``partial_history``)."""
        return {}


def scan_all(frags: Iterable[Fragment], scan: ScanFn, warn: Warn) -> list[Finding]:
    """Every fragment through ``scan``, in this process."""
    return [f for frag in frags for f in scan(frag, warn)]
