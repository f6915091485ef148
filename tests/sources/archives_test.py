"""Archives: nested members, mobile apps, bombs and hostile member names."""

from __future__ import annotations

import io
import json
import resource
import secrets
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from helpers import fake, lekk, lekk_json

from scanner.sources.archives import Limits, fragments


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def add_tar(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def findings(report: dict) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"]}


def test_nested_zip_in_tar_gz(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    inner = zip_bytes({"lib/config.js": f'// sagapay\nexport const key = "{key}";\n'.encode()})
    with tarfile.open(tmp_path / "pkg-1.0.0.tgz", "w:gz") as tf:
        add_tar(tf, "package/package.json", b'{"name": "pkg"}')
        add_tar(tf, "package/vendor/inner.zip", inner)
    report = lekk_json("scan", ".", cwd=tmp_path)
    assert findings(report) == {
        ("sagapay-api-key", "pkg-1.0.0.tgz!package/vendor/inner.zip!lib/config.js", 2)
    }
    assert report["findings"][0]["secret"] == key
    assert not (tmp_path / "package").exists()  # nothing extracted


def test_apk_resource_and_dex_strings(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    secret = fake("sps_live_", 24)
    dex = b"dex\n035\x00" + secrets.token_bytes(64) + b"\x00\x19https://api.sagapay.no/v1\x00"
    dex += b"\x00\x21" + key.encode() + b"\x00\x07\x00\x00" + secrets.token_bytes(32)
    config = f'{{\n  "sagapay": {{\n    "apiSecret": "{secret}"\n  }}\n}}\n'.encode()
    (tmp_path / "shop.apk").write_bytes(
        zip_bytes(
            {
                "AndroidManifest.xml": b"\x03\x00\x08\x00" + secrets.token_bytes(40),
                "classes.dex": dex,
                "res/raw/sagapay.json": config,
            }
        )
    )
    report = lekk_json("scan", ".", cwd=tmp_path)
    got = {f["path"]: f for f in report["findings"]}
    assert set(got) == {"shop.apk!classes.dex", "shop.apk!res/raw/sagapay.json"}
    dex_f, res_f = got["shop.apk!classes.dex"], got["shop.apk!res/raw/sagapay.json"]
    assert (dex_f["rule"], dex_f["secret"], dex_f["member_strings"]) == (
        "sagapay-api-key",
        key,
        True,
    )
    assert (res_f["rule"], res_f["line"], res_f["secret"]) == ("sagapay-api-secret", 3, secret)
    assert dex_f["client_side"] is res_f["client_side"] is True  # an app on every phone
    assert dex_f["severity"] == res_f["severity"] == "error"


def _limit_memory() -> None:
    limit = 768 << 20  # the bomb below inflates to 1 GiB: reading it would fail under this cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_zip_bomb_refused_with_bounded_memory(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("huge.bin", "w", force_zip64=True) as w:
            block = b"\0" * (1 << 20)
            for _ in range(1024):
                w.write(block)
        zf.writestr("dense.txt", b"A" * (20 << 20), compresslevel=9)  # 20 MiB, ratio ~1000:1
        zf.writestr("app/config.js", f'// sagapay\nconst key = "{key}";\n')
    r = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", ".", "--format", "json", "--show-secrets"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
        timeout=120,
    )
    assert r.returncode == 1, r.stderr
    assert "bomb.zip!huge.bin: 1073741824 bytes, over the" in r.stderr
    assert "bomb.zip!dense.txt: compression ratio" in r.stderr and "zip bomb" in r.stderr
    assert findings(json.loads(r.stdout)) == {("sagapay-api-key", "bomb.zip!app/config.js", 2)}


def test_member_escaping_the_archive_is_never_written(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    secret = fake("sps_live_", 24)
    scan_dir = tmp_path / "a" / "b"
    scan_dir.mkdir(parents=True)
    (scan_dir / "evil.zip").write_bytes(
        zip_bytes({"../../evil.js": f'// sagapay\nk = "{key}"\n'.encode()})
    )
    with tarfile.open(scan_dir / "evil.tar", "w") as tf:
        add_tar(tf, "../../evil.sh", f"# sagapay\nSECRET={secret}\n".encode())
        add_tar(tf, "/etc/evil.conf", b"nothing here")
    r = lekk("scan", ".", "--format", "json", "--show-secrets", cwd=scan_dir)
    assert r.returncode == 1, r.stderr
    assert findings(json.loads(r.stdout)) == {
        ("sagapay-api-key", "evil.zip!evil.js", 2),
        ("sagapay-api-secret", "evil.tar!evil.sh", 2),
    }
    assert "member name '../../evil.js' points outside the archive" in r.stderr
    assert "member name '/etc/evil.conf' points outside the archive" in r.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "evil.tar", "evil.zip"]


def test_corrupt_archive_warns_and_scan_goes_on(tmp_path: Path) -> None:
    secret = fake("sps_live_", 24)
    (tmp_path / "broken.jar").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "app.env").write_text(f"# sagapay\nSAGAPAY_SECRET={secret}\n")
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "broken.jar: cannot read archive" in r.stderr
    assert "broken.tar.gz: cannot read archive" in r.stderr
    assert findings(json.loads(r.stdout)) == {("sagapay-api-secret", "app.env", 2)}


def test_large_text_member_keeps_its_line_numbers(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    body = "".join(f"line {i} of the changelog\n" for i in range(150_000))  # ~3.7 MB
    body += f"SAGAPAY_API_KEY={key}\n"
    (tmp_path / "release.zip").write_bytes(zip_bytes({"docs/CHANGES.txt": body.encode()}))
    report = lekk_json("scan", ".", cwd=tmp_path)
    assert findings(report) == {("sagapay-api-key", "release.zip!docs/CHANGES.txt", 150_001)}


def test_too_many_members_declared_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(zip_bytes({f"f{i}.txt": b"x" for i in range(12)}))
    warnings: list[str] = []
    got = list(
        fragments(
            str(tmp_path / "many.zip"),
            "many.zip",
            warnings.append,
            lambda low, path: True,
            limits=Limits(members=10),
        )
    )
    assert got == []
    assert warnings == ["many.zip: 12 members, over the 10-member limit; skipped"]


def test_encrypted_member_is_skipped_with_a_warning(tmp_path: Path) -> None:
    secret = fake("sps_live_", 24)
    data = bytearray(
        zip_bytes(
            {
                "locked.txt": b"sagapay secret inside",
                "open.env": f"# sagapay\nSECRET={secret}\n".encode(),
            }
        )
    )
    local = data.index(b"PK\x03\x04")  # the first member: mark it encrypted (flag bit 0)
    central = data.index(b"PK\x01\x02")
    data[local + 6] |= 1
    data[central + 8] |= 1
    (tmp_path / "mixed.zip").write_bytes(bytes(data))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "mixed.zip!locked.txt: cannot read:" in r.stderr and "encrypted" in r.stderr
    assert findings(json.loads(r.stdout)) == {("sagapay-api-secret", "mixed.zip!open.env", 2)}
