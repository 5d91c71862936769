"""Which edition a file of the official list is: a label (unique), the decree, its date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class EditionInfo:
    label: str
    decree: str | None = None
    published_on: date | None = None

    def as_params(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "decree": self.decree,
            "published_on": self.published_on.isoformat() if self.published_on else None,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> EditionInfo:
        published = params.get("published_on")
        return cls(
            label=params["label"],
            decree=params.get("decree"),
            published_on=date.fromisoformat(published) if published else None,
        )
