"""The nine labels (ids fixed by the project's taxonomy) with names, colours and texts for findings."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    colour: str
    severity: str
    description: str
    lawful_lookalike: str
    explanation: str
    suggestion: str


@lru_cache(maxsize=1)
def labels() -> dict[str, Label]:
    """All labels by id, in the taxonomy's order."""
    raw = yaml.safe_load(resources.files("analyzer").joinpath("taxonomy.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: Label(**entry) for entry in raw}


LABEL_IDS: tuple[str, ...] = tuple(labels())
