"""Fuzzing the readers of untrusted bytes: archives, source maps, text sniffing.

Any bytes in, warnings out, never an exception.  Hypothesis runs derandomized (a fixed seed, no
example database), so a run is repeatable and takes a few seconds; each reader starts from real,
valid inputs that the strategies then cut, flip and splice, since purely random bytes rarely get
past a format's first check.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile

import hostile_inputs as hi
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from scanner.sources import Fragment, archives, mapstream, sourcemap  # noqa: E402
from scanner.sources.files import Target, read_fragments  # noqa: E402

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TEXT = b"// sagapay\nconst key = 'spk_live_abcdefghijklmnopqrstuvwx';\n"


def _always(data: str | bytes, path_low: str) -> bool:
    return True


def _zip(compression: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        zf.writestr("a/config.js", TEXT)
        zf.writestr("b/", b"")
        zf.writestr("inner.zip", _inner())
    return buf.getvalue()


def _inner() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("deep.env", TEXT)
    return buf.getvalue()


def _tar(mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for name in ("pkg/config.js", "pkg/" + "long/" * 30 + "x.env"):
            info = tarfile.TarInfo(name)
            info.size = len(TEXT)
            tf.addfile(info, io.BytesIO(TEXT))
        info = tarfile.TarInfo("pkg/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../etc/passwd"
        tf.addfile(info)
    return buf.getvalue()


def _gzip_extra(data: bytes) -> bytes:
    """gzip with an extra field (FEXTRA), which tarfile's stream reader parses itself."""
    body = gzip.compress(data)
    return body[:3] + b"\x04" + body[4:10] + b"\x04\x00AB\x00\x00" + body[10:]


SEEDS = {
    "x.zip": [
        _zip(zipfile.ZIP_STORED),
        _zip(zipfile.ZIP_DEFLATED),
        hi.raw_zip([(b"", b"x"), (b"a/config.js", TEXT)]),  # a member with an empty name
    ],
    "x.tar": [_tar("w")],
    "x.tgz": [_tar("w:gz"), gzip.compress(_tar("w")), _gzip_extra(_tar("w"))],
    "x.tar.xz": [_tar("w:xz")],
    "x.tar.bz2": [_tar("w:bz2")],
}


@st.composite
def mangled(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed cut short, with bytes overwritten, inserted or a piece repeated."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "zero"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=16))
        elif op == "repeat":
            n = draw(st.integers(1, 64))
            data[at:at] = data[at : at + n] * draw(st.integers(1, 8))
        else:
            data[at : at + 4] = b"\0\0\0\0"
    return bytes(data)


def _drain_archive(data: bytes, name: str) -> list[str]:
    warnings: list[str] = []
    frags = list(archives.fragments(io.BytesIO(data), name, warnings.append, _always))
    assert all(isinstance(f, Fragment) for f in frags)
    return warnings


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_archive_reader_never_raises(name: str) -> None:
    @FUZZ
    @given(mangled(SEEDS[name]))
    def check(data: bytes) -> None:
        _drain_archive(data, name)

    check()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_archive_reader_on_every_truncation(name: str) -> None:
    """Each seed cut after each of its first 600 bytes (a header cut short anywhere)."""
    for seed in SEEDS[name]:
        for n in range(min(len(seed), 600)):
            _drain_archive(seed[:n], name)


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(sorted(SEEDS)))
def test_archive_reader_on_random_bytes(data: bytes, name: str) -> None:
    _drain_archive(data, name)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
MAP_KEYS = ["version", "file", "sources", "sourceRoot", "sourcesContent", "mappings", "sections"]


@st.composite
def source_maps(draw: st.DrawFn) -> str:
    doc = {k: draw(JSON) for k in draw(st.lists(st.sampled_from(MAP_KEYS), unique=True))}
    if draw(st.booleans()):
        doc["sources"] = draw(st.lists(st.text(max_size=12), max_size=4))
        doc["sourcesContent"] = draw(st.lists(st.none() | st.text(max_size=40), max_size=4))
        doc["mappings"] = "AAAA"
    if draw(st.booleans()):
        doc = {"version": 3, "sections": [{"offset": {}, "map": doc}] * draw(st.integers(0, 2))}
    text = json.dumps(doc, indent=draw(st.none() | st.integers(0, 2)))
    if draw(st.booleans()):  # cut, or spliced with garbage
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=8))
    return text


@FUZZ
@given(source_maps(), st.booleans())
def test_source_map_reader_never_raises(text: str, inline: bool) -> None:
    warnings: list[str] = []
    frags = list(sourcemap.fragments(text, "app.js.map", warnings.append, _always, inline=inline))
    for f in frags:
        json.dumps([f.path, f.origin_path])  # every name can be reported
        f.text.encode("utf-8", "surrogatepass")


@FUZZ
@given(st.binary(max_size=2000))
def test_source_map_reader_on_random_text(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    list(sourcemap.fragments("{" + text, "a.map", [].append, _always))


@FUZZ
@given(st.binary(max_size=3000), st.integers(64, 512))
def test_file_reader_on_random_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("f") / "x.txt"
    path.write_bytes(data)
    warnings: list[str] = []
    for f in read_fragments(Target(str(path), "x.txt"), _always, warnings.append, chunk=chunk):
        assert f.line >= 1 and f.column >= 1
    assert warnings == []


@FUZZ
@given(source_maps())
def test_streamed_source_map_reader_agrees_and_never_raises(text: str) -> None:
    """The streaming reader for large maps, on the same maps: never an exception, and on a
    well-formed map the same sources at the same places as the whole-text parser."""
    warnings: list[str] = []
    data = io.BytesIO(text.encode("utf-8", "surrogatepass"))
    streamed = list(mapstream.fragments(data, "app.js.map", warnings.append, _always))
    whole = list(sourcemap.fragments(text, "app.js.map", [].append, _always))
    if not warnings:
        key = lambda f: (f.line, f.column, f.origin_path, f.text)  # noqa: E731
        assert sorted(map(key, streamed)) == sorted(map(key, whole))
