"""What the browser tests read on the console's pages: figures as the console formats them
in Indonesian, and the pages every role-wide check visits."""

from __future__ import annotations

import re
from typing import Any


def id_number(value: int) -> str:
    """A whole number as the console shows it in Indonesian: 83.762."""
    return f"{value:,}".replace(",", ".")


def id_percent(value: float) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " %"


def starting(text: str) -> re.Pattern[str]:
    """A name that starts with ``text``; Playwright reads a "/" in a pattern as its end."""
    return re.compile("^" + re.escape(text).replace("/", "\\/"))


def stat(page: Any, label: str) -> Any:
    return (
        page.locator("dl.stats > div").filter(has=page.get_by_text(label, exact=True)).locator("dd")
    )


# Every view, as an administrator (who may open them all) sees it.
PAGES = [
    "",
    "#/coverage/64",
    "#/coverage/64.72.05.1003",
    "#/findings",
    "#/findings/64",
    "#/imports",
    "#/jobs",
    "#/keys",
    "#/signin",
]

# Controls and links without an accessible name (label, aria-label or text).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((e) => {
    const named = e.labels?.length || e.getAttribute('aria-label') ||
      e.getAttribute('aria-labelledby') || (e.innerText || '').trim();
    return !named;
  }).map((e) => e.outerHTML.slice(0, 120))"""
