"""Fixtures of the browser tests: one real server per module, Debian's Chromium driven by
Playwright, and a recorder that fails a test on any console error or any request the page
makes to another host."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.console.server import ConsoleServer, console_server
from tests.support import IN_CI, truncate_all

CHROMIUM = "/usr/bin/chromium"
# Flags that work in containers; the profile is a fresh temporary folder (Playwright's own).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent.parent
# How long an action or an `expect` waits for the page. Playwright's `expect` does not follow
# the context's default timeout: it keeps its own 5 s, which a loaded 2-core machine misses
# while the server answers a query, so both are set.
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def console(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """A served console over the session's database, emptied before and after the module."""
    from shared.broker import get_broker
    from shared.db import get_database

    db = get_database()
    get_broker().flush_all()
    truncate_all(db)
    try:
        with console_server(tmp_path_factory.mktemp("console")) as server:
            yield server
    finally:
        get_broker().flush_all()
        truncate_all(db)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module-scoped: Playwright's sync API runs an event loop of its own while it is open,
    # and the async tests of later modules need the thread's loop to themselves.
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class Recorder:
    """What a page did: every request and websocket, frames received, and console errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tolerated: list[re.Pattern[str]] = field(default_factory=list)

    def tolerate(self, pattern: str) -> None:
        """A console error the test causes on purpose (a refused key answers 401)."""
        self.tolerated.append(re.compile(pattern))

    def console_error(self, text: str) -> None:
        if not any(p.search(text) for p in self.tolerated):
            self.errors.append(text)

    def foreign(self) -> list[str]:
        """Requests and websockets to anywhere but the server's own origin."""
        host = urlsplit(self.origin).netloc
        allowed = {("http", host), ("ws", host)}
        return [
            url
            for url in self.requests + self.sockets
            if (urlsplit(url).scheme, urlsplit(url).netloc) not in allowed
        ]


def _watch(page: Any, recorder: Recorder) -> None:
    def console(message: Any) -> None:
        if message.type == "error":
            recorder.console_error(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: recorder.errors.append(f"uncaught: {e}"))

    def request(r: Any) -> None:
        recorder.requests.append(r.url)
        try:
            recorder.bodies.append(r.post_data or "")
        except UnicodeDecodeError:  # a file upload
            recorder.bodies.append("")

    page.on("request", request)

    def socket(ws: Any) -> None:
        recorder.sockets.append(ws.url)
        ws.on("framereceived", lambda payload: recorder.frames.append(str(payload)))

    page.on("websocket", socket)


@dataclass
class Visit:
    page: Any
    recorder: Recorder
    server: ConsoleServer

    def open(self, fragment: str = "") -> None:
        self.page.goto(self.server.console + fragment)
        self.page.get_by_role("heading", level=1).first.wait_for()

    def sign_in(self, role: str) -> None:
        """Sign in through the page, as a person would."""
        self.open("#/signin")
        self.page.get_by_label("Kunci API").fill(self.server.tokens[role])
        self.page.get_by_role("main").get_by_role("button", name="Masuk").click()
        self.page.get_by_role("banner").get_by_text("console-" + role).wait_for()

    def shoot(self, name: str, part: Any = None) -> None:
        """Save a screenshot of the page (or of one part) to $KOPDES_SCREENSHOTS/<name>.png;
        the README shows those in docs/console. Without the variable, nothing is written."""
        target = os.environ.get("KOPDES_SCREENSHOTS")
        if not target:
            return
        folder = Path(target) if Path(target).is_absolute() else REPO / target
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / f"{name}.png")
        if part is not None:
            part.screenshot(path=path)
        else:
            self.page.screenshot(path=path, full_page=True)


@pytest.fixture
def visit(browser: Any, console: ConsoleServer) -> Iterator[Callable[..., Visit]]:
    """Open a fresh browser context (its own sessionStorage) on the console; at the end, fail
    on console errors (CSP violations among them) and on requests to another host."""
    contexts: list[tuple[Any, Recorder]] = []

    def open_visit(width: int = 1280, height: int = 900) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
        context.set_default_timeout(WAIT_MS)
        recorder = Recorder(origin=console.base)
        page = context.new_page()
        _watch(page, recorder)
        contexts.append((context, recorder))
        return Visit(page=page, recorder=recorder, server=console)

    yield open_visit
    for context, recorder in contexts:
        context.close()
        assert recorder.errors == [], f"console errors: {recorder.errors}\n{console.output()}"
        assert recorder.foreign() == []
