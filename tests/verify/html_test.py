"""``--verify --format html``: live and revoked counts, a badge per finding, no value anywhere."""

from __future__ import annotations

import re
from pathlib import Path

from fakeproviders import ECHO, LIVE, REVOKED, FakeProviders, SagaPay, fake_env
from helpers import lekk


def test_html_report_with_verification(fake: FakeProviders, tmp_path: Path) -> None:
    creds = {how: SagaPay.new() for how in (LIVE, REVOKED, ECHO)}
    for how, c in creds.items():
        fake.behaviour[c.secret] = how
        (tmp_path / f"{how}.env").write_text(c.env_file())
    out = tmp_path / "report.html"
    r = lekk(
        "scan",
        str(tmp_path),
        "--verify",
        "--format",
        "html",
        "--show-secrets",
        "-o",
        str(out),
        env=fake_env(fake),
    )
    assert r.returncode == 1, r.stderr
    page = out.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    # the summary: verified live (two findings, one credential pair: key and secret), and the
    # counts by status
    assert re.search(r"<b>2</b><span>verified live</span>", page)
    assert re.search(r"v-live\">live</span></th><td class=\"num\">2</td>", page)
    assert re.search(
        r"v-revoked_or_invalid\">revoked or invalid</span></th><td class=\"num\">2", page
    )
    # each finding says what the provider answered
    assert text.count("verified live") >= 1 and page.count('class="badge v-live"') >= 4
    for c in creds.values():
        assert c.key not in page and c.secret not in page
