"""The lint rules (rules/lint.toml) across the file types each one names, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import helpers
import pytest
from helpers import ROOT, git, lekk, lekk_json

from scanner.rulecheck import check_packs
from scanner.rules import load_pack

LINT_IDS = {
    "public-env-secret",
    "sagapay-insecure-http",
    "vipps-insecure-http",
    "secret-header-in-browser-code",
    "vipps-legacy-api",
    "tracked-dotenv",
    "sagapay-merchant-wide-key",
    "secret-in-log",
}


def fake(prefix: str) -> str:
    return helpers.fake(prefix, 24)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def lint_hits(root: Path, *args: str) -> set[tuple[str, str, int]]:
    report = lekk_json("scan", ".", *args, cwd=root)
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["kind"] == "lint"}


def test_the_lint_pack_loads_with_the_issue_ids_and_every_example_passes() -> None:
    rules = load_pack(ROOT / "rules" / "lint.toml")
    assert {r.id for r in rules} == LINT_IDS
    assert all(r.kind == "lint" for r in rules)
    sev = {r.id: r.severity for r in rules}
    assert (sev["public-env-secret"], sev["sagapay-insecure-http"]) == ("error", "error")
    assert (sev["secret-header-in-browser-code"], sev["vipps-legacy-api"]) == ("error", "warning")
    assert (sev["tracked-dotenv"], sev["sagapay-merchant-wide-key"]) == ("warning", "note")
    checked, problems = check_packs([ROOT / "rules" / "lint.toml"])
    assert problems == []
    assert all(r.examples and r.negative_examples for r in checked)


def test_public_env_secret_in_env_files_config_code_and_bundles(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".env.production": "NEXT_PUBLIC_API_URL=https://shop.example.no\n"
            "NEXT_PUBLIC_SAGAPAY_API_SECRET=\n",
            ".env.local": "# vite\nVITE_VIPPS_CLIENT_SECRET=\nVITE_VIPPS_CLIENT_ID=abc\n",
            "next.config.js": "module.exports = {\n  env: { key: process.env.REACT_APP_SAGAPAY_API_KEY },\n};\n",
            "app.config.ts": "export default {\n  extra: { k: process.env.EXPO_PUBLIC_VIPPS_SUBSCRIPTION_KEY },\n};\n",
            "src/routes/+page.svelte": "<script>\n  import { PUBLIC_SAGAPAY_SECRET } from '$env/static/public';\n</script>\n",
            "src/server.ts": "const s = process.env.SAGAPAY_API_SECRET; // server-only: fine\n",
            "dist/assets/index-1a2b.js": '(()=>{var e={"GATSBY_MOBILEPAY_TOKEN":t.k};})();\n',
        },
    )
    assert lint_hits(tmp_path) == {
        ("public-env-secret", ".env.production", 2),
        ("public-env-secret", ".env.local", 2),
        ("public-env-secret", "next.config.js", 2),
        ("public-env-secret", "app.config.ts", 2),
        ("public-env-secret", "src/routes/+page.svelte", 2),
        ("public-env-secret", "dist/assets/index-1a2b.js", 1),
    }


def test_insecure_http_in_code_config_and_scripts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/orders.js": '// orders\nconst BASE = "http://api.sagapay.no/v1";\n',
            "settings.py": 'SAGAPAY_URL = "https://api.sagapay.no"\n',
            "config/app.yaml": "sagapay:\n  base_url: http://api.sagapay.no\n",
            "list.sh": "#!/bin/sh\ncurl http://apitest.vipps.no/accesstoken/get\n",
            "notes.md": "Docs at http://api.sagapay.net are another product.\n",
        },
    )
    assert lint_hits(tmp_path) == {
        ("sagapay-insecure-http", "src/orders.js", 2),
        ("sagapay-insecure-http", "config/app.yaml", 2),
        ("vipps-insecure-http", "list.sh", 2),
    }


def test_secret_header_in_browser_code_but_not_on_the_server(tmp_path: Path) -> None:
    call = (
        'fetch("https://api.sagapay.no/v1/orders", {{ headers: {{ "X-API-Key": k, {h}: s }} }})\n'
    )
    vipps = (
        "axios.post('https://api.vipps.no/accesstoken/get', null, {{ headers: {{ {h}: v }} }})\n"
    )
    write(
        tmp_path,
        {
            "src/components/Pay.tsx": "// pay\n" + call.format(h='"X-API-Secret"'),
            "src/Checkout.vue": "<script>\n" + vipps.format(h="client_secret") + "</script>\n",
            "src/Sub.svelte": "<script>\n"
            + vipps.format(h="'Ocp-Apim-Subscription-Key'")
            + "</script>\n",
            "src/App.jsx": call.format(h="'X-API-Secret'"),
            "dist/assets/app.min.js": call.format(h='"X-API-Secret"'),
            "server/orders.js": call.format(h='"X-API-Secret"'),
            "src/app/api/route.tsx": "export async function POST() {\n"
            + call.format(h='"X-API-Secret"')
            + "}\n",
        },
    )
    assert lint_hits(tmp_path) == {
        ("secret-header-in-browser-code", "src/components/Pay.tsx", 2),
        ("secret-header-in-browser-code", "src/Checkout.vue", 2),
        ("secret-header-in-browser-code", "src/Sub.svelte", 2),
        ("secret-header-in-browser-code", "src/App.jsx", 1),
        ("secret-header-in-browser-code", "dist/assets/app.min.js", 1),
    }


def test_a_literal_secret_header_in_a_bundle_is_a_secret_finding_not_a_lint_one(
    tmp_path: Path,
) -> None:
    key, secret = fake("spk_live_"), fake("sps_live_")
    write(
        tmp_path,
        {
            "dist/assets/index.js": (
                f'const t="https://api.sagapay.no/v1",n={{"X-API-Key":"{key}","X-API-Secret":"{secret}"}};\n'
            )
        },
    )
    report = lekk_json("scan", ".", cwd=tmp_path)
    got = {(f["rule"], f["line"], f["severity"]) for f in report["findings"]}
    assert got == {("sagapay-api-key", 1, "error"), ("sagapay-api-secret", 1, "error")}


def test_vipps_legacy_api_in_several_languages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "vipps.py": '# vipps\nrequests.post(f"{BASE}/ecomm/v2/payments", json=o)\n',
            "Vipps.java": 'class Vipps {\n  String u = "https://api.vipps.no/ecomm/v1/payments/";\n}\n',
            "recurring.rb": "# Vipps agreements\npost('/recurring/v2/agreements', body)\n",
            "new.ts": 'await fetch("https://api.vipps.no/epayment/v1/payments")\n',
            "billing.rb": "post('/recurring/v2/agreements', body) # our own API\n",
        },
    )
    hits = lint_hits(tmp_path)
    assert hits == {
        ("vipps-legacy-api", "vipps.py", 2),
        ("vipps-legacy-api", "Vipps.java", 2),
        ("vipps-legacy-api", "recurring.rb", 2),
    }
    report = lekk_json("scan", "vipps.py", cwd=tmp_path)
    assert [f["severity"] for f in report["findings"]] == ["warning"]


def test_sagapay_merchant_wide_key_only_in_per_store_code(tmp_path: Path) -> None:
    per_store = (
        "function terminals(storeId) {\n"
        "  return fetch(`https://api.sagapay.no/v1/stores/${storeId}/terminals`, {\n"
        '    headers: { "X-API-Key": key, "X-API-Secret": secret%s },\n'
        "  });\n}\n"
    )
    write(
        tmp_path,
        {
            "src/terminals.js": per_store % "",
            "src/scoped.js": per_store % ', "X-Store-ID": storeId',
            "src/orders.js": 'fetch("https://api.sagapay.no/v1/orders", { headers: { "X-API-Key": key } })\n',
            "sagapay/client.py": 'def refund(store_id, o):\n    return s.post(SAGAPAY_URL, headers={"X-API-Key": KEY}, json={"store": store_id})\n',
        },
    )
    assert lint_hits(tmp_path) == {
        ("sagapay-merchant-wide-key", "src/terminals.js", 3),
        ("sagapay-merchant-wide-key", "sagapay/client.py", 2),
    }


def test_secret_in_log(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pay.js": 'const sagapayApiSecret = process.env.SAGAPAY_API_SECRET;\nconsole.log("s", sagapayApiSecret);\n',
            "vipps.py": 'logger.info("vipps order %s", order_id)\nlogger.debug("token %s", VIPPS_CLIENT_SECRET)\n',
            "deploy.sh": '#!/bin/sh\necho "$SAGAPAY_API_KEY"\n',
        },
    )
    assert lint_hits(tmp_path) == {
        ("secret-in-log", "pay.js", 2),
        ("secret-in-log", "vipps.py", 2),
        ("secret-in-log", "deploy.sh", 2),
    }


# -- tracked-dotenv: git decides ----------------------------------------------------------------


def dotenv_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    cred = f"SAGAPAY_MERCHANT_ID=merch_1\nSAGAPAY_API_SECRET={fake('sps_live_')}\n"
    write(
        repo,
        {
            ".gitignore": ".env.local\n",
            ".env": cred,  # not ignored, untracked: one `git add .` away
            ".env.local": cred,  # ignored: fine
            ".env.production": cred,  # tracked, and ignored too late
            ".env.example": "SAGAPAY_API_SECRET=sps_live_your_secret_here\n",
        },
    )
    git(repo, "add", ".env.production", ".gitignore", ".env.example")
    git(repo, "commit", "-qm", "init")
    (repo / ".gitignore").write_text(".env.local\n.env.production\n", encoding="utf-8")
    return repo


def test_tracked_dotenv_follows_git(tmp_path: Path) -> None:
    repo = dotenv_repo(tmp_path)
    hits = {h for h in lint_hits(repo) if h[0] == "tracked-dotenv"}
    assert hits == {("tracked-dotenv", ".env", 2), ("tracked-dotenv", ".env.production", 2)}
    r = lekk("scan", ".", "-v", "--format", "json", cwd=repo)
    assert "dropped tracked-dotenv at .env.local:2: ignored by git (.gitignore)" in r.stderr


def test_tracked_dotenv_needs_a_work_tree(tmp_path: Path) -> None:
    write(tmp_path, {".env": f"SAGAPAY_API_SECRET={fake('sps_live_')}\n"})
    assert not any(h[0] == "tracked-dotenv" for h in lint_hits(tmp_path))


def test_a_repository_config_cannot_make_lekk_run_code(tmp_path: Path) -> None:
    repo = dotenv_repo(tmp_path)
    marker = tmp_path / "pwned"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    lint_hits(repo)
    assert not marker.exists()


@pytest.mark.parametrize("rule", sorted(LINT_IDS))
def test_every_lint_rule_is_explained_with_its_remediation(rule: str) -> None:
    r = lekk("explain", rule)
    assert r.returncode == 0, r.stderr
    for heading in ("What it finds", "Why is this bad?", "Example", "How to fix", "What to do now"):
        assert heading in r.stdout
    assert "Link: https://" in r.stdout


def test_lint_rules_reach_into_source_maps_with_the_original_line(tmp_path: Path) -> None:
    import json

    src = (
        "// SagaPay checkout\n"
        "export const pay = (s: string) =>\n"
        '  fetch("http://api.sagapay.no/v1/orders", { headers: { "X-API-Secret": s } });\n'
    )
    smap = {
        "version": 3,
        "sources": ["webpack:///./src/pay.ts"],
        "sourcesContent": [src],
        "names": [],
        "mappings": "",
    }
    write(tmp_path, {"dist/app.js.map": json.dumps(smap)})
    report = lekk_json("scan", ".", cwd=tmp_path)
    got = {(f["rule"], f["path"], f["line"], f["origin"]["line"]) for f in report["findings"]}
    assert got == {
        ("sagapay-insecure-http", "dist/app.js.map", 1, 3),
        ("secret-header-in-browser-code", "dist/app.js.map", 1, 3),
    }
    assert {f["origin"]["path"] for f in report["findings"]} == {"src/pay.ts"}


def test_tracked_dotenv_when_staged_for_commit(tmp_path: Path) -> None:
    from git_builder import Repo, fake_secret

    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    repo.stage(
        {
            ".env": f"# local\nSAGAPAY_API_SECRET={fake_secret()}\n",
            ".env.example": f"SAGAPAY_API_SECRET={fake_secret()}\n",
        }
    )
    report = lekk_json("staged", cwd=repo.path)
    got = {(f["rule"], f["path"], f["line"]) for f in report["findings"]}
    assert got == {
        ("tracked-dotenv", ".env", 2),
        ("sagapay-api-secret", ".env", 2),
        ("sagapay-api-secret", ".env.example", 1),
    }


def test_history_reports_lint_only_where_the_default_branch_still_has_it(tmp_path: Path) -> None:
    """`lekk git` reports credentials ever committed, but lint belongs to the current state: a
    dotenv file deleted long ago, or a plain-http URL fixed years ago, is no lint finding."""
    from git_builder import Repo, fake_secret

    repo = Repo(tmp_path / "r")
    repo.commit(
        "keys",
        {
            ".env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
            "old.py": 'BASE = "http://api.sagapay.no/v1"  # sagapay\n',
        },
    )
    repo.commit("oops", delete=(".env",))
    repo.commit("https", {"old.py": 'BASE = "https://api.sagapay.no/v1"  # sagapay\n'})
    repo.commit(
        "local",
        {
            "web/.env.local": f"X=1\nSAGAPAY_API_SECRET={fake_secret()}\nSAGAPAY_API_KEY=spk_live_{fake_secret('')}\n",
            "vipps.py": 'requests.post(f"{VIPPS}/ecomm/v2/payments")  # vipps\n',
        },
    )
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"side.py": 'requests.post("https://api.vipps.no/ecomm/v1/x")  # vipps\n'})
    repo.git("checkout", "-q", "main")
    r = lekk("git", "--format", "json", cwd=repo.path)
    assert r.returncode == 1, r.stderr
    findings = json.loads(r.stdout)["findings"]
    got = {(f["rule"], f["path"], f["line"]) for f in findings}
    assert got == {
        ("sagapay-api-secret", ".env", 1),
        ("sagapay-api-secret", "web/.env.local", 2),
        ("sagapay-api-key", "web/.env.local", 3),
        # still at the tip of main: reported once per file
        ("tracked-dotenv", "web/.env.local", 2),
        ("vipps-legacy-api", "vipps.py", 1),
    }
    legacy = next(f for f in findings if f["rule"] == "vipps-legacy-api")
    assert legacy["commit"]["summary"] == "local" and legacy["still_in_head"] is True
    # a range reports the lint its commits added and the range's end still has
    first, last = repo.git("rev-list", "--max-parents=0", "HEAD"), repo.git("rev-parse", "HEAD")
    rng = lekk_json("git", f"{first}..{last}", cwd=repo.path)
    assert {(f["rule"], f["path"]) for f in rng["findings"] if f["kind"] == "lint"} == {
        ("tracked-dotenv", "web/.env.local"),
        ("vipps-legacy-api", "vipps.py"),
    }
    # the checkout itself: the dotenv file tracked at HEAD is reported
    assert ("tracked-dotenv", "web/.env.local", 2) in lint_hits(repo.path)


def test_secret_in_log_ignores_a_name_inside_a_message(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pay.js": "console.error('Missing SAGAPAY_API_SECRET in the environment');\n"
            "console.debug(`sagapay: ${sagapaySecret}`);\n",
            "vipps.py": 'logger.warning("VIPPS_CLIENT_SECRET is not set")\nprint(f"key {VIPPS_SUBSCRIPTION_KEY}")\n',
        },
    )
    assert lint_hits(tmp_path) == {("secret-in-log", "pay.js", 2), ("secret-in-log", "vipps.py", 2)}


def test_secret_header_in_server_files_beside_components(tmp_path: Path) -> None:
    call = 'fetch("https://api.sagapay.no/v1/orders", { headers: { "X-API-Secret": secret } })\n'
    write(
        tmp_path,
        {
            "src/components/api/orders.tsx": call,
            "src/components/Pay.server.tsx": call,
            "src/components/Pay.tsx": '"use server";\n' + "\n" * 20 + call,
            "src/components/Cart.tsx": call,
        },
    )
    assert lint_hits(tmp_path) == {("secret-header-in-browser-code", "src/components/Cart.tsx", 1)}
