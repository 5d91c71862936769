"""GraphiQL served by Kopdes itself, so the IDE works on an intranet without a CDN.

Strawberry's own page loads React and GraphiQL from unpkg.com; on a network without the
internet it stays blank. Here the page at GET /graphql (for a browser) is Kopdes's own, and
every file it loads comes from ``api/static/graphiql/``: the vendored builds in ``vendor/``
(versions, licences and checksums in ``vendor/SOURCE.md``, refreshed by
``scripts/vendor_graphiql.sh``) and the page's own script and style.

Asset URLs carry a fingerprint of the file's content (``?v=``), so they are cached for a year
(``immutable``) and a new release is fetched at once; the page itself is revalidated. The
page's Content-Security-Policy allows scripts, styles and connections to this origin only.
URLs in the page are relative, so Kopdes also works behind a proxy under a path prefix.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
PAGE_TEMPLATE = Path(__file__).parent / "templates" / "graphiql.html"
# Where the assets are mounted, and how the page (at /graphql) refers to them.
ASSETS_MOUNT = "/static/graphiql"
ASSETS_HREF = "static/graphiql"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = frozenset({".js", ".css", ".svg", ".md", ".txt"})

# What the page may load: its own origin only. Connections to 'self' include the same
# host's ws:/wss: in CSP Level 3 browsers (the subscriptions). Fonts are data: URIs inside
# graphiql.min.css. Styles need 'unsafe-inline': GraphiQL's dialogs (settings, short keys)
# insert a <style> element whose content depends on the browser's scrollbar width, so no
# hash can allow it; scripts, where injection matters, stay 'self' only.
PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "Cache-Control": REVALIDATE,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# Template placeholder -> file under ASSETS_DIR, in the order the page loads them.
PAGE_ASSETS = {
    "favicon": "favicon.svg",
    "graphiql_css": "vendor/graphiql.min.css",
    "explorer_css": "vendor/plugin-explorer.css",
    "page_css": "kopdes-graphiql.css",
    "react_js": "vendor/react.production.min.js",
    "react_dom_js": "vendor/react-dom.production.min.js",
    "graphiql_js": "vendor/graphiql.min.js",
    "explorer_js": "vendor/plugin-explorer.umd.js",
    "page_js": "kopdes-graphiql.js",
}


def fingerprints(directory: Path = ASSETS_DIR) -> dict[str, str]:
    """Relative path -> the first 16 hex digits of its SHA-256, for every file served."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@cache
def page_html() -> str:
    versions = fingerprints()
    urls = {key: f"{ASSETS_HREF}/{name}?v={versions[name]}" for key, name in PAGE_ASSETS.items()}
    return Template(PAGE_TEMPLATE.read_text(encoding="utf-8")).substitute(urls)


def graphiql_page() -> Response:
    return HTMLResponse(page_html(), headers=PAGE_HEADERS)


class GraphiQLAssets(StaticFiles):
    """The files under ASSETS_DIR, cached for a year when asked for by their fingerprint, and
    gzipped for clients that accept it. Each file is compressed once and kept: these URLs are
    public and not rate limited, so a request must cost no more than sending the bytes
    (graphiql.min.js is 3.5 MB as shipped, its "min" build is not minified; 0.8 MB gzipped)."""

    def __init__(self, directory: Path = ASSETS_DIR) -> None:
        super().__init__(directory=directory)
        self.root = directory
        self.versions = fingerprints(directory)
        self._gzipped: dict[str, bytes] = {}

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        path = Path(full_path)
        name = path.relative_to(self.root).as_posix()
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        fresh = asked != "" and asked == self.versions.get(name)
        response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        response.headers["X-Content-Type-Options"] = "nosniff"
        if path.suffix not in COMPRESSIBLE:
            return response
        response.headers["Vary"] = "Accept-Encoding"
        accepted = Headers(scope=scope).get("accept-encoding", "")
        if response.status_code != 200 or "gzip" not in accepted.lower():
            return response
        return self._gzip_response(name, path, response)

    def _gzip_response(self, name: str, path: Path, plain: Response) -> Response:
        body = self._gzipped.get(name)
        if body is None:
            body = self._gzipped[name] = gzip.compress(path.read_bytes(), mtime=0)
        # Whole-file only: byte ranges of the compressed body are not offered.
        headers = {
            k: v for k, v in plain.headers.items() if k not in ("content-length", "accept-ranges")
        }
        headers["content-encoding"] = "gzip"
        # Another representation of the same file: a weak validator (Starlette's
        # If-None-Match check drops the W/ and matches the file's own ETag).
        headers["etag"] = "W/" + plain.headers["etag"]
        return Response(body, headers=headers)


def assets_route() -> Mount:
    return Mount(ASSETS_MOUNT, app=GraphiQLAssets(), name="graphiql-assets")


__all__ = ["ASSETS_MOUNT", "PAGE_ASSETS", "PAGE_CSP", "assets_route", "graphiql_page"]
