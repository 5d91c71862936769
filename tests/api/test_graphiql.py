"""GraphiQL works without the internet: the page and every file it loads come from Kopdes.

The page is fetched as a browser would (GET /graphql, Accept: text/html); every script,
stylesheet, image and icon it names is resolved against the page's URL and fetched in turn.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from api.graphiql import ASSETS_DIR, PAGE_ASSETS
from tests.access.support import app_client
from tests.support import gql

BASE = "http://testserver"
PAGE = f"{BASE}/graphql"
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".svg": ("image/svg+xml",),
}
# Where front-end code usually loads React, GraphiQL, fonts or workers from.
CDN_URL = re.compile(
    r"(?:https?:)?//(?:unpkg\.com|cdn\.jsdelivr\.net|esm\.sh|cdnjs\.cloudflare\.com"
    r"|fonts\.googleapis\.com|fonts\.gstatic\.com|cdn\.skypack\.dev)/"
)


class References(HTMLParser):
    """Every URL the page would load (src, href, srcset...), and the bodies of inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "href", "poster", "data", "action", "formaction"):
                self.urls.append((tag, value))
            elif name == "srcset":
                self.urls.extend((tag, part.split()[0]) for part in value.split(",") if part)
            elif name.startswith("on"):
                self.inline_scripts.append(value)
        if tag == "script":
            self._in_script = True
            if dict(attrs).get("src") is None:
                self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.inline_scripts and data.strip():
            self.inline_scripts[-1] += data


async def browser_page(client: httpx.AsyncClient) -> tuple[httpx.Response, References]:
    page = await client.get("/graphql", headers=BROWSER)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    refs = References()
    refs.feed(page.text)
    return page, refs


async def test_graphiql_page_loads_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    _page, refs = await browser_page(client)
    tags = {tag for tag, _url in refs.urls}
    assert {"script", "link"} <= tags, refs.urls
    assert len(refs.urls) == len(PAGE_ASSETS), refs.urls
    for tag, url in refs.urls:
        absolute = urlsplit(urljoin(PAGE, url))
        assert (absolute.scheme, absolute.netloc) == ("http", "testserver"), (tag, url)
        assert not url.startswith(("//", "/")), f"{url}: absolute paths break under a prefix"
    # No inline script or handler: the CSP's script-src 'self' would block it.
    assert refs.inline_scripts == []


async def test_every_asset_of_the_page_answers_with_its_type_and_a_long_cache(
    client: httpx.AsyncClient,
) -> None:
    _page, refs = await browser_page(client)
    for _tag, url in refs.urls:
        response = await client.get(urljoin(PAGE, url))
        assert response.status_code == 200, url
        suffix = Path(urlsplit(url).path).suffix
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in CONTENT_TYPES[suffix], (url, media_type)
        assert response.headers["x-content-type-options"] == "nosniff"
        cache = response.headers["cache-control"]
        assert cache == "public, max-age=31536000, immutable", (url, cache)
        assert len(response.content) > 100, url


async def test_assets_load_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    """Stylesheets pull in fonts and images by url() and @import; scripts by CDN hosts."""
    _page, refs = await browser_page(client)
    for _tag, url in refs.urls:
        body = (await client.get(urljoin(PAGE, url))).text
        if url.split("?")[0].endswith(".css"):
            assert "@import" not in body, url
            for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", body):
                assert target.startswith(("data:", "#")), (url, target)
        assert not CDN_URL.search(body), (url, CDN_URL.search(body))
        assert "sourceMappingURL" not in body, f"{url} names a source map that is not shipped"


async def test_page_content_security_policy_allows_this_origin_only(
    client: httpx.AsyncClient,
) -> None:
    page, _refs = await browser_page(client)
    directives = {
        part.split()[0]: part.split()[1:]
        for part in page.headers["content-security-policy"].split(";")
        if part.strip()
    }
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    allowed = {"'self'", "'none'", "'unsafe-inline'", "data:"}
    for name, sources in directives.items():
        assert set(sources) <= allowed, (name, sources)
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-frame-options"] == "DENY"


async def test_asset_without_its_current_fingerprint_is_revalidated(
    client: httpx.AsyncClient,
) -> None:
    for url in (
        "/static/graphiql/kopdes-graphiql.js",
        "/static/graphiql/kopdes-graphiql.js?v=0000000000000000",
    ):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache", url


async def test_unknown_or_escaping_asset_paths_are_not_found(client: httpx.AsyncClient) -> None:
    for url in (
        "/static/graphiql/nothing.js",
        "/static/graphiql/../../app.py",
        "/static/graphiql/%2e%2e/%2e%2e/app.py",
        "/static/graphiql/..%2fgraphiql.py",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url


async def test_assets_are_sent_compressed_and_revalidate_to_304(
    client: httpx.AsyncClient,
) -> None:
    _page, refs = await browser_page(client)
    graphiql_js = urljoin(PAGE, next(url for _tag, url in refs.urls if "graphiql.min.js" in url))
    plain = (ASSETS_DIR / "vendor" / "graphiql.min.js").read_bytes()
    for _ in range(2):  # compressed once, then served from memory: same bytes
        async with client.stream("GET", graphiql_js, headers={"accept-encoding": "gzip"}) as r:
            assert r.headers["content-encoding"] == "gzip"
            assert "Accept-Encoding" in r.headers["vary"].split(", ")
            assert "accept-ranges" not in r.headers
            raw = b"".join([chunk async for chunk in r.aiter_raw()])
        assert len(raw) < len(plain) / 3
        assert gzip.decompress(raw) == plain
    identity = await client.get(graphiql_js, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers
    assert identity.content == plain
    for response in (r, identity):
        again = await client.get(
            graphiql_js,
            headers={"accept-encoding": "gzip", "if-none-match": response.headers["etag"]},
        )
        assert again.status_code == 304


async def test_page_assets_do_not_spend_the_graphql_rate_limit(db: Any) -> None:
    async with app_client(rate_limit_anonymous="2/minute") as client:
        _page, refs = await browser_page(client)  # one request of /graphql
        for _tag, url in refs.urls:
            assert (await client.get(urljoin(PAGE, url))).status_code == 200
        assert (await gql(client, "{ __typename }"))["data"] == {"__typename": "Query"}


async def test_without_graphiql_neither_page_nor_assets_are_served(db: Any) -> None:
    async with app_client(graphiql=False) as client:
        page = await client.get("/graphql", headers=BROWSER)
        assert "graphiql" not in page.text.lower()
        asset = await client.get("/static/graphiql/vendor/graphiql.min.js")
        assert asset.status_code == 404


def test_vendored_files_match_their_recorded_checksums() -> None:
    """scripts/vendor_graphiql.sh records the SHA-256 of what it copied; a hand edit or a
    half-finished re-vendoring shows here."""
    vendor = ASSETS_DIR / "vendor"
    source = (vendor / "SOURCE.md").read_text()
    recorded = {
        file: digest for digest, file in re.findall(r"^([0-9a-f]{64})  (\S+)$", source, re.M)
    }
    shipped = {path.name for path in vendor.iterdir() if path.suffix in (".js", ".css")}
    assert set(recorded) == shipped
    assert {name for name in PAGE_ASSETS.values() if name.startswith("vendor/")} == {
        f"vendor/{name}" for name in shipped
    }
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    licences = {path.stem for path in (vendor / "LICENSES").iterdir()}
    assert {"react", "react-dom", "graphiql", "graphiql-plugin-explorer"} <= licences
