"""The console's files and how /console serves them (no browser needed): vendored libraries as
npm shipped them, every module import resolving to a shipped file, no address of another
host, and the security headers on every response."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from api.console import STATIC, content_security_policy

OWN_FILES = [
    STATIC / "index.html",
    *sorted(STATIC.glob("*.css")),
    *sorted(STATIC.glob("js/**/*.js")),
]
IMPORT = re.compile(r"""(?:^|;|\s)(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']""", re.M)


def test_vendored_libraries_are_the_files_npm_shipped() -> None:
    sums = (STATIC / "vendor" / "SHA256SUMS").read_text().splitlines()
    listed = {name: digest for digest, name in (line.split() for line in sums if line.strip())}
    shipped = {p.name for p in (STATIC / "vendor").glob("*.mjs")}
    assert set(listed) == shipped
    for name, digest in listed.items():
        content = (STATIC / "vendor" / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digest, f"{name} was edited by hand"


def test_every_module_import_resolves_to_a_shipped_file() -> None:
    seen = 0
    scripts = [p for p in OWN_FILES if p.suffix == ".js"]
    for path in [*scripts, *sorted(STATIC.glob("vendor/*.mjs"))]:
        for target in IMPORT.findall(path.read_text(encoding="utf-8")):
            # Bare names ("preact") need an import map, which the CSP forbids.
            assert target.startswith("."), f"{path.name} imports {target!r} by a bare name"
            assert (path.parent / target).resolve().is_file(), f"{path.name}: {target}"
            seen += 1
    assert seen > 20
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    for reference in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert (STATIC / reference).is_file(), reference


def test_the_console_names_no_other_host_and_has_no_inline_code() -> None:
    for path in OWN_FILES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|wss?://|(?<![:\w])//[a-z0-9.-]+\.[a-z]{2,}", text), path
        assert "innerhtml" not in text.lower(), path  # (dangerouslySetInnerHTML too)
        assert " style=" not in text, path  # inline styles are refused by the CSP
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="js/main.js">']


async def test_the_console_is_served_with_a_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    moved = await client.get("/console")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console/"
    page = await client.get("/console/", headers={"Host": "ops.example.id:8443"})
    assert page.status_code == 200
    assert '<div id="app">' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "connect-src 'self' ws://ops.example.id:8443 wss://ops.example.id:8443;" in policy
    assert "frame-ancestors 'none'" in policy
    assert "require-trusted-types-for 'script'" in policy
    assert "unsafe" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    module = await client.get("/console/js/main.js")
    assert module.status_code == 200
    assert module.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert module.headers["content-security-policy"] == content_security_policy("testserver")


async def test_missing_files_and_paths_outside_the_folder_are_not_served(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/console/js/nothing.js")
    assert missing.status_code == 404
    assert "content-security-policy" in missing.headers
    for sneaky in ("/console/../api/app.py", "/console/%2e%2e/%2e%2e/pyproject.toml"):
        response = await client.get(sneaky)
        assert response.status_code == 404, sneaky
        assert "create_app" not in response.text


def test_a_host_header_cannot_write_into_the_policy() -> None:
    for host in ("evil.example; script-src *", "a b", "x'y", ""):
        policy = content_security_policy(host)
        assert "connect-src 'self';" in policy, host
        assert "*" not in policy
    assert "ws://[::1]:8000" in content_security_policy("[::1]:8000")


def test_every_label_has_both_languages() -> None:
    body = {
        lang: set(
            re.findall(
                r'^\s+"?([\w.]+)"?: "',
                (STATIC / "js" / "labels" / f"{lang}.js").read_text(encoding="utf-8"),
                re.M,
            )
        )
        for lang in ("id", "en")
    }
    assert len(body["id"]) > 200
    assert body["id"] == body["en"]
    used = set()
    for path in OWN_FILES:
        used |= set(re.findall(r'\bt\("([\w.]+)"', path.read_text(encoding="utf-8")))
    assert used - body["en"] == set()


def test_package_data_ships_every_console_file() -> None:
    import tomllib

    config = tomllib.loads((STATIC.parents[2] / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["api.console"]
    assert patterns == ["static/*", "static/**/*"]
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert len(files) > 25
    assert all(Path(p).is_relative_to(STATIC) for p in files)
